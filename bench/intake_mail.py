"""Benchmark: a results file by mail, against the same file uploaded in-process.

    .venv/bin/python bench/intake_mail.py [--rows 1000] [--messages 10] [--database-url URL]

Builds a fresh database (SQLite in a temporary folder, or a throwaway PostgreSQL database),
one company with a partner manager, a solo campaign with 20 placements, its intake address and
an allowed sender, and the company's remembered mapping for our own CSV layout. Then, alternately
(so the noise of a shared machine falls on both alike):

* mail: one SMTP session (smtplib) to ``flask intake serve``'s server on a free port, the CSV
  of ``--rows`` new (placement, day) rows attached; timed from connecting to the answer after
  DATA, which comes once the file is stored, imported, and its result mailed (through the
  outbox) to an aiosmtpd sink;
* baseline: the same kind of file through ``uploads.upload`` + ``imports.confirm`` +
  ``runs.run_import`` in this process.

Prints the median and the slowest of each, and ``overhead`` = median mail - median baseline
(what the mail path adds: the SMTP session, MIME parsing, the reading check of the attachment,
the preview that decides whether to wait, the reply job and its mail).
"""

from __future__ import annotations

import argparse
import io
import logging
import secrets
import smtplib
import socket
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path
from typing import Any

from lib.database import database  # bench/ is the script's folder

PLACEMENTS = 20
START = date(2001, 1, 1)
HEADER = "date,placement,impressions,reach,clicks,leads,conversions,revenue,cost\n"
SENDER = "ads-noreply@platform.example"
DOMAIN = "intake.example"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def csv_rows(first_day: int, rows: int) -> bytes:
    lines = []
    for index in range(rows):
        day = START + timedelta(days=first_day + index // PLACEMENTS)
        n = index % PLACEMENTS + 1
        lines.append(f"{day.isoformat()},#{n},{1000 + n},{800 + n},{40 + n},{n},2,10.00,5.50\n")
    return (HEADER + "".join(lines)).encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    if -(-args.rows // PLACEMENTS) * (2 * args.messages + 2) > 5 * 365:
        parser.error("rows / 20 x (2 x messages + 2) days must fit a campaign's 5 years")
    with tempfile.TemporaryDirectory() as folder, database(args.database_url, Path(folder)) as url:
        run(url, Path(folder), args.rows, args.messages)


def run(url: str, folder: Path, rows: int, messages: int) -> None:
    from aiosmtpd.controller import Controller
    from flask_migrate import upgrade

    from comarketing import create_app
    from comarketing.accounts.models import Organization, User
    from comarketing.accounts.passwords import hash_password
    from comarketing.campaigns import lifecycle, placements
    from comarketing.context import Actor
    from comarketing.extensions import db
    from comarketing.metrics import imports, intake, intake_server, runs, uploads
    from comarketing.policy import Role

    received: list[bytes] = []

    class Sink:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(envelope.content)
            return "250 OK"

    sink_port = free_port()
    sink = Controller(Sink(), hostname="127.0.0.1", port=sink_port)
    sink.start()
    days_per_file = -(-rows // PLACEMENTS)
    app = create_app(
        {
            "TESTING": True,
            "ENV_NAME": "testing",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "SQLALCHEMY_DATABASE_URI": url,
            "RATELIMIT_STORAGE_URI": "memory://",
            "RATELIMIT_KEY_PREFIX": f"bench-{uuid.uuid4().hex}",
            "PUBLIC_URL": "http://localhost",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": sink_port,
            "METRICS_UPLOAD_DIR": str(folder / "uploads"),
            "JOBS_BACKEND": "inline",
            "METRICS_LATEST_DAY": "2199-12-31",
            "INTAKE_DOMAIN": DOMAIN,
            "PASSWORD_HASH_TIME_COST": 1,
            "PASSWORD_HASH_MEMORY_COST": 1024,
            "PASSWORD_HASH_PARALLELISM": 1,
        }
    )
    logging.getLogger("comarketing").setLevel(logging.WARNING)
    total_days = days_per_file * (2 * messages + 2)
    with app.app_context():
        upgrade()
        org = Organization(name="Bench Flour", slug="bench-flour")
        db.session.add(org)
        db.session.flush()
        user = User(
            organization_id=org.id,
            email="bench@example.com",
            name="Bench Manager",
            role=Role.PARTNER_MANAGER.value,
            password_hash=hash_password(secrets.token_urlsafe(16)),
        )
        db.session.add(user)
        db.session.commit()
        actor = Actor(user)
        end = START + timedelta(days=total_days)
        campaign = lifecycle.create_solo_campaign(
            actor,
            lifecycle.CampaignInput(
                name="Bench", description="", start_date=START, end_date=end, currency="EUR"
            ),
        )
        for n in range(PLACEMENTS):
            placements.add_placement(
                actor,
                campaign.id,
                placements.PlacementInput(
                    channel="email",
                    owner_organization_id=org.id,
                    name=f"Placement {n + 1}",
                    url="",
                    start_date=None,
                    end_date=None,
                    planned_cost_minor=0,
                ),
            )
        campaign_id = campaign.id
        address = intake.address_text(intake.new_address(actor, campaign_id).token, DOMAIN)
        intake.set_senders(actor, campaign_id, SENDER)
        # The layout confirmed once by hand: the mailed files run by themselves.
        first = uploads.upload(
            actor, io.BytesIO(csv_rows(0, rows)), "first.csv", campaign_id=campaign_id
        )
        imports.confirm(actor, first.id, post_costs=False)
        runs.run_import(first.id)
        db.session.remove()

    port = free_port()
    server = intake_server.controller(app, "127.0.0.1", port)
    server.start()
    mail_times, base_times = [], []
    try:
        for m in range(messages):
            content = csv_rows(days_per_file * (2 * m + 1), rows)
            mail = EmailMessage()
            mail["From"], mail["To"], mail["Subject"] = SENDER, address, "Daily report"
            mail.set_content("Attached.")
            mail.add_attachment(content, maintype="text", subtype="csv", filename=f"d{m}.csv")
            raw = mail.as_bytes(policy=SMTP_POLICY)
            started = time.perf_counter()
            with smtplib.SMTP("127.0.0.1", port, timeout=120) as client:
                refused = client.sendmail(SENDER, [address], raw)
            mail_times.append(time.perf_counter() - started)
            assert refused == {}, refused

            content = csv_rows(days_per_file * (2 * m + 2), rows)
            with app.app_context():
                from tests.offer_helpers import actor as actor_of

                who = actor_of("bench@example.com")
                started = time.perf_counter()
                made = uploads.upload(
                    who, io.BytesIO(content), f"b{m}.csv", campaign_id=campaign_id
                )
                imports.confirm(who, made.id, post_costs=False)
                assert runs.run_import(made.id).status == "succeeded"
                base_times.append(time.perf_counter() - started)
                db.session.remove()
    finally:
        server.stop()
        sink.stop()
    replies = sum(b"Results by mail imported" in r for r in received)
    print(f"rows per file: {rows}, messages: {messages}, replies received: {replies}")
    for name, times in (("mail", mail_times), ("baseline", base_times)):
        median, slowest = statistics.median(times) * 1000, max(times) * 1000
        print(f"{name:9} median {median:8.1f} ms   slowest {slowest:8.1f} ms")
    overhead = statistics.median(mail_times) - statistics.median(base_times)
    print(f"overhead: {overhead * 1000:.1f} ms per message")
    if replies != messages:
        sys.exit("not every mailed file was imported and answered")


if __name__ == "__main__":
    main()
