"""Builders shared by the campaign and ledger tests, and the ledger invariant check.

The builders run inside an app context (the ``ctx`` fixture or ``with app.app_context()``);
:func:`assert_ledger_consistent` opens its own, so it can close any test.

The default joint campaign is A+B, EUR, 2027-03-01 to 2027-04-30, budget EUR 1,000.00 split
60/40, so A has committed EUR 600.00 and B EUR 400.00; it has one placement of each party.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime, time

import sqlalchemy as sa
from flask import Flask
from freezegun import freeze_time

from comarketing.budgets import balances as budget_balances
from comarketing.budgets import claim_responses, claims, commitments, counted
from comarketing.budgets.claim_states import claim_statuses, confirmed_payments
from comarketing.budgets.models import Claim, ClaimVersion, CountedSpend, EntryKind, LedgerEntry
from comarketing.budgets.settlement import settle
from comarketing.campaigns import lifecycle
from comarketing.campaigns import placements as campaign_placements
from comarketing.campaigns.models import Campaign, CampaignParty, Placement
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.money import split_by_shares
from comarketing.offers import proposals, reviews
from comarketing.offers.terms import PlacementInput
from tests import factories
from tests.offer_helpers import actor, make_terms

START = date(2027, 3, 1)
END = date(2027, 4, 30)
BUDGET = 100_000  # EUR 1,000.00
PM, APPROVER, ADMIN, ANALYST = "partner_manager", "approver", "admin", "analyst"


@dataclass(frozen=True)
class JointCampaign:
    id: int
    a_placement: int  # owned by A
    b_placement: int  # owned by B


def joint_campaign(
    world: factories.World,
    *,
    budget_minor: int = BUDGET,
    a_share_bp: int = 6_000,
    via_offer: bool = False,
    name: str = "Spring baking week",
) -> JointCampaign:
    """A joint A+B campaign with commitments split by the budget shares.

    ``via_offer``: A's partner manager proposes, A's and B's approvers approve, and the real
    approval creates the campaign;
    otherwise the campaign is built directly with the same two functions approval uses.
    """
    a, b = world.a.id, world.b.id
    shares = {a: a_share_bp, b: 10_000 - a_share_bp}
    placements = [
        PlacementInput("email", a, "Alpha newsletter", 50_000),
        PlacementInput("social", b, "Beta social post", 50_000),
    ]
    if via_offer:
        terms = make_terms(
            [a, b],
            budget_shares=shares,
            placements=placements,
            title=name,
            total_budget_minor=budget_minor,
        )
        proposer = actor(world.a.email(PM))
        offer = proposals.create_draft(proposer, partner_ids=[b], terms=terms)
        proposals.send(proposer, offer.id)
        # A partner manager's proposal needs its own company's approver too.
        for approver in (world.a.email(APPROVER), world.b.email(APPROVER)):
            reviews.decide(actor(approver), offer.id, revision_number=1, decision="approved")
        campaign_id = db.session.scalar(sa.select(Campaign.id).where(Campaign.offer_id == offer.id))
        assert campaign_id is not None, "approval created no campaign"
    else:
        campaign = lifecycle.create_joint_campaign(
            offer_id=None,
            proposer_organization_id=a,
            created_by_id=None,
            name=name,
            description="Flour and shortening, one recipe card.",
            start_date=START,
            end_date=END,
            currency="EUR",
            total_budget_minor=budget_minor,
            target_reach=50_000,
            target_leads=None,
            target_revenue_minor=None,
            parties=[lifecycle.PartyShare(org, bp, bp) for org, bp in shares.items()],
            placements=[
                lifecycle.PlannedPlacement(
                    p.channel, p.owner_organization_id, p.name, p.planned_cost_minor
                )
                for p in placements
            ],
        )
        commitments.record_commitments(
            campaign_id=campaign.id,
            currency="EUR",
            amounts=split_by_shares(budget_minor, shares),
            created_by_id=None,
            note="Agreed shares",
        )
        campaign_id = campaign.id
        db.session.commit()
    owned = dict(
        db.session.execute(
            sa.select(Placement.owner_organization_id, Placement.id).where(
                Placement.campaign_id == campaign_id
            )
        ).all()
    )
    return JointCampaign(campaign_id, owned[a], owned[b])


def solo_campaign(
    email: str,
    name: str = "Solo spring",
    *,
    start: date = START,
    end: date = END,
    currency: str = "EUR",
    **fields: object,
) -> int:
    data = lifecycle.CampaignInput(
        name=name, description="", start_date=start, end_date=end, currency=currency
    )
    for key, value in fields.items():
        setattr(data, key, value)
    return lifecycle.create_solo_campaign(actor(email), data).id


def add_placement(
    email: str,
    campaign_id: int,
    owner_id: int,
    *,
    channel: str = "email",
    name: str = "Newsletter",
    start: date | None = None,
    end: date | None = None,
    cost: int = 10_000,
) -> int:
    data = campaign_placements.PlacementInput(
        channel=channel,
        owner_organization_id=owner_id,
        name=name,
        url="",
        start_date=start,
        end_date=end,
        planned_cost_minor=cost,
    )
    return campaign_placements.add_placement(actor(email), campaign_id, data).id


def spend(
    email: str,
    campaign_id: int,
    placement_id: int,
    amount_minor: int,
    *,
    party: int | None = None,
    occurred_on: date | None = None,
    service: tuple[date, date] | None = None,
    note: str = "",
    **kwargs: object,
) -> LedgerEntry:
    """Claim an expense paid by ``party`` (default: the poster's own company), paid on
    ``occurred_on`` (default today) for ``service`` (default: the campaign's first day); returns
    the expense entry the claim posted."""
    who = actor(email)
    campaign = db.session.get(Campaign, campaign_id)
    first = campaign.start_date if campaign is not None else START
    service_from, service_to = service or (first, first)
    paid_on = occurred_on or utcnow().date()
    # A claim is never paid in the future: one dated later than today is posted on its day.
    posted_at = (
        freeze_time(datetime.combine(paid_on, time(12)))
        if paid_on > utcnow().date()
        else nullcontext()
    )
    with posted_at:
        status = _claim(
            who,
            campaign_id,
            party,
            placement_id,
            amount_minor,
            service_from,
            service_to,
            paid_on,
            note,
            kwargs,
        )
    entry = db.session.get(LedgerEntry, status.version.ledger_entry_id)
    assert entry is not None
    return entry


def _claim(
    who: Actor,
    campaign_id: int,
    party: int | None,
    placement_id: int,
    amount_minor: int,
    service_from: date,
    service_to: date,
    paid_on: date,
    note: str,
    kwargs: dict[str, object],
) -> claims.ClaimStatus:
    return claims.create_claim(
        who,
        campaign_id,
        organization_id=party if party is not None else who.organization_id,
        placement_id=placement_id,
        terms=claims.ClaimTerms(
            amount_minor=amount_minor,
            service_from=service_from,
            service_to=service_to,
            paid_on=paid_on,
            note=note,
        ),
        **kwargs,  # type: ignore[arg-type]
    )


def confirm_entry(email: str, campaign_id: int, entry_id: int) -> None:
    """The company of ``email`` confirms the claim that posted expense ``entry_id``."""
    claim_id = db.session.scalar(
        sa.select(ClaimVersion.claim_id).where(ClaimVersion.ledger_entry_id == entry_id)
    )
    assert claim_id is not None
    claim_responses.confirm_claim(actor(email), campaign_id, claim_id)


def commit(
    email: str, campaign_id: int, amount_minor: int, *, party: int | None = None, **kwargs: object
) -> LedgerEntry:
    """Commit budget for ``party``; one dated ``occurred_on`` is posted at noon UTC of that day
    (a commitment is booked once it was made)."""
    who = actor(email)
    day = kwargs.get("occurred_on")
    with freeze_time(datetime.combine(day, time(12))) if isinstance(day, date) else nullcontext():
        return commitments.commit_budget(
            who,
            campaign_id,
            organization_id=party if party is not None else who.organization_id,
            amount_minor=amount_minor,
            **kwargs,  # type: ignore[arg-type]
        )


def ledger_rows(campaign_id: int | None = None) -> list[tuple[object, ...]]:
    """Every ledger row as a plain tuple, in id order (to show a refusal changed nothing)."""
    query = sa.select(*LedgerEntry.__table__.columns).order_by(LedgerEntry.id)
    if campaign_id is not None:
        query = query.where(LedgerEntry.campaign_id == campaign_id)
    return [tuple(row) for row in db.session.execute(query)]


# ---------------------------------------------------------------------------------------------
# The invariant (SECURITY.md item 17: a balance is the sum of its entries)


@dataclass(frozen=True)
class Sums:
    committed: int
    spent: int


def sums_from_rows(entries: list[LedgerEntry]) -> tuple[Sums, dict[int, Sums]]:
    """Committed and spent, for the campaign and per party, summed in Python: a reversal
    subtracts from the kind of the entry it cancels."""
    by_id = {e.id: e for e in entries}
    committed: defaultdict[int, int] = defaultdict(int)
    spent: defaultdict[int, int] = defaultdict(int)
    for entry in entries:
        sign, kind = 1, entry.kind
        if entry.kind == EntryKind.REVERSAL.value:
            sign, kind = -1, by_id[entry.reverses_id].kind  # type: ignore[index]
        target = committed if kind == EntryKind.COMMITMENT.value else spent
        target[entry.organization_id] += sign * entry.amount_minor
    parties = set(committed) | set(spent)
    per_party = {org: Sums(committed[org], spent[org]) for org in parties}
    return Sums(sum(committed.values()), sum(spent.values())), per_party


def assert_counted_spend_in_step(campaign_id: int | None = None) -> None:
    """``counted_spend`` (what reports read) holds exactly the claim versions the condition
    ``spend.counts_as_spend`` counts, with their claims' campaign and placement."""
    truth = counted.counted_versions()
    kept = sa.select(
        CountedSpend.claim_version_id,
        CountedSpend.campaign_id,
        CountedSpend.placement_id,
        CountedSpend.service_from,
        CountedSpend.service_to,
        CountedSpend.amount_minor,
    )
    if campaign_id is not None:
        truth = truth.where(Claim.campaign_id == campaign_id)
        kept = kept.where(CountedSpend.campaign_id == campaign_id)
    assert sorted(db.session.execute(kept).all()) == sorted(db.session.execute(truth).all())


def assert_ledger_consistent(app: Flask, campaign_ids: Collection[int] | None = None) -> None:
    """Check every campaign's ledger (or those of ``campaign_ids``) against sums computed here
    from its raw rows.

    * each reversal cancels one commitment or expense of the same campaign, party, amount,
      currency and placement, and no entry is reversed twice;
    * every entry is in its campaign's currency and positive;
    * ``campaign_totals`` and ``balances`` equal the sums of the rows; the parties' balances
      add up to the totals; spend never exceeds the commitments unless an entry carries an
      override reason;
    * the settlement's shares add up to the spend and its transfers square every party.
    """
    with app.app_context():
        query = sa.select(LedgerEntry).order_by(LedgerEntry.id)
        if campaign_ids is not None:
            query = query.where(LedgerEntry.campaign_id.in_(campaign_ids))
        entries = list(db.session.scalars(query))
        by_id = {e.id: e for e in entries}
        currency = dict(db.session.execute(sa.select(Campaign.id, Campaign.currency)).all())
        reversed_ids = [e.reverses_id for e in entries if e.reverses_id is not None]
        assert len(reversed_ids) == len(set(reversed_ids)), "an entry was reversed twice"
        per_campaign: dict[int, list[LedgerEntry]] = defaultdict(list)
        for entry in entries:
            per_campaign[entry.campaign_id].append(entry)
            assert entry.amount_minor > 0
            assert entry.currency == currency[entry.campaign_id]
            if entry.kind == EntryKind.REVERSAL.value:
                original = by_id[entry.reverses_id]  # type: ignore[index]
                assert original.kind != EntryKind.REVERSAL.value, "a reversal was reversed"
                assert original.id < entry.id
                assert (
                    original.campaign_id,
                    original.organization_id,
                    original.amount_minor,
                    original.currency,
                    original.placement_id,
                ) == (
                    entry.campaign_id,
                    entry.organization_id,
                    entry.amount_minor,
                    entry.currency,
                    entry.placement_id,
                )
            else:
                assert entry.reverses_id is None
        for campaign_id, rows in per_campaign.items():
            total, per_party = sums_from_rows(rows)
            totals = budget_balances.campaign_totals(campaign_id)
            # Live expenses are the claims confirmed, pending and disputed (issue 14).
            assert (totals.committed_minor, totals.spent_minor + totals.disputed_minor) == (
                total.committed,
                total.spent,
            )
            balances = budget_balances.balances(campaign_id)
            assert {
                org: (b.committed_minor, b.spent_minor + b.disputed_minor)
                for org, b in balances.items()
            } == {org: (s.committed, s.spent) for org, s in per_party.items()}
            assert all(
                min(b.confirmed_minor, b.pending_minor, b.disputed_minor) >= 0
                for b in balances.values()
            )
            _assert_claims_counted_once(campaign_id, rows)
            assert_counted_spend_in_step(campaign_id)
            assert sum(b.committed_minor for b in balances.values()) == totals.committed_minor
            assert sum(b.spent_minor for b in balances.values()) == totals.spent_minor
            if not any(e.override_reason for e in rows):
                assert totals.spent_minor <= totals.committed_minor, f"campaign {campaign_id}"
            shares = dict(
                db.session.execute(
                    sa.select(CampaignParty.organization_id, CampaignParty.budget_share_bp).where(
                        CampaignParty.campaign_id == campaign_id
                    )
                ).all()
            )
            result = budget_balances.settlement(campaign_id)
            confirmed = {o: b.confirmed_minor for o, b in balances.items()}
            assert result == settle(confirmed, shares, confirmed_payments(campaign_id))
            assert sum(p.share_minor for p in result.positions) == totals.confirmed_minor
            assert sum(p.balance_minor for p in result.positions) == 0
            net = {p.organization_id: p.balance_minor for p in result.positions}
            for transfer in result.transfers:
                net[transfer.from_organization_id] += transfer.amount_minor
                net[transfer.to_organization_id] -= transfer.amount_minor
            assert set(net.values()) <= {0}, "the settlement leaves a party unsquared"


def _assert_claims_counted_once(campaign_id: int, rows: list[LedgerEntry]) -> None:
    """Every claim version posted its own expense entry; a claim has at most one live entry
    (its current version's, unless withdrawn), and amounts match: nothing counts twice."""
    reversed_ids = {e.reverses_id for e in rows if e.reverses_id is not None}
    by_id = {e.id: e for e in rows}
    for status in claim_statuses(campaign_id):
        versions = list(
            db.session.scalars(
                sa.select(ClaimVersion).where(ClaimVersion.claim_id == status.claim.id)
            )
        )
        live = [v for v in versions if v.ledger_entry_id not in reversed_ids]
        assert len(live) <= 1, f"claim {status.claim.id} counts more than once"
        for version in versions:
            entry = by_id[version.ledger_entry_id]
            assert entry.kind == EntryKind.EXPENSE.value
            assert entry.amount_minor == version.amount_minor
            assert entry.organization_id == status.claim.organization_id
        if live:
            assert live[0].id == status.version.id
        else:
            assert status.state.value == "withdrawn"
