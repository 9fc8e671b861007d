"""The checks and the write every hand-posted ledger entry shares: who may post for which
party, in which currency, how much, with what note — and appending the entry with its audit
event. Entries are only ever added, never edited."""

from __future__ import annotations

from datetime import date, timedelta

from comarketing import audit
from comarketing.budgets.models import EntryKind, LedgerEntry
from comarketing.campaigns.access import party_ids
from comarketing.campaigns.models import Campaign
from comarketing.context import Actor
from comarketing.dates_format import format_date
from comarketing.db import utcnow
from comarketing.errors import Forbidden, ValidationFailed
from comarketing.extensions import db
from comarketing.policy import Action, authorize, can
from comarketing.timezones import HasZone, company_today

MAX_NOTE = 500
# Money is booked on real days: nothing before 2000 or after 2100 (a mistyped year), and
# nothing after today anywhere on Earth -- the last time zone to reach a date is UTC+14.
EARLIEST_MONEY_DATE = date(2000, 1, 1)
LATEST_MONEY_DATE = date(2100, 12, 31)
LATEST_OFFSET = timedelta(hours=14)


class OverBudget(ValidationFailed):
    """The expense would take spend past the committed budget."""


def check_posting(
    actor: Actor, campaign: Campaign, party_id: int, override_reason: str | None
) -> str | None:
    """Who may post for which party; returns the cleaned override reason."""
    authorize(actor.user, Action.POST_LEDGER_ENTRIES)
    reason = (override_reason or "").strip()[:MAX_NOTE] or None
    if party_id not in party_ids(campaign.id):
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


def clean_note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationFailed(f"Keep the note under {MAX_NOTE} characters.", field="note")
    return note


def check_currency(campaign: Campaign, currency: str | None) -> None:
    if currency is not None and currency.upper() != campaign.currency:
        raise ValidationFailed(
            f"This campaign is in {campaign.currency}; entries in {currency} are refused.",
            field="currency",
        )


def latest_money_date() -> date:
    """Today where it is already latest (UTC+14): a later date has happened nowhere yet."""
    return (utcnow() + LATEST_OFFSET).date()


def check_money_date(
    value: date | None, field: str, organization: HasZone | None = None
) -> date | None:
    """A commitment, claim or payment date: a real day, past or present, within 2000-01-01 to
    2100-12-31, naming ``field`` so forms show the message next to it. "Present" is the
    booking ``organization``'s today in its time zone (without one: today anywhere, UTC+14).
    ``None`` (today) passes; the checked date is returned."""
    if value is None:
        return None
    if not isinstance(value, date):
        raise ValidationFailed("Give a date.", field=field)
    if not EARLIEST_MONEY_DATE <= value <= LATEST_MONEY_DATE:
        raise ValidationFailed(
            f"Use a date between {format_date(EARLIEST_MONEY_DATE)} and "
            f"{format_date(LATEST_MONEY_DATE)}.",
            field=field,
        )
    latest = latest_money_date() if organization is None else company_today(organization)
    if value > latest:
        raise ValidationFailed(
            f"{format_date(value)} has not happened yet: money can be booked up to "
            f"{format_date(latest)}.",
            field=field,
        )
    return value


def check_amount(amount_minor: int) -> None:
    if not isinstance(amount_minor, int) or isinstance(amount_minor, bool) or amount_minor <= 0:
        raise ValidationFailed("The amount must be greater than zero.", field="amount")


def append_entry(
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
        note=clean_note(note),
        occurred_on=occurred_on or utcnow().date(),
        override_reason=override_reason,
        created_by_id=actor.user_id,
    )
    db.session.add(entry)
    db.session.flush()
    audit.record(
        action,
        actor=actor,
        organization_ids=party_ids(campaign.id),
        target=entry,
        campaign_id=campaign.id,
        amount_minor=amount_minor,
        party=organization_id,
        override_reason=override_reason,
    )
    return entry
