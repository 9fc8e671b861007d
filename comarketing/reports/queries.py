"""The SQL aggregates reports need, built with SQLAlchemy and grouped in the database.

Every query starts from the campaigns the organization is a party to, so a report can hold
nothing else. Daily figures come from the monthly rollup for the months the period covers
whole, and from the daily rows only for the partial months at its edges; a report therefore
reads at most two months of daily rows, whatever the data size.

What a report covers (the organization's campaigns, the period's months) is
``reports.scope``; spend per placement and month, from the claims, is
``reports.spend_cells``; this module reads the metric cells, the campaigns, their parties
and the placements' flights, and sends them together with the spend (``report_frames``; on
PostgreSQL in three waves, each wave's rows worked on while the server runs the next).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any, cast

import numpy as np
import pandas as pd
import sqlalchemy as sa

from comarketing.accounts.models import Organization
from comarketing.campaigns.models import Campaign, CampaignParty, Placement
from comarketing.extensions import db
from comarketing.metrics.models import DAYS_FIELDS, VALUE_FIELDS, DailyMetric, MetricRollup
from comarketing.reports import grouping
from comarketing.reports.grouping import Columns
from comarketing.reports.scope import (
    Filters,
    Scope,
    channels_statement,
    month_start,
    next_month,
    scope_values,
    scoped_ids,
    whole_months,
)
from comarketing.reports.spend_cells import spend_columns, spend_query, with_channels
from comarketing.reports.sql import (
    Query,
    Rows,
    among,
    arrays_of,
    fetch,
    first_day_key,
    frame_of,
    indexed_by,
    month_key,
    month_key_value,
    month_texts,
    sent,
    sum64,
)

# Which rows of the period a metric statement reads: the rollup's for the months the period
# covers whole, the daily rows' for the partial months at its edges, or both.
ROLLUP, EDGES = 1, 2


def _metric_query(scope: Scope, parts: int) -> Query | None:
    """The statement reading ``parts`` of the period's metric cells (None when the period has
    none of them: no whole month, or no partial one)."""
    months = whole_months(scope.start, scope.end)
    edges = _edge_days(scope.start, scope.end, months)
    if months is None:
        parts &= ~ROLLUP
    if not edges:
        parts &= ~EDGES
    if not parts:
        return None
    values = scope_values(scope)
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    if months is not None:
        values.update(month_first=months[0], month_last=months[1])
    for number, (first, last) in enumerate(edges):
        values.update({f"edge{number}_first": first, f"edge{number}_last": last})
        values.update({f"edge{number}_from": month_start(first), f"edge{number}_to": last})
        values[f"edge{number}_month"] = month_key_value(first, postgresql)
    statement = _metric_statement(
        Filters.of(scope), months is not None, len(edges), postgresql, parts
    )
    return statement, values


def _metric_columns(rows: Rows) -> Columns:
    """SQLite's metric rows (the placement's channel and the month's text in them) as
    columns, the months coded as months (``sql.month_texts_of``)."""
    if not rows:
        return _no_cells()
    columns = arrays_of(rows, METRIC_COLUMNS)
    months = columns["month"].astype("datetime64[M]").astype(np.int64)
    columns["month"] = grouping.coded(columns["month"], months)
    return _whole(columns)


def _metric_arrays(rows: Rows) -> Columns | None:
    """A PostgreSQL metric statement's rows as arrays (None without rows)."""
    return arrays_of(rows, _SENT_COLUMNS) if rows else None


def _metric_columns_of_parts(parts: list[Columns | None], channels: Rows) -> Columns:
    """The rows of PostgreSQL's metric statements (the rollup's and the edge months', each as
    :func:`_metric_arrays`) as one set of columns, with their placements' channels from
    ``channels`` (the scope's placements: a row whose placement is not among them, of
    another channel than the filter's, is left out, as an inner join would)."""
    given = [part for part in parts if part is not None]
    if not given:
        return _no_cells()
    arrays = (
        given[0]
        if len(given) == 1
        else {name: np.concatenate([part[name] for part in given]) for name in _SENT_COLUMNS}
    )
    arrays = with_channels(arrays, channels)
    arrays["month"] = month_texts(arrays["month"])
    return _whole({name: arrays[name] for name in METRIC_COLUMNS})


def _no_cells() -> Columns:
    return {
        name: np.zeros(0, dtype=object if name in ("channel", "month") else np.int64)
        for name in METRIC_COLUMNS
    }


def _whole(columns: Columns) -> Columns:
    """The sums and counts with a value missing (None: no day of the cell reported it) as 0:
    a figure nobody reported adds nothing."""
    for name in METRIC_SUMS:
        values = columns[name]
        if values.dtype != np.int64:
            columns[name] = np.where(values == None, 0, values).astype(np.int64)  # noqa: E711
    return columns


