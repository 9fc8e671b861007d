"""Benchmark: the ROI dashboard's computation against a bare SQL GROUP BY of the raw days.

    .venv/bin/python bench/reports.py [--rows 1000000] [--repeat 5] [--database-url URL]

Builds a fresh database through the real migrations (SQLite in a temporary folder, or a
throwaway database on the PostgreSQL server of ``--database-url`` / ``DATABASE_URL``, created
here and dropped afterwards) holding 200 organizations, 10,000 campaigns (half joint, with two
parties and their budget and revenue shares; half solo; a tenth in USD), two placements per
campaign on 8 channels, ``--rows`` daily metric rows spread over two years, the ledger (a
commitment per party, an expense per placement and month, 1 % of them reversed) with a claim
per expense (spend comes from claims since issue 14: one version paying for the placement's
days in that month, confirmed by the other party of a joint campaign; the reversed 1 %
withdrawn) and the monthly rollup of the days, and the claim versions counting as spend.

The rows go in by bulk insert (executemany on SQLite, COPY on PostgreSQL), not through the
per-write services, and the rollup is filled by one INSERT ... SELECT ... GROUP BY over the days
(as migration 0006 backfills it), not by the services' per-write upkeep: it holds the same sums,
and the property test in tests/metrics/test_rollup.py proves the upkeep keeps it so; the claim
versions counting as spend (``counted_spend``) likewise by one INSERT ... SELECT of the
condition (as migration 0033 fills it; tests/unit/test_counted_spend.py holds the
upkeep to it).

Then, for the organization with the most campaigns and two periods (twelve whole months; twelve
months cutting a month at both ends), it times in the same process, alternating, after one
untimed warm-up round:

* dashboard: ``reports.services.dashboard(actor, period)`` in an app context (its SQL, every
  DataFrame step and the campaign-level bootstrap of both multipliers and the ROI comparison, as
  the page and the API call it) followed by ``reports.headline.for_board`` (the headline tiles
  and the reading): the dashboard's figures (``ratio``); then, timed apart,
  ``reports.tables.all_tables`` of its result (every table the page shows, with its notes),
  printed as "with the page's tables": the page's whole work up to the template;
* bare: one SQL GROUP BY over the raw daily_metrics table giving the headline figures (sums of
  impressions, reach, clicks, leads, conversions and revenue per currency and kind of the
  organization's campaigns in the period);

checks that both give the same figures and that the dashboard is a real page (spend on both
sides, both multipliers and the ROI comparison with their intervals: it stops otherwise, so
it cannot time a page without spend again), and prints their medians and ``ratio: N`` (dashboard /
bare). Targets (issue 16): ratio at most 1.5 on PostgreSQL at 1,000,000 rows; at most 1.0 on
SQLite at 1,000,000 and 10,000,000 rows.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import re
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

ORGANIZATIONS = 200
CAMPAIGNS = 10_000
CHANNELS = ("email", "social", "search", "display", "packaging", "retail", "event", "webinar")
FIRST_DAY = date(2025, 1, 1)
DAYS = 730  # 2025-01-01 to 2026-12-31
JOINT_SHARE = 0.5
USD_SHARE = 0.1
REVERSED_SHARE = 0.01
# Campaign parties per organization fall off as 1 / rank ** SKEW: organization 1 takes part in
# about a sixth of all campaigns, the smallest ones in a handful.
SKEW = 0.8
SHARES_BP = (3_000, 4_000, 5_000, 6_000, 6_667, 7_000)
EMAIL_DOMAIN = "bench.example.com"
CHUNK = 200_000
PERIODS = (
    ("twelve whole months", date(2026, 1, 1), date(2026, 12, 31)),
    ("twelve months cutting a month at both ends", date(2025, 7, 16), date(2026, 7, 15)),
)

DAILY_COLUMNS = (
    "placement_id",
    "day",
    "campaign_id",
    "impressions",
    "reach",
    "clicks",
    "leads",
    "conversions_hundredths",
    "revenue_minor",
    "cost_minor",
    "currency",
    "import_id",
    "updated_at",
)

BARE_SQL = """
SELECT c.currency, c.kind,
       sum(d.impressions), sum(d.reach), sum(d.clicks), sum(d.leads),
       sum(d.conversions_hundredths),
       sum(d.revenue_minor)
