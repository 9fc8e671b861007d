"""Money that waits on someone, for the home page: partners' expense claims this person's
company has not answered, payments it received and has not confirmed, and its own claims and
payments the other parties still answer.

Two queries each, whatever the number of campaigns or claims: the first ``limit`` waits,
soonest due first and then the oldest (the home page shows no more), and how many wait in all
and how many of them are overdue. A long campaign's pile of claims costs the page its count,
not its rows. A claim waits on a party while its current version is pending (not withdrawn,
nobody disputed it) and that party has not answered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from comarketing.accounts.models import Organization
from comarketing.budgets.models import (
    Claim,
    ClaimResponse,
    ClaimVersion,
    CountedSpend,
    Payment,
    PaymentResponse,
)
from comarketing.campaigns.models import Campaign, CampaignParty
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.policy import Action, can


@dataclass(frozen=True)
class MoneyWait:
    kind: str  # claim | payment
    id: int
    campaign_id: int
    campaign: str
    amount_minor: int
    currency: str
    due_at: datetime | None  # a claim's confirmation due time; payments have none
    since: datetime
    on: date  # paid on
    companies: tuple[str, ...]  # who claimed / paid, or who has not answered yet


@dataclass(frozen=True)
class Pile:
    """The first waits of a kind (soonest due first, then the oldest), how many wait in all,
    how many of them are past their due time and the first due time still to come (when
    the count of overdue ones changes next, by the clock alone)."""

    waits: list[MoneyWait]
    total: int
    overdue: int
    next_due: datetime | None = None


NOTHING = Pile([], 0, 0)


def _late_and_next(due: Any, now: datetime) -> tuple[Any, Any]:
    """Aggregates of a due-time column: how many are before ``now``, the first from ``now``."""
    return sa.func.sum(sa.case((due < now, 1), else_=0)), sa.func.min(sa.case((due >= now, due)))


def _counts(query: sa.Select[Any], now: datetime) -> tuple[int, int, datetime | None]:
    """How many rows ``query`` has, how many of them are due before ``now`` and the first
    due time from ``now`` (its sixth column is the due time)."""
    late, next_due = _late_and_next(query.selected_columns[5], now)
    total, overdue, first = db.session.execute(
        query.with_only_columns(sa.func.count(), sa.func.coalesce(late, 0), next_due)
    ).one()
    return int(total), int(overdue), first


def _mine(organization_id: int) -> sa.Select[int]:
    return sa.select(CampaignParty.campaign_id).where(
        CampaignParty.organization_id == organization_id
    )


def _answered_by(organization_id: int | sa.SQLColumnExpression[int]) -> sa.ColumnElement[bool]:
    # The version of the enclosing statement, however deep this sits in it (only the answers
    # are this subquery's own).
    return (
        sa.exists()
        .where(
            ClaimResponse.claim_version_id == ClaimVersion.id,
            ClaimResponse.organization_id == organization_id,
        )
        .correlate_except(ClaimResponse)
    )


def _pending_claims(organization_id: int, *columns: Any) -> sa.Select[Any]:
    """Live claim versions (the current one of each claim, not withdrawn) on the organization's
    campaigns that nobody disputed: ``spend.counts_as_spend``, read from the versions counting
    now (``counted_spend``, one index by campaign) rather than worked out per version."""
    return (
        sa.select(*columns)
        .select_from(CountedSpend)
        .join(ClaimVersion, ClaimVersion.id == CountedSpend.claim_version_id)
        .join(Claim, Claim.id == ClaimVersion.claim_id)
        .join(Campaign, Campaign.id == CountedSpend.campaign_id)
        .where(CountedSpend.campaign_id.in_(_mine(organization_id)))
    )


_CLAIM = (
    Claim.id,
    Claim.campaign_id,
    Campaign.name,
    ClaimVersion.amount_minor,
    ClaimVersion.currency,
    ClaimVersion.confirm_due_at,
    ClaimVersion.created_at,
    ClaimVersion.paid_on,
    Organization.name,
)
# Soonest due first, then the oldest (``dashboard.waiting_for_you.sort_key``): a version with
# no due time after those with one, on both backends (where NULLs sort apart).
_CLAIM_ORDER = (
    ClaimVersion.confirm_due_at.is_(None),
    ClaimVersion.confirm_due_at,
    ClaimVersion.created_at,
    Claim.id,
)
_PAYMENT = (
    Payment.id,
    Payment.campaign_id,
    Campaign.name,
    Payment.amount_minor,
    Payment.currency,
    sa.null(),
    Payment.created_at,
    Payment.paid_on,
    Organization.name,
)


def _waits(kind: str, rows: Iterable[Any]) -> list[MoneyWait]:
    """One item per claim or payment with the companies of its rows, in the rows' order."""
    found: dict[int, MoneyWait] = {}
    for i, campaign_id, name, amount, currency, due, at, on, company in rows:
        known = found.get(i)
        companies = (*known.companies, company) if known else (company,)
        found[i] = MoneyWait(
            kind, int(i), int(campaign_id), name, int(amount), currency, due, at, on, companies
        )
    return list(found.values())


