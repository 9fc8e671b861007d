"""Results by mail (issue 19): real SMTP sessions (smtplib) against ``flask intake serve``'s
server started on a free port, with the ad-platform fixtures attached; the replies arrive at a
real aiosmtpd sink through the outbox.

Each platform's file: the first of its layout waits on its preview and tells A's partner
managers; once a person confirmed it (stored exactly as expected), the next file of that layout
is imported by itself and the result mailed back. Refused, with nothing stored (rows and files
counted): an unknown token, a sender not allowed, no CSV/XLSX attachment, an unreadable file,
too large. A's address only ever imports into A's placements.
"""

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
import pytest
import sqlalchemy as sa
from flask import Flask

from comarketing import hundredths
from comarketing.accounts.models import User
from comarketing.extensions import db
from comarketing.metrics import choices, intake, intake_server, runs, uploads
from comarketing.metrics import imports as metric_imports
from comarketing.metrics.intake_models import IntakeAddress
from comarketing.metrics.models import DailyMetric, MetricImport
from tests import campaign_helpers as ch
from tests import factories
from tests.fixtures.ad_exports.expected import EXPECTED, FOLDER
from tests.fixtures.ad_exports.expected_platforms import EXPECTED_PLATFORMS
from tests.functional.conftest import SmtpServer, free_port
from tests.offer_helpers import actor

DOMAIN = "intake.example"
SENDER = "ads-noreply@platform.example"
PM = "partner_manager"
ALL_EXPECTED = {**EXPECTED, **EXPECTED_PLATFORMS}
PLATFORM_FILES = sorted(name for name, spec in ALL_EXPECTED.items() if spec["platform"])
XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
CSV = ("text", "csv")
_NUMERIC_ORDERS = {"%m/%d/%Y": "mdy", "%d/%m/%Y": "dmy", "%d.%m.%Y": "dmy"}
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


def _start(make_app: Any, tmp_path: Path, *, lmtp: bool = False, **config: Any) -> Iterator[Setup]:
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


@pytest.fixture
def setup(make_app: Any, tmp_path: Path) -> Iterator[Setup]:
    yield from _start(make_app, tmp_path, INTAKE_MAX_BYTES=256 * 1024)


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


def _asked_order(spec: dict[str, Any]) -> str | None:
    order = _NUMERIC_ORDERS.get(spec["day_format"])
    if order is None or any(int(row["day"][8:]) > 12 for row in spec["rows"]):
        return None
    return order


def _expected_rows(name: str) -> list[dict[str, Any]]:
    return sorted(
        (dict(row) for row in ALL_EXPECTED[name]["rows"]),
        key=lambda row: (row["day"], row["placement"]),
    )


@pytest.mark.parametrize("name", PLATFORM_FILES)
def test_each_platform_file_waits_once_then_is_imported_by_itself(setup: Setup, name: str):
    spec = ALL_EXPECTED[name]
    a = setup.world.a
    people = {(a.email("admin"),), (a.email(PM),)}  # who write results; not B, not analysts

    # The first file of this layout: stored as an import at its preview, nothing imported.
    answer = send(setup, message([fixture_attachment(name)], to=setup.address))
    assert (answer.stage, answer.code) == ("data", 250), answer
    [first] = imports_of(setup)
    assert (first.status, first.source, first.sender) == ("preview", "mail", SENDER)
    assert (first.organization_id, first.campaign_id) == (a.id, setup.campaign_id)
    assert first.filename == name
    assert stored(setup) == []
    waiting = [(to, s) for to, s in mail_subjects(setup) if s.startswith("Results by mail wait")]
    assert {to for to, _ in waiting} == people
    body = setup.sink.received[0].body
    assert "first file with these columns" in body.lower()
    assert f"/metrics/imports/{first.id}" in body

    # A person answers what the file leaves open and confirms: stored exactly as expected.
    with setup.app.app_context():
        who = actor(setup.pm)
        if (asked := _asked_order(spec)) is not None:
            choices.choose(who, first.id, date_order=asked)
        metric_imports.confirm(who, first.id, post_costs=False)
        assert runs.run_import(first.id).status == "succeeded"
        db.session.remove()
    assert stored(setup) == _expected_rows(name)

    # The next file with these columns runs by itself; the result is mailed back.
    setup.sink.received.clear()
    answer = send(setup, message([fixture_attachment(name, variant(name))], to=setup.address))
    assert (answer.stage, answer.code) == ("data", 250), answer
    second = imports_of(setup)[-1]
    assert (second.status, second.source) == ("succeeded", "mail"), second.message
    assert second.rows_read == len(spec["rows"])
    assert stored(setup) == _expected_rows(name)
    replies = mail_subjects(setup)
    assert {to for to, _ in replies} == people
    assert all(s == f"Results by mail imported: {name} for Spring Bake" for _, s in replies)
    assert f"{len(spec['rows'])} rows read" in setup.sink.received[0].body


