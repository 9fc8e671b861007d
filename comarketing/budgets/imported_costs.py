"""Costs from imported ad results: the ledger holds exactly one live claim per placement and
day equal to that day's imported cost, so loading the same file twice never doubles spend.

Each day's cost is a claim like any other (source 'metrics', paid by the placement's owner,
serving that day, its proof the metric import that carried it): pending until the other
parties confirm it, dispute it or let the window pass; confirmed at once on a solo campaign.
A day whose cost was posted once stays in step with the results for good: loading it again
revises the day's claim (a new version: the old entry reversed, a new one posted, answers
start over) or withdraws it (cost 0 or the day removed), whether or not "post costs" is
ticked this time (unticked, days never posted are left out of the ledger).
:func:`ledger_effect` tells a preview what a load will do to the ledger before anything is
written."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from comarketing.budgets import claim_notices
from comarketing.budgets.alerts import announce_spend_level
from comarketing.budgets.balances import campaign_totals
from comarketing.budgets.claims import confirm_due
from comarketing.budgets.models import Claim, ClaimVersion, EntryKind, LedgerEntry
from comarketing.budgets.posting import MAX_NOTE, OverBudget
from comarketing.campaigns.access import party_ids
from comarketing.campaigns.models import Campaign
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.money import format_money


@dataclass(frozen=True)
class DailyCost:
    campaign_id: int
    placement_id: int
    organization_id: int  # the placement's owner, who paid
    day: date
    cost_minor: int


@dataclass
class Synced:
    """What a sync did to the ledger: the change in spend and the campaigns it touched."""

    delta_minor: int = 0
    campaign_ids: set[int] = field(default_factory=set)


def sync_metric_costs(
    actor: Actor,
    costs: list[DailyCost],
    *,
    note: str,
    posted_only: bool = False,
    metric_import_id: int | None = None,
) -> int:
    """Make the ledger hold exactly one live claim per placement and day equal to the day's
    imported cost, in the caller's transaction. A changed day's claim is revised (or withdrawn
    at cost 0); an unchanged one is left alone, so loading a file twice never doubles spend.
    Returns the change in spend (minor units). The caller locks the campaigns and checks the
    commitments with :func:`check_within_commitments` before committing."""
    return sync_costs(
        actor, costs, note=note, posted_only=posted_only, metric_import_id=metric_import_id
    ).delta_minor


@dataclass
class _Post:
    """One day's new version: its cost, and the live claim it revises (None: a new claim)."""

    cost: DailyCost
    live: LiveClaim | None
    entry: LedgerEntry
    claim: Claim | None = None


def sync_costs(
    actor: Actor,
    costs: list[DailyCost],
    *,
    note: str,
    posted_only: bool = False,
    metric_import_id: int | None = None,
) -> Synced:
    """:func:`sync_metric_costs` with the campaigns whose ledger changed. ``posted_only``:
    keep in step only the days whose cost was posted before (the box left unticked). Each
    day's cost is a claim of source 'metrics' serving that day, its proof the import
    ``metric_import_id``; the other parties confirm, dispute or let it auto-confirm."""
    synced = Synced()
    if not costs:
        return synced
    live = _live_metric_claims(costs)
    if posted_only:
        costs = [c for c in costs if (c.placement_id, c.day) in live]
        if not costs:
            return synced
    campaigns = {
        c.id: c
        for c in db.session.scalars(
            sa.select(Campaign).where(Campaign.id.in_({c.campaign_id for c in costs}))
        )
    }
    now = utcnow()
    note = note[:MAX_NOTE]

    def entry(cost: DailyCost, kind: EntryKind, amount: int, reverses: int | None) -> LedgerEntry:
        row = LedgerEntry(
            campaign_id=cost.campaign_id,
            organization_id=cost.organization_id,
            kind=kind.value,
            amount_minor=amount,
            currency=campaigns[cost.campaign_id].currency,
            placement_id=cost.placement_id,
            reverses_id=reverses,
            note=note,
            occurred_on=cost.day,
            created_by_id=actor.user_id,
            created_at=now,
            source="metrics",
        )
        db.session.add(row)
        return row

    posts: list[_Post] = []
    for cost in costs:
        current = live.get((cost.placement_id, cost.day))
        amount = current.amount_minor if current is not None else 0
        if amount == cost.cost_minor:
            continue
        if current is not None:  # revised or withdrawn: its version's entry is reversed
            entry(cost, EntryKind.REVERSAL, amount, current.entry_id)
        if cost.cost_minor > 0:
            posts.append(
                _Post(cost, current, entry(cost, EntryKind.EXPENSE, cost.cost_minor, None))
            )
        synced.delta_minor += cost.cost_minor - amount
        synced.campaign_ids.add(cost.campaign_id)
    if synced.campaign_ids:
        db.session.flush()
    _post_versions(actor, posts, campaigns, now, note, metric_import_id)
    return synced