def claims_to_confirm(actor: Actor, now: datetime, limit: int) -> Pile:
    """Partners' pending claims the actor's company has not answered, for those who confirm."""
    if not can(actor.user, Action.CONFIRM_MONEY):
        return NOTHING
    me = actor.organization_id
    query = (
        _pending_claims(me, *_CLAIM)
        .join(Organization, Organization.id == Claim.organization_id)
        .where(Claim.organization_id != me, ~_answered_by(me))
    )
    return _first_and_counts("claim", query, _CLAIM_ORDER, limit, now)


def _first_and_counts(
    kind: str, query: Any, order: tuple[Any, ...], limit: int, now: datetime
) -> Pile:
    """``query``'s first ``limit`` rows in ``order`` with, on each, how many rows it has in all,
    how many are due before ``now`` and the first due time from ``now`` (its sixth column is
    the due time): one statement, the pile read once by the server."""
    late, next_due = _late_and_next(query.selected_columns[5], now)
    counts = (sa.func.count().over(), late.over(), next_due.over())
    rows = db.session.execute(query.add_columns(*counts).order_by(*order).limit(limit)).all()
    if not rows:
        return NOTHING
    total, overdue, first = rows[0][-3:]
    return Pile(_waits(kind, (row[:-3] for row in rows)), int(total), int(overdue), first)


def claims_awaiting_partners(actor: Actor, now: datetime, limit: int) -> Pile:
    """The company's pending claims, with the parties that have not answered yet."""
    me = actor.organization_id
    party = aliased(CampaignParty, name="waited_on")
    waiting_on_someone = sa.exists().where(
        party.campaign_id == Claim.campaign_id,
        party.organization_id != me,
        ~_answered_by(party.organization_id),
    )
    claims = _pending_claims(me, *_CLAIM[:-1], sa.null()).where(
        Claim.organization_id == me, waiting_on_someone
    )
    first = claims.with_only_columns(Claim.id).order_by(*_CLAIM_ORDER).limit(limit)
    rows = db.session.execute(
        _pending_claims(me, *_CLAIM)
        .join(
            CampaignParty,
            sa.and_(
                CampaignParty.campaign_id == Claim.campaign_id,
                CampaignParty.organization_id != me,
            ),
        )
        .join(Organization, Organization.id == CampaignParty.organization_id)
        .where(Claim.id.in_(first), ~_answered_by(CampaignParty.organization_id))
        .order_by(*_CLAIM_ORDER, Organization.name)
    ).all()
    return Pile(_waits("claim", rows), *_counts(claims, now))


def _open_payments(where: sa.ColumnElement[bool], company: Any, limit: int) -> Pile:
    """Payments (which have no due time, so none is overdue), the oldest first."""
    answered = sa.exists().where(PaymentResponse.payment_id == Payment.id)
    query = (
        sa.select(*_PAYMENT)
        .join(Campaign, Campaign.id == Payment.campaign_id)
        .join(Organization, Organization.id == company)
        .where(where, ~answered)
    )
    # Their due column is NULL: none is late, whatever the time given.
    return _first_and_counts("payment", query, (Payment.created_at, Payment.id), limit, utcnow())


def payments_to_confirm(actor: Actor, limit: int) -> Pile:
    """Payments to the actor's company that it has not confirmed or rejected."""
    if not can(actor.user, Action.CONFIRM_MONEY):
        return NOTHING
    me = actor.organization_id
    return _open_payments(
        sa.and_(Payment.to_organization_id == me, Payment.campaign_id.in_(_mine(me))),
        Payment.from_organization_id,
        limit,
    )


def payments_awaiting_partners(actor: Actor, limit: int) -> Pile:
    """Payments the company recorded that their receivers have not answered yet."""
    me = actor.organization_id
    return _open_payments(
        sa.and_(Payment.from_organization_id == me, Payment.campaign_id.in_(_mine(me))),
        Payment.to_organization_id,
        limit,
    )