def _clean_csv(days: range, placement: str = "Spring Bake Search") -> bytes:
    lines = [
        f"2026-03-{day:02d},{placement},{1000 + day},{800 + day},{40 + day},{day},2.5,"
        f"{100 + day}.00,{20 + day}.50\r\n"
        for day in days
    ]
    return (CLEAN_HEADER + "".join(lines)).encode()


def _remember_clean_layout(setup: Setup) -> None:
    """A's partner manager uploads a file of the clean layout by hand and confirms it."""
    with setup.app.app_context():
        who = actor(setup.pm)
        made = uploads.upload(
            who, io.BytesIO(_clean_csv(range(2, 4))), "by-hand.csv", campaign_id=setup.campaign_id
        )
        metric_imports.confirm(who, made.id, post_costs=False)
        assert runs.run_import(made.id).status == "succeeded"
        db.session.remove()


def test_a_file_of_a_remembered_layout_stores_its_days_and_mails_the_result(setup: Setup):
    _remember_clean_layout(setup)
    answer = send(setup, message([("daily.csv", _clean_csv(range(4, 9)), CSV)], to=setup.address))
    assert (answer.code, answer.text) == (250, "2.0.0 Received 1 results file")
    mailed = imports_of(setup)[-1]
    assert (mailed.status, mailed.rows_written, mailed.sender) == ("succeeded", 5, SENDER)
    assert [row["day"] for row in stored(setup)] == [f"2026-03-{d:02d}" for d in range(2, 9)]
    [reply, *_] = setup.sink.received
    assert "5 days stored" in reply.body and f"from {SENDER}" in reply.body
    # The history says where it came from.
    client = setup.app.test_client()
    client.post("/login", data={"email": setup.pm, "password": factories.TEST_PASSWORD})
    page = client.get("/metrics/imports").get_data(as_text=True)
    assert f"by mail from {SENDER}" in page


def test_a_file_with_bad_rows_stores_nothing_and_the_reply_lists_every_error(setup: Setup):
    _remember_clean_layout(setup)
    before = stored(setup)
    bad = [
        "2026-03-05,Spring Bake Search,lots,800,40,1,2,10.00,5.00",
        "2026-03-06,Spring Bake Social,1000,800,-4,1,2,10.00,5.00",
        "2026-03-07,Spring Bake Social,1000,800,4,1,2,10.00,5.005",
    ]
    content = (CLEAN_HEADER + "\r\n".join(bad) + "\r\n").encode()
    answer = send(setup, message([("bad.csv", content, CSV)], to=setup.address))
    assert answer.code == 250
    mailed = imports_of(setup)[-1]
    assert (mailed.status, mailed.error_count) == ("failed", 3)
    assert stored(setup) == before
    [reply, *_] = setup.sink.received
    assert str(reply.message["Subject"]).strip() == (
        "Results by mail refused: bad.csv for Spring Bake, nothing stored"
    )
    for line, column in ((2, "impressions"), (3, "clicks"), (4, "cost")):
        assert f"row {line}, {column}" in reply.body, reply.body