METRIC_COUNTS = [DAYS_FIELDS[f] for f in VALUE_FIELDS]
# The whole numbers of a metric cell: its days, the sums and, per figure, the days reporting it.
METRIC_SUMS = ["days", *VALUE_FIELDS, *METRIC_COUNTS]
METRIC_COLUMNS = ["campaign_id", "placement_id", "channel", "month", *METRIC_SUMS]
# The columns of the metric statements' rows on PostgreSQL (the channel read apart).
_SENT_COLUMNS = [c for c in METRIC_COLUMNS if c != "channel"]


@cache
def _metric_statement(
    filters: Filters, months: bool, edges: int, postgresql: bool, parts: int
) -> sa.Select[Any]:
    """The ``parts`` of the period's metric cells: the rollup's rows for the whole months (when
    there are ``months``; ``ROLLUP``) and the sums of the daily rows of each of the ``edges``
    partial months (``EDGES``), with each placement's channel on SQLite."""
    scoped = scoped_ids(filters)
    selects: list[sa.Select[Any]] = []
    if parts & ROLLUP:
        selects.append(
            sa.select(
                MetricRollup.campaign_id,
                MetricRollup.placement_id,
                first_day_key(MetricRollup.month).label("month"),
                MetricRollup.days,
                *(getattr(MetricRollup, f) for f in VALUE_FIELDS),
                *(getattr(MetricRollup, c) for c in METRIC_COUNTS),
            ).where(
                among(MetricRollup.campaign_id, scoped, postgresql),
                MetricRollup.month.between(sa.bindparam("month_first"), sa.bindparam("month_last")),
            )
        )
    if parts & EDGES:
        selects.extend(_edge_select(scoped, number, months, postgresql) for number in range(edges))
    # The parts cover different months, so each (placement, month) comes from one. On
    # PostgreSQL the placements' channels are read apart (``report_frames``); on SQLite the
    # placements are joined once, to the parts' few rows.
    if postgresql and len(selects) == 1:
        return selects[0]
    sums = (sa.union_all(*selects) if len(selects) > 1 else selects[0]).subquery("cells")
    if postgresql:
        return sa.select(
            sums.c.campaign_id, sums.c.placement_id, sums.c.month, *(sums.c[n] for n in METRIC_SUMS)
        )
    statement = sa.select(
        sums.c.campaign_id,
        sums.c.placement_id,
        Placement.channel,
        sums.c.month,
        *(sums.c[name] for name in METRIC_SUMS),
    ).join(Placement, Placement.id == sums.c.placement_id)
    if filters.channel:
        statement = statement.where(Placement.channel == sa.bindparam("channel"))
    return statement


def _edge_select(
    scoped: sa.Select[int], number: int, months: bool, postgresql: bool
) -> sa.Select[Any]:
    """The sums of the daily rows of partial month ``number`` per placement (and month)."""
    month = month_key(DailyMetric.day)
    month_type = sa.Integer() if postgresql else sa.String()
    # One SELECT per edge: with the two ranges OR-ed in one, SQLite stops searching
    # (placement_id, day) per placement and skip-scans. Each searches only the placements with
    # days in the edge's months, as the rollup lists them (a tenth of the organization's, say:
    # the rollup holds a row for every placement and month with days), by the primary key
    # (placement_id, day): searching (campaign_id, day) per campaign of the organization reads
    # five times the rows, and PostgreSQL may pick the campaign_id index and read every day of
    # those campaigns.
    # Beside whole months (``months``) an edge lies within one month: its month is a
    # constant, not worked out and grouped by per day.
    edge_month: Any = sa.bindparam(f"edge{number}_month", type_=month_type) if months else month
    with_days = sa.select(MetricRollup.placement_id).where(
        among(MetricRollup.campaign_id, scoped, postgresql),
        MetricRollup.month.between(
            sa.bindparam(f"edge{number}_from"), sa.bindparam(f"edge{number}_to")
        ),
    )
    return (
        sa.select(
            # A placement's days are of its campaign: grouped by the placement alone, in
            # the order the primary key gives them, with no sort (SQLite sorted them
            # through a temporary B-tree, PostgreSQL sorted them too).
            sa.func.min(DailyMetric.campaign_id).label("campaign_id"),
            DailyMetric.placement_id,
            edge_month.label("month"),
            sa.func.count().label("days"),
            *(sum64(getattr(DailyMetric, f)).label(f) for f in VALUE_FIELDS),
            *(sa.func.count(getattr(DailyMetric, f)).label(DAYS_FIELDS[f]) for f in VALUE_FIELDS),
        )
        .where(
            among(DailyMetric.placement_id, with_days, postgresql),
            DailyMetric.day.between(
                sa.bindparam(f"edge{number}_first"), sa.bindparam(f"edge{number}_last")
            ),
        )
        .group_by(DailyMetric.placement_id, *([] if months else [month]))
    )


def _edge_days(start: date, end: date, months: tuple[date, date] | None) -> list[tuple[date, date]]:
    if months is None:
        return [(start, end)]
    edges = []
    if start < months[0]:
        edges.append((start, months[0] - timedelta(days=1)))
    after = next_month(months[1])
    if after <= end:
        edges.append((after, end))
    return edges


def _campaigns_query(scope: Scope) -> Query:
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    return _campaigns_statement(Filters.of(scope), postgresql), scope_values(scope)


