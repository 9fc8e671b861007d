"""The running joint campaign of the approved demo offer: both parties' spend, its daily
results so far and a milestone; and a solo campaign of the flour company that clashes with it
on social."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import sqlalchemy as sa

from comarketing.accounts.models import Organization
from comarketing.budgets import commitments, expenses
from comarketing.campaigns import lifecycle, milestones
from comarketing.campaigns import placements as campaign_placements
from comarketing.campaigns.models import Campaign, Placement
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.demo.companies import user_by_email
from comarketing.demo.figures import placement_days
from comarketing.extensions import db
from comarketing.metrics import entry as metric_entry
from comarketing.metrics.models import ImportSource


def run_campaigns(offer_id: int, flour: Organization, shortening: Organization) -> Iterator[str]:
    """Spend on the joint campaign by both parties, a milestone, and a solo campaign of the
    flour company that clashes with the joint one on its social channel."""
    flour_manager = Actor(user_by_email("partners@millstone.example"))
    shortening_manager = Actor(user_by_email("partners@goldcrest.example"))
    joint = db.session.scalar(sa.select(Campaign).where(Campaign.offer_id == offer_id))
    assert joint is not None
    lifecycle.change_status(flour_manager, joint.id, "activate")
    today = utcnow().date()
    _post_joint_expenses(joint.id, today, flour, flour_manager, shortening, shortening_manager)
    yield from _joint_results(
        joint.id, {flour.id: flour_manager, shortening.id: shortening_manager}
    )
    milestones.add_milestone(
        flour_manager,
        joint.id,
        kind="wrap_up",
        title="Results review",
        owner_organization_id=flour.id,
        due_on=joint.end_date,
    )
    _add_clashing_solo_campaign(flour, flour_manager, today)
    yield "created: spend on the joint campaign, and a solo campaign that clashes on social"


def _post_joint_expenses(
    joint_id: int,
    today: date,
    flour: Organization,
    flour_manager: Actor,
    shortening: Organization,
    shortening_manager: Actor,
) -> None:
    """Each party's first bill for its own placement of the joint campaign."""
    placements = {
        p.owner_organization_id: p
        for p in db.session.scalars(
            sa.select(Placement).where(Placement.campaign_id == joint_id).order_by(Placement.id)
        )
    }
    expenses.post_expense(
        flour_manager,
        joint_id,
        organization_id=flour.id,
        placement_id=placements[flour.id].id,
        amount_minor=820_000,
        occurred_on=today - timedelta(days=6),
        note="Bag print run",
    )
    expenses.post_expense(
        shortening_manager,
        joint_id,
        organization_id=shortening.id,
        placement_id=placements[shortening.id].id,
        amount_minor=310_000,
        occurred_on=today - timedelta(days=3),
        note="Tub labels",
    )


def _add_clashing_solo_campaign(flour: Organization, flour_manager: Actor, today: date) -> None:
    """The flour company's own social push, running alongside the joint campaign."""
    solo = lifecycle.create_solo_campaign(
        flour_manager,
        lifecycle.CampaignInput(
            name="Bread flour spring push",
            description="Our own social push for bread flour.",
            start_date=today - timedelta(days=5),
            end_date=today + timedelta(days=25),
            currency="EUR",
            total_budget_minor=600_000,
            target_reach=150_000,
        ),
    )
    campaign_placements.add_placement(
        flour_manager,
        solo.id,
        campaign_placements.PlacementInput(
            channel="social",
            owner_organization_id=flour.id,
            name="Bread flour reels",
            url="",
            start_date=None,
            end_date=None,
            planned_cost_minor=300_000,
        ),
    )
    commitments.commit_budget(
        flour_manager,
        solo.id,
        organization_id=flour.id,
        amount_minor=600_000,
        note="Spring marketing budget",
    )


def _joint_results(campaign_id: int, managers: dict[int, Actor]) -> Iterator[str]:
    """Daily results of every placement from its start to yesterday, entered by its owner
    (the same channel model as the year of history, with the lift of a two-brand recipe)."""
    today = utcnow().date()
    campaign_name = db.session.scalar(sa.select(Campaign.name).where(Campaign.id == campaign_id))
    placements = db.session.scalars(
        sa.select(Placement).where(Placement.campaign_id == campaign_id).order_by(Placement.id)
    ).all()
    for placement in placements:
        days = placement_days(
            f"{campaign_name}/{placement.name}",
            placement.channel,
            placement.start_date,
            placement.end_date,
            placement.planned_cost_minor,
            "EUR",
            1.3,
            until=today - timedelta(days=1),
        ).days
        if days:
            owner = managers[placement.owner_organization_id]
            metric_entry.upsert_days(owner, placement.id, days, source=ImportSource.FORM)
    yield f"created: daily results for the {len(placements)} placements of the joint campaign"
