"""The SQL aggregates reports need, built with SQLAlchemy and grouped in the database.

Every query starts from the campaigns the organization is a party to, so a report can hold
nothing else. Daily figures come from the monthly rollup for the months the period covers
whole, and from the daily rows only for the partial months at its edges; a report therefore
reads at most two months of daily rows, whatever the data size.

Over the 500-line guideline for now (issue 16's speed work put the edge months' and the spend
statements here): they share the scope helpers (the organization's campaigns, the period's
months) with the metrics statements, and moving the spend statement out alone would make the
two modules import each other. The split planned is scope helpers into their own module, then
spend and metrics statements beside each other.
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
from comarketing.budgets import spend
from comarketing.budgets.models import CountedSpend
from comarketing.campaigns.models import Campaign, CampaignParty, Placement
from comarketing.extensions import db
from comarketing.metrics.models import DAYS_FIELDS, VALUE_FIELDS, DailyMetric, MetricRollup
from comarketing.reports import grouping
from comarketing.reports.sql import (
    Query,
    Rows,
    among,
    arrays_of,
    days_between,
    earlier_of,
    fetch,
    frame_of,
    later_of,
    month_text,
    same_month,
    sum64,
)


@dataclass(frozen=True)
class Scope:
    organization_id: int
    start: date
    end: date
    partner_id: int | None = None
    channel: str | None = None
    campaign_id: int | None = None


def scoped_campaigns(scope: Scope) -> sa.Select[int]:
    """Ids of the campaigns in the report: the organization is a party; the partner filter
    keeps joint campaigns with that partner (solo campaigns stay, as the comparison)."""
    return _scoped(_Filters.of(scope)).params(_values(scope))


@dataclass(frozen=True)
class _Filters:
    """Which filters a scope sets: the shape of its statements, built once per shape with
    bound parameters (building a statement costs more than running it at report sizes)."""

    partner: bool
    channel: bool
    campaign: bool

    @classmethod
    def of(cls, scope: Scope) -> _Filters:
        return cls(scope.partner_id is not None, bool(scope.channel), scope.campaign_id is not None)


def _values(scope: Scope) -> dict[str, Any]:
    """The bound parameters of a scope's statements."""
    return {
        "org": scope.organization_id,
        "partner": scope.partner_id,
        "channel": scope.channel,
        "campaign": scope.campaign_id,
        "start": scope.start,
        "end": scope.end,
    }


@cache
def _scoped(filters: _Filters) -> sa.Select[int]:
    # Read from the organization's party rows alone (an index search), joining the campaigns
    # only when the partner filter needs their kind.
    query = sa.select(CampaignParty.campaign_id).where(
        CampaignParty.organization_id == sa.bindparam("org")
    )
    if filters.partner:
        with_partner = sa.select(CampaignParty.campaign_id).where(
            CampaignParty.organization_id == sa.bindparam("partner")
        )
        query = query.join(Campaign, Campaign.id == CampaignParty.campaign_id).where(
            sa.or_(Campaign.kind == "solo", CampaignParty.campaign_id.in_(with_partner))
        )
    if filters.campaign:
        query = query.where(CampaignParty.campaign_id == sa.bindparam("campaign"))
    return query


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def whole_months(start: date, end: date) -> tuple[date, date] | None:
    """First days of the first and last month lying wholly inside [start, end], if any."""
    first = start if start.day == 1 else _next_month(start)
    last_whole_end = _next_month(end) - timedelta(days=1) == end
    last = _month_start(end) if last_whole_end else _month_start(_month_start(end) - timedelta(1))
    return (first, last) if first <= last else None


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
    channels = _channels_statement(_Filters.of(scope), postgresql), _values(scope)
    return [_metric_query(scope), channels]


@cache
def _channels_statement(filters: _Filters, postgresql: bool) -> sa.Select[int, str]:
    statement = sa.select(Placement.id, Placement.channel).where(
        among(Placement.campaign_id, _scoped(filters), postgresql)
    )
    if filters.channel:
        statement = statement.where(Placement.channel == sa.bindparam("channel"))
    return statement


def _metric_query(scope: Scope) -> Query:
    months = whole_months(scope.start, scope.end)
    edges = _edge_days(scope.start, scope.end, months)
    values = _values(scope)
    if months is not None:
        values.update(month_first=months[0], month_last=months[1])
    for number, (first, last) in enumerate(edges):
        values.update({f"edge{number}_first": first, f"edge{number}_last": last})
        values.update({f"edge{number}_from": _month_start(first), f"edge{number}_to": last})
        values[f"edge{number}_month"] = first.strftime("%Y-%m")
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    statement = _metric_statement(_Filters.of(scope), months is not None, len(edges), postgresql)
    return statement, values