def _parties_query(scope: Scope) -> Query:
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    return _parties_statement(Filters.of(scope), postgresql), scope_values(scope)


CAMPAIGN_COLUMNS = ["campaign_id", "kind", "name", "currency", "status"]
PARTY_COLUMNS = ["campaign_id", "organization_id", "budget_share_bp", "revenue_share_bp", "name"]


@dataclass(frozen=True)
class ReportFrames:
    campaigns: pd.DataFrame
    parties: pd.DataFrame
    metrics: Columns  # METRIC_COLUMNS: per placement and month
    spend: Columns  # spend_cells.SPEND_COLUMNS: per placement and month
    flights: pd.DataFrame  # FLIGHT_COLUMNS: the placements with a flight reach


def report_frames(scope: Scope) -> ReportFrames:
    """The scope's campaigns, their parties, metric cells, spend cells (``spend_cells``) and
    flights: their statements sent together (one pipeline on PostgreSQL, ``sql.sent``).

    On PostgreSQL in three waves, so that the server runs each while the rows of the one
    before are turned into arrays: the placements' channels, the spend claims (whose cells
    take the longest to work out) and the campaigns; then the parties, the flights and the
    rollup's rows of the whole months; then the edge months' daily rows."""
    campaigns, parties = _campaigns_query(scope), _parties_query(scope)
    spend, flights = spend_query(scope), _flights_query(scope)
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    if not postgresql:
        both = _metric_query(scope, ROLLUP | EDGES)
        waves = [[campaigns, spend, parties, flights, *([both] if both else [])]]
    else:
        channels = channels_statement(Filters.of(scope), True), scope_values(scope)
        rollup, edges = _metric_query(scope, ROLLUP), _metric_query(scope, EDGES)
        waves = [
            [channels, campaigns, spend],
            [parties, flights, *([rollup] if rollup else [])],
            [edges] if edges else [],
        ]
    with sent(*waves) as results:
        # On PostgreSQL first the placements' channels, read once for the metrics and spend.
        placements = results.pop(0)() if postgresql else None
        campaign_rows, spent, party_rows, flight_rows, *metric_rows = results
        campaign_frame = frame_of(campaign_rows(), CAMPAIGN_COLUMNS)
        spend_frame = spend_columns(scope, spent(), placements)
        party_frame = frame_of(party_rows(), PARTY_COLUMNS)
        flight_frame = frame_of(flight_rows(), FLIGHT_COLUMNS)
        if placements is None:  # SQLite: the channels in the rows
            metrics = _metric_columns([row for read in metric_rows for row in read()])
        else:
            parts = [_metric_arrays(read()) for read in metric_rows]
            metrics = _metric_columns_of_parts(parts, placements)
    return ReportFrames(
        campaigns=campaign_frame,
        parties=party_frame,
        metrics=metrics,
        spend=spend_frame,
        flights=flight_frame,
    )


FLIGHT_COLUMNS = ["placement_id", "start_date", "end_date", "flight_reach"]


def flights(scope: Scope) -> pd.DataFrame:
    """The scope's placements that carry a flight reach, with their flights (issue 16):
    ``people.with_people`` decides which of them the period covers."""
    return frame_of(fetch(_flights_query(scope))[0], FLIGHT_COLUMNS)


def _flights_query(scope: Scope) -> Query:
    return _flights_statement(Filters.of(scope)), scope_values(scope)


@cache
def _flights_statement(filters: Filters) -> sa.Select[int, date, date, int | None]:
    # The placements with a flight reach, a minority, from their partial index: searched by
    # campaign there, the company's other placements are never read.
    flighted = indexed_by(cast(sa.Table, Placement.__table__), "ix_placements_flight_reach")
    statement = sa.select(
        flighted.c.id, flighted.c.start_date, flighted.c.end_date, flighted.c.flight_reach
    ).where(flighted.c.campaign_id.in_(scoped_ids(filters)), flighted.c.flight_reach.is_not(None))
    if filters.channel:
        statement = statement.where(flighted.c.channel == sa.bindparam("channel"))
    return statement


@cache
def _campaigns_statement(filters: Filters, postgresql: bool) -> sa.Select[int, str, str, str, str]:
    return (
        sa.select(Campaign.id, Campaign.kind, Campaign.name, Campaign.currency, Campaign.status)
        .where(among(Campaign.id, scoped_ids(filters), postgresql))
        .order_by(Campaign.id)
    )


@cache
def _parties_statement(filters: Filters, postgresql: bool) -> sa.Select[int, int, int, int, str]:
    """Every party of the scoped campaigns, with its shares and name (read apart from the
    campaigns: joined, PostgreSQL looks a campaign up for each of its parties)."""
    return (
        sa.select(
            CampaignParty.campaign_id,
            CampaignParty.organization_id,
            CampaignParty.budget_share_bp,
            CampaignParty.revenue_share_bp,
            Organization.name,
        )
        .join(Organization, Organization.id == CampaignParty.organization_id)
        .where(among(CampaignParty.campaign_id, scoped_ids(filters), postgresql))
    )