FROM daily_metrics AS d
JOIN campaigns AS c ON c.id = d.campaign_id
WHERE d.campaign_id IN (SELECT campaign_id FROM campaign_parties WHERE organization_id = :org)
  AND d.day BETWEEN :start AND :end
GROUP BY c.currency, c.kind
"""
HEADLINE = ("impressions", "reach", "clicks", "leads", "conversions_hundredths", "revenue")

from lib.database import database  # noqa: E402 - bench/ is the script's folder

# ---------------------------------------------------------------------------------------------
# The database


def app_config(database_url: str) -> dict[str, Any]:
    """Test-like settings (as tests/conftest.py)."""
    return {
        "TESTING": True,
        "ENV_NAME": "testing",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "PUBLIC_URL": "http://localhost",
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_KEY_PREFIX": f"bench-{uuid.uuid4().hex}",
        "MAIL_SERVER": None,
    }


def migrate(database_url: str) -> None:
    from flask_migrate import upgrade

    from comarketing import create_app
    from comarketing.extensions import db

    app = create_app(app_config(database_url))
    with app.app_context():
        upgrade()
        db.session.remove()
        db.engine.dispose()


# ---------------------------------------------------------------------------------------------
# The data set


@dataclass
class DataSet:
    """Who runs which campaign with which placements on which days; ids count from 1."""

    rows: int
    # per campaign (index = id - 1)
    joint: np.ndarray
    owner: np.ndarray
    partner: np.ndarray  # 0 for solo campaigns
    owner_budget_bp: np.ndarray
    owner_revenue_bp: np.ndarray
    usd: np.ndarray
    first: np.ndarray  # day offset of the campaign's first day
    length: int  # days every campaign runs
    budget_minor: np.ndarray
    # per placement (index = id - 1)
    placement_campaign: np.ndarray
    placement_owner: np.ndarray
    placement_channel: np.ndarray
    placement_days: np.ndarray  # how many daily rows, from the campaign's first day

    @property
    def placements(self) -> int:
        return len(self.placement_campaign)


def plan(rows: int, seed: int = 6) -> DataSet:
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, ORGANIZATIONS + 1) ** SKEW
    weights /= weights.sum()
    owner = rng.choice(ORGANIZATIONS, CAMPAIGNS, p=weights) + 1
    joint = rng.random(CAMPAIGNS) < JOINT_SHARE
    partner = np.where(joint, rng.choice(ORGANIZATIONS, CAMPAIGNS, p=weights) + 1, 0)
    while (clash := joint & (partner == owner)).any():
        partner[clash] = rng.choice(ORGANIZATIONS, int(clash.sum()), p=weights) + 1
    owner_budget_bp = np.where(joint, rng.choice(SHARES_BP, CAMPAIGNS), 10_000)
    owner_revenue_bp = np.where(joint, rng.choice(SHARES_BP, CAMPAIGNS), 10_000)
    # Two placements a campaign, more only when the days would not fit in two years.
    per_campaign = max(2, math.ceil(rows / (CAMPAIGNS * DAYS)))
    placements = CAMPAIGNS * per_campaign
    base, extra = divmod(rows, placements)
    length = max(1, base + (1 if extra else 0))
    placement_days = np.full(placements, base, dtype=np.int64)
    placement_days[:extra] += 1
    placement_campaign = np.repeat(np.arange(1, CAMPAIGNS + 1), per_campaign)
    # Joint campaigns: the parties take turns running the placements.
    turn = np.tile(np.arange(per_campaign), CAMPAIGNS) % 2 == 1
    index = placement_campaign - 1
    placement_owner = np.where(joint[index] & turn, partner[index], owner[index])
    return DataSet(
        rows=rows,
        joint=joint,
        owner=owner,
        partner=partner,
        owner_budget_bp=owner_budget_bp,
        owner_revenue_bp=owner_revenue_bp,
        usd=rng.random(CAMPAIGNS) < USD_SHARE,
        first=rng.integers(0, DAYS - length + 1, CAMPAIGNS),
        length=length,
        budget_minor=rng.integers(1_000_000, 50_000_000, CAMPAIGNS),
        placement_campaign=placement_campaign,
        placement_owner=placement_owner,
        placement_channel=rng.integers(0, len(CHANNELS), placements),
        placement_days=placement_days,
    )


class Writer:
    """Bulk inserts on one raw driver connection: executemany on SQLite, COPY on PostgreSQL.
    Values are ints, None and strings in the form each backend stores dates and times."""

    def __init__(self, engine: sa.Engine) -> None:
        self.postgres = engine.dialect.name == "postgresql"
        self.raw = engine.raw_connection()
        driver = self.raw.driver_connection
        assert driver is not None
        self.driver: Any = driver
        if not self.postgres:
            # The build only: nothing to protect from a crash of a throwaway file.
            self.driver.execute("PRAGMA synchronous = OFF")
            self.driver.execute("PRAGMA cache_size = -500000")

    def timestamp(self, day: date) -> str:
        return f"{day.isoformat()} 06:00:00" + ("+00" if self.postgres else ".000000")

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        names = ", ".join(columns)
        if self.postgres:
            with (
                self.driver.cursor() as cursor,
                cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(columns))
            self.driver.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)

    def execute(self, sql: str) -> None:
        with contextlib.closing(self.driver.cursor()) as cursor:
            cursor.execute(sql)

    def commit(self) -> None:
        self.driver.commit()

    def close(self) -> None:
        self.raw.close()


def day_strings() -> list[str]:
    return [(FIRST_DAY + timedelta(days=n)).isoformat() for n in range(DAYS)]


def write_setup(writer: Writer, data: DataSet) -> None:
    """Organizations, one analyst each, campaigns, parties and placements."""
    days = day_strings()
    stamp = writer.timestamp(FIRST_DAY)
    writer.insert(
        "organizations",
        ("id", "name", "name_folded", "slug", "review_business_days", "created_at"),
        (
            (
                n,
                f"Bench company {n:03d}",
                f"bench company {n:03d}",
                f"bench-company-{n:03d}",
                2,
                stamp,
            )
            for n in range(1, ORGANIZATIONS + 1)
        ),
    )
    writer.insert(
        "users",
        ("id", "organization_id", "email", "name", "password_hash", "role", "active",
         "session_token", "created_at"),
        (
            (n, n, f"analyst{n:03d}@{EMAIL_DOMAIN}", f"Analyst {n:03d}", "!unusable",
             "analyst", True, secrets.token_urlsafe(32), stamp)
            for n in range(1, ORGANIZATIONS + 1)
        ),
    )  # fmt: skip
    currency = np.where(data.usd, "USD", "EUR").tolist()
    writer.insert(
        "campaigns",
        ("id", "kind", "organization_id", "offer_id", "name", "description", "status",
         "start_date", "end_date", "currency", "total_budget_minor", "created_at",
         "spend_alert_level"),
        (
            (c + 1, "joint" if data.joint[c] else "solo", int(data.owner[c]), None,
             f"Campaign {c + 1:05d}", "", "active", days[int(data.first[c])],
             days[int(data.first[c]) + data.length - 1], currency[c], int(data.budget_minor[c]),
             stamp, 0)
            for c in range(CAMPAIGNS)
        ),
    )  # fmt: skip
    parties = []
    for c in range(CAMPAIGNS):
        owner_budget, owner_revenue = int(data.owner_budget_bp[c]), int(data.owner_revenue_bp[c])
        parties.append((c + 1, int(data.owner[c]), owner_budget, owner_revenue))
        if data.joint[c]:
            parties.append(
                (c + 1, int(data.partner[c]), 10_000 - owner_budget, 10_000 - owner_revenue)
            )
    writer.insert(
        "campaign_parties",
        ("campaign_id", "organization_id", "budget_share_bp", "revenue_share_bp"),
        parties,
    )
    writer.insert(
        "placements",
        ("id", "campaign_id", "owner_organization_id", "channel", "name", "url", "start_date",
         "end_date", "planned_cost_minor", "audience_size", "created_at"),
        (
            (p + 1, int(data.placement_campaign[p]), int(data.placement_owner[p]),
             CHANNELS[int(data.placement_channel[p])], f"Placement {p + 1:05d}", "",
             days[int(data.first[data.placement_campaign[p] - 1])],
             days[int(data.first[data.placement_campaign[p] - 1]) + data.length - 1],
             100_000, None, stamp)
            for p in range(data.placements)
        ),
    )  # fmt: skip


def write_days(writer: Writer, data: DataSet, seed: int = 7) -> None:
    """``data.rows`` daily rows, placement by placement, each from its campaign's first day."""
    rng = np.random.default_rng(seed)
    days = np.array(day_strings(), dtype=object)
    currency = np.where(data.usd, "USD", "EUR").astype(object)
    updated = writer.timestamp(FIRST_DAY + timedelta(days=DAYS))
    ends = np.cumsum(data.placement_days)
    first_placement = 0
    while first_placement < data.placements:
        # Whole placements, about CHUNK rows at a time.
        done_before = int(ends[first_placement - 1]) if first_placement else 0
        last = int(np.searchsorted(ends, done_before + CHUNK, side="right"))
        last = max(last, first_placement + 1)
        counts = data.placement_days[first_placement:last]
        n = int(counts.sum())
        ids = np.arange(first_placement + 1, last + 1)
        placement = np.repeat(ids, counts)
        campaign = data.placement_campaign[placement - 1]
        starts = np.repeat(np.cumsum(counts) - counts, counts)
        offset = data.first[campaign - 1] + (np.arange(n) - starts)
        impressions = rng.integers(0, 200_000, n)
        reach = (impressions * rng.uniform(0.3, 1.0, n)).astype(np.int64)
        columns = (
            placement.tolist(),
            days[offset].tolist(),
            campaign.tolist(),
            impressions.tolist(),
            reach.tolist(),
            rng.integers(0, 3_000, n).tolist(),
            rng.integers(0, 120, n).tolist(),
            rng.integers(0, 40, n).tolist(),
            rng.integers(0, 500_000, n).tolist(),
            rng.integers(0, 150_000, n).tolist(),
            currency[campaign - 1].tolist(),
            [None] * n,
            [updated] * n,
        )
        writer.insert("daily_metrics", DAILY_COLUMNS, zip(*columns, strict=True))
        first_placement = last


