"""The budget ledger: commitments, expenses and reversals per campaign.

Entries are only ever added; balances, burn and the settlement are sums over them. Posting an
expense locks the campaign row, so concurrent posts are checked one after another and spend
never passes the commitments (unless an admin overrides with a reason).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from comarketing import audit, notifications
from comarketing.accounts.models import Organization, User
from comarketing.budgets.models import EntryKind, LedgerEntry
from comarketing.budgets.settlement import Settlement, settle
from comarketing.campaigns import services as campaigns
from comarketing.campaigns.models import Campaign, CampaignParty, Placement
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.errors import Forbidden, NotFound, ValidationFailed
from comarketing.extensions import db
from comarketing.links import absolute_url
from comarketing.money import format_money
from comarketing.notifications import Recipient
from comarketing.policy import Action, Role, authorize, can
from comarketing.unit_of_work import transactional

ALERT_LEVELS = (80, 100)
MAX_NOTE = 500


class OverBudget(ValidationFailed):
    """The expense would take spend past the committed budget."""


# ---------------------------------------------------------------------------------------------
# Writing


def record_commitments(
    *,
    campaign_id: int,
    currency: str,
    amounts: dict[int, int],
    created_by_id: int | None,
    note: str,
) -> list[LedgerEntry]:
    """One commitment per party with a positive amount, in the caller's transaction (used when
    an offer is approved)."""
    today = utcnow().date()
    entries = [
        LedgerEntry(
            campaign_id=campaign_id,
            organization_id=organization_id,
            kind=EntryKind.COMMITMENT.value,
            amount_minor=amount,
            currency=currency,
            created_by_id=created_by_id,
            note=note,
            occurred_on=today,
        )
        for organization_id, amount in sorted(amounts.items())
        if amount > 0
    ]
    db.session.add_all(entries)
    db.session.flush()
    return entries


def _party_ids(campaign_id: int) -> list[int]:
    return sorted(
        db.session.scalars(
            sa.select(CampaignParty.organization_id).where(CampaignParty.campaign_id == campaign_id)
        )
    )


def _check_posting(
    actor: Actor, campaign: Campaign, party_id: int, override_reason: str | None
) -> str | None:
    """Who may post for which party; returns the cleaned override reason."""
    authorize(actor.user, Action.POST_LEDGER_ENTRIES)
    reason = (override_reason or "").strip()[:MAX_NOTE] or None
    if party_id not in _party_ids(campaign.id):
        raise ValidationFailed(
            "That company is not a party of this campaign.", field="organization_id"
        )
    if party_id != actor.organization_id:
        if not can(actor.user, Action.OVERRIDE_BUDGET):
            raise Forbidden("You can only post entries for your own company.")
        if not reason:
            raise ValidationFailed(
                "Posting for another party needs a written reason.", field="override_reason"
            )
    return reason


def _clean_note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationFailed(f"Keep the note under {MAX_NOTE} characters.", field="note")
    return note


def _check_currency(campaign: Campaign, currency: str | None) -> None:
    if currency is not None and currency.upper() != campaign.currency:
        raise ValidationFailed(
            f"This campaign is in {campaign.currency}; entries in {currency} are refused.",
            field="currency",
        )


def _check_amount(amount_minor: int) -> None:
    if not isinstance(amount_minor, int) or isinstance(amount_minor, bool) or amount_minor <= 0:
        raise ValidationFailed("The amount must be greater than zero.", field="amount")


def _append_entry(
    actor: Actor,
    campaign: Campaign,
    kind: EntryKind,
    action: str,
    *,
    organization_id: int,
    amount_minor: int,
    note: str,
    occurred_on: date | None,
    override_reason: str | None,
    placement_id: int | None = None,
) -> LedgerEntry:
    """Add one commitment or expense and its audit event (seen by every party)."""
    entry = LedgerEntry(
        campaign_id=campaign.id,
        organization_id=organization_id,
        kind=kind.value,
        amount_minor=amount_minor,
        currency=campaign.currency,
        placement_id=placement_id,
        note=_clean_note(note),
        occurred_on=occurred_on or utcnow().date(),
        override_reason=override_reason,
        created_by_id=actor.user_id,
    )
    db.session.add(entry)
    db.session.flush()
    audit.record(
        action,
        actor=actor,
        organization_ids=_party_ids(campaign.id),
        target=entry,
        campaign_id=campaign.id,
        amount_minor=amount_minor,
        party=organization_id,
        override_reason=override_reason,
    )
    return entry


@transactional
def commit_budget(
    actor: Actor,
    campaign_id: int,
    *,
    organization_id: int,
    amount_minor: int,
    note: str = "",
    occurred_on: date | None = None,
    currency: str | None = None,
    override_reason: str | None = None,
) -> LedgerEntry:
    campaign = campaigns.get_visible_campaign(actor, campaign_id, lock=True)
    reason = _check_posting(actor, campaign, organization_id, override_reason)
    _check_currency(campaign, currency)
    _check_amount(amount_minor)
    entry = _append_entry(
        actor,
        campaign,
        EntryKind.COMMITMENT,
        "ledger.commitment",
        organization_id=organization_id,
        amount_minor=amount_minor,
        note=note,
        occurred_on=occurred_on,
        override_reason=reason,
    )
    db.session.commit()
    return entry


@transactional
def post_expense(
    actor: Actor,
    campaign_id: int,
    *,
    organization_id: int,
    placement_id: int,
    amount_minor: int,
    note: str = "",
    occurred_on: date | None = None,
    currency: str | None = None,
    override_reason: str | None = None,
) -> LedgerEntry:
    """Record money a party spent on a placement.

    Refused when it would take the campaign's spend past its commitments, unless an admin
    gives a reason. The campaign row is locked first, so simultaneous posts cannot all pass
    the check against the same old total.
    """
    campaign = campaigns.get_visible_campaign(actor, campaign_id, lock=True)
    reason = _check_posting(actor, campaign, organization_id, override_reason)
    _check_currency(campaign, currency)
    _check_amount(amount_minor)
    placement = db.session.scalar(
        sa.select(Placement).where(
            Placement.id == placement_id, Placement.campaign_id == campaign.id
        )
    )
    if placement is None:
        raise ValidationFailed("Choose a placement of this campaign.", field="placement_id")
    totals = campaign_totals(campaign.id)
    over = totals.spent_minor + amount_minor > totals.committed_minor
    if over:
        if not can(actor.user, Action.OVERRIDE_BUDGET):
            raise OverBudget(
                f"This expense would take spend to "
                f"{format_money(totals.spent_minor + amount_minor, campaign.currency)}, above "
                f"the {format_money(totals.committed_minor, campaign.currency)} committed. "
                "Ask the parties to commit more budget first.",
                field="amount",
            )
        if not reason:
            raise OverBudget(
                "Spend above the commitments needs a written override reason.",
                field="override_reason",
            )
    entry = _append_entry(
        actor,
        campaign,
        EntryKind.EXPENSE,
        "ledger.expense" + (".override" if over else ""),
        organization_id=organization_id,
        amount_minor=amount_minor,
        note=note,
        occurred_on=occurred_on,
        override_reason=reason,
        placement_id=placement.id,
    )
    _announce_spend_level(campaign, totals.committed_minor, totals.spent_minor + amount_minor)
    db.session.commit()
    return entry


@transactional
def reverse_entry(
    actor: Actor,
    campaign_id: int,
    entry_id: int,
    *,
    reason: str,
    override_reason: str | None = None,
) -> LedgerEntry:
    """Cancel an earlier commitment or expense with a reversal entry (never an edit)."""
    campaign = campaigns.get_visible_campaign(actor, campaign_id, lock=True)
    original = db.session.scalar(
        sa.select(LedgerEntry).where(
            LedgerEntry.id == entry_id, LedgerEntry.campaign_id == campaign.id
        )
    )
    if original is None:
        raise NotFound()
    posted_reason = _check_posting(actor, campaign, original.organization_id, override_reason)
    if original.kind == EntryKind.REVERSAL.value:
        raise ValidationFailed(
            "A reversal cannot itself be reversed; post a new entry.", field="entry_id"
        )
    already = db.session.scalar(
        sa.select(LedgerEntry.id).where(LedgerEntry.reverses_id == original.id)
    )
    if already is not None:
        raise ValidationFailed("This entry was already reversed.", field="entry_id")
    why = _clean_note(reason)
    if not why:
        raise ValidationFailed("Say why the entry is reversed.", field="reason")
    if original.kind == EntryKind.COMMITMENT.value:
        totals = campaign_totals(campaign.id)
        if totals.committed_minor - original.amount_minor < totals.spent_minor and not (
            can(actor.user, Action.OVERRIDE_BUDGET) and posted_reason
        ):
            raise OverBudget(
                "Withdrawing this commitment would leave more spent than committed.",
                field="entry_id",
            )
    entry = LedgerEntry(
        campaign_id=campaign.id,
        organization_id=original.organization_id,
        kind=EntryKind.REVERSAL.value,
        amount_minor=original.amount_minor,
        currency=original.currency,
        placement_id=original.placement_id,
        reverses_id=original.id,
        note=why,
        occurred_on=utcnow().date(),
        override_reason=posted_reason,
        created_by_id=actor.user_id,
    )
    db.session.add(entry)
    db.session.flush()
    audit.record(
        "ledger.reversal",
        actor=actor,
        organization_ids=_party_ids(campaign.id),
        target=entry,
        campaign_id=campaign.id,
        reverses=original.id,
        reason=why,
    )
    db.session.commit()
    return entry


@dataclass(frozen=True)
class DailyCost:
    campaign_id: int
    placement_id: int
    organization_id: int  # the placement's owner, who paid
    day: date
    cost_minor: int


def sync_metric_costs(actor: Actor, costs: list[DailyCost], *, note: str) -> int:
    """Make the ledger hold exactly one live expense per placement and day equal to the day's
    imported cost, in the caller's transaction. A changed day is reversed and posted again;
    an unchanged one is left alone, so loading a file twice never doubles spend. Returns the
    change in spend (minor units). The caller locks the campaigns and checks the commitments
    with :func:`check_within_commitments` before committing."""
    if not costs:
        return 0
    placement_ids = sorted({c.placement_id for c in costs})
    first, last = min(c.day for c in costs), max(c.day for c in costs)
    reversed_ids = sa.select(LedgerEntry.reverses_id).where(LedgerEntry.reverses_id.is_not(None))
    live = {
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
    currencies = dict(
        db.session.execute(
            sa.select(Campaign.id, Campaign.currency).where(
                Campaign.id.in_({c.campaign_id for c in costs})
            )
        ).all()
    )
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
    if entries:
        db.session.execute(sa.insert(LedgerEntry), entries)
    return delta


def check_within_commitments(campaign_ids: set[int]) -> None:
    """After imported costs were posted: refuse (the caller rolls back) when a campaign's
    spend would pass its commitments, and tell the parties when 80 % or 100 % is reached."""
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
                "more budget first, or import without posting costs to the ledger.",
                field="post_costs",
            )
        _announce_spend_level(campaign, totals.committed_minor, totals.spent_minor)


def _announce_spend_level(campaign: Campaign, committed: int, spent: int) -> None:
    if committed <= 0:
        return
    reached = max((level for level in ALERT_LEVELS if spent * 100 >= committed * level), default=0)
    if reached <= campaign.spend_alert_level:
        return
    campaign.spend_alert_level = reached
    people = db.session.execute(
        sa.select(User.id, User.email).where(
            User.organization_id.in_(_party_ids(campaign.id)),
            User.active,
            User.role.in_([Role.ADMIN.value, Role.PARTNER_MANAGER.value]),
        )
    ).all()
    title = (
        f"Budget fully spent: {campaign.name}"
        if reached >= 100
        else f"Budget {reached}% spent: {campaign.name}"
    )
    notifications.notify(
        [Recipient(uid, email) for uid, email in people],
        kind="budget_alert",
        title=title,
        body=f"Hello,\n\n{campaign.name} has spent {format_money(spent, campaign.currency)} of "
        f"{format_money(committed, campaign.currency)} committed ({reached}%).\n\n"
        f"{absolute_url('campaigns.detail', campaign_id=campaign.id)}\n",
        link=f"/campaigns/{campaign.id}#budget",
    )


# ---------------------------------------------------------------------------------------------
# Reading


@dataclass(frozen=True)
class PartyBalance:
    organization_id: int
    committed_minor: int
    spent_minor: int

    @property
    def remaining_minor(self) -> int:
        return self.committed_minor - self.spent_minor


@dataclass(frozen=True)
class Totals:
    committed_minor: int
    spent_minor: int

    @property
    def remaining_minor(self) -> int:
        return self.committed_minor - self.spent_minor


def _effective_sums() -> tuple[sa.ColumnElement[int], sa.ColumnElement[int], Any]:
    """SUM expressions for committed and spent, net of reversals (a reversal counts against
    the kind of the entry it reverses)."""
    original = aliased(LedgerEntry)
    kind = sa.case(
        (LedgerEntry.kind == EntryKind.REVERSAL.value, original.kind), else_=LedgerEntry.kind
    )
    signed = sa.case(
        (LedgerEntry.kind == EntryKind.REVERSAL.value, -LedgerEntry.amount_minor),
        else_=LedgerEntry.amount_minor,
    )
    committed = sa.func.coalesce(
        sa.func.sum(sa.case((kind == EntryKind.COMMITMENT.value, signed), else_=0)), 0
    )
    spent = sa.func.coalesce(
        sa.func.sum(sa.case((kind == EntryKind.EXPENSE.value, signed), else_=0)), 0
    )
    return committed, spent, original


def balances(campaign_id: int) -> dict[int, PartyBalance]:
    """Committed and spent per party — one SQL aggregate."""
    committed, spent, original = _effective_sums()
    rows = db.session.execute(
        sa.select(LedgerEntry.organization_id, committed, spent)
        .outerjoin(original, original.id == LedgerEntry.reverses_id)
        .where(LedgerEntry.campaign_id == campaign_id)
        .group_by(LedgerEntry.organization_id)
    ).all()
    return {org: PartyBalance(org, int(c), int(s)) for org, c, s in rows}


def campaign_totals(campaign_id: int) -> Totals:
    committed, spent, original = _effective_sums()
    row = db.session.execute(
        sa.select(committed, spent)
        .outerjoin(original, original.id == LedgerEntry.reverses_id)
        .where(LedgerEntry.campaign_id == campaign_id)
    ).one()
    return Totals(int(row[0]), int(row[1]))


def spend_by_day(campaign_id: int) -> list[tuple[date, int]]:
    """Net spend per day (expenses minus their reversals), in date order."""
    _, spent, original = _effective_sums()
    rows = db.session.execute(
        sa.select(LedgerEntry.occurred_on, spent)
        .outerjoin(original, original.id == LedgerEntry.reverses_id)
        .where(LedgerEntry.campaign_id == campaign_id)
        .group_by(LedgerEntry.occurred_on)
        .order_by(LedgerEntry.occurred_on)
    ).all()
    return [(day, int(amount)) for day, amount in rows if amount]


def settlement(campaign_id: int) -> Settlement:
    shares = dict(
        db.session.execute(
            sa.select(CampaignParty.organization_id, CampaignParty.budget_share_bp).where(
                CampaignParty.campaign_id == campaign_id
            )
        ).all()
    )
    paid = {org: b.spent_minor for org, b in balances(campaign_id).items()}
    return settle(paid, shares)


@dataclass
class EntryRow:
    entry: LedgerEntry
    party: str
    placement: str | None
    reversed: bool
    author: str | None


def ledger(campaign_id: int, limit: int = 500) -> list[EntryRow]:
    """The latest entries with their names, in two queries."""
    reversed_ids = sa.select(LedgerEntry.reverses_id).where(
        LedgerEntry.campaign_id == campaign_id, LedgerEntry.reverses_id.is_not(None)
    )
    rows = db.session.execute(
        sa.select(
            LedgerEntry,
            Organization.name,
            Placement.name,
            User.name,
            LedgerEntry.id.in_(reversed_ids),
        )
        .join(Organization, Organization.id == LedgerEntry.organization_id)
        .outerjoin(Placement, Placement.id == LedgerEntry.placement_id)
        .outerjoin(User, User.id == LedgerEntry.created_by_id)
        .where(LedgerEntry.campaign_id == campaign_id)
        .order_by(LedgerEntry.id.desc())
        .limit(limit)
    ).all()
    return [
        EntryRow(e, party, placement, bool(rev), author)
        for e, party, placement, author, rev in rows
    ]
