"""Spend per placement and month for the reports, by service period (issue 14): confirmed and
pending claims counted pro rata by day, from the versions counting as spend now
(``counted_spend``): a claim's share of the period worked out in SQL wherever its days in the
period lie within one month, split exactly in Python for the few that cross one, and the
cells summed in NumPy."""

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
)


def spend_cells(scope: Scope) -> pd.DataFrame:
    """Spend (confirmed + pending claims) per placement and month, by service period:
    a claim counts pro rata by day over the days it pays for (``budgets.spend``), so one for
    1-31 March counts in March whenever it was entered, and a reversed (revised, withdrawn)
    or disputed version counts nowhere. Claims whose days in the period lie within one
    month come with their share of those days worked out in SQL (when the period's edge
    cuts them); the few whose days in the period cross a month are split exactly here."""
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    queries = [spend_query(scope)]
    if postgresql:
        queries.append((channels_statement(Filters.of(scope), postgresql), scope_values(scope)))
    return spendframe_of(scope, *fetch(*queries))


def spend_query(scope: Scope) -> Query:
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    return _spend_statement(Filters.of(scope), postgresql), scope_values(scope)


def spendframe_of(scope: Scope, rows: Rows, channels: Rows | None = None) -> pd.DataFrame:
    """The claims within a month summed per cell, and those crossing one split by month and
    summed likewise. Without a channel in the rows (PostgreSQL) it comes from ``channels``,
    the scope's placements: a row whose placement is not among them, of another channel than
    the filter's, is left out, as an inner join would."""
    whole: Rows = []
    crossing: Rows = []
    names: dict[int, str] | None = None if channels is None else dict(channels)
    if names is None:  # SQLite: its channel in the row, the dates as their text
        for campaign_id, placement_id, channel, month, amount, start, end, _, inside in rows:
            if inside:
                whole.append((campaign_id, placement_id, channel, month, amount))
            else:
                start, end = date.fromisoformat(start), date.fromisoformat(end)
                crossing.append((campaign_id, placement_id, channel, amount, start, end))
    else:  # PostgreSQL: the months as day numbers (``sql.month_key``)
        texts: dict[int, str] = {}
        for campaign_id, placement_id, key, amount, start, end, _, inside in rows:
            channel = names.get(placement_id)
            if channel is None:  # not among the placements: of another channel
                continue
            if inside:
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
    # A cell may have several rows (its claims, and the months of split ones): summed, cells
    # in the order of their first.
    grouped = grouping.groups(arrays, columns[:4], sort=False)
    keys = grouping.keys(arrays, grouped, columns[:4])
    return pd.DataFrame(keys | grouping.sums(arrays, grouped, columns[4:]), copy=False)


@cache
def _spend_statement(filters: Filters, postgresql: bool) -> sa.Select[Any]:
    """One statement, one search of the claims: a row per claim counting as spend in the
    period, with its placement and month, its amount (a claim the period's edge cuts within
    one month: its share of the days inside, as ``budgets.spend.portion``), its service
    period and whether its days in the period lie within one month (``inside``; the others
    are split by month in ``spendframe_of``). The placements' channels are joined on SQLite;
    on PostgreSQL they come apart, as for the metrics."""
    start, end = sa.bindparam("start", type_=sa.Date()), sa.bindparam("end", type_=sa.Date())
    spent = CountedSpend  # the versions counting as spend now (``budgets.counted``)
    # The days of its service period the period holds: within one month, the claim is
    # summed per placement and month (its share of those days, when the period cuts it).
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
    # Every claim a row of its own with its ``inside`` flag: nothing grouped by the server
    # (most cells have one claim; SQLite sorted every row through a temporary B-tree for the
    # GROUP BY, PostgreSQL sorted them too, each costing more than the search itself):
    # ``spendframe_of`` sums the cells in NumPy. SQLite's dates come as their stored text
    # ('YYYY-MM-DD', read as dates for the few crossing claims only: a column to convert
    # would send every row through SQLAlchemy's Row objects, ``sql.fetch``).
    return rows.with_only_columns(
        *(
            sa.type_coerce(column, sa.String()).label(column.name)
            if not postgresql and column.name in ("service_from", "service_to")
            else column
            for column in rows.selected_columns
        )
    )


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
