"""Benchmark: every main page and API list against a bare 50-row x 9-column template route.

    .venv/bin/python bench/pages.py [--scale 1] [--requests 40] [--database-url URL]
                                    [--http] [--seconds 5] [--rounds 3]

Builds a fresh database through the real migrations (SQLite in a temporary folder, or a
throwaway database on the PostgreSQL server of ``--database-url`` / ``DATABASE_URL``, dropped
afterwards) and seeds the demo through the services (``flask seed-demo``'s three companies,
offers, running campaigns and year of results), plus a *long campaign*: a joint campaign of
the flour and shortening companies whose two placements have a day of results, and a claim
posted from each day's cost, for every day of ``180 x scale`` days (ledger entries and results
days in the thousands at ``--scale 10``). With ``--scale N`` above 1 the demo's year of
campaigns is seeded N times in all (the copies named "... #2", "... #3").

For each page, as the user who would open it, it measures in this process (Flask's test
client), alternating with the bare route (a route added here, on the same app, rendering a
50-row x 9-column Jinja table: never part of the product), after a warm-up request:

* the median time per request of the page and of the bare route over ``--requests`` rounds,
  and ``ratio`` = bare time / page time (the page's throughput as a part of the bare route's);
* the page's SQL statements per request and the median time spent in them;
* the page's statements again with the data at its smallest (the demo and a one-scale long
  campaign, measured before the data grows): the run exits 1 when a page's count grew.

With ``--http`` it serves the same app with gunicorn (2 sync workers) and loads it with wrk
(16 connections, 2 threads) for ``--seconds`` per run, the bare route and each page alternating
for ``--rounds`` rounds after a one-second warm-up of the page (each worker keeps its blocks,
as after any write): median req/s, their ratio and the page's p99 latency.

Targets (issue 21): list and detail pages ratio >= 0.5, API lists >= 0.6, reports >= 0.25
(>= 0.2 at --scale 10); p99 under 16 connections < 100 ms (pages) and < 250 ms (reports).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

BENCH = Path(__file__).resolve().parent

from lib.database import database  # noqa: E402 - bench/ is the script's folder

LONG_CAMPAIGN = "Year-round baking club"
LONG_DAYS_PER_SCALE = 180
PASSWORD = "bake-together-2026"
PM = "partners@millstone.example"
ANALYST = "insights@millstone.example"

BARE_TEMPLATE = """<!doctype html><html><head><title>bare</title></head><body>
<table>
<thead><tr>{% for h in headers %}<th>{{ h }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table></body></html>"""
BARE_HEADERS = [f"Column {n}" for n in range(1, 10)]
BARE_ROWS = [[f"row {r} cell {c} <&>" for c in range(1, 10)] for r in range(1, 51)]


@dataclass(frozen=True)
class Page:
    name: str
    kind: str  # "page", "report" or "api"
    user: str
    path: str
    target: float = 0.0

    @property
    def p99_target_ms(self) -> int:
        return 250 if self.kind == "report" else 100


TARGETS = {"page": 0.5, "api": 0.6, "report": 0.25}


def app_config(database_url: str, secret_key: str) -> dict[str, Any]:
    """Test-like settings (as tests/conftest.py), with fast password hashing for the sign-ins."""
    return {
        "TESTING": True,
        "ENV_NAME": "testing",
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "PUBLIC_URL": "http://localhost",
        "RATELIMIT_STORAGE_URI": "memory://",
        # One prefix for the run (gunicorn's workers share it: their report cache too).
        "RATELIMIT_KEY_PREFIX": os.environ.setdefault(
            "BENCH_KEY_PREFIX", f"bench-{uuid.uuid4().hex}"
        ),
        "MAIL_SERVER": None,
        # The bench measures pages, not the per-token limit (600 a minute per worker's memory:
        # a 3-second wrk run of a fast API list passes it).
        "API_RATE_LIMIT": "1000000 per minute",
        # --redis-url: the report cache in Redis, shared by gunicorn's workers (else memory).
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL") or None,
    }


def bench_app(database_url: str, secret_key: str) -> Any:
    """The product's app plus the bare route (``/bench/bare``), which exists only here."""
    from flask import render_template
    from jinja2 import ChoiceLoader, DictLoader

    from comarketing import create_app

    app = create_app(app_config(database_url, secret_key))
    # The audit's INFO lines of the seeding would drown the figures.
    logging.getLogger("comarketing").setLevel(logging.WARNING)
    loader = app.jinja_env.loader
    assert loader is not None
    app.jinja_env.loader = ChoiceLoader([DictLoader({"bench/bare.html": BARE_TEMPLATE}), loader])

    def bare() -> str:
        return render_template("bench/bare.html", headers=BARE_HEADERS, rows=BARE_ROWS)

    app.add_url_rule("/bench/bare", "bench_bare", bare)
    return app


def http_app() -> Any:
    """For gunicorn (``pages:http_app()``): the bench app from the environment."""
    return bench_app(os.environ["BENCH_DATABASE_URL"], os.environ["BENCH_SECRET_KEY"])


# ---------------------------------------------------------------------------------------------
# The data


def migrate(app: Any) -> None:
    from flask_migrate import upgrade

    from comarketing.extensions import db

    with app.app_context():
        upgrade()
        db.session.remove()


def seed_demo(app: Any, copies: int) -> None:
    """The demo (once), then ``copies - 1`` more of its year of campaigns."""
    from comarketing import demo, notifications
    from comarketing.accounts.models import Organization
    from comarketing.db import utcnow
    from comarketing.demo import history, inbox, results
    from comarketing.extensions import db

    with app.app_context():
        for _ in demo.seed():
            pass
        if copies > 1:
            names = {"flour": "Millstone", "shortening": "Goldcrest", "chips": "ChipCraft"}
            companies = {
                key: db.session.scalar(
                    sa.select(Organization).where(Organization.name.startswith(name))
                )
                for key, name in names.items()
            }
            today = utcnow().date()
            with notifications.without_mail(), inbox.unannounced(list(companies.values())):
                for copy in range(2, copies + 1):
                    for plan in history.HISTORY:
                        # The demo's own campaign writer, for the copies (bench only).
                        results._seed_campaign(
                            replace(plan, name=f"{plan.name} #{copy}"), companies, today
                        )
        db.session.remove()


def seed_long_campaign(app: Any, days: int) -> None:
    """The long campaign, grown to ``days`` days of results and daily cost claims (or created
    with them): two placements, one per party; each day's cost posted as a claim."""
    from comarketing import notifications
    from comarketing.accounts.models import Organization
    from comarketing.budgets import commitments
    from comarketing.campaigns import lifecycle
    from comarketing.campaigns.models import Campaign, Placement
    from comarketing.db import utcnow
    from comarketing.demo import inbox
    from comarketing.demo.companies import manager_of
    from comarketing.demo.figures import placement_days
    from comarketing.extensions import db
    from comarketing.metrics import entry as metric_entry
    from comarketing.metrics.models import ImportSource

    with app.app_context(), notifications.without_mail():
        flour = db.session.scalar(
            sa.select(Organization).where(Organization.name.startswith("Millstone"))
        )
        shortening = db.session.scalar(
            sa.select(Organization).where(Organization.name.startswith("Goldcrest"))
        )
        assert flour is not None and shortening is not None
        today = utcnow().date()
        end = today - timedelta(days=1)
        start = end - timedelta(days=LONG_DAYS_PER_SCALE * 10 - 1)  # room for --scale 10
        campaign = db.session.scalar(sa.select(Campaign).where(Campaign.name == LONG_CAMPAIGN))
        with inbox.unannounced([flour, shortening]):
            if campaign is None:
                manager = manager_of(flour)
                campaign = lifecycle.create_joint_campaign(
                    offer_id=None,
                    proposer_organization_id=flour.id,
                    created_by_id=manager.user_id,
                    name=LONG_CAMPAIGN,
                    description="Bread, cakes and cookies all year: a recipe a day, both brands.",
                    start_date=start,
                    end_date=end,
                    currency="EUR",
                    total_budget_minor=2_000_000_000,
                    target_reach=None,
                    target_leads=None,
                    target_revenue_minor=None,
                    parties=[
                        lifecycle.PartyShare(flour.id, 5_000, 5_000),
                        lifecycle.PartyShare(shortening.id, 5_000, 5_000),
                    ],
                    placements=[
                        lifecycle.PlannedPlacement(
                            "social", flour.id, "Recipe of the day reels", 100_000_000
                        ),
                        lifecycle.PlannedPlacement(
                            "email", shortening.id, "Recipe of the day newsletter", 100_000_000
                        ),
                    ],
                )
                db.session.commit()
                for company in (flour, shortening):
                    commitments.commit_budget(
                        manager_of(company),
                        campaign.id,
                        organization_id=company.id,
                        amount_minor=1_000_000_000,
                        occurred_on=start,
                        note="The year's recipe budget",
                    )
                lifecycle.change_status(manager, campaign.id, "activate")
            placements = db.session.execute(
                sa.select(Placement.id, Placement.owner_organization_id, Placement.name).where(
                    Placement.campaign_id == campaign.id
                )
            ).all()
            last = start + timedelta(days=days - 1)
            for placement_id, owner_id, name in placements:
                owner = flour if owner_id == flour.id else shortening
                run = placement_days(
                    f"bench/{name}", "social", start, end, 100_000_000, "EUR", 1.2, until=last
                )
                for first in range(0, len(run.days), metric_entry.MAX_BATCH):
                    metric_entry.upsert_days(
                        manager_of(owner),
                        placement_id,
                        run.days[first : first + metric_entry.MAX_BATCH],
                        source=ImportSource.FORM,
                        post_costs=True,
                    )
        db.session.remove()


@dataclass
class Ids:
    offer: int
    campaign: int
    long_campaign: int
    placement: int
    long_placement: int
    partner: int


def find_ids(app: Any) -> Ids:
    from comarketing.accounts.models import Organization
    from comarketing.campaigns.models import Campaign, Placement
    from comarketing.extensions import db

    with app.app_context():
        joint = db.session.scalar(
            sa.select(Campaign).where(Campaign.offer_id.is_not(None)).order_by(Campaign.id)
        )
        long = db.session.scalar(sa.select(Campaign).where(Campaign.name == LONG_CAMPAIGN))
        assert joint is not None and long is not None and joint.offer_id is not None
        ids = Ids(
            offer=joint.offer_id,
            campaign=joint.id,
            long_campaign=long.id,
            placement=int(
                db.session.scalar(
                    sa.select(sa.func.min(Placement.id)).where(Placement.campaign_id == joint.id)
                )
            ),
            long_placement=int(
                db.session.scalar(
                    sa.select(sa.func.min(Placement.id)).where(Placement.campaign_id == long.id)
                )
            ),
            partner=int(
                db.session.scalar(
                    sa.select(Organization.id).where(Organization.name.startswith("Goldcrest"))
                )
            ),
        )
        db.session.remove()
        return ids


def pages_of(ids: Ids) -> list[Page]:
    c, lc = ids.campaign, ids.long_campaign
    rows = [
        ("home", "page", PM, "/dashboard"),
        ("home (analyst)", "page", ANALYST, "/dashboard"),
        ("offers", "page", PM, "/offers"),
        ("an offer", "page", PM, f"/offers/{ids.offer}"),
        ("campaigns", "page", PM, "/campaigns"),
        ("a campaign", "page", PM, f"/campaigns/{c}"),
        ("long campaign", "page", PM, f"/campaigns/{lc}"),
        ("long campaign (partner)", "page", "partners@goldcrest.example", f"/campaigns/{lc}"),
        ("a placement", "page", PM, f"/campaigns/{c}/placements/{ids.placement}"),
        ("long placement", "page", PM, f"/campaigns/{lc}/placements/{ids.long_placement}"),
        ("calendar", "page", PM, "/calendar"),
        ("collateral", "page", PM, "/collateral"),
        ("partners", "page", PM, "/partners"),
        ("notifications", "page", PM, "/notifications"),
        ("/reports", "report", ANALYST, "/reports"),
        ("campaign report", "report", ANALYST, f"/campaigns/{c}/report"),
        ("long campaign report", "report", ANALYST, f"/campaigns/{lc}/report"),
        ("API campaigns", "api", PM, "/api/v1/campaigns"),
        ("API placements", "api", PM, f"/api/v1/campaigns/{lc}/placements"),
        ("API ledger", "api", PM, f"/api/v1/campaigns/{lc}/ledger"),
        ("API metrics", "api", PM, f"/api/v1/placements/{ids.long_placement}/metrics"),
    ]
    return [Page(name, kind, user, path, TARGETS[kind]) for name, kind, user, path in rows]


# ---------------------------------------------------------------------------------------------
# Who opens the pages


@dataclass
class Visitor:
    """A signed-in browser session (cookie) and an API token of one user."""

    client: Any
    cookie: str
    token: str


def visitors(app: Any, emails: set[str]) -> dict[str, Visitor]:
    from comarketing.api import services as api_services

    out = {}
    for email in sorted(emails):
        client = app.test_client()
        response = client.post("/login", data={"email": email, "password": PASSWORD})
        assert response.status_code == 302, f"sign-in as {email}: {response.status_code}"
        cookie = "; ".join(f"{c.key}={c.value}" for c in client._cookies.values())
        with app.app_context():
            _, token = api_services.create_token_as_operator(
                email=email, name="bench", scope="read", days=30
            )
        out[email] = Visitor(client, cookie, token)
    return out


def get(visitor: Visitor, path: str) -> Any:
    headers = {"Authorization": f"Bearer {visitor.token}"} if path.startswith("/api/") else {}
    response = visitor.client.get(path, headers=headers)
    assert response.status_code == 200, f"{path}: {response.status_code}"
    return response


# ---------------------------------------------------------------------------------------------
# In process


class SqlClock:
    """Statements run and time spent in them, on this app's engine."""

    def __init__(self, engine: sa.Engine) -> None:
        self.count = 0
        self.seconds = 0.0
        self._started: list[float] = []
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *args: Any) -> None:
        self.count += 1
        self._started.append(time.perf_counter())

    def _after(self, *args: Any) -> None:
        if self._started:
            self.seconds += time.perf_counter() - self._started.pop()

    def reset(self) -> None:
        self.count, self.seconds = 0, 0.0


