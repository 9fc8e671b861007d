"""A year of results: each planned campaign of ``history`` created through the services, with
its placements, budget commitments, daily metrics and monthly expenses, then run to completion.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import NamedTuple

import sqlalchemy as sa

from comarketing.accounts.models import Organization
from comarketing.budgets import claim_responses, claims, commitments
from comarketing.campaigns import lifecycle
from comarketing.campaigns import placements as campaign_placements
from comarketing.campaigns.models import Campaign, Placement
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.demo.companies import approver_of, manager_of
from comarketing.demo.figures import DemoDays, monthly_costs, placement_days
from comarketing.demo.history import HISTORY, PlannedDemoCampaign
from comarketing.extensions import db
from comarketing.metrics import entry as metric_entry
from comarketing.metrics.models import ImportSource
from comarketing.money import exponent as money_exponent
from comarketing.money import split_by_shares


class _Terms(NamedTuple):
    """What a planned campaign is created with: its dates, budget and goals."""

    start: date
    end: date
    scale: int  # minor units per major unit of the campaign's currency
    budget: int
    target_reach: int
    target_leads: int


def ensure_history(companies: dict[str, Organization]) -> Iterator[str]:
    """Create each planned campaign that does not exist yet, with all its results and ledger.

    A campaign is found by its owner and name, so a second run adds nothing."""
    today = utcnow().date()
    created = days = 0
    for plan in HISTORY:
        owner = companies[plan.owner]
        if db.session.scalar(
            sa.select(Campaign.id).where(
                Campaign.organization_id == owner.id, Campaign.name == plan.name
            )
        ):
            continue
        days += _seed_campaign(plan, companies, today)
        created += 1
    if created:
        yield (
            f"created: a year of results: {created} past and running campaigns, solo and joint, "
            f"with {days} placement-days of daily metrics and their monthly expenses"
        )


def _seed_campaign(
    plan: PlannedDemoCampaign, companies: dict[str, Organization], today: date
) -> int:
    """One campaign from plan to completion through the services; returns its placement-days.

    Its goals are set from what the whole run will bring: most campaigns reach them, those
    with ``goal`` above 1 fall short."""
    start = today - timedelta(days=plan.starts_days_ago)
    end = start + timedelta(days=plan.days - 1)
    scale = 10 ** money_exponent(plan.currency)
    whole_run = [
        placement_days(
            f"{plan.name}/{p.name}",
            p.channel,
            start,
            end,
            p.planned_cost * scale,
            plan.currency,
            plan.lift,
            until=end,
        )
        for p in plan.placements
    ]
    terms = _Terms(
        start,
        end,
        scale,
        budget=sum(p.planned_cost for p in plan.placements) * scale,
        target_reach=int(round(sum(d.reach for d in whole_run) * plan.goal, -4)),
        target_leads=int(round(sum(d.leads for d in whole_run) * plan.goal, -1)),
    )
    manager = manager_of(companies[plan.owner])
    if plan.joint:
        campaign_id = _create_joint_campaign(plan, companies, manager, terms)
    else:
        campaign_id = _create_solo_campaign(plan, companies[plan.owner], manager, terms)
    lifecycle.change_status(manager, campaign_id, "activate")
    written = _enter_results(plan, companies, campaign_id, whole_run, today)
    if end < today:
        lifecycle.change_status(manager, campaign_id, "complete")
    return written


def _create_joint_campaign(
    plan: PlannedDemoCampaign, companies: dict[str, Organization], manager: Actor, terms: _Terms
) -> int:
    """The joint campaign as an approved offer would create it, and each party's commitment of
    its share of the budget; returns its id."""
    owner = companies[plan.owner]
    campaign = lifecycle.create_joint_campaign(
        offer_id=None,
        proposer_organization_id=owner.id,
        created_by_id=manager.user_id,
        name=plan.name,
        description=plan.description,
        start_date=terms.start,
        end_date=terms.end,
        currency=plan.currency,
        total_budget_minor=terms.budget,
        target_reach=terms.target_reach,
        target_leads=terms.target_leads,
        target_revenue_minor=None,
        parties=[
            lifecycle.PartyShare(companies[key].id, bp, bp) for key, bp in plan.shares.items()
        ],
        placements=[
            lifecycle.PlannedPlacement(
                p.channel, companies[p.owner].id, p.name, p.planned_cost * terms.scale
            )
            for p in plan.placements
        ],
    )
    db.session.commit()
    amounts = split_by_shares(terms.budget, {companies[k].id: bp for k, bp in plan.shares.items()})
    for key in plan.shares:
        company = companies[key]
        commitments.commit_budget(
            manager_of(company),
            campaign.id,
            organization_id=company.id,
            amount_minor=amounts[company.id],
            occurred_on=terms.start - timedelta(days=14),
            note="Agreed share of the joint budget",
        )
    return campaign.id


def _create_solo_campaign(
    plan: PlannedDemoCampaign, owner: Organization, manager: Actor, terms: _Terms
) -> int:
    """The solo campaign, its placements and its owner's budget commitment; returns its id."""
    campaign = lifecycle.create_solo_campaign(
        manager,
        lifecycle.CampaignInput(
            name=plan.name,
            description=plan.description,
            start_date=terms.start,
            end_date=terms.end,
            currency=plan.currency,
            total_budget_minor=terms.budget,
            target_reach=terms.target_reach,
            target_leads=terms.target_leads,
        ),
    )
    for p in plan.placements:
        campaign_placements.add_placement(
            manager,
            campaign.id,
            campaign_placements.PlacementInput(
                channel=p.channel,
                owner_organization_id=owner.id,
                name=p.name,
                url="",
                start_date=None,
                end_date=None,
                planned_cost_minor=p.planned_cost * terms.scale,
            ),
        )
    commitments.commit_budget(
        manager,
        campaign.id,
        organization_id=owner.id,
        amount_minor=terms.budget,
        occurred_on=terms.start - timedelta(days=14),
        note="Marketing budget",
    )
    return campaign.id