def write_ledger(writer: Writer, data: DataSet, seed: int = 8) -> tuple[int, int]:
    """A commitment per party; an expense per placement and month it ran, each with its claim
    (spend comes from claims, issue 14): one version paying for the placement's days in that
    month, confirmed by the other party of a joint campaign; 1 % of the expenses reversed
    (their claims withdrawn: no spend). Returns the numbers of entries and of claims."""
    rng = np.random.default_rng(seed)
    days = day_strings()
    stamp = writer.timestamp(FIRST_DAY)
    month_of = [(FIRST_DAY + timedelta(days=n)).strftime("%Y-%m") for n in range(DAYS)]
    entries: list[tuple[Any, ...]] = []
    claims: list[tuple[Any, ...]] = []
    versions: list[tuple[Any, ...]] = []
    responses: list[tuple[Any, ...]] = []

    def entry(campaign: int, org: int, kind: str, amount: int, placement: int | None,
              reverses: int | None, day: int) -> int:  # fmt: skip
        number = len(entries) + 1
        currency = "USD" if data.usd[campaign - 1] else "EUR"
        entries.append(
            (number, campaign, org, kind, amount, currency, placement, reverses, "",
             days[day], None, None, stamp, "manual")
        )  # fmt: skip
        return number

    def claim(campaign: int, org: int, placement: int, amount: int, expense: int,
              first: int, last: int) -> None:  # fmt: skip
        number = len(claims) + 1
        joint = bool(data.joint[campaign - 1])
        claims.append((number, campaign, org, placement, "manual", None, stamp))
        due = writer.timestamp(FIRST_DAY + timedelta(days=3)) if joint else None
        versions.append(
            (number, number, 1, amount, "USD" if data.usd[campaign - 1] else "EUR", days[first],
             days[last], days[first], "", expense, None, due, None, stamp)
        )  # fmt: skip
        if joint:
            other = data.partner if org == data.owner[campaign - 1] else data.owner
            party = int(other[campaign - 1])
            responses.append((len(responses) + 1, number, party, party, "confirmed", "", stamp))

    for c in range(CAMPAIGNS):
        budget, first = int(data.budget_minor[c]), int(data.first[c])
        own = budget * int(data.owner_budget_bp[c]) // 10_000
        entry(c + 1, int(data.owner[c]), "commitment", max(own, 1), None, None, first)
        if data.joint[c]:
            entry(c + 1, int(data.partner[c]), "commitment", max(budget - own, 1), None, None,
                  first)  # fmt: skip
    amounts = rng.integers(10_000, 2_000_000, data.placements * 30)
    reversed_ = rng.random(data.placements * 30) < REVERSED_SHARE
    drawn = 0
    for p in range(data.placements):
        campaign = int(data.placement_campaign[p])
        first = int(data.first[campaign - 1])
        ran = range(first, first + int(data.placement_days[p]))
        # The placement's days in each month it ran: (first, last) by month.
        months: dict[str, list[int]] = {}
        for day in ran:
            months.setdefault(month_of[day], [day, day])[1] = day
        for start, end in months.values():
            amount = int(amounts[drawn % len(amounts)])
            org = int(data.placement_owner[p])
            expense = entry(campaign, org, "expense", amount, p + 1, None, start)
            claim(campaign, org, p + 1, amount, expense, start, end)
            if reversed_[drawn % len(reversed_)]:
                entry(campaign, org, "reversal", amount, p + 1, expense, start)
            drawn += 1
    writer.insert(
        "ledger_entries",
        ("id", "campaign_id", "organization_id", "kind", "amount_minor", "currency",
         "placement_id", "reverses_id", "note", "occurred_on", "override_reason",
         "created_by_id", "created_at", "source"),
        entries,
    )  # fmt: skip
    writer.insert(
        "claims",
        ("id", "campaign_id", "organization_id", "placement_id", "source", "created_by_id",
         "created_at"),
        claims,
    )  # fmt: skip
    writer.insert(
        "claim_versions",
        ("id", "claim_id", "number", "amount_minor", "currency", "service_from", "service_to",
         "paid_on", "note", "ledger_entry_id", "metric_import_id", "confirm_due_at",
         "created_by_id", "created_at"),
        versions,
    )  # fmt: skip
    writer.insert(
        "claim_responses",
        ("id", "claim_version_id", "organization_id", "user_id", "kind", "reason", "created_at"),
        responses,
    )
    return len(entries), len(claims)