def _post_versions(
    actor: Actor,
    posts: list[_Post],
    campaigns: dict[int, Campaign],
    now: datetime,
    note: str,
    metric_import_id: int | None,
) -> None:
    """The claims and versions of the days posted (entries already flushed), in two batched
    inserts, and one notice per campaign to the parties asked to confirm."""
    for post in posts:
        if post.live is None:
            post.claim = Claim(
                campaign_id=post.cost.campaign_id,
                organization_id=post.cost.organization_id,
                placement_id=post.cost.placement_id,
                source="metrics",
                created_by_id=actor.user_id,
                created_at=now,
            )
            db.session.add(post.claim)
    if not posts:
        return
    db.session.flush()
    due: dict[tuple[int, int], datetime | None] = {}
    per_campaign: dict[tuple[int, int], list[ClaimVersion]] = defaultdict(list)
    for post in posts:
        key = (post.cost.campaign_id, post.cost.organization_id)
        if key not in due:
            due[key] = confirm_due(campaigns[key[0]], key[1], now)
        if post.live is not None:
            claim_id, number = post.live.claim_id, post.live.number + 1
        else:
            assert post.claim is not None
            claim_id, number = post.claim.id, 1
        version = ClaimVersion(
            claim_id=claim_id,
            number=number,
            amount_minor=post.cost.cost_minor,
            currency=campaigns[key[0]].currency,
            service_from=post.cost.day,
            service_to=post.cost.day,
            paid_on=post.cost.day,
            note=note,
            ledger_entry_id=post.entry.id,
            metric_import_id=metric_import_id,
            confirm_due_at=due[key],
            created_by_id=actor.user_id,
            created_at=now,
        )
        db.session.add(version)
        per_campaign[key].append(version)
    db.session.flush()
    for (campaign_id, claimant), versions in per_campaign.items():
        others = [p for p in party_ids(campaign_id) if p != claimant]
        if others:
            claim_notices.costs_to_confirm(campaigns[campaign_id], versions, others)


@dataclass
class LedgerEffect:
    """What loading some days will do to one currency's ledger: the days already posted whose
    cost changes (re-posted whatever the box says) and the change, and the days not posted
    yet that ticking "post costs" would add."""

    currency: str
    reposted_days: int = 0
    reposted_delta_minor: int = 0
    unchanged_days: int = 0  # posted already, same cost: left as they are
    new_days: int = 0
    new_minor: int = 0


