"""Spend by service period: what every figure of spend in the product means (issue 14).

*Spend* is the confirmed and pending claims of the ledger -- each claim's live version (its
entry not reversed: a revised claim counts its new version only, a withdrawn one nothing),
unless a party disputed that version -- spread over the days of its service period, not put
on the day it was entered. A claim for 1-31 March counts in March pro rata by day; a
reversal therefore counts against the period of what it reverses (the reversed version drops
out of its own period).

The split is exact in integer minor units: each day gets ``amount // days``, and the first
``amount % days`` days one unit more, so the days of a claim always add up to its amount.
:func:`portion` gives the part of a claim falling in any run of days in O(1), so months,
weeks and report periods need no per-day rows. Single-day claims (costs posted from results)
are grouped in SQL; only claims spanning several days are split in Python.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from comarketing.budgets.models import ClaimResponse, ClaimVersion, CountedSpend, LedgerEntry
from comarketing.extensions import db


def portion(amount_minor: int, start: date, end: date, first: date, last: date) -> int:
    """The part of ``amount_minor`` spread over the days ``start``..``end`` (inclusive) that
    falls on ``first``..``last``: per-day amounts, the remainder one unit each on the first
    days."""
    low, high = max(start, first), min(end, last)
    if low > high:
        return 0
    base, remainder = divmod(amount_minor, (end - start).days + 1)
    a, b = (low - start).days, (high - start).days
    return base * (b - a + 1) + max(0, min(remainder, b + 1) - a)


def per_day(amount_minor: int, start: date, end: date) -> list[tuple[date, int]]:
    """Each service day with its share (they sum to ``amount_minor``)."""
    days = (end - start).days + 1
    base, remainder = divmod(amount_minor, days)
    return [(start + timedelta(days=i), base + (1 if i < remainder else 0)) for i in range(days)]


def counts_as_spend() -> sa.ColumnElement[bool]:
    """Condition on ``ClaimVersion``: the version is live (its entry not reversed, so it is
    the claim's current one and not withdrawn) and no party disputed it."""
    reversal = aliased(LedgerEntry, name="reversal")
    reversed_ = sa.exists().where(reversal.reverses_id == ClaimVersion.ledger_entry_id)
    disputed = sa.exists().where(
        ClaimResponse.claim_version_id == ClaimVersion.id, ClaimResponse.kind == "disputed"
    )
    return sa.and_(~reversed_, ~disputed)


def spend_by_day(campaign_id: int) -> list[tuple[date, int]]:
    """The campaign's spend per service day, in date order; days with none left out. One
    query of the versions counting now (``counted_spend``, kept equal to
    :func:`counts_as_spend`) grouped by period and amount (equal claims split alike)."""
    rows = db.session.execute(
        sa.select(
            CountedSpend.service_from,
            CountedSpend.service_to,
            CountedSpend.amount_minor,
            sa.func.count(),
        )
        .where(CountedSpend.campaign_id == campaign_id)
        .group_by(CountedSpend.service_from, CountedSpend.service_to, CountedSpend.amount_minor)
    ).all()
    days: dict[date, int] = defaultdict(int)
    for start, end, amount, count in rows:
        for day, share in per_day(int(amount), start, end):
            days[day] += share * int(count)
    return [(day, days[day]) for day in sorted(days) if days[day]]


def spend_by_placement(campaign_id: int) -> sa.Subquery:
    """Subquery (placement_id, spend_minor): the campaign's spend per placement, whole
    service periods."""
    return (
        sa.select(
            CountedSpend.placement_id.label("placement_id"),
            sa.func.sum(CountedSpend.amount_minor).label("spend_minor"),
        )
        .where(CountedSpend.campaign_id == campaign_id)
        .group_by(CountedSpend.placement_id)
        .subquery()
    )