def fill_rollup(writer: Writer) -> None:
    """The monthly rollup of every day, by one INSERT ... SELECT ... GROUP BY (migration 0006's
    backfill)."""
    month = "date_trunc('month', day)::date" if writer.postgres else "date(day, 'start of month')"
    writer.execute(
        "INSERT INTO metric_rollups (placement_id, month, campaign_id, days, impressions, reach, "
        "clicks, leads, conversions_hundredths, revenue_minor, cost_minor, impressions_days, "
        "reach_days, clicks_days, leads_days, conversions_days, revenue_days, cost_days) "
        f"SELECT placement_id, {month}, campaign_id, count(*), sum(impressions), sum(reach), "
        "sum(clicks), sum(leads), sum(conversions_hundredths), sum(revenue_minor), "
        "sum(cost_minor), count(impressions), count(reach), count(clicks), count(leads), "
        "count(conversions_hundredths), count(revenue_minor), count(cost_minor) "
        f"FROM daily_metrics GROUP BY placement_id, {month}, campaign_id"
    )


def fill_counted_spend(writer: Writer, engine: sa.Engine) -> None:
    """The claim versions counting as spend (table ``counted_spend``), from the condition by
    one INSERT ... SELECT (as migration 0033 fills it), not by the services' upkeep."""
    from comarketing.budgets.counted import fill_statement

    compiled = fill_statement().compile(
        dialect=engine.dialect, compile_kwargs={"literal_binds": True}
    )
    writer.execute(str(compiled))