@dataclass
class Measured:
    page: Page
    queries: int
    page_ms: float
    sql_ms: float
    bare_ms: float
    bytes: int
    small_queries: int | None = None
    http: dict[str, float] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.bare_ms / self.page_ms


def query_counts(app: Any, clock: SqlClock, pages: list[Page], who: dict[str, Visitor]) -> dict:
    counts = {}
    for page in pages:
        get(who[page.user], page.path)  # warm
        seen = []
        for _ in range(3):
            clock.reset()
            get(who[page.user], page.path)
            seen.append(clock.count)
        # The fewest: an API token's last use is written once a minute, in whichever request.
        counts[page.name] = min(seen)
    return counts


def measure_in_process(
    clock: SqlClock, pages: list[Page], who: dict[str, Visitor], requests: int
) -> list[Measured]:
    bare_visitor = next(iter(who.values()))
    out = []
    for page in pages:
        visitor = who[page.user]
        body = get(visitor, page.path).data
        get(bare_visitor, "/bench/bare")
        page_times, sql_times, bare_times, counts = [], [], [], []
        for _ in range(requests):
            started = time.perf_counter()
            get(bare_visitor, "/bench/bare")
            bare_times.append(time.perf_counter() - started)
            clock.reset()
            started = time.perf_counter()
            get(visitor, page.path)
            page_times.append(time.perf_counter() - started)
            sql_times.append(clock.seconds)
            counts.append(clock.count)
        out.append(
            Measured(
                page=page,
                queries=min(counts),
                page_ms=statistics.median(page_times) * 1000,
                sql_ms=statistics.median(sql_times) * 1000,
                bare_ms=statistics.median(bare_times) * 1000,
                bytes=len(body),
            )
        )
    return out


