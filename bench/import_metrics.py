"""Benchmark: importing a large results CSV, against the raw database driver and a bare
pandas + bulk-insert baseline.

    .venv/bin/python bench/import_metrics.py [--rows 1000000] [--repeat 3] [--database-url URL]

Builds a fresh database (SQLite in a temporary folder, or a throwaway database on the
PostgreSQL server of ``--database-url``), one company with a partner manager, a solo campaign
and its placements (20, or more when the rows would run past a campaign's five years: 556 at
1,000,000 rows), and a CSV in our own format with ``--rows`` unique (placement, day) rows,
date-major like the platforms' daily reports. Then, each in its own process so that the peak
memory belongs to one measurement, alternating within every round:

* import: ``uploads.upload`` + ``imports.confirm`` + ``runs.run_import`` into the
  empty daily_metrics table (the real path: checks, rollup and upsert included);
* driver: the raw driver loading the same file into an empty table of the same columns, no
  index, in one transaction: SQLite ``sqlite3`` ``executemany`` of the rows as the ``csv``
  module reads them; PostgreSQL ``COPY … FROM STDIN (FORMAT csv)`` of the file (psycopg 3's
  ``cursor.copy``, 1 MiB blocks);
* driver + table: the driver's load, then one ``INSERT … SELECT`` of its rows into the empty
  daily_metrics table (names matched to placements, money to minor units, in primary-key
  order): the floor of any import into the real table, its keys, index and foreign keys
  checked, none of the import's own checks, rollup or history;
* baseline: ``pandas.read_csv`` of the same file and one SQLAlchemy Core insert (an
  executemany in one transaction) of all its rows into that table.

It prints the median time, rows/s and peak memory of each over ``--repeat`` runs, the peak
memory of the import at a quarter of the rows and at all of them (chunked reading: it should
not grow with the file), ``ratio: import / driver rows/s`` (target: at least 0.40),
``ratio: import / driver into daily_metrics rows/s`` (no target: how much of the gap is the
table's own work) and ``ratio: import / baseline time`` (the earlier measure).

Peak memory is the child's ``ru_maxrss`` (the resident set size the operating system sees,
including pandas' C parser and SQLite's page cache, which tracemalloc would miss; tracemalloc
would also slow the run several times over). "growth" is that peak minus the resident size
just before the measured work started (interpreter, Flask app and pandas already loaded).
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

PLACEMENTS = 20  # at least; more when the days would run past a campaign's five years
MAX_DAYS = 1800  # a campaign lasts at most five years (comarketing.dates_allowed)
START = date(2000, 1, 1)
BASELINE_TABLE = "bench_baseline"
HEADER = "date,placement,impressions,reach,clicks,leads,conversions,revenue,cost"
EMAIL = "bench@example.com"

from lib.database import database  # noqa: E402 - bench/ is the script's folder

# ---------------------------------------------------------------------------------------------
# The database


def app_config(database_url: str, upload_dir: str) -> dict[str, Any]:
    """Test-like settings (as tests/conftest.py), with the import run inline."""
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
        "METRICS_UPLOAD_DIR": upload_dir,
        # The synthetic days run from 2000 for rows / 20 placements days (past today at a
        # million rows): the future-day check is pinned beyond them.
        "METRICS_LATEST_DAY": "2199-12-31",
        # A million rows of our format is a little over the 50 MB a browser upload may send.
        "METRICS_UPLOAD_MAX_BYTES": 1024 * 1024 * 1024,
        # argon2id with small parameters: only one user is ever created.
        "PASSWORD_HASH_TIME_COST": 1,
        "PASSWORD_HASH_MEMORY_COST": 1024,
        "PASSWORD_HASH_PARALLELISM": 1,
    }


def shape(rows: int) -> tuple[int, int]:
    """(placements, days) of a file of ``rows`` rows: PLACEMENTS placements, or more when
    their days would run past MAX_DAYS (1,000,000 rows: 556 placements over 1,799 days)."""
    placements = max(PLACEMENTS, -(-rows // MAX_DAYS))
    return placements, -(-rows // placements)


def build_schema(database_url: str, upload_dir: str, placements_count: int, days: int) -> None:
    """Migrations to head, then a company, its partner manager, a solo campaign and
    ``placements_count`` placements running ``days`` days from START."""
    from flask_migrate import upgrade

    from comarketing import create_app
    from comarketing.accounts.models import Organization, User
    from comarketing.accounts.passwords import hash_password
    from comarketing.campaigns import lifecycle, placements
    from comarketing.context import Actor
    from comarketing.extensions import db
    from comarketing.policy import Role

    app = create_app(app_config(database_url, upload_dir))
    logging.getLogger("comarketing").setLevel(logging.WARNING)  # no audit line per placement
    with app.app_context():
        upgrade()
        org = Organization(name="Bench Flour", slug="bench-flour")
        db.session.add(org)
        db.session.flush()
        user = User(
            organization_id=org.id,
            email=EMAIL,
            name="Bench Manager",
            role=Role.PARTNER_MANAGER.value,
            password_hash=hash_password(secrets.token_urlsafe(16)),
        )
        db.session.add(user)
        db.session.commit()
        actor = Actor(user)
        end = START + timedelta(days=days - 1)
        campaign = lifecycle.create_solo_campaign(
            actor,
            lifecycle.CampaignInput(
                name="Bench campaign",
                description="",
                start_date=START,
                end_date=end,
                currency="EUR",
            ),
        )
        for number in range(1, placements_count + 1):
            placements.add_placement(
                actor,
                campaign.id,
                placements.PlacementInput(
                    channel="email",
                    owner_organization_id=org.id,
                    name=placement_name(number),
                    url="",
                    start_date=None,
                    end_date=None,
                    planned_cost_minor=10_000,
                ),
            )
        db.session.remove()
        db.engine.dispose()


def import_tables() -> list[str]:
    """Every table of the metrics package (days, history, rollup, mappings, imports), children
    first: what an import writes. The setup rows live elsewhere and stay. (Call it after
    create_app: the foreign keys need every package's models.)"""
    from comarketing.extensions import db
    from comarketing.metrics import models

    ours = {value.__table__.name for value in vars(models).values() if hasattr(value, "__table__")}
    return [t.name for t in reversed(db.metadata.sorted_tables) if t.name in ours]


def reset_tables(database_url: str, tables: list[str]) -> None:
    """Empty what an import writes and re-create the baseline table, so every run starts from
    the same empty tables."""
    engine = sa.create_engine(database_url)
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        if postgres:
            conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        else:
            for name in tables:
                conn.execute(sa.text(f"DELETE FROM {name}"))
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {BASELINE_TABLE}"))
        conn.execute(
            sa.text(
                f"CREATE TABLE {BASELINE_TABLE} (date VARCHAR(10), placement VARCHAR(200), "
                "impressions BIGINT, reach BIGINT, clicks BIGINT, leads BIGINT, "
                "conversions BIGINT, revenue DOUBLE PRECISION, cost DOUBLE PRECISION)"
            )
        )
    # Give the freed pages back, so a later run writes into the same kind of file as the first.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM" if not postgres else "VACUUM ANALYZE"))
    engine.dispose()


# ---------------------------------------------------------------------------------------------
# The file


def placement_name(number: int) -> str:
    return f"Placement {number:03d}"


def write_csv(path: Path, rows: int, placements: int, seed: int = 5) -> None:
    """Our own format, date-major like the platforms' daily reports: every placement on day 1,
    then day 2, ...; each (placement, day) once."""
    rng = np.random.default_rng(seed)
    block = 100_000
    names = np.array([placement_name(n) for n in range(1, placements + 1)], dtype=object)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER + "\n")
        for first in range(0, rows, block):
            index = np.arange(first, min(first + block, rows))
            n = len(index)
            offsets = index // placements
            names_of_days = [
                (START + timedelta(days=d)).isoformat()
                for d in range(int(offsets[0]), int(offsets[-1]) + 1)
            ]
            days = [names_of_days[d] for d in (offsets - offsets[0]).tolist()]
            impressions = rng.integers(0, 200_000, n)
            reach = (impressions * rng.uniform(0.3, 1.0, n)).astype(np.int64)
            clicks = rng.integers(0, 3_000, n)
            leads = rng.integers(0, 120, n)
            conversions = rng.integers(0, 40, n)
            revenue = rng.integers(0, 500_000, n)
            cost = rng.integers(0, 150_000, n)
            lines = [
                f"{d},{p},{i},{r},{c},{le},{cv},{rv // 100}.{rv % 100:02d},"
                f"{co // 100}.{co % 100:02d}\n"
                for d, p, i, r, c, le, cv, rv, co in zip(
                    days,
                    names[index % placements],
                    impressions.tolist(),
                    reach.tolist(),
                    clicks.tolist(),
                    leads.tolist(),
                    conversions.tolist(),
                    revenue.tolist(),
                    cost.tolist(),
                    strict=True,
                )
            ]
            out.writelines(lines)


