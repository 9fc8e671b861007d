"""The SQL aggregates reports need, built with SQLAlchemy and grouped in the database.

Every query starts from the campaigns the organization is a party to, so a report can hold
nothing else. Daily figures come from the monthly rollup for the months the period covers
whole, and from the daily rows only for the partial months at its edges; a report therefore
reads at most two months of daily rows, whatever the data size.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from comarketing.accounts.models import Organization
from comarketing.budgets import spend
from comarketing.budgets.models import Claim, ClaimVersion
from comarketing.campaigns.models import Campaign, CampaignParty, Placement
from comarketing.extensions import db
from comarketing.metrics.models import DAYS_FIELDS, VALUE_FIELDS, DailyMetric, MetricRollup


class month_text(FunctionElement[str]):
    """'YYYY-MM' of a date column, on every backend."""

    type = sa.String()
    inherit_cache = True


@compiles(month_text)
def _month_text_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    # SQLite stores dates as 'YYYY-MM-DD' text: the first seven characters are the month, and
    # cutting them costs a third of what strftime's parsing does on every row read.
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 7)"


@compiles(month_text, "postgresql")
def _month_text_postgresql(element: Any, compiler: Any, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM')"


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
    # Read from the organization's party rows alone (an index search), joining the campaigns
    # only when the partner filter needs their kind.
    query = sa.select(CampaignParty.campaign_id).where(
        CampaignParty.organization_id == scope.organization_id
    )
    if scope.partner_id is not None:
        with_partner = sa.select(CampaignParty.campaign_id).where(
            CampaignParty.organization_id == scope.partner_id
        )
        query = query.join(Campaign, Campaign.id == CampaignParty.campaign_id).where(
            sa.or_(Campaign.kind == "solo", CampaignParty.campaign_id.in_(with_partner))
        )
    if scope.campaign_id is not None:
        query = query.where(CampaignParty.campaign_id == scope.campaign_id)
    return query


def _frame(statement: sa.Executable, columns: list[str]) -> pd.DataFrame:
    """The rows of ``statement`` as a DataFrame, built column by column: from a list of rows,
    pandas first builds one array of Python objects and then infers every column's type from
    it, which costs several times the query itself."""
    # Core rows, through the session's connection and transaction: plain columns need none of
    # the ORM's per-row processing.
    rows = db.session.connection().execute(statement).all()
    if not rows:
        return pd.DataFrame([], columns=columns)
    data: dict[str, Any] = {}
    by_column = zip(*[tuple(row) for row in rows], strict=True)
    for name, values in zip(columns, by_column, strict=True):
        # A column holds one SQL type: whole numbers (ids, counts, sums) become 64-bit
        # integers, exactly; text, dates, and numbers some rows lack (None) stay as they came.
        column = None
        if type(values[0]) is int:
            with contextlib.suppress(TypeError, OverflowError):
                column = np.array(values, dtype=np.int64)
        data[name] = np.array(values, dtype=object) if column is None else column
    return pd.DataFrame(data, copy=False)


def _sum(column: Any) -> sa.ColumnElement[int]:
    """SUM as a 64-bit integer: PostgreSQL sums BIGINT into NUMERIC, which the driver hands over
    as one Decimal per value, several times slower to read and convert than integers."""
    return sa.cast(sa.func.sum(column), sa.BigInteger)


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
    counts = [DAYS_FIELDS[f] for f in VALUE_FIELDS]
    months = whole_months(scope.start, scope.end)
    parts: list[sa.Select[Any]] = []
    if months is not None:
        parts.append(
            sa.select(
                MetricRollup.campaign_id,
                MetricRollup.placement_id,
                month_text(MetricRollup.month).label("month"),
                MetricRollup.days,
                *(getattr(MetricRollup, f) for f in VALUE_FIELDS),
                *(getattr(MetricRollup, c) for c in counts),
            ).where(
                MetricRollup.campaign_id.in_(scoped_campaigns(scope)),
                MetricRollup.month.between(months[0], months[1]),
            )
        )
    month = month_text(DailyMetric.day)
    # One SELECT per edge: with the two ranges OR-ed in one, SQLite stops searching
    # (campaign_id, day) per campaign of the organization and skip-scans every campaign.
    for first, last in _edge_days(scope.start, scope.end, months):
        parts.append(
            sa.select(  # type: ignore[arg-type]  # a TypeVarTuple mypy cannot widen
                DailyMetric.campaign_id,
                DailyMetric.placement_id,
                month.label("month"),
                sa.func.count().label("days"),
                *(_sum(getattr(DailyMetric, f)).label(f) for f in VALUE_FIELDS),
                *(
                    sa.func.count(getattr(DailyMetric, f)).label(DAYS_FIELDS[f])
                    for f in VALUE_FIELDS
                ),
            )
            .where(
                DailyMetric.campaign_id.in_(scoped_campaigns(scope)),
                DailyMetric.day.between(first, last),
            )
            .group_by(DailyMetric.campaign_id, DailyMetric.placement_id, month)
        )
    # The parts cover different months, so each (placement, month) comes from one. The
    # placements are joined once, to the parts' few rows: joined in each part, PostgreSQL
    # hashes every placement of every company once per part.
    sums = (sa.union_all(*parts) if len(parts) > 1 else parts[0]).subquery("cells")
    statement = sa.select(
        sums.c.campaign_id,
        sums.c.placement_id,
        Placement.channel,
        sums.c.month,
        *(sums.c[name] for name in ("days", *VALUE_FIELDS, *counts)),
    ).join(Placement, Placement.id == sums.c.placement_id)
    if scope.channel:
        statement = statement.where(Placement.channel == scope.channel)
    columns = ["campaign_id", "placement_id", "channel", "month", "days", *VALUE_FIELDS, *counts]
    frame = _frame(statement, columns)
    for name in ("days", *VALUE_FIELDS, *counts):
        frame[name] = frame[name].fillna(0).astype("int64")
    return frame


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
    or disputed version counts nowhere. Claims lying within one month of the period are
    summed in SQL; the few crossing a month or the period's edge are split exactly here."""
    base = (
        sa.select()
        .select_from(ClaimVersion)
        .join(Claim, Claim.id == ClaimVersion.claim_id)
        .join(Placement, Placement.id == Claim.placement_id)
        .where(
            Claim.campaign_id.in_(scoped_campaigns(scope)),
            ClaimVersion.service_from <= scope.end,
            ClaimVersion.service_to >= scope.start,
            spend.counts_as_spend(),
        )
    )
    if scope.channel:
        base = base.where(Placement.channel == scope.channel)
    inside = sa.and_(
        ClaimVersion.service_from >= scope.start,
        ClaimVersion.service_to <= scope.end,
        month_text(ClaimVersion.service_from) == month_text(ClaimVersion.service_to),
    )
    month = month_text(ClaimVersion.service_from)
    whole = base.add_columns(
        Claim.campaign_id,
        Claim.placement_id,
        Placement.channel,
        month.label("month"),
        _sum(ClaimVersion.amount_minor),
    ).where(inside)
    rows = [
        tuple(row)
        for row in db.session.connection()
        .execute(whole.group_by(Claim.campaign_id, Claim.placement_id, Placement.channel, month))
        .all()
    ]
    crossing = base.add_columns(
        Claim.campaign_id,
        Claim.placement_id,
        Placement.channel,
        ClaimVersion.amount_minor,
        ClaimVersion.service_from,
        ClaimVersion.service_to,
    ).where(~inside)
    for campaign_id, placement_id, channel, amount, start, end in db.session.execute(
        crossing
    ).all():
        first = max(start, scope.start)
        last = min(end, scope.end)
        while first <= last:
            share = spend.portion(int(amount), start, end, first, min(_month_end(first), last))
            rows.append((campaign_id, placement_id, channel, first.strftime("%Y-%m"), share))
            first = _next_month(first)
    columns = ["campaign_id", "placement_id", "channel", "month", "campaign_spend_minor"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["campaign_spend_minor"] = frame["campaign_spend_minor"].fillna(0).astype("int64")
    return frame.groupby(columns[:4], as_index=False, sort=False)["campaign_spend_minor"].sum()


def campaigns_and_parties(scope: Scope) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The scoped campaigns, and every party of them with its shares and name: one statement,
    a row per party carrying its campaign's columns."""
    statement = (
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
        .where(CampaignParty.campaign_id.in_(scoped_campaigns(scope)))
        .order_by(CampaignParty.campaign_id, CampaignParty.organization_id)
    )
    campaign_columns = ["campaign_id", "kind", "name", "currency", "status"]
    party_columns = ["campaign_id", "organization_id", "budget_share_bp", "revenue_share_bp"]
    rows = _frame(statement, [*campaign_columns, *party_columns[1:], "party"])
    first = ~rows["campaign_id"].duplicated().to_numpy()
    campaigns = rows.loc[first, campaign_columns].reset_index(drop=True)
    parties = rows[[*party_columns, "party"]].rename(columns={"party": "name"})
    return campaigns, parties
