"""Benchmark: sketching a large identifier file through the real upload service, against
reading and SHA-256-hashing the same file in plain Python; then the dashboard's deduplicated
figures for an organization with 1,000 placements with sketches.

    .venv/bin/python bench/audiences.py [--identifiers 2000000] [--placements 1000]

Builds a fresh SQLite database in a temporary folder through the migrations, a company with
a partner manager, a partner, and campaigns (half joint with the partner, half solo) with
``--placements`` placements. Then, in the same run:

* baseline: ``for line in file: hashlib.sha256(line).hexdigest()`` over the generated file;
* upload: ``audiences.services.upload_for_placement`` of the same file (normalise, hash,
  sketch on every core, store the sketch), with its rate as ``N identifiers per second``
  (target: at least 1,000,000 on a 2-core machine) and peak memory (this process and its
  worker processes, ``ru_maxrss``);
* figures: ``reports.dedup.dashboard_figures`` for the company over a year, each of its
  placements holding a sketch of 20,000 people drawn from a shared pool (median of 3).

The default size keeps ``make bench`` short; the issue's run is ``--identifiers 10000000``.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import random
import resource
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

if __package__ is None or __package__ == "":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PEOPLE_PER_PLACEMENT = 20_000
PLACEMENTS_PER_CAMPAIGN = 10


def app_config(database_url: str) -> dict[str, Any]:
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
        "PASSWORD_HASH_TIME_COST": 1,
        "PASSWORD_HASH_MEMORY_COST": 1024,
        "PASSWORD_HASH_PARALLELISM": 1,
        "AUDIENCE_UPLOAD_MAX_BYTES": 10 * 1024**3,
    }


def write_file(path: Path, count: int) -> None:
    rng = random.Random(11)
    with path.open("w") as out:
        for start in range(0, count, 100_000):
            out.write(
                "".join(
                    f" Person.{n}.{rng.randrange(1000)}@Example.COM\n"
                    for n in range(start, min(start + 100_000, count))
                )
            )


def build(app: Any, placements: int) -> tuple[int, int, int]:
    """A company, its partner, campaigns and placements (Core inserts: fast); returns the
    company's partner manager's user id, the first placement's id and the company's id."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from comarketing.accounts.models import Organization, User
    from comarketing.accounts.passwords import hash_password
    from comarketing.campaigns.models import Campaign, CampaignParty, Placement
    from comarketing.extensions import db

    with app.app_context():
        upgrade()
        orgs = [Organization(name=n, slug=n.lower()) for n in ("Bench", "Partner")]
        db.session.add_all(orgs)
        db.session.flush()
        user = User(
            organization_id=orgs[0].id,
            email="bench@example.com",
            name="Bench Manager",
            role="partner_manager",
            password_hash=hash_password(secrets.token_urlsafe(16)),
        )
        db.session.add(user)
        db.session.flush()
        org, partner = orgs[0].id, orgs[1].id
        campaigns = max(placements // PLACEMENTS_PER_CAMPAIGN, 1)
        start, end = date(2027, 1, 1), date(2027, 12, 31)
        db.session.execute(
            sa.insert(Campaign),
            [
                {
                    "id": n + 1,
                    "kind": "joint" if n % 2 == 0 else "solo",
                    "organization_id": org,
                    "name": f"Campaign {n}",
                    "start_date": start,
                    "end_date": end,
                    "currency": "EUR",
                }
                for n in range(campaigns)
            ],
        )
        parties = [{"campaign_id": n + 1, "organization_id": org} for n in range(campaigns)]
        parties += [
            {
                "campaign_id": n + 1,
                "organization_id": partner,
                "budget_share_bp": 5000,
                "revenue_share_bp": 5000,
            }
            for n in range(0, campaigns, 2)
        ]
        db.session.execute(sa.insert(CampaignParty), parties)
        db.session.execute(
            sa.insert(Placement),
            [
                {
                    "id": n + 1,
                    "campaign_id": n // PLACEMENTS_PER_CAMPAIGN + 1,
                    "owner_organization_id": partner
                    if (n // PLACEMENTS_PER_CAMPAIGN) % 2 == 0 and n % 2
                    else org,
                    "channel": "email",
                    "name": f"Placement {n}",
                    "start_date": start,
                    "end_date": end,
                }
                for n in range(placements)
            ],
        )
        db.session.commit()
        return user.id, 1, org


def add_sketches(app: Any, placements: int, org: int) -> None:
    import sqlalchemy as sa

    from comarketing.audiences import sketches
    from comarketing.audiences.models import AudienceImport
    from comarketing.extensions import db

    rng = random.Random(3)
    pool = 5 * PEOPLE_PER_PLACEMENT * placements // 10
    rows = []
    for n in range(placements):
        sketch = sketches.new()
        first = rng.randrange(pool)
        for person in range(first, first + PEOPLE_PER_PLACEMENT):
            sketch.update(person % pool)
        estimate = sketches.estimate(sketch)
        rows.append(
            {
                "organization_id": org,
                "placement_id": n + 1,
                "source": "api",
                "kind": "sha256",
                "status": "succeeded",
                "filename": "",
                "file_sha256": "",
                "file_size": 0,
                "column": "",
                "rows_read": PEOPLE_PER_PLACEMENT,
                "identifiers": PEOPLE_PER_PLACEMENT,
                "bad_lines": 0,
                "distinct_estimate": estimate.count,
                "exact": estimate.exact,
                "sketch": sketches.serialize(sketch),
                "errors": [],
                "message": "",
            }
        )
    with app.app_context():
        db.session.execute(sa.delete(AudienceImport))
        db.session.execute(sa.insert(AudienceImport), rows)
        db.session.commit()


def peak_mib() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--identifiers", type=int, default=2_000_000)
    parser.add_argument("--placements", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)

    from comarketing import create_app
    from comarketing.accounts.models import User
    from comarketing.audiences import services
    from comarketing.context import Actor
    from comarketing.extensions import db
    from comarketing.reports import dedup
    from comarketing.reports import services as reports

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "identifiers.txt"
        started = time.perf_counter()
        write_file(path, args.identifiers)
        size = path.stat().st_size
        print(
            f"file: {args.identifiers:,} identifiers, {size / 1024**2:,.0f} MiB "
            f"(written in {time.perf_counter() - started:.1f} s)"
        )
        app = create_app(
            {**app_config(f"sqlite:///{folder}/bench.sqlite"), "AUDIENCE_WORKERS": args.workers}
        )
        logging.getLogger("comarketing").setLevel(logging.WARNING)
        user_id, placement_id, org = build(app, args.placements)

        started = time.perf_counter()
        with path.open("rb") as stream:
            for line in stream:
                hashlib.sha256(line).hexdigest()
        baseline = time.perf_counter() - started
        print(
            f"baseline (read + SHA-256 per line, plain Python): {baseline:.2f} s, "
            f"{args.identifiers / baseline:,.0f} lines per second"
        )

        with app.app_context():
            actor = Actor(db.session.get(User, user_id))
            started = time.perf_counter()
            with path.open("rb") as stream:
                row = services.upload_for_placement(
                    actor, placement_id, stream, "identifiers.txt", services.Options()
                )
            elapsed = time.perf_counter() - started
            db.session.remove()
        own, children = peak_mib()
        print(
            f"upload ({args.workers} worker processes): {elapsed:.2f} s, "
            f"{row.identifiers / elapsed:,.0f} identifiers per second "
            f"(about {row.distinct_estimate:,} distinct); "
            f"ratio to the baseline: {elapsed / baseline:.2f}"
        )
        print(f"peak memory: this process {own:,.0f} MiB, largest worker {children:,.0f} MiB")

        add_sketches(app, args.placements, org)
        with app.app_context():
            actor = Actor(db.session.get(User, user_id))
            period = reports.Period(date(2027, 1, 1), date(2027, 12, 31))
            board = reports.dashboard(actor, period)
            times = []
            for _ in range(3):
                started = time.perf_counter()
                result = dedup.dashboard_figures(actor, board)
                times.append(time.perf_counter() - started)
            db.session.remove()
        print(
            f"dashboard's deduplicated figures, {args.placements:,} placements with sketches: "
            f"median {statistics.median(times):.2f} s (joint reach {result.joint}, "
            f"solo {result.solo}, incremental {result.incremental})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