def _metricframe_of(rows: Rows, channels: Rows | None = None) -> pd.DataFrame:
    """The metric rows with their placements' channels (in the rows, or in ``channels``: then
    a row whose placement is not among them, of another channel than the filter's, is left
    out, as an inner join would)."""
    if not rows or channels is None:
        frame = frame_of(rows, METRIC_COLUMNS)
    else:
        arrays = arrays_of(rows, [c for c in METRIC_COLUMNS if c != "channel"])
        ids = np.array([row[0] for row in channels], dtype=np.int64)
        names = np.array([row[1] for row in channels], dtype=object)
        order = np.argsort(ids, kind="stable")
        placement = arrays["placement_id"].astype(np.int64)
        at = np.minimum(np.searchsorted(ids[order], placement), max(len(ids) - 1, 0))
        known = ids[order][at] == placement if len(ids) else np.zeros(len(placement), bool)
        if not known.all():
            arrays = {name: values[known] for name, values in arrays.items()}
            at = at[known]
        arrays["channel"] = names[order][at]
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
    filters: _Filters, rollup: bool, edges: int, postgresql: bool
) -> sa.Select[Any]:
    """The rollup's rows for the whole months (``rollup``) and the sums of the daily rows of
    each of the ``edges`` partial months, with each placement's channel on SQLite."""
    scoped = _scoped(filters)
    parts: list[sa.Select[Any]] = []
    if rollup:
        parts.append(
            sa.select(
                MetricRollup.campaign_id,
                MetricRollup.placement_id,
                month_text(MetricRollup.month).label("month"),
                MetricRollup.days,
                *(getattr(MetricRollup, f) for f in VALUE_FIELDS),
                *(getattr(MetricRollup, c) for c in METRIC_COUNTS),
            ).where(
                among(MetricRollup.campaign_id, scoped, postgresql),
                MetricRollup.month.between(sa.bindparam("month_first"), sa.bindparam("month_last")),
            )
        )
    month = month_text(DailyMetric.day)
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
        edge_month: Any = (
            sa.bindparam(f"edge{number}_month", type_=sa.String()) if rollup else month
        )
        with_days = sa.select(MetricRollup.placement_id).where(
            among(MetricRollup.campaign_id, scoped, postgresql),
            MetricRollup.month.between(
                sa.bindparam(f"edge{number}_from"), sa.bindparam(f"edge{number}_to")
            ),
        )
        parts.append(
            sa.select(
                DailyMetric.campaign_id,
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
            .group_by(
                DailyMetric.campaign_id, DailyMetric.placement_id, *([] if rollup else [month])
            )
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
    after = _next_month(months[1])
    if after <= end:
        edges.append((after, end))
    return edges


def _month_end(day: date) -> date:
    return _next_month(day) - timedelta(days=1)


def spend_cells(scope: Scope) -> pd.DataFrame:
    """Spend (confirmed + pending claims) per placement and month, by service period:
    a claim counts pro rata by day over the days it pays for (``budgets.spend``), so one for
    1-31 March counts in March whenever it was entered, and a reversed (revised, withdrawn)
    or disputed version counts nowhere. Claims whose days in the period lie within one
    month are summed in SQL (their share of those days, when the period's edge cuts them);
    the few whose days in the period cross a month, one row each of the same statement, are
    split exactly here."""
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    queries = [_spend_query(scope)]
    if postgresql:
        queries.append((_channels_statement(_Filters.of(scope), postgresql), _values(scope)))
    return _spendframe_of(scope, *fetch(*queries))


def _spend_query(scope: Scope) -> Query:
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    return _spend_statement(_Filters.of(scope), postgresql), _values(scope)


def _spendframe_of(scope: Scope, rows: Rows, channels: Rows | None = None) -> pd.DataFrame:
    """The claims within a month summed per cell (by the statement on PostgreSQL, here on
    SQLite), and those crossing one split by month. Without
    a channel in the rows (PostgreSQL) it comes from ``channels``, the scope's placements:
    a row whose placement is not among them, of another channel than the filter's, is left
    out, as an inner join would."""
    whole: Rows = []
    crossing: Rows = []
    names: dict[int, str] | None = None if channels is None else dict(channels)
    for row in rows:
        if names is None:
            campaign_id, placement_id, channel, month, amount, start, end, _version = row
        else:
            campaign_id, placement_id, month, amount, start, end, _version = row
            channel = names.get(placement_id)
            if channel is None:  # not among the placements: of another channel
                continue
        if start is None:  # within one month of the period: summed in SQL
            whole.append((campaign_id, placement_id, channel, month, amount))
        elif isinstance(start, str):  # SQLite's text
            start, end = date.fromisoformat(start), date.fromisoformat(end)
            crossing.append((campaign_id, placement_id, channel, amount, start, end))
        else:
            crossing.append((campaign_id, placement_id, channel, amount, start, end))
    for campaign_id, placement_id, channel, amount, start, end in crossing:
        first = max(start, scope.start)
        last = min(end, scope.end)
        while first <= last:
            share = spend.portion(int(amount), start, end, first, min(_month_end(first), last))
            whole.append((campaign_id, placement_id, channel, first.strftime("%Y-%m"), share))
            first = _next_month(first)
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
def _spend_statement(filters: _Filters, postgresql: bool) -> sa.Select[Any]:
    """One statement, one search of the claims: those whose days in the period lie within
    one month summed per placement and month (their period columns empty; a claim the
    period's edge cuts counts its share of the days inside, as ``budgets.spend.portion``),
    and those whose days in the period cross a month one row each (their service period and
    version id given, so equal claims are not summed: each is split on its own). The
    placements' channels are joined on SQLite; on PostgreSQL they come apart
    (``_spendframe_of``), as for the metrics."""
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
            month_text(first).label("month"),
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
            among(spent.campaign_id, _scoped(filters), postgresql),
            spent.service_from <= end,
            spent.service_to >= start,
        )
    )
    if not postgresql:
        rows = rows.join(Placement, Placement.id == spent.placement_id)
        if filters.channel:
            rows = rows.where(Placement.channel == sa.bindparam("channel"))
    row = rows.subquery("spent")

    def crossing_only(column: Any, name: str) -> sa.Label[Any]:
        case = sa.case((row.c.inside, sa.null()), else_=column)
        if not postgresql and isinstance(column.type, sa.Date):
            # SQLite's dates as their stored text ('YYYY-MM-DD'), read as dates for the few
            # crossing claims only: a column to convert would send every row of the statement
            # through SQLAlchemy's Row objects (``sql.fetch``).
            return sa.type_coerce(case, sa.String()).label(name)
        return case.label(name)

    counted = sa.select(
        row.c.campaign_id,
        row.c.placement_id,
        *([] if postgresql else [row.c.channel]),
        row.c.month,
        row.c.amount_minor,
        crossing_only(row.c.service_from, "service_from"),
        crossing_only(row.c.service_to, "service_to"),
        crossing_only(row.c.claim_version_id, "version_id"),
    )
    if not postgresql:
        # SQLite would sort every row through a temporary B-tree for the GROUP BY, twice the
        # cost of the search itself: ``_spendframe_of`` sums the cells in NumPy instead.
        return counted
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