def _enter_results(
    plan: PlannedDemoCampaign,
    companies: dict[str, Organization],
    campaign_id: int,
    whole_run: list[DemoDays],
    today: date,
) -> int:
    """Each placement's daily results up to yesterday, entered by its owner in batches, and
    its monthly invoices as expenses; returns the placement-days written."""
    placement_ids = dict(
        db.session.execute(
            sa.select(Placement.name, Placement.id).where(Placement.campaign_id == campaign_id)
        ).all()
    )
    yesterday = today - timedelta(days=1)
    written = 0
    for planned, run in zip(plan.placements, whole_run, strict=True):
        payer = manager_of(companies[planned.owner])
        placement_id = placement_ids[planned.name]
        days = [d for d in run.days if date.fromisoformat(d["day"]) <= yesterday]
        for first in range(0, len(days), metric_entry.MAX_BATCH):
            metric_entry.upsert_days(
                payer,
                placement_id,
                days[first : first + metric_entry.MAX_BATCH],
                source=ImportSource.FORM,
            )
        written += len(days)
        for last_day, amount in monthly_costs([c for c in run.costs if c[0] <= yesterday]):
            _claim_month(
                companies,
                campaign_id,
                planned.owner,
                placement_id,
                last_day,
                amount,
                note=f"{planned.name}: invoice for {last_day:%B %Y}",
            )
    return written


def _claim_month(
    companies: dict[str, Organization],
    campaign_id: int,
    owner: str,
    placement_id: int,
    last_day: date,
    amount: int,
    *,
    note: str,
) -> None:
    """A month's invoice claimed by the placement's owner for the days of that month the
    campaign ran, and confirmed by the partner's approver on a joint campaign."""
    campaign = db.session.get(Campaign, campaign_id)
    assert campaign is not None
    status = claims.create_claim(
        manager_of(companies[owner]),
        campaign_id,
        organization_id=companies[owner].id,
        placement_id=placement_id,
        terms=claims.ClaimTerms(
            amount_minor=amount,
            service_from=max(last_day.replace(day=1), campaign.start_date),
            service_to=last_day,
            paid_on=last_day,
            note=note,
        ),
    )
    for org in status.others:
        partner = next(c for c in companies.values() if c.id == org)
        claim_responses.confirm_claim(approver_of(partner), campaign_id, status.claim.id)