def build(database_url: str, data: DataSet) -> dict[str, float]:
    """Fill the migrated database; returns the seconds each step took and the entry count."""
    engine = sa.create_engine(database_url)
    writer = Writer(engine)
    took: dict[str, float] = {}
    try:
        started = time.perf_counter()
        write_setup(writer, data)
        writer.commit()
        took["setup"] = time.perf_counter() - started
        started = time.perf_counter()
        write_days(writer, data)
        writer.commit()
        took["days"] = time.perf_counter() - started
        started = time.perf_counter()
        took["entries"], took["claims"] = write_ledger(writer, data)
        writer.commit()
        took["ledger"] = time.perf_counter() - started
        started = time.perf_counter()
        fill_rollup(writer)
        fill_counted_spend(writer, engine)
        writer.commit()
        took["rollup"] = time.perf_counter() - started
        if writer.postgres:
            # The ids were given: move the sequences past them, as the app would find them.
            tables = ("organizations", "users", "campaigns", "placements", "ledger_entries",
                      "claims", "claim_versions", "claim_responses")  # fmt: skip
            for table in tables:
                writer.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            writer.commit()
    finally:
        writer.close()
    started = time.perf_counter()
    # Fresh planner statistics, as autovacuum (PostgreSQL) or PRAGMA optimize (SQLite) keep;
    # on PostgreSQL also the visibility map autovacuum keeps for rows long written (without
    # it an index-only scan visits the table for every row, and when autovacuum happened to
    # run during the measurement the figures moved with it).
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE" if conn.dialect.name == "postgresql" else "ANALYZE"))
    took["analyze"] = time.perf_counter() - started
    engine.dispose()
    return took


