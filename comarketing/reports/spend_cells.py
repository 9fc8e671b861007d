"""Spend per placement and month for the reports, by service period (issue 14): confirmed and
pending claims counted pro rata by day, from the versions counting as spend now
(``counted_spend``), summed in SQL wherever a claim's days in the period lie within one month
and split exactly in Python for the few that cross one."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from comarketing.budgets import spend
from comarketing.budgets.models import CountedSpend
from comarketing.campaigns.models import Placement
from comarketing.extensions import db
from comarketing.reports import grouping
from comarketing.reports.scope import (
    Filters,
    Scope,
    channels_statement,
    month_end,
    next_month,
    scope_values,
    scoped_ids,
)
from comarketing.reports.sql import (
    Query,
    Rows,
    among,
    arrays_of,
    days_between,
    earlier_of,
    fetch,
    later_of,
    month_key,
    month_key_text,
    same_month,
    sum64,
)


def spend_cells(scope: Scope) -> pd.DataFrame:
    """Spend (confirmed + pending claims) per placement and month, by service period:
    a claim counts pro rata by day over the days it pays for (``budgets.spend``), so one for
    1-31 March counts in March whenever it was entered, and a reversed (revised, withdrawn)
    or disputed version counts nowhere. Claims whose days in the period lie within one
    month are summed in SQL (their share of those days, when the period's edge cuts them);
    the few whose days in the period cross a month, one row each of the same statement, are
    split exactly here."""
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    queries = [spend_query(scope)]
    if postgresql:
        queries.append((channels_statement(Filters.of(scope), postgresql), scope_values(scope)))
    return spendframe_of(scope, *fetch(*queries))


def spend_query(scope: Scope) -> Query:
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    return _spend_statement(Filters.of(scope), postgresql), scope_values(scope)


def spendframe_of(scope: Scope, rows: Rows, channels: Rows | None = None) -> pd.DataFrame:
    """The claims within a month summed per cell (by the statement on PostgreSQL, here on
    SQLite), and those crossing one split by month. Without
    a channel in the rows (PostgreSQL) it comes from ``channels``, the scope's placements:
    a row whose placement is not among them, of another channel than the filter's, is left
    out, as an inner join would."""
    whole: Rows = []
    crossing: Rows = []
    names: dict[int, str] | None = None if channels is None else dict(channels)
    if names is None:  # SQLite: a row per claim, its channel in it and whether it is inside
        for campaign_id, placement_id, channel, month, amount, start, end, _, inside in rows:
            if inside:
                whole.append((campaign_id, placement_id, channel, month, amount))
            else:  # the dates as their text
                start, end = date.fromisoformat(start), date.fromisoformat(end)
                crossing.append((campaign_id, placement_id, channel, amount, start, end))
    else:  # PostgreSQL: the months as day numbers (``sql.month_key``)
        texts: dict[int, str] = {}
        for campaign_id, placement_id, key, amount, start, end, _version in rows:
            channel = names.get(placement_id)
            if channel is None:  # not among the placements: of another channel
                continue
            if start is None:  # within one month of the period: summed in SQL
                month = texts.get(key) or texts.setdefault(key, month_key_text(key))
                whole.append((campaign_id, placement_id, channel, month, amount))
            else:
                crossing.append((campaign_id, placement_id, channel, amount, start, end))
    for campaign_id, placement_id, channel, amount, start, end in crossing:
        first = max(start, scope.start)
        last = min(end, scope.end)
        while first <= last:
            share = spend.portion(int(amount), start, end, first, min(month_end(first), last))
            whole.append((campaign_id, placement_id, channel, first.strftime("%Y-%m"), share))
            first = next_month(first)
    columns = ["campaign_id", "placement_id", "channel", "month", "campaign_spend_minor"]
    if not whole:  # no claim in the period
        return pd.DataFrame(
            {c: np.zeros(0, dtype=object) for c in columns[:4]}
            | {columns[4]: np.zeros(0, dtype="int64")}
        )
    arrays = arrays_of(whole, columns)
    if crossing or names is None:
        # A cell may have several rows (split claims; on SQLite every claim of the cell, the
        # statement not summing them): summed, cells in the order of their first.
        grouped = grouping.groups(arrays, columns[:4], sort=False)
        arrays = grouping.keys(arrays, grouped, columns[:4]) | grouping.sums(
            arrays, grouped, columns[4:]
        )
    return pd.DataFrame(arrays, copy=False)


@cache
def _spend_statement(filters: Filters, postgresql: bool) -> sa.Select[Any]:
    """One statement, one search of the claims: those whose days in the period lie within
    one month summed per placement and month (their period columns empty; a claim the
    period's edge cuts counts its share of the days inside, as ``budgets.spend.portion``),
    and those whose days in the period cross a month one row each (their service period and
    version id given, so equal claims are not summed: each is split on its own). On SQLite a
    row per claim with its channel and whether it lies within one month (``spendframe_of``
    sums them); on PostgreSQL the channels come apart, as for the metrics."""
    start, end = sa.bindparam("start", type_=sa.Date()), sa.bindparam("end", type_=sa.Date())
    spent = CountedSpend  # the versions counting as spend now (``budgets.counted``)
    # The days of its service period the period holds: within one month, the claim is
    # summed per placement and month (its share of those days, when the period cuts it).
    # Worked out once per row in the inner statement, read three times by the outer one.
    first, last = later_of(spent.service_from, start), earlier_of(spent.service_to, end)
    one_month = same_month(first, last)
    inside = one_month.label("inside")
    cut = sa.or_(spent.service_from < start, spent.service_to > end)
    rows = (
        sa.select(
            spent.campaign_id,
            spent.placement_id,
            *([] if postgresql else [Placement.channel]),
            month_key(first).label("month"),
            sa.case(
                (sa.and_(cut, one_month), _portion(spent, first, last)),
                else_=spent.amount_minor,
            ).label("amount_minor"),
            spent.service_from,
            spent.service_to,
            spent.claim_version_id,
            inside,
        )
        .select_from(spent)
        .where(
            # ANY(ARRAY(...)) on PostgreSQL: from the organization's campaigns to their claims
            # by index; with IN it scans every counted version of the period.
            among(spent.campaign_id, scoped_ids(filters), postgresql),
            spent.service_from <= end,
            spent.service_to >= start,
        )
    )
    if not postgresql:
        rows = rows.join(Placement, Placement.id == spent.placement_id)
        if filters.channel:
            rows = rows.where(Placement.channel == sa.bindparam("channel"))
        # SQLite: every claim a row of its own with its ``inside`` flag, its service period
        # as the stored text ('YYYY-MM-DD', read as dates for the few crossing claims only: a
        # column to convert would send every row through SQLAlchemy's Row objects,
        # ``sql.fetch``). Nothing is grouped (SQLite would sort every row through a temporary
        # B-tree, twice the cost of the search itself): ``spendframe_of`` sums the cells in
        # NumPy. Nor emptied per row by ``inside`` as below: SQLite would work ``inside`` out
        # again for each of those columns.
        return rows.with_only_columns(
            *(
                sa.type_coerce(column, sa.String()).label(column.name)
                if column.name in ("service_from", "service_to")
                else column
                for column in rows.selected_columns
            )
        )
    # OFFSET 0: PostgreSQL works each row's columns out once, here, instead of pulling the
    # subquery up and working ``inside`` out again for each column below that reads it.
    row = rows.offset(0).subquery("spent")

    def crossing_only(column: Any, name: str) -> sa.Label[Any]:
        return sa.case((row.c.inside, sa.null()), else_=column).label(name)

    counted = sa.select(
        row.c.campaign_id,
        row.c.placement_id,
        row.c.month,
        row.c.amount_minor,
        crossing_only(row.c.service_from, "service_from"),
        crossing_only(row.c.service_to, "service_to"),
        crossing_only(row.c.claim_version_id, "version_id"),
    )
    claims = counted.subquery("counted")
    keys = [c for c in claims.c if c.name != "amount_minor"]
    return sa.select(
        *keys[: len(keys) - 3], sum64(claims.c.amount_minor), *keys[len(keys) - 3 :]
    ).group_by(*keys)


def _portion(spent: Any, first: Any, last: Any) -> sa.ColumnElement[int]:
    """``budgets.spend.portion`` in SQL: the part of the claim's amount, spread over its
    service days with the remainder one unit each on the first days, that falls on
    ``first``..``last`` (days within its service period). Amounts are positive, so integer
    division truncating towards zero is Python's floor division."""
    days = days_between(spent.service_to, spent.service_from) + 1
    base, remainder = spent.amount_minor // days, spent.amount_minor % days
    low = days_between(first, spent.service_from)
    high = days_between(last, spent.service_from)
    return base * (high - low + 1) + later_of(0, earlier_of(remainder, high + 1) - low)