def test_a_remembered_layout_with_an_unknown_placement_waits_for_a_person(setup: Setup):
    _remember_clean_layout(setup)
    setup.sink.received.clear()
    content = _clean_csv(range(4, 6), placement="Spring Bake Radio")
    answer = send(setup, message([("radio.csv", content, CSV)], to=setup.address))
    assert answer.code == 250
    assert imports_of(setup)[-1].status == "preview"
    [notice, *_] = setup.sink.received
    assert "“Spring Bake Radio”" in notice.body


def _nothing_stored(setup: Setup, before: tuple[int, int, list[str]]) -> None:
    assert counts(setup) == before
    assert not [f for f in before[2] if f.startswith("partial-")]


def test_an_unknown_token_is_refused_at_rcpt(setup: Setup):
    before = counts(setup)
    for to in (
        f"results+{intake.new_token()}@{DOMAIN}",
        setup.address.replace(DOMAIN, "other.example"),
        f"someone@{DOMAIN}",
    ):
        answer = send(setup, b"", to=to)
        assert (answer.stage, answer.code) == ("rcpt", 550), answer
    _nothing_stored(setup, before)


def test_a_sender_not_allowed_is_refused_and_nothing_stored(setup: Setup):
    before = counts(setup)
    raw = message(
        [fixture_attachment("google_ads.csv")], to=setup.address, header_from="x@evil.example"
    )
    answer = send(setup, raw, mail_from="x@evil.example")
    assert (answer.stage, answer.code) == ("data", 550)
    # The same answer as an address that does not exist: it tells nothing of the token.
    unknown = send(setup, b"", to=f"results+{intake.new_token()}@{DOMAIN}")
    assert answer.text == unknown.text
    _nothing_stored(setup, before)
    assert setup.sink.received == []


def test_the_sender_is_the_envelope_or_else_the_from_address(setup: Setup):
    raw = message(
        [fixture_attachment("google_ads.csv")], to=setup.address, header_from="x@b.example"
    )
    # Listed envelope sender: accepted whatever the From says.
    assert send(setup, raw, mail_from="reports@a.example").code == 250
    # A platform's bounce address as envelope sender, its listed address in From: accepted.
    bounce = "bounce-7a9@bounces.platform.example"
    raw = message(
        [fixture_attachment("google_ads.csv", variant("google_ads.csv"))], to=setup.address
    )
    assert send(setup, raw, mail_from=bounce).code == 250
    assert [m.sender for m in imports_of(setup)] == ["reports@a.example", SENDER]


@pytest.mark.parametrize(
    "attachments",
    [
        [],
        [("report.zip", b"PK\x03\x04not really", ("application", "zip"))],
        [("logo.png", b"\x89PNG\r\n\x1a\n", ("image", "png"))],
    ],
    ids=["no attachment", "a zip", "a picture"],
)
def test_a_message_without_a_csv_or_xlsx_attachment_is_refused(setup: Setup, attachments):
    before = counts(setup)
    answer = send(setup, message(attachments, to=setup.address))
    assert (answer.stage, answer.code) == ("data", 550)
    assert "No CSV or XLSX attachment" in answer.text
    _nothing_stored(setup, before)


def test_an_unreadable_attachment_refuses_the_whole_message(setup: Setup):
    before = counts(setup)
    raw = message(
        [fixture_attachment("google_ads.csv"), fixture_attachment("zip_renamed.csv")],
        to=setup.address,
    )
    answer = send(setup, raw)
    assert (answer.code, "zip_renamed.csv" in answer.text) == (550, True)
    assert "ZIP archive" in answer.text
    _nothing_stored(setup, before)


def test_a_message_over_the_limit_is_refused_with_552(setup: Setup):
    before = counts(setup)
    big = _clean_csv(range(2, 9)) * 1
    big += b"".join(b"2026-03-09,Spring Bake Search,1,1,1,1,1,1.00,1.00\r\n" for _ in range(7000))
    assert len(big) > 256 * 1024
    raw = message([("big.csv", big, CSV)], to=setup.address)
    # Said in advance (SIZE): refused at MAIL FROM. Not said: refused after the data.
    answer = send(setup, raw, options=(f"SIZE={len(raw)}",))
    assert (answer.stage, answer.code) == ("mail", 552)
    answer = send(setup, raw)
    assert (answer.stage, answer.code) == ("data", 552)
    _nothing_stored(setup, before)