# ---------------------------------------------------------------------------------------------
# The measurements (each runs in a child process)


def _rss_kib() -> int:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


def _peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def measure_import(database_url: str, upload_dir: str, path: Path) -> dict[str, Any]:
    import pandas  # noqa: F401  (loaded before the start line, as in a running web process)
    import sqlalchemy as sa

    from comarketing import create_app
    from comarketing.accounts.models import User
    from comarketing.campaigns.models import Campaign
    from comarketing.context import Actor
    from comarketing.extensions import db
    from comarketing.metrics import imports as metric_imports
    from comarketing.metrics import runs, uploads
    from comarketing.metrics.models import ImportStatus

    app = create_app(app_config(database_url, upload_dir))
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == EMAIL))
        assert user is not None
        actor = Actor(user)
        campaign_id = db.session.scalar(sa.select(Campaign.id))  # the one bench campaign
        assert campaign_id is not None
        db.session.commit()
        start_rss = _rss_kib()
        started = time.perf_counter()
        with path.open("rb") as stream:
            uploaded = uploads.upload(actor, stream, path.name, campaign_id=campaign_id)
        confirmed = metric_imports.confirm(actor, uploaded.id, post_costs=False)
        if confirmed.status != ImportStatus.QUEUED.value:
            raise SystemExit(f"confirm left the import {confirmed.status}: {confirmed.message}")
        done = runs.run_import(uploaded.id)
        seconds = time.perf_counter() - started
        if done.status != ImportStatus.SUCCEEDED.value:
            raise SystemExit(f"import {done.status}: {done.message} {done.errors[:3]}")
        written = done.rows_written
        db.session.remove()
        db.engine.dispose()
    return {"seconds": seconds, "rows": written, "peak_kib": _peak_kib(), "start_kib": start_rss}