# ---------------------------------------------------------------------------------------------
# The measurements


@dataclass
class Result:
    label: str
    start: date
    end: date
    rows_in_period: int
    dashboard: list[float]
    tables: list[float]
    bare: list[float]
    same_figures: bool
    difference: str
    plan: list[str]


def bound(sql: str) -> sa.TextClause:
    """``sql`` with typed :org, :start and :end parameters."""
    return sa.text(sql).bindparams(
        sa.bindparam("org", type_=sa.Integer()),
        sa.bindparam("start", type_=sa.Date()),
        sa.bindparam("end", type_=sa.Date()),
    )


def headline_of_dashboard(board: Any) -> dict[tuple[str, str], tuple[int, ...]]:
    """The campaigns' sums per currency and kind from the dashboard's cells (its own share of
    revenue is on the page; the campaigns' whole revenue is what the bare query sums)."""
    cells = board.cells
    if cells.empty:
        return {}
    columns = [*HEADLINE[:-1], "campaign_revenue_minor"]
    sums = cells.groupby(["currency", "kind"])[columns].sum()
    return {
        (str(currency), str(kind)): tuple(int(v) for v in row)
        for (currency, kind), row in zip(sums.index, sums.to_numpy().tolist(), strict=True)
    }


def emptiness(board: Any) -> list[str]:
    """What the measured dashboard lacks of a real page: spend on both sides, both multipliers
    and their intervals in every currency (empty when nothing is). Without claims the page is
    a page without spend: no multiplier, no bootstrap -- the bench must not time that."""
    gaps = [] if board.comparisons else ["no currency compared"]
    for comparison in board.comparisons:
        currency = comparison.currency
        for side in ("joint", "solo"):
            if getattr(comparison, side).spend_minor <= 0:
                gaps.append(f"{currency}: no {side} spend")
        measured = comparison.measured
        for name in ("on_your_spend", "on_whole_spend", "roi"):
            compared = getattr(measured, name)
            if compared.value is None or compared.interval is None:
                gaps.append(f"{currency}: {name} has no value or no interval")
    return gaps