def test_a_new_address_retires_the_old_one(setup: Setup):
    with setup.app.app_context():
        row = intake.new_address(actor(setup.pm), setup.campaign_id)
        fresh = intake.address_text(row.token, DOMAIN)
        db.session.remove()
    assert fresh != setup.address
    assert send(setup, b"", to=setup.address).code == 550
    raw = message([fixture_attachment("google_ads.csv")], to=fresh)
    assert send(setup, raw, to=fresh).code == 250


def test_an_address_whose_manager_left_refuses_mail(setup: Setup):
    with setup.app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == setup.pm))
        assert user is not None
        user.active = False
        db.session.commit()
        db.session.remove()
    assert send(setup, b"").code == 550


def test_a_token_of_company_a_never_imports_into_company_b(setup: Setup):
    """A joint A+B campaign: each company has its own address; a file mailed to A's names B's
    placement too, and nothing reaches B's placement, B's imports or B's people."""
    world = setup.world
    b_pm = world.b.email(PM)
    with setup.app.app_context():
        joint = ch.joint_campaign(world)
        a_row = intake.new_address(actor(setup.pm), joint.id)
        intake.set_senders(actor(setup.pm), joint.id, SENDER)
        b_row = intake.new_address(actor(b_pm), joint.id)
        intake.set_senders(actor(b_pm), joint.id, SENDER)
        a_address = intake.address_text(a_row.token, DOMAIN)
        b_address = intake.address_text(b_row.token, DOMAIN)
        db.session.remove()
    assert a_address != b_address
    rows = "".join(
        f"2027-03-0{day},{name},100,80,4,1,1,10.00,5.00\r\n"
        for day in (2, 3)
        for name in ("Alpha newsletter", "Beta social post")
    )
    content = (CLEAN_HEADER + rows).encode()
    assert send(setup, message([("joint.csv", content, CSV)], to=a_address), to=a_address).code == (
        250
    )
    with setup.app.app_context():
        made = db.session.scalars(sa.select(MetricImport)).all()
        assert [(m.organization_id, m.campaign_id) for m in made] == [(world.a.id, joint.id)]
        preview = metric_imports.preview(actor(setup.pm), made[0].id)
        # B's placement is not one of A's: its rows find nothing.
        assert [n.text for n in preview.names.unmatched] == ["Beta social post"]
        assert joint.b_placement not in preview.placements
        db.session.remove()
    recipients = {r for m in setup.sink.received for r in m.recipients}
    assert recipients and all(r.endswith("@a.example") for r in recipients)
    # B's address: B's import, B's people.
    setup.sink.received.clear()
    assert send(setup, message([("joint.csv", content, CSV)], to=b_address), to=b_address).code == (
        250
    )
    with setup.app.app_context():
        last = db.session.scalars(sa.select(MetricImport).order_by(MetricImport.id.desc())).first()
        assert last is not None and last.organization_id == world.b.id
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DailyMetric)) == 0
        db.session.remove()
    assert {r for m in setup.sink.received for r in m.recipients} <= {
        world.b.email("admin"),
        b_pm,
    }


def test_one_message_to_a_and_b_makes_one_import_for_each(setup: Setup):
    """A relay may hand one message over for several recipients: each address imports for its
    own company only."""
    world = setup.world
    b_pm = world.b.email(PM)
    with setup.app.app_context():
        joint = ch.joint_campaign(world)
        addresses = []
        for email in (setup.pm, b_pm):
            row = intake.new_address(actor(email), joint.id)
            intake.set_senders(actor(email), joint.id, SENDER)
            addresses.append(intake.address_text(row.token, DOMAIN))
        db.session.remove()
    content = (CLEAN_HEADER + "2027-03-02,Alpha newsletter,100,80,4,1,1,10.00,5.00\r\n").encode()
    raw = message([("joint.csv", content, CSV)], to=", ".join(addresses))
    with smtplib.SMTP("127.0.0.1", setup.port, timeout=60) as client:
        assert client.sendmail(SENDER, addresses, raw) == {}
    made = imports_of(setup)
    assert sorted((m.organization_id, m.campaign_id) for m in made) == [
        (world.a.id, joint.id),
        (world.b.id, joint.id),
    ]


