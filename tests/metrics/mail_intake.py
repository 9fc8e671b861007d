"""Shared by the results-by-mail tests: the intake server of an app on a free port, an
aiosmtpd sink for the replies, A's solo EUR campaign with the two placements the ad-export
fixtures name, its address and senders; messages built and sent over real SMTP sessions."""

from __future__ import annotations

import io
import smtplib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path
from typing import Any

import openpyxl
import sqlalchemy as sa
from flask import Flask

from comarketing import hundredths
from comarketing.extensions import db
from comarketing.metrics import imports as metric_imports
from comarketing.metrics import intake, intake_server, runs, uploads
from comarketing.metrics.models import DailyMetric, MetricImport
from tests import campaign_helpers as ch
from tests import factories
from tests.fixtures.ad_exports.expected import FOLDER
from tests.functional.conftest import SmtpServer, free_port
from tests.offer_helpers import actor

DOMAIN = "intake.example"
SENDER = "ads-noreply@platform.example"
PM = "partner_manager"
XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
CSV = ("text", "csv")
CLEAN_HEADER = "date,placement,impressions,reach,clicks,leads,conversions,revenue,cost\r\n"


@dataclass
class Setup:
    app: Flask
    sink: SmtpServer
    port: int
    uploads: Path
    world: factories.World
    campaign_id: int
    ids: dict[str, int]
    address: str
    pm: str


def start_intake(
    make_app: Any, tmp_path: Path, *, lmtp: bool = False, **config: Any
) -> Iterator[Setup]:
    sink = SmtpServer()
    sink.start()
    folder = tmp_path / "uploads"
    app = make_app(
        MAIL_SERVER=sink.host,
        MAIL_PORT=sink.port,
        INTAKE_DOMAIN=DOMAIN,
        METRICS_UPLOAD_DIR=str(folder),
        **config,
    )
    with app.app_context():
        world = factories.build_world()
        pm = world.a.email(PM)
        campaign_id = ch.solo_campaign(
            pm, "Spring Bake", start=date(2026, 3, 1), end=date(2026, 3, 31)
        )
        ids = {
            name: ch.add_placement(pm, campaign_id, world.a.id, name=name)
            for name in ("Spring Bake Search", "Spring Bake Social")
        }
        row = intake.new_address(actor(pm), campaign_id)
        intake.set_senders(actor(pm), campaign_id, f"{SENDER}\nreports@a.example")
        address = intake.address_text(row.token, DOMAIN)
        db.session.remove()
    port = free_port()
    server = intake_server.controller(app, "127.0.0.1", port, lmtp=lmtp)
    server.start()
    try:
        yield Setup(app, sink, port, folder, world, campaign_id, ids, address, pm)
    finally:
        server.stop()
        sink.stop()


def message(
    attachments: list[tuple[str, bytes, tuple[str, str]]],
    *,
    to: str,
    header_from: str = f"Ads <{SENDER}>",
) -> bytes:
    mail = EmailMessage()
    mail["From"] = header_from
    mail["To"] = to
    mail["Subject"] = "Your scheduled report"
    mail.set_content("Your scheduled report is attached.")
    for name, content, (maintype, subtype) in attachments:
        mail.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return mail.as_bytes(policy=SMTP_POLICY)  # CRLF line ends, as on the wire


def fixture_attachment(name: str, content: bytes | None = None) -> tuple[str, bytes, Any]:
    return (name, content or (FOLDER / name).read_bytes(), XLSX if name.endswith("x") else CSV)


@dataclass
class Session:
    stage: str  # where the server answered last: "rcpt" (refused there) or "data"
    code: int
    text: str


def send(
    setup: Setup,
    raw: bytes,
    *,
    to: str | None = None,
    mail_from: str = SENDER,
    options: tuple[str, ...] = (),
) -> Session:
    with smtplib.SMTP("127.0.0.1", setup.port, timeout=60) as client:
        client.ehlo("relay.a.example")
        code, text = client.mail(mail_from, list(options))
        if code != 250:
            return Session("mail", code, text.decode())
        code, text = client.rcpt(to or setup.address)
        if code != 250:
            return Session("rcpt", code, text.decode())
        code, text = client.data(raw)
        return Session("data", code, text.decode())


def counts(setup: Setup) -> tuple[int, int, list[str]]:
    with setup.app.app_context():
        imports_made = db.session.scalar(sa.select(sa.func.count()).select_from(MetricImport))
        days = db.session.scalar(sa.select(sa.func.count()).select_from(DailyMetric))
        db.session.remove()
    files = sorted(p.name for p in setup.uploads.glob("*")) if setup.uploads.exists() else []
    return int(imports_made or 0), int(days or 0), files


def stored(setup: Setup) -> list[dict[str, Any]]:
    names = {pid: name for name, pid in setup.ids.items()}
    with setup.app.app_context():
        rows = db.session.scalars(sa.select(DailyMetric)).all()
        found = sorted(
            (
                {
                    "placement": names[r.placement_id],
                    "day": r.day.isoformat(),
                    "impressions": r.impressions,
                    "reach": r.reach,
                    "clicks": r.clicks,
                    "leads": r.leads,
                    "conversions": hundredths.to_decimal(r.conversions_hundredths),
                    "revenue_minor": r.revenue_minor,
                    "cost_minor": r.cost_minor,
                }
                for r in rows
            ),
            key=lambda row: (row["day"], row["placement"]),
        )
        db.session.remove()
    return found


def imports_of(setup: Setup) -> list[MetricImport]:
    with setup.app.app_context():
        found = list(db.session.scalars(sa.select(MetricImport).order_by(MetricImport.id)))
        db.session.expunge_all()
        db.session.remove()
    return found


def mail_subjects(setup: Setup) -> list[tuple[tuple[str, ...], str]]:
    # (A long subject is folded on the wire; its unfolded text may start with the fold's space.)
    return [(tuple(m.recipients), str(m.message["Subject"]).strip()) for m in setup.sink.received]


def variant(name: str) -> bytes:
    """The same export with other bytes (a new file to the duplicate check, the same rows):
    a blank line at the end of a CSV, a workbook saved again."""
    content = (FOLDER / name).read_bytes()
    if name.endswith(".xlsx"):
        book = openpyxl.load_workbook(io.BytesIO(content))
        book.properties.title = "again"
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    if content.startswith(b"\xff\xfe"):
        return content + "\r\n".encode("utf-16-le")
    return content + b"\r\n"


def clean_csv(days: range, placement: str = "Spring Bake Search") -> bytes:
    lines = [
        f"2026-03-{day:02d},{placement},{1000 + day},{800 + day},{40 + day},{day},2.5,"
        f"{100 + day}.00,{20 + day}.50\r\n"
        for day in days
    ]
    return (CLEAN_HEADER + "".join(lines)).encode()


def remember_clean_layout(setup: Setup) -> None:
    """A's partner manager uploads a file of the clean layout by hand and confirms it."""
    with setup.app.app_context():
        who = actor(setup.pm)
        made = uploads.upload(
            who, io.BytesIO(clean_csv(range(2, 4))), "by-hand.csv", campaign_id=setup.campaign_id
        )
        metric_imports.confirm(who, made.id, post_costs=False)
        assert runs.run_import(made.id).status == "succeeded"
        db.session.remove()


def nothing_stored(setup: Setup, before: tuple[int, int, list[str]]) -> None:
    assert counts(setup) == before
    assert not [f for f in before[2] if f.startswith("partial-")]
