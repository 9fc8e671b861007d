"""Spend per placement and month for the reports, by service period (issue 14): confirmed and
pending claims counted pro rata by day, from the versions counting as spend now
(``counted_spend``). SQL finds the claims of the period; each one's share of each month of
the period is worked out in NumPy, exactly as ``budgets.spend.portion``, and the cells
summed there."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from comarketing.budgets.models import CountedSpend
from comarketing.campaigns.models import Placement
from comarketing.extensions import db
from comarketing.reports import grouping
from comarketing.reports.scope import (
    Filters,
    Scope,
    channels_statement,
    scope_values,
    scoped_ids,
)
from comarketing.reports.sql import (
    EPOCH,
    Query,
    Rows,
    among,
    arrays_of,
    day_number,
    fetch,
    month_texts_of,
)


def spend_cells(scope: Scope) -> pd.DataFrame:
    """Spend (confirmed + pending claims) per placement and month, by service period:
    a claim counts pro rata by day over the days it pays for (``budgets.spend``), so one for
    1-31 March counts in March whenever it was entered, and a reversed (revised, withdrawn)
    or disputed version counts nowhere; a claim the period's edge cuts counts its share of
    the days inside."""
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    queries = [spend_query(scope)]
    if postgresql:
        queries.append((channels_statement(Filters.of(scope), postgresql), scope_values(scope)))
    return spendframe_of(scope, *fetch(*queries))


def spend_query(scope: Scope) -> Query:
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    return _spend_statement(Filters.of(scope), postgresql), scope_values(scope)


SPEND_COLUMNS = ["campaign_id", "placement_id", "channel", "month", "campaign_spend_minor"]


def spendframe_of(scope: Scope, rows: Rows, channels: Rows | None = None) -> pd.DataFrame:
    """:func:`spend_columns` as a DataFrame."""
    return pd.DataFrame(spend_columns(scope, rows, channels), copy=False)


def spend_columns(scope: Scope, rows: Rows, channels: Rows | None = None) -> grouping.Columns:
    """The claims' shares of the period's months summed per cell (placement and month). Without
    a channel in the rows (PostgreSQL) it comes from ``channels``, the scope's placements: a
    row whose placement is not among them, of another channel than the filter's, is left
    out, as an inner join would."""
    names = ["campaign_id", "placement_id", "service_from", "service_to", "amount_minor"]
    if channels is None:  # SQLite: the channel in the row
        names.insert(2, "channel")
    claims = arrays_of(rows, names) if rows else {}
    if claims and channels is not None:
        claims = with_channels(claims, channels)
    if not claims or not len(claims["placement_id"]):  # no claim in the period
        return {c: np.zeros(0, dtype=object) for c in SPEND_COLUMNS[:4]} | {
            SPEND_COLUMNS[4]: np.zeros(0, dtype="int64")
        }
    pieces = _month_pieces(claims, scope)
    # A cell may have several pieces (its claims, and the months of those crossing one):
    # summed, cells in the order of their first piece. A placement is of one campaign and
    # one channel: the placement and month make the cell.
    grouped = grouping.groups(pieces, ["placement_id", "month_number"], sort=False)
    cells = grouping.keys(pieces, grouped, ["campaign_id", "placement_id", "channel"])
    cells["month"] = month_texts_of(pieces["month_number"][grouped.first])
    cells |= grouping.sums(pieces, grouped, ["campaign_spend_minor"])
    return {c: cells[c] for c in SPEND_COLUMNS}


def with_channels(columns: grouping.Columns, channels: Rows) -> grouping.Columns:
    """``columns`` (with a ``placement_id``) with their placements' channels from
    ``channels`` (placement id, channel: the scope's placements); rows of other placements,
    of another channel than the filter's, left out, as an inner join would."""
    ids = np.array([row[0] for row in channels], dtype=np.int64)
    names = np.array([row[1] for row in channels], dtype=object)
    order = np.argsort(ids, kind="stable")
    placement = columns["placement_id"].astype(np.int64, copy=False)
    at = np.minimum(np.searchsorted(ids[order], placement), max(len(ids) - 1, 0))
    known = ids[order][at] == placement if len(ids) else np.zeros(len(placement), bool)
    kept = dict(columns)
    if not known.all():
        kept = {name: values[known] for name, values in columns.items()}
        at = at[known]
    kept["channel"] = names[order][at]
    return kept


def _month_pieces(claims: grouping.Columns, scope: Scope) -> grouping.Columns:
    """Each claim's share of each month of the period its service days fall in (one piece per
    claim and month): ``budgets.spend.portion`` over the claims' day numbers, in NumPy."""
    start = _days(claims["service_from"])
    end = _days(claims["service_to"])
    amount = claims["amount_minor"].astype("int64")
    # The claim's days in the period, and the months they fall in.
    first = np.maximum(start, (scope.start - EPOCH).days)
    last = np.minimum(end, (scope.end - EPOCH).days)
    first_month = first.astype("datetime64[D]").astype("datetime64[M]").astype("int64")
    last_month = last.astype("datetime64[D]").astype("datetime64[M]").astype("int64")
    count = last_month - first_month + 1
    claim = np.repeat(np.arange(len(first)), count)
    # The months of each claim in turn: its first month, then one more each piece.
    month = first_month[claim] + np.arange(len(claim)) - np.repeat(np.cumsum(count) - count, count)
    month_first = month.astype("datetime64[M]").astype("datetime64[D]").astype("int64")
    month_last = (month + 1).astype("datetime64[M]").astype("datetime64[D]").astype("int64") - 1
    low = np.maximum(first[claim], month_first) - start[claim]
    high = np.minimum(last[claim], month_last) - start[claim]
    base, remainder = np.divmod(amount[claim], end[claim] - start[claim] + 1)
    share = base * (high - low + 1) + np.maximum(0, np.minimum(remainder, high + 1) - low)
    return {
        "campaign_id": claims["campaign_id"][claim],
        "placement_id": claims["placement_id"][claim],
        "channel": claims["channel"][claim],
        "month_number": month,
        "campaign_spend_minor": share,
    }


def _days(values: np.ndarray) -> np.ndarray:
    """Day numbers from 1970-01-01: PostgreSQL sends them (``sql.day_number``); SQLite sends
    its stored 'YYYY-MM-DD' text."""
    if values.dtype == np.int64:
        return values
    return values.astype("datetime64[D]").astype("int64")


@cache
def _spend_statement(filters: Filters, postgresql: bool) -> sa.Select[Any]:
    """One statement, one search of the claims: a row per claim counting as spend in the
    period, with its placement, service period (as ``sql.day_number``) and amount; the
    placements' channels joined on SQLite, apart on PostgreSQL, as for the metrics. Nothing
    worked out per row by the server: its share of each month is (``_month_pieces``), and
    the cells summed, in NumPy — SQLite's functions (max, substr, julianday) took longer
    per row than finding the row, and most cells have one claim (a GROUP BY sorted rows that
    are nearly all one per cell)."""
    start, end = sa.bindparam("start", type_=sa.Date()), sa.bindparam("end", type_=sa.Date())
    spent = CountedSpend  # the versions counting as spend now (``budgets.counted``)
    columns: list[Any] = [
        spent.campaign_id,
        spent.placement_id,
        *([] if postgresql else [Placement.channel]),
        day_number(spent.service_from).label("service_from"),
        day_number(spent.service_to).label("service_to"),
        spent.amount_minor,
    ]
    rows = (
        sa.select(*columns)
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
    return rows
