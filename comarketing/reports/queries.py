"""The SQL aggregates reports need, built with SQLAlchemy and grouped in the database.

Every query starts from the campaigns the organization is a party to, so a report can hold
nothing else. Daily figures come from the monthly rollup for the months the period covers
whole, and from the daily rows only for the partial months at its edges; a report therefore
reads at most two months of daily rows, whatever the data size.

What a report covers (the organization's campaigns, the period's months) is
``reports.scope``; spend per placement and month, from the claims, is
``reports.spend_cells``; this module reads the metric cells, the campaigns with their parties
and the placements' flights, and sends them together with the spend (``report_frames``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from comarketing.accounts.models import Organization
from comarketing.campaigns.models import Campaign, CampaignParty, Placement
from comarketing.extensions import db
from comarketing.metrics.models import DAYS_FIELDS, VALUE_FIELDS, DailyMetric, MetricRollup
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
from comarketing.reports.spend_cells import spend_query, spendframe_of, with_channels
from comarketing.reports.sql import (
    Query,
    Rows,
    among,
    arrays_of,
    fetch,
    first_day_key,
    frame_of,
    month_key,
    month_key_value,
    month_texts,
    sent,
    sum64,
)


def metric_cells(scope: Scope) -> pd.DataFrame:
    """Per placement and month of the period: the number of daily rows (``days``), the sums of
    the reported values of every figure and, per figure, the days that reported it
    (``DAYS_FIELDS``): coverage is judged per placement-month (``reports.coverage``)."""
    return _metricframe_of(*fetch(*_metric_queries(scope)))


def _metric_queries(scope: Scope) -> list[Query]:
    """The metric sums with their placements' channels. On PostgreSQL the channels come in a
    statement of their own, joined here by id: joined in SQL, the server looks each cell's
    placement up, a third of the statement's time. SQLite looks rows up by id cheaply and
    runs statements one at a time: there the join stays in SQL."""
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    if not postgresql:
        return [_metric_query(scope)]
    channels = channels_statement(Filters.of(scope), postgresql), scope_values(scope)
    return [_metric_query(scope), channels]


def _metric_query(scope: Scope) -> Query:
    months = whole_months(scope.start, scope.end)
    edges = _edge_days(scope.start, scope.end, months)
    values = scope_values(scope)
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    if months is not None:
        values.update(month_first=months[0], month_last=months[1])
    for number, (first, last) in enumerate(edges):
        values.update({f"edge{number}_first": first, f"edge{number}_last": last})
        values.update({f"edge{number}_from": month_start(first), f"edge{number}_to": last})
        values[f"edge{number}_month"] = month_key_value(first, postgresql)
    statement = _metric_statement(Filters.of(scope), months is not None, len(edges), postgresql)
    return statement, values


def _metricframe_of(rows: Rows, channels: Rows | None = None) -> pd.DataFrame:
    """The metric rows with their placements' channels (in the rows, or in ``channels``: then
    a row whose placement is not among them, of another channel than the filter's, is left
    out, as an inner join would)."""
    if not rows or channels is None:
        frame = frame_of(rows, METRIC_COLUMNS)  # SQLite's months: their text already
    else:
        columns = [c for c in METRIC_COLUMNS if c != "channel"]
        arrays = with_channels(arrays_of(rows, columns), channels)
        arrays["month"] = month_texts(arrays["month"])
        frame = pd.DataFrame({name: arrays[name] for name in METRIC_COLUMNS}, copy=False)
    for name in METRIC_SUMS:
        if frame[name].dtype != "int64":  # some value missing (None), or no rows
            frame[name] = frame[name].fillna(0).astype("int64")
    return frame


METRIC_COUNTS = [DAYS_FIELDS[f] for f in VALUE_FIELDS]
# The whole numbers of a metric cell: its days, the sums and, per figure, the days reporting it.
METRIC_SUMS = ["days", *VALUE_FIELDS, *METRIC_COUNTS]
METRIC_COLUMNS = ["campaign_id", "placement_id", "channel", "month", *METRIC_SUMS]


@cache
def _metric_statement(
    filters: Filters, rollup: bool, edges: int, postgresql: bool
) -> sa.Select[Any]:
    """The rollup's rows for the whole months (``rollup``) and the sums of the daily rows of
    each of the ``edges`` partial months, with each placement's channel on SQLite."""
    scoped = scoped_ids(filters)
    parts: list[sa.Select[Any]] = []
    if rollup:
        parts.append(
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
    month = month_key(DailyMetric.day)
    month_type = sa.Integer() if postgresql else sa.String()
    # One SELECT per edge: with the two ranges OR-ed in one, SQLite stops searching
    # (placement_id, day) per placement and skip-scans. Each searches only the placements with
    # days in the edge's months, as the rollup lists them (a tenth of the organization's, say:
    # the rollup holds a row for every placement and month with days), by the primary key
    # (placement_id, day): searching (campaign_id, day) per campaign of the organization reads
    # five times the rows, and PostgreSQL may pick the campaign_id index and read every day of
    # those campaigns.
    for number in range(edges):
        # Beside whole months (``rollup``) an edge lies within one month: its month is a
        # constant, not worked out and grouped by per day.
        edge_month: Any = sa.bindparam(f"edge{number}_month", type_=month_type) if rollup else month
        with_days = sa.select(MetricRollup.placement_id).where(
            among(MetricRollup.campaign_id, scoped, postgresql),
            MetricRollup.month.between(
                sa.bindparam(f"edge{number}_from"), sa.bindparam(f"edge{number}_to")
            ),
        )
        parts.append(
            sa.select(
                # A placement's days are of its campaign: grouped by the placement alone, in
                # the order the primary key gives them, with no sort (SQLite sorted them
                # through a temporary B-tree, PostgreSQL sorted them too).
                sa.func.min(DailyMetric.campaign_id).label("campaign_id"),
                DailyMetric.placement_id,
                edge_month.label("month"),
                sa.func.count().label("days"),
                *(sum64(getattr(DailyMetric, f)).label(f) for f in VALUE_FIELDS),
                *(
                    sa.func.count(getattr(DailyMetric, f)).label(DAYS_FIELDS[f])
                    for f in VALUE_FIELDS
                ),
            )
            .where(
                among(DailyMetric.placement_id, with_days, postgresql),
                DailyMetric.day.between(
                    sa.bindparam(f"edge{number}_first"), sa.bindparam(f"edge{number}_last")
                ),
            )
            .group_by(DailyMetric.placement_id, *([] if rollup else [month]))
        )
    # The parts cover different months, so each (placement, month) comes from one. On
    # PostgreSQL the placements' channels are read apart (``_metric_queries``); on SQLite the
    # placements are joined once, to the parts' few rows.
    if postgresql and len(parts) == 1:
        return parts[0]
    sums = (sa.union_all(*parts) if len(parts) > 1 else parts[0]).subquery("cells")
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


def campaigns_and_parties(scope: Scope) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The scoped campaigns, and every party of them with its shares and name: one statement,
    a row per party carrying its campaign's columns."""
    return _campaigns_and_parties(*fetch(_parties_query(scope)))


def _parties_query(scope: Scope) -> Query:
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    return _parties_statement(Filters.of(scope), postgresql), scope_values(scope)


def _campaigns_and_parties(rows: Rows) -> tuple[pd.DataFrame, pd.DataFrame]:
    campaign_columns = ["campaign_id", "kind", "name", "currency", "status"]
    party_columns = ["campaign_id", "organization_id", "budget_share_bp", "revenue_share_bp"]
    names = [*campaign_columns, *party_columns[1:], "party"]
    if not rows:
        both = frame_of(rows, names)
        return both[campaign_columns], both[party_columns].assign(name=both["party"])
    arrays = arrays_of(rows, names)
    # A campaign's columns from its first party's row.
    first = np.unique(arrays["campaign_id"], return_index=True)[1]
    campaigns = pd.DataFrame({c: arrays[c][first] for c in campaign_columns})
    parties = pd.DataFrame({c: arrays[c] for c in party_columns} | {"name": arrays["party"]})
    return campaigns, parties


@dataclass(frozen=True)
class ReportFrames:
    campaigns: pd.DataFrame
    parties: pd.DataFrame
    metrics: pd.DataFrame
    spend: pd.DataFrame
    flights: pd.DataFrame  # FLIGHT_COLUMNS: the placements with a flight reach


def report_frames(scope: Scope) -> ReportFrames:
    """:func:`campaigns_and_parties`, :func:`metric_cells` and :func:`spend_cells` of one
    scope, their statements sent together (one round trip on PostgreSQL). The metric
    statement, the server's longest, goes last: the parties, the spend and the flights are
    read and turned into frames while the server still works on it (``sql.sent``)."""
    metric, *channel_query = _metric_queries(scope)
    with sent(
        *channel_query,
        _parties_query(scope),
        spend_query(scope),
        _flights_query(scope),
        metric,
    ) as results:
        # On PostgreSQL the placements' channels, read once for the metrics and the spend.
        channels = results[0]() if channel_query else None
        parties, spent, flights, metric_rows = results[-4:]
        campaigns, party_frame = _campaigns_and_parties(parties())
        spend = spendframe_of(scope, spent(), channels)
        flight_frame = frame_of(flights(), FLIGHT_COLUMNS)
        metrics = _metricframe_of(metric_rows(), channels)
    return ReportFrames(
        campaigns=campaigns,
        parties=party_frame,
        metrics=metrics,
        spend=spend,
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
    statement = sa.select(
        Placement.id, Placement.start_date, Placement.end_date, Placement.flight_reach
    ).where(Placement.campaign_id.in_(scoped_ids(filters)), Placement.flight_reach.is_not(None))
    if filters.channel:
        statement = statement.where(Placement.channel == sa.bindparam("channel"))
    return statement


@cache
def _parties_statement(
    filters: Filters, postgresql: bool
) -> sa.Select[int, str, str, str, str, int, int, int, str]:
    return (
        sa.select(
            CampaignParty.campaign_id,
            Campaign.kind,
            Campaign.name,
            Campaign.currency,
            Campaign.status,
            CampaignParty.organization_id,
            CampaignParty.budget_share_bp,
            CampaignParty.revenue_share_bp,
            Organization.name,
        )
        .join(Campaign, Campaign.id == CampaignParty.campaign_id)
        .join(Organization, Organization.id == CampaignParty.organization_id)
        .where(among(CampaignParty.campaign_id, scoped_ids(filters), postgresql))
    )