def measure_baseline(database_url: str, upload_dir: str, path: Path) -> dict[str, Any]:
    import pandas as pd
    import sqlalchemy as sa

    from comarketing import create_app
    from comarketing.extensions import db

    app = create_app(app_config(database_url, upload_dir))
    with app.app_context():
        engine = db.engine
        table = sa.Table(BASELINE_TABLE, sa.MetaData(), autoload_with=engine)
        start_rss = _rss_kib()
        started = time.perf_counter()
        frame = pd.read_csv(path)
        with engine.begin() as conn:
            conn.execute(sa.insert(table), frame.to_dict("records"))
        seconds = time.perf_counter() - started
        with engine.connect() as conn:
            written = conn.scalar(sa.select(sa.func.count()).select_from(table))
        engine.dispose()
    return {"seconds": seconds, "rows": written, "peak_kib": _peak_kib(), "start_kib": start_rss}


def measure_driver(database_url: str, upload_dir: str, path: Path) -> dict[str, Any]:
    """The raw driver: sqlite3 executemany of the csv module's rows, or PostgreSQL COPY."""
    import csv

    url = sa.make_url(database_url)
    start_rss = _rss_kib()
    if url.get_backend_name() == "sqlite":
        import sqlite3

        connection = sqlite3.connect(str(url.database))
        started = time.perf_counter()
        with path.open(encoding="utf-8", newline="") as source:
            rows = csv.reader(source)
            next(rows)  # the header
            connection.executemany(
                f"INSERT INTO {BASELINE_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
            )
        connection.commit()
        seconds = time.perf_counter() - started
        written = connection.execute(f"SELECT count(*) FROM {BASELINE_TABLE}").fetchone()[0]
        connection.close()
    else:
        import psycopg

        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(dsn) as connection:
            started = time.perf_counter()
            with (
                connection.cursor() as cursor,
                cursor.copy(f"COPY {BASELINE_TABLE} FROM STDIN (FORMAT csv, HEADER true)") as copy,
                path.open("rb") as source,
            ):
                while block := source.read(1024 * 1024):
                    copy.write(block)
            connection.commit()
            seconds = time.perf_counter() - started
            row = connection.execute(f"SELECT count(*) FROM {BASELINE_TABLE}").fetchone()
            written = row[0] if row else 0
    return {"seconds": seconds, "rows": written, "peak_kib": _peak_kib(), "start_kib": start_rss}