def ledger_effect(costs: list[DailyCost]) -> list[LedgerEffect]:
    """Per currency, what a load of ``costs`` will do to the ledger (nothing is written)."""
    if not costs:
        return []
    live = _live_metric_claims(costs)
    currencies = _currencies({c.campaign_id for c in costs})
    effects: dict[str, LedgerEffect] = {}
    for cost in costs:
        currency = currencies[cost.campaign_id]
        effect = effects.setdefault(currency, LedgerEffect(currency))
        posted = live.get((cost.placement_id, cost.day))
        if posted is None:
            if cost.cost_minor > 0:
                effect.new_days += 1
                effect.new_minor += cost.cost_minor
        elif posted.amount_minor == cost.cost_minor:
            effect.unchanged_days += 1
        else:
            effect.reposted_days += 1
            effect.reposted_delta_minor += cost.cost_minor - posted.amount_minor
    return [effects[c] for c in sorted(effects)]


def _currencies(campaign_ids: set[int]) -> dict[int, str]:
    return dict(
        db.session.execute(
            sa.select(Campaign.id, Campaign.currency).where(Campaign.id.in_(campaign_ids))
        ).all()
    )


@dataclass(frozen=True)
class LiveClaim:
    """The live version of a day's imported-cost claim."""

    claim_id: int
    number: int
    entry_id: int
    amount_minor: int


def _live_metric_claims(costs: list[DailyCost]) -> dict[tuple[int, date], LiveClaim]:
    """(placement id, day) -> the live version of its imported-cost claim (its entry not
    reversed: not withdrawn, not revised away), over the placements and days these costs
    cover. Disputed claims are live too: posting the day again revises them."""
    return _live_claims(
        {c.placement_id for c in costs}, min(c.day for c in costs), max(c.day for c in costs)
    )


def posted_days(placement_ids: set[int], first: date, last: date) -> set[tuple[int, date]]:
    """The (placement id, day) pairs among these placements, from ``first`` to ``last``,
    whose imported cost has a live claim: the days a load keeps in step even when costs are
    not posted (a large import asks this once per chunk instead of building every day's cost
    only to drop it)."""
    return set(_live_claims(placement_ids, first, last))


def _live_claims(
    placement_ids: set[int], first: date, last: date
) -> dict[tuple[int, date], LiveClaim]:
    reversal = aliased(LedgerEntry)
    rows = db.session.execute(
        sa.select(
            Claim.placement_id,
            ClaimVersion.service_from,
            Claim.id,
            ClaimVersion.number,
            ClaimVersion.ledger_entry_id,
            ClaimVersion.amount_minor,
        )
        .join(ClaimVersion, ClaimVersion.claim_id == Claim.id)
        .where(
            Claim.source == "metrics",
            Claim.placement_id.in_(sorted(placement_ids)),
            ClaimVersion.service_from.between(first, last),
            ~sa.exists().where(reversal.reverses_id == ClaimVersion.ledger_entry_id),
        )
    ).all()
    return {
        (int(placement), day): LiveClaim(int(claim), int(number), int(entry), int(amount))
        for placement, day, claim, number, entry, amount in rows
    }


def check_within_commitments(campaign_ids: set[int], *, ticked: bool = True) -> None:
    """After imported costs were posted: refuse (the caller rolls back) when a campaign's
    spend would pass its commitments, and tell the parties when 80 % or 100 % is reached.
    ``ticked``: whether the user asked for costs to be posted (else only days posted before
    were re-posted, and importing without posting would not help)."""
    for campaign_id in sorted(campaign_ids):
        campaign = db.session.get(Campaign, campaign_id)
        if campaign is None:  # pragma: no cover - the caller holds the row
            continue
        totals = campaign_totals(campaign_id)
        if totals.spent_minor > totals.committed_minor:
            raise OverBudget(
                f"Posting these costs would take the spend of {campaign.name} to "
                f"{format_money(totals.spent_minor, campaign.currency)}, above the "
                f"{format_money(totals.committed_minor, campaign.currency)} committed. Commit "
                + (
                    "more budget first, or import without posting costs to the ledger."
                    if ticked
                    else "more budget first: these days' costs were posted to the budget "
                    "before, so the ledger follows them."
                ),
                field="post_costs",
            )
        announce_spend_level(campaign, totals.committed_minor, totals.spent_minor)