def profile(pages: list[Page], who: dict[str, Visitor], requests: int) -> None:
    """Where each page's time goes (cumulative, the 40 costliest calls)."""
    import cProfile
    import pstats

    for page in pages:
        get(who[page.user], page.path)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(requests):
            get(who[page.user], page.path)
        profiler.disable()
        print(f"==== {page.name} {page.path}")
        stats = pstats.Stats(profiler).sort_stats("cumulative")
        stats.print_stats(70)
        if os.environ.get("BENCH_DUMP"):
            name = re.sub(r"[^\w()-]+", "_", page.name)  # "/reports" too
            profiler.dump_stats(f"{os.environ['BENCH_DUMP']}-{name}.prof")
        if os.environ.get("BENCH_CALLERS"):
            stats.print_callers(os.environ["BENCH_CALLERS"])


# ---------------------------------------------------------------------------------------------
# Over HTTP


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def gunicorn(database_url: str, secret_key: str) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "BENCH_DATABASE_URL": database_url,
        "BENCH_SECRET_KEY": secret_key,
        "PYTHONPATH": str(BENCH.parent),
    }
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--chdir",
        str(BENCH),
        "--workers",
        "2",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "pages:http_app()",
    ]
    process = subprocess.Popen(command, env=env, start_new_session=True)
    try:
        # Up when the bare route answers (the workers import the app after the port is bound).
        deadline, answered = time.monotonic() + 120, 0
        while answered < 4:
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(base + "/healthz", timeout=10) as reply:
                    answered += reply.status == 200
                continue
            time.sleep(0.3)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(base: str, path: str, headers: list[str], seconds: int) -> tuple[float, float]:
    """req/s and p99 (ms) of one wrk run (16 connections, 2 threads)."""
    # A slow page's queue drains before the next run; a request slower than 10 s is an error.
    time.sleep(1)
    command = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--timeout", "10s", "--latency"]
    for header in headers:
        command += ["-H", header]
    output = subprocess.run(
        [*command, base + path], capture_output=True, text=True, check=True
    ).stdout
    if "Non-2xx" in output or "Requests/sec:" not in output or " 0 requests in" in output:
        raise RuntimeError(f"{path}: answers other than 2xx under load\n{output}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    assert p99 is not None, output
    return rate, float(p99.group(1)) * _UNITS[p99.group(2)]


def measure_http(
    database_url: str,
    secret_key: str,
    results: list[Measured],
    who: dict[str, Visitor],
    seconds: int,
    rounds: int,
) -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("--http needs wrk (apt-get install -y wrk)")
    bare_who = next(iter(who.values()))
    with gunicorn(database_url, secret_key) as base:
        with contextlib.suppress(RuntimeError):  # warm both workers
            wrk(base, "/bench/bare", [f"Cookie: {bare_who.cookie}"], 3)
        for result in results:
            visitor = who[result.page.user]
            headers = [f"Cookie: {visitor.cookie}"]
            if result.page.path.startswith("/api/"):
                headers = [f"Authorization: Bearer {visitor.token}"]
            # Warm: each worker renders and keeps the page's blocks once (their own memory
            # without --redis-url), as after any write; the rounds measure the steady state.
            wrk(base, result.page.path, headers, 1)
            bare_rates, page_rates, p99s = [], [], []
            for _ in range(rounds):
                bare_headers = [f"Cookie: {bare_who.cookie}"]
                bare_rates.append(wrk(base, "/bench/bare", bare_headers, seconds)[0])
                rate, p99 = wrk(base, result.page.path, headers, seconds)
                page_rates.append(rate)
                p99s.append(p99)
            result.http = {
                "bare_rps": statistics.median(bare_rates),
                "page_rps": statistics.median(page_rates),
                "ratio": statistics.median(
                    p / b for p, b in zip(page_rates, bare_rates, strict=True)
                ),
                "p99_ms": statistics.median(p99s),
            }
            print(line(result), flush=True)


# ---------------------------------------------------------------------------------------------
# Output


def line(m: Measured) -> str:
    verdict = "ok" if m.ratio >= m.page.target else f"below {m.page.target}"
    text = (
        f"{m.page.name:<26} {m.page.path:<34} queries {m.queries:>3}"
        f"{'' if m.small_queries is None else f' (small {m.small_queries})':<11}"
        f" page {m.page_ms:7.2f} ms (SQL {m.sql_ms:6.2f}) bare {m.bare_ms:5.2f} ms"
        f" {m.bytes / 1024:7.1f} KB ratio: {m.ratio:.2f} [{verdict}]"
    )
    if m.http:
        p99_ok = "ok" if m.http["p99_ms"] < m.page.p99_target_ms else "over"
        text += (
            f" | http {m.http['page_rps']:.0f}/{m.http['bare_rps']:.0f} req/s"
            f" ratio: {m.http['ratio']:.2f} p99 {m.http['p99_ms']:.0f} ms [{p99_ok}]"
        )
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=1, help="copies of the demo's year (1-10)")
    parser.add_argument("--requests", type=int, default=40, help="timed requests per page")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--http", action="store_true", help="also gunicorn + wrk")
    parser.add_argument("--seconds", type=int, default=5, help="wrk run length")
    parser.add_argument("--rounds", type=int, default=3, help="wrk runs per page and bare")
    parser.add_argument("--only", default="", help="measure only pages whose name has this")
    parser.add_argument("--profile", action="store_true", help="cProfile each page instead")
    parser.add_argument("--redis-url", default="", help="report cache in this Redis")
    args = parser.parse_args(argv)
    if not 1 <= args.scale <= 10:
        parser.error("--scale is 1 to 10")
    secret_key = secrets.token_urlsafe(48)
    if args.redis_url:
        os.environ["BENCH_REDIS_URL"] = args.redis_url
    with tempfile.TemporaryDirectory() as folder, database(args.database_url, Path(folder)) as url:
        from comarketing.extensions import db

        app = bench_app(url, secret_key)
        migrate(app)
        started = time.perf_counter()
        seed_demo(app, 1)
        seed_long_campaign(app, LONG_DAYS_PER_SCALE)
        print(f"demo seeded in {time.perf_counter() - started:.0f} s", flush=True)
        ids = find_ids(app)
        pages = [p for p in pages_of(ids) if args.only in p.name]
        who = visitors(app, {p.user for p in pages})
        with app.app_context():
            clock = SqlClock(db.engine)
        small = query_counts(app, clock, pages, who)
        if args.scale > 1:
            started = time.perf_counter()
            seed_demo(app, args.scale)
            seed_long_campaign(app, LONG_DAYS_PER_SCALE * args.scale)
            print(f"scaled x{args.scale} in {time.perf_counter() - started:.0f} s", flush=True)
        if args.profile:
            profile(pages, who, args.requests)
            return 0
        results = measure_in_process(clock, pages, who, args.requests)
        grew = []
        for result in results:
            result.small_queries = small[result.page.name]
            if result.queries > result.small_queries:
                grew.append(result.page.name)
        if args.http:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            measure_http(url, secret_key, results, who, args.seconds, args.rounds)
        else:
            for result in results:
                print(line(result))
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    below = [r.page.name for r in results if r.ratio < r.page.target]
    print(f"below target (in process): {', '.join(below) or 'none'}")
    if grew:
        print(f"QUERY COUNT GREW WITH THE DATA: {', '.join(grew)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