@pytest.fixture
def lmtp_setup(make_app: Any, tmp_path: Path) -> Iterator[Setup]:
    yield from _start(make_app, tmp_path, lmtp=True)


def test_lmtp_speaks_for_each_recipient(lmtp_setup: Setup):
    setup = lmtp_setup
    with smtplib.LMTP("127.0.0.1", setup.port, timeout=60) as client:
        refused = client.sendmail(
            SENDER,
            [setup.address],
            message([fixture_attachment("google_ads.csv")], to=setup.address),
        )
        assert refused == {}
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            client.sendmail(
                SENDER, [f"results+{intake.new_token()}@{DOMAIN}"], b"Subject: x\r\n\r\nx"
            )
    assert [m.source for m in imports_of(setup)] == ["mail"]


def test_intake_addresses_are_unguessable_and_case_proof(ctx):
    tokens = {intake.new_token() for _ in range(200)}
    assert len(tokens) == 200
    assert all(len(t) == 26 and t == t.lower() and t.isalnum() for t in tokens)
    ctx.config["INTAKE_DOMAIN"] = DOMAIN
    token = intake.new_token()
    assert intake.token_of(f"<RESULTS+{token.upper()}@Intake.Example>") == token
    assert intake.token_of(f"results+{token}@elsewhere.example") is None
    assert intake.token_of(f"results-{token}@{DOMAIN}") is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IntakeAddress)) == 0


def test_flask_intake_serve_needs_an_intake_domain(runner):
    result = runner.invoke(args=["intake", "serve", "--port", str(free_port())])
    assert result.exit_code == 1
    assert "Set INTAKE_DOMAIN first" in result.output


@pytest.mark.slow
def test_flask_intake_serve_answers_from_the_database(app: Flask, world, tmp_path: Path):
    """The command itself, as an operator starts it: a process on a free port reading the
    addresses from the database; refusals as in-process."""
    import os
    import secrets
    import socket
    import subprocess
    import time

    from comarketing import PROJECT_ROOT

    pm = world.a.email(PM)
    with app.app_context():
        campaign_id = ch.solo_campaign(pm, "Spring Bake")
        ch.add_placement(pm, campaign_id, world.a.id, name="Spring Bake Search")
        app.config["INTAKE_DOMAIN"] = DOMAIN
        row = intake.new_address(actor(pm), campaign_id)
        intake.set_senders(actor(pm), campaign_id, SENDER)
        address = intake.address_text(row.token, DOMAIN)
        db.session.remove()
    port = free_port()
    env = {
        **os.environ,
        "FLASK_APP": "comarketing",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "COMARKETING_ENV": "development",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "INTAKE_DOMAIN": DOMAIN,
        "INTAKE_MAX_BYTES": str(64 * 1024),
    }
    log_path = tmp_path / "intake.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(PROJECT_ROOT / ".venv" / "bin" / "flask"), "intake", "serve", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log_path.read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.2)
        setup = Setup(
            app, SmtpServer(), port, tmp_path / "none", world, campaign_id, {}, address, pm
        )
        assert send(setup, b"", to=f"results+{intake.new_token()}@{DOMAIN}").code == 550
        answer = send(setup, message([], to=address))
        assert (answer.code, "No CSV or XLSX attachment" in answer.text) == (550, True)
        big = message([("big.csv", b"x" * (80 * 1024), CSV)], to=address)
        assert send(setup, big).code == 552
    finally:
        process.terminate()
        process.wait(timeout=10)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(MetricImport)) == 0
