"""Costs from imported ad results: the ledger holds exactly one live expense per placement and
day equal to that day's imported cost, so loading the same file twice never doubles spend.

A day whose cost was posted once stays in step with the results for good: loading it again
reverses the old expense and posts the new cost, whether or not "post costs" is ticked this
time (unticked, days never posted are left out of the ledger). :func:`ledger_effect` tells a
preview what a load will do to the ledger before anything is written."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from comarketing.budgets.alerts import announce_spend_level
from comarketing.budgets.balances import campaign_totals
from comarketing.budgets.models import EntryKind, LedgerEntry
from comarketing.budgets.posting import MAX_NOTE, OverBudget
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
    actor: Actor, costs: list[DailyCost], *, note: str, posted_only: bool = False
) -> int:
    """Make the ledger hold exactly one live expense per placement and day equal to the day's
    imported cost, in the caller's transaction. A changed day is reversed and posted again;
    an unchanged one is left alone, so loading a file twice never doubles spend. Returns the
    change in spend (minor units). The caller locks the campaigns and checks the commitments
    with :func:`check_within_commitments` before committing."""
    return sync_costs(actor, costs, note=note, posted_only=posted_only).delta_minor


def sync_costs(
    actor: Actor, costs: list[DailyCost], *, note: str, posted_only: bool = False
) -> Synced:
    """:func:`sync_metric_costs` with the campaigns whose ledger changed. ``posted_only``:
    keep in step only the days whose cost was posted before (the box left unticked)."""
    synced = Synced()
    if not costs:
        return synced
    live = _live_metric_expenses(costs)
    if posted_only:
        costs = [c for c in costs if (c.placement_id, c.day) in live]
        if not costs:
            return synced
    currencies = _currencies({c.campaign_id for c in costs})
    entries: list[dict[str, Any]] = []
    now = utcnow()
    delta = 0

    def entry(cost: DailyCost, kind: EntryKind, amount: int, reverses: int | None) -> None:
        entries.append(
            {
                "campaign_id": cost.campaign_id,
                "organization_id": cost.organization_id,
                "kind": kind.value,
                "amount_minor": amount,
                "currency": currencies[cost.campaign_id],
                "placement_id": cost.placement_id,
                "reverses_id": reverses,
                "note": note[:MAX_NOTE],
                "occurred_on": cost.day,
                "override_reason": None,
                "created_by_id": actor.user_id,
                "created_at": now,
                "source": "metrics",
            }
        )

    for cost in costs:
        entry_id, amount = live.get((cost.placement_id, cost.day), (None, 0))
        if amount == cost.cost_minor:
            continue
        if entry_id is not None:
            entry(cost, EntryKind.REVERSAL, amount, entry_id)
        if cost.cost_minor > 0:
            entry(cost, EntryKind.EXPENSE, cost.cost_minor, None)
        delta += cost.cost_minor - amount
        synced.campaign_ids.add(cost.campaign_id)
    if entries:
        db.session.execute(sa.insert(LedgerEntry), entries)
    synced.delta_minor = delta
    return synced


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
    live = _live_metric_expenses(costs)
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
        elif posted[1] == cost.cost_minor:
            effect.unchanged_days += 1
        else:
            effect.reposted_days += 1
            effect.reposted_delta_minor += cost.cost_minor - posted[1]
    return [effects[c] for c in sorted(effects)]


def _currencies(campaign_ids: set[int]) -> dict[int, str]:
    return dict(
        db.session.execute(
            sa.select(Campaign.id, Campaign.currency).where(Campaign.id.in_(campaign_ids))
        ).all()
    )


def _live_metric_expenses(
    costs: list[DailyCost],
) -> dict[tuple[int | None, date], tuple[int, int]]:
    """(placement id, day) -> (entry id, amount) of the imported expenses not yet reversed,
    over the placements and days these costs cover."""
    placement_ids = sorted({c.placement_id for c in costs})
    first, last = min(c.day for c in costs), max(c.day for c in costs)
    reversed_ids = sa.select(LedgerEntry.reverses_id).where(LedgerEntry.reverses_id.is_not(None))
    return {
        (placement_id, day): (entry_id, amount)
        for entry_id, placement_id, day, amount in db.session.execute(
            sa.select(
                LedgerEntry.id,
                LedgerEntry.placement_id,
                LedgerEntry.occurred_on,
                LedgerEntry.amount_minor,
            ).where(
                LedgerEntry.source == "metrics",
                LedgerEntry.kind == EntryKind.EXPENSE.value,
                LedgerEntry.placement_id.in_(placement_ids),
                LedgerEntry.occurred_on.between(first, last),
                LedgerEntry.id.not_in(reversed_ids),
            )
        ).all()
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