# The driver's rows moved into the real table by one statement: the names matched to
# placements (and their campaign), money to minor units, every constraint, index and foreign
# key of daily_metrics checked, in primary-key order (as the import writes them).
_INTO_DAILY_METRICS = (
    "INSERT INTO daily_metrics (placement_id, day, campaign_id, impressions, reach, clicks, "
    "leads, conversions_hundredths, revenue_minor, cost_minor, currency, updated_at) "
    "SELECT p.id, {day}, p.campaign_id, b.impressions, b.reach, b.clicks, "
    "b.leads, b.conversions * 100, CAST(round(b.revenue * 100) AS BIGINT), "
    "CAST(round(b.cost * 100) AS BIGINT), 'EUR', {now} "
    f"FROM {BASELINE_TABLE} b JOIN placements p ON p.name = b.placement "
    "ORDER BY p.id, b.date"
)


def measure_table(database_url: str, upload_dir: str, path: Path) -> dict[str, Any]:
    """The driver's load (as ``measure_driver``), then one INSERT … SELECT of its rows into
    ``daily_metrics``: the floor of any import into the real table, with none of the import's
    checks, rollup or history."""
    url = sa.make_url(database_url)
    result = measure_driver(database_url, upload_dir, path)
    started = time.perf_counter()
    if url.get_backend_name() == "sqlite":
        import sqlite3

        connection = sqlite3.connect(str(url.database))
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("PRAGMA cache_size = -65536")  # as the import's connection
        now = "'2026-01-01 00:00:00.000000'"
        connection.execute(_INTO_DAILY_METRICS.format(day="b.date", now=now))
        connection.commit()
        written = connection.execute("SELECT count(*) FROM daily_metrics").fetchone()[0]
        connection.close()
    else:
        import psycopg

        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(dsn) as connection:
            connection.execute(_INTO_DAILY_METRICS.format(day="CAST(b.date AS DATE)", now="now()"))
            connection.commit()
            row = connection.execute("SELECT count(*) FROM daily_metrics").fetchone()
            written = row[0] if row else 0
    result["seconds"] += time.perf_counter() - started
    result["rows"] = written
    result["peak_kib"] = _peak_kib()
    return result


MEASUREMENTS = {
    "import": measure_import,
    "driver": measure_driver,
    "table": measure_table,
    "baseline": measure_baseline,
}


def run_child(
    kind: str, database_url: str, upload_dir: str, path: Path, tables: list[str]
) -> dict[str, Any]:
    reset_tables(database_url, tables)
    command = [
        sys.executable,
        os.path.abspath(__file__),
        "--child",
        kind,
        "--database-url",
        database_url,
        "--upload-dir",
        upload_dir,
        "--file",
        str(path),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"the {kind} measurement failed (exit {done.returncode})")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# ---------------------------------------------------------------------------------------------
# The report


