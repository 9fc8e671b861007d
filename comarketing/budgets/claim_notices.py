"""Who hears about claims and payments, and what they are told (in-app and mail): a claim
awaits your confirmation (with its due date), was disputed, was auto-confirmed, was revised; a
payment awaits your confirmation, or was answered."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from comarketing import notifications
from comarketing.accounts.models import User, reading_zone
from comarketing.budgets.models import Claim, ClaimVersion, Payment
from comarketing.campaigns.models import Campaign
from comarketing.dates_format import format_date, format_deadline
from comarketing.extensions import db
from comarketing.links import absolute_url
from comarketing.mail_text import framed
from comarketing.money import format_money
from comarketing.notifications import About, Body, Recipient
from comarketing.policy import ROLE_PERMISSIONS, Action, Role

# Who is told: the people whose role may act on what the notice is about (the policy decides).
CONFIRMERS = sorted(ROLE_PERMISSIONS[Action.CONFIRM_MONEY])
CLAIMANTS = sorted(ROLE_PERMISSIONS[Action.POST_LEDGER_ENTRIES])


def people(organization_ids: Sequence[int], roles: Sequence[Role]) -> list[Recipient]:
    if not organization_ids:
        return []
    rows = db.session.execute(
        sa.select(User.id, User.email, reading_zone()).where(
            User.organization_id.in_(list(organization_ids)),
            User.active,
            User.role.in_([r.value for r in roles]),
        )
    )
    return [Recipient(uid, email, tz) for uid, email, tz in rows]


def _send(
    campaign: Campaign, recipients: list[Recipient], *, kind: str, title: str, text: Body
) -> None:
    link = absolute_url("campaigns.detail", campaign_id=campaign.id) + "#claims"
    notifications.notify(
        recipients,
        kind=kind,
        title=title,
        body=framed(text, link),
        link=f"/campaigns/{campaign.id}#claims",
        about=About("campaign", campaign.id, campaign.name),
    )


def _describe(campaign: Campaign, version: ClaimVersion) -> str:
    return (
        f"{format_money(version.amount_minor, version.currency)} for "
        f"{format_date(version.service_from)} to {format_date(version.service_to)} "
        f"in {campaign.name}"
    )


def _due(due: datetime | None, tz: ZoneInfo) -> str:
    return f" by {format_deadline(due, tz)}" if due else ""


def claim_to_confirm(
    campaign: Campaign, claim: Claim, version: ClaimVersion, others: Sequence[int]
) -> None:
    revised = version.number > 1
    _send(
        campaign,
        people(others, CONFIRMERS),
        kind="claim_revised" if revised else "claim_to_confirm",
        title=f"{'Revised expense claim' if revised else 'Expense claim'} to confirm: "
        f"{campaign.name}",
        text=lambda tz: (
            f"A partner claims {_describe(campaign, version)}"
            f"{' (revised: earlier answers no longer count)' if revised else ''}. Confirm or "
            f"dispute it{_due(version.confirm_due_at, tz)}; without a dispute it then counts as "
            "confirmed."
        ),
    )


def costs_to_confirm(
    campaign: Campaign, versions: Sequence[ClaimVersion], others: Sequence[int]
) -> None:
    """One notice for the daily costs one load posted to a campaign (one claim a day)."""
    total = sum(v.amount_minor for v in versions)
    first = min(v.service_from for v in versions)
    last = max(v.service_to for v in versions)
    _send(
        campaign,
        people(others, CONFIRMERS),
        kind="claim_to_confirm",
        title=f"Costs from results to confirm: {campaign.name}",
        text=lambda tz: (
            f"A partner posted the cost of {len(versions)} day(s) from its results, "
            f"{format_money(total, campaign.currency)} for {format_date(first)} to "
            f"{format_date(last)} "
            f"in {campaign.name} (a claim a day; a day revised earlier starts over). Confirm or "
            f"dispute them{_due(versions[0].confirm_due_at, tz)}; without a dispute they "
            "then count as confirmed."
        ),
    )


def claim_disputed(campaign: Campaign, claim: Claim, version: ClaimVersion, reason: str) -> None:
    _send(
        campaign,
        people([claim.organization_id], CLAIMANTS),
        kind="claim_disputed",
        title=f"Expense claim disputed: {campaign.name}",
        text=f"Your claim of {_describe(campaign, version)} was disputed: {reason}\n"
        "It counts for nobody's settlement until you revise or withdraw it.",
    )


def claim_auto_confirmed(
    campaign: Campaign, claim: Claim, version: ClaimVersion, silent: Sequence[int]
) -> None:
    _send(
        campaign,
        people([claim.organization_id], CLAIMANTS) + people(silent, CONFIRMERS),
        kind="claim_auto_confirmed",
        title=f"Expense claim confirmed by its window passing: {campaign.name}",
        text=f"The claim of {_describe(campaign, version)} was not disputed within its "
        "confirmation window and now counts as confirmed.",
    )


def payment_to_confirm(campaign: Campaign, payment: Payment) -> None:
    _send(
        campaign,
        people([payment.to_organization_id], CONFIRMERS),
        kind="payment_to_confirm",
        title=f"Payment to confirm: {campaign.name}",
        text=f"A partner says it paid your company "
        f"{format_money(payment.amount_minor, payment.currency)} on {format_date(payment.paid_on)}"
        f" for {campaign.name} (reference: {payment.reference or 'none'}). Confirm that you "
        "received it, or reject it with a reason.",
    )


def payment_answered(campaign: Campaign, payment: Payment, kind: str, reason: str) -> None:
    answer = "confirmed as received" if kind == "confirmed" else f"rejected: {reason}"
    _send(
        campaign,
        people([payment.from_organization_id], CLAIMANTS),
        kind="payment_answered",
        title=f"Payment {'confirmed' if kind == 'confirmed' else 'rejected'}: {campaign.name}",
        text=f"Your payment of {format_money(payment.amount_minor, payment.currency)} on "
        f"{format_date(payment.paid_on)} was {answer}.",
    )