def campaigns_and_parties(scope: Scope) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The scoped campaigns, and every party of them with its shares and name: one statement,
    a row per party carrying its campaign's columns."""
    return _campaigns_and_parties(*fetch(_parties_query(scope)))


def _parties_query(scope: Scope) -> Query:
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    return _parties_statement(_Filters.of(scope), postgresql), _values(scope)


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
    scope, their statements sent together (one round trip on PostgreSQL)."""
    metric_queries = _metric_queries(scope)
    parties, *metrics, spent, flights = fetch(
        _parties_query(scope), *metric_queries, _spend_query(scope), _flights_query(scope)
    )
    campaigns, party_frame = _campaigns_and_parties(parties)
    # On PostgreSQL the placements' channels, read once for the metrics and the spend.
    channels = metrics[1] if len(metrics) > 1 else None
    return ReportFrames(
        campaigns=campaigns,
        parties=party_frame,
        metrics=_metricframe_of(*metrics),
        spend=_spendframe_of(scope, spent, channels),
        flights=frame_of(flights, FLIGHT_COLUMNS),
    )


FLIGHT_COLUMNS = ["placement_id", "start_date", "end_date", "flight_reach"]


def flights(scope: Scope) -> pd.DataFrame:
    """The scope's placements that carry a flight reach, with their flights (issue 16):
    ``people.with_people`` decides which of them the period covers."""
    return frame_of(fetch(_flights_query(scope))[0], FLIGHT_COLUMNS)


def _flights_query(scope: Scope) -> Query:
    return _flights_statement(_Filters.of(scope)), _values(scope)


@cache
def _flights_statement(filters: _Filters) -> sa.Select[int, date, date, int | None]:
    statement = sa.select(
        Placement.id, Placement.start_date, Placement.end_date, Placement.flight_reach
    ).where(Placement.campaign_id.in_(_scoped(filters)), Placement.flight_reach.is_not(None))
    if filters.channel:
        statement = statement.where(Placement.channel == sa.bindparam("channel"))
    return statement


@cache
def _parties_statement(
    filters: _Filters, postgresql: bool
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
        .where(among(CampaignParty.campaign_id, _scoped(filters), postgresql))
    )