def mib(kib: float) -> str:
    return f"{kib / 1024:,.0f} MiB"


def summary(name: str, runs: list[dict[str, Any]], rows: int) -> dict[str, float]:
    seconds = statistics.median(r["seconds"] for r in runs)
    peak = statistics.median(r["peak_kib"] for r in runs)
    growth = statistics.median(r["peak_kib"] - r["start_kib"] for r in runs)
    each = ", ".join(f"{r['seconds']:.2f}" for r in runs)
    print(
        f"{name:<16} {seconds:7.2f} s  {rows / seconds:>10,.0f} rows/s  "
        f"peak {mib(peak)} (growth {mib(growth)})  runs: {each} s"
    )
    return {"seconds": seconds, "peak": peak, "growth": growth}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the CSV")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server URL: the benchmark creates and drops a database on it "
        "(default: SQLite in a temporary folder)",
    )
    parser.add_argument("--child", choices=sorted(MEASUREMENTS), help=argparse.SUPPRESS)
    parser.add_argument("--upload-dir", help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        result = MEASUREMENTS[args.child](args.database_url, args.upload_dir, args.file)
        print(json.dumps(result))
        return 0
    if args.rows < PLACEMENTS * 4 or args.repeat < 1:
        parser.error(f"--rows must be at least {PLACEMENTS * 4} and --repeat at least 1")

    with tempfile.TemporaryDirectory(prefix="comarketing-bench-") as tmp:
        folder = Path(tmp)
        uploads = folder / "uploads"
        uploads.mkdir()
        quarter_rows = args.rows // 4
        full, quarter = folder / "results.csv", folder / "results-quarter.csv"
        started = time.perf_counter()
        placements, days = shape(args.rows)
        write_csv(full, args.rows, placements)
        with full.open("rb") as source, quarter.open("wb") as out:
            out.writelines(itertools.islice(source, quarter_rows + 1))  # header + first rows
        size = full.stat().st_size
        with database(args.database_url, folder) as url:
            build_schema(url, str(uploads), placements, days)
            tables = import_tables()
            backend = sa.make_url(url).get_backend_name()
            print(
                f"import_metrics: {args.rows:,} rows ({size / 1e6:.1f} MB CSV, "
                f"{placements} placements, {days:,} days), {backend}, median of {args.repeat} "
                f"(setup {time.perf_counter() - started:.1f} s)"
            )
            runs: dict[str, list[dict[str, Any]]] = {kind: [] for kind in MEASUREMENTS}
            for _ in range(args.repeat):
                for kind in MEASUREMENTS:  # alternating: a slower minute hits all alike
                    result = run_child(kind, url, str(uploads), full, tables)
                    if result["rows"] != args.rows:
                        raise SystemExit(
                            f"{kind}: expected {args.rows:,} rows, stored {result['rows']:,}"
                        )
                    runs[kind].append(result)
            small = run_child("import", url, str(uploads), quarter, tables)
        driver_name = "sqlite3" if backend == "sqlite" else "COPY"
        ours = summary("import", runs["import"], args.rows)
        driver = summary(f"driver ({driver_name})", runs["driver"], args.rows)
        table = summary("driver + table", runs["table"], args.rows)
        base = summary("baseline", runs["baseline"], args.rows)
        print(
            f"import peak memory: {quarter_rows:,} rows {mib(small['peak_kib'])} "
            f"(growth {mib(small['peak_kib'] - small['start_kib'])}); "
            f"{args.rows:,} rows {mib(ours['peak'])} (growth {mib(ours['growth'])})"
        )
        print(
            f"ratio: import / driver rows/s = {driver['seconds'] / ours['seconds']:.2f} "
            f"({backend}, raw {driver_name}; target >= 0.40)"
        )
        print(
            f"ratio: import / driver into daily_metrics rows/s = "
            f"{table['seconds'] / ours['seconds']:.2f} (the same load, then one INSERT … SELECT "
            f"into the real table; no target: how much of the gap is the table's own work)"
        )
        print(f"ratio: import / baseline time = {ours['seconds'] / base['seconds']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