def query_plan(conn: sa.Connection, params: dict[str, Any]) -> list[str]:
    """How the database runs the bare query (whether it scans or searches an index), briefly."""
    if conn.dialect.name == "postgresql":
        lines = [row[0] for row in conn.execute(bound("EXPLAIN " + BARE_SQL), params)]
        return [re.sub(r"\s*\(cost=[^)]*\)", "", line).strip(" ->") for line in lines]
    return [row[3] for row in conn.execute(bound("EXPLAIN QUERY PLAN " + BARE_SQL), params)]


def measure(database_url: str, org: int, repeat: int) -> list[Result]:
    from comarketing import create_app
    from comarketing.accounts.models import User
    from comarketing.context import Actor
    from comarketing.extensions import db
    from comarketing.reports import headline, services, tables

    app = create_app(app_config(database_url))
    results = []
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.organization_id == org))
        assert user is not None
        actor = Actor(user)
        db.session.remove()
        bare = bound(BARE_SQL)
        for label, start, end in PERIODS:
            period = services.Period(start, end)
            params = {"org": org, "start": start, "end": end}
            count = db.session.scalar(
                bound(
                    "SELECT count(*) FROM daily_metrics WHERE campaign_id IN (SELECT campaign_id "
                    "FROM campaign_parties WHERE organization_id = :org) "
                    "AND day BETWEEN :start AND :end"
                ),
                params,
            )
            plan = query_plan(db.session.connection(), params)
            db.session.remove()
            dashboard_times: list[float] = []
            table_times: list[float] = []
            bare_times: list[float] = []
            board: Any = None
            rows: Sequence[Any] = []
            for round_ in range(repeat + 1):  # round 0 warms the caches and is not counted
                started = time.perf_counter()
                board = services.dashboard(actor, period)
                headline.for_board(board)
                took = time.perf_counter() - started
                started = time.perf_counter()
                tables.all_tables(board)
                took_tables = time.perf_counter() - started
                db.session.remove()  # the end of a request
                if round_:
                    dashboard_times.append(took)
                    table_times.append(took_tables)
                started = time.perf_counter()
                rows = db.session.execute(bare, params).all()
                took = time.perf_counter() - started
                db.session.remove()
                if round_:
                    bare_times.append(took)
            gaps = emptiness(board)
            if gaps:  # not an assert: it must hold under python -O too
                raise SystemExit(f"bench: the measured dashboard is not a real page: {gaps}")
            ours = headline_of_dashboard(board)
            theirs = {(str(r[0]), str(r[1])): tuple(int(v) for v in r[2:]) for r in rows}
            difference = "" if ours == theirs else f"dashboard {ours} / bare {theirs}"
            results.append(
                Result(
                    label=label,
                    start=start,
                    end=end,
                    rows_in_period=int(count or 0),
                    dashboard=dashboard_times,
                    tables=table_times,
                    bare=bare_times,
                    same_figures=ours == theirs,
                    difference=difference,
                    plan=plan,
                )
            )
        db.engine.dispose()
    return results


# ---------------------------------------------------------------------------------------------
# The report


def seconds(values: list[float]) -> str:
    each = ", ".join(f"{v:.3f}" for v in values)
    return f"{statistics.median(values):7.3f} s  runs: {each}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="daily metric rows")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each query")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL") or None,
        help="a PostgreSQL server URL (default: $DATABASE_URL when it is one): the benchmark "
        "creates and drops a database on it; otherwise SQLite in a temporary folder",
    )
    args = parser.parse_args(argv)
    if args.rows < 1 or args.repeat < 1:
        parser.error("--rows and --repeat must be at least 1")
    server = args.database_url
    if server and not re.match(r"^postgres(ql)?(\+psycopg)?://", server):
        if "--database-url" in (argv if argv is not None else sys.argv):
            parser.error("--database-url must be a PostgreSQL URL")
        server = None  # a SQLite DATABASE_URL (the app's own file): never write into it

    data = plan(args.rows)
    org = 1
    mine = (data.owner == org) | (data.partner == org)
    joint_mine = int((mine & data.joint).sum())
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress as it goes
    with (
        tempfile.TemporaryDirectory(prefix="comarketing-bench-") as tmp,
        database(server, Path(tmp)) as url,
    ):
        started = time.perf_counter()
        migrate(url)
        took = build(url, data)
        total = time.perf_counter() - started
        backend = sa.make_url(url).get_backend_name()
        print(
            f"reports: {args.rows:,} daily rows, {CAMPAIGNS:,} campaigns "
            f"({int(data.joint.sum()):,} joint), {data.placements:,} placements on "
            f"{len(CHANNELS)} channels, {ORGANIZATIONS} organizations, "
            f"{FIRST_DAY} to {FIRST_DAY + timedelta(days=DAYS - 1)}, "
            f"{int(took['entries']):,} ledger entries, {int(took['claims']):,} claims; "
            f"{backend}, median of {args.repeat}"
        )
        print(
            f"build {total:.1f} s (days {took['days']:.1f} s, ledger {took['ledger']:.1f} s, "
            f"rollup {took['rollup']:.1f} s, analyze {took['analyze']:.1f} s): bulk inserts, "
            "and the rollup filled by one INSERT ... SELECT ... GROUP BY over the days "
            "(as migration 0006's backfill), not through the per-write services"
        )
        print(
            f"organization {org}: party to {int(mine.sum()):,} campaigns "
            f"({joint_mine:,} joint, {int(mine.sum()) - joint_mine:,} solo)"
        )
        results = measure(url, org, args.repeat)
    failed = False
    for result in results:
        dash = statistics.median(result.dashboard)
        bare = statistics.median(result.bare)
        print(
            f"\n{result.start} to {result.end} ({result.label}): "
            f"{result.rows_in_period:,} daily rows of the organization's campaigns"
        )
        print(f"  bare plan: {' | '.join(line.strip() for line in result.plan)}")
        print(f"  dashboard {seconds(result.dashboard)}")
        print(f"  bare      {seconds(result.bare)}")
        print(f"  same headline figures: {'yes' if result.same_figures else 'NO'}")
        if not result.same_figures:
            print(f"  {result.difference}")
            failed = True
        pairs = zip(result.dashboard, result.tables, strict=True)
        page = statistics.median([d + t for d, t in pairs])
        print(f"  + tables  {seconds(result.tables)}")
        print(f"  with the page's tables: {page / bare:.2f}")
        print(f"ratio: {dash / bare:.2f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
