"""Results by mail (issue 19), what is refused: an unknown or retired token, a sender not
allowed, no CSV/XLSX attachment, an unreadable attachment, a message too large — each over a
real SMTP session, with the imports, stored days and upload files counted before and after
(nothing stored). Also ``flask intake serve`` itself, in a process of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from comarketing.accounts.models import User
from comarketing.extensions import db
from comarketing.metrics import intake
from comarketing.metrics.intake_models import IntakeAddress
from comarketing.metrics.intake_server import safe_reply
from comarketing.metrics.models import MetricImport
from tests import campaign_helpers as ch
from tests.functional.conftest import SmtpServer, free_port
from tests.metrics.mail_intake import (
    CSV,
    DOMAIN,
    PM,
    SENDER,
    Setup,
    clean_csv,
    counts,
    fixture_attachment,
    imports_of,
    message,
    nothing_stored,
    send,
    start_intake,
    variant,
)
from tests.offer_helpers import actor


@pytest.fixture
def setup(make_app: Any, tmp_path: Path) -> Iterator[Setup]:
    yield from start_intake(make_app, tmp_path, INTAKE_MAX_BYTES=256 * 1024)


def test_an_unknown_token_is_refused_at_rcpt(setup: Setup):
    before = counts(setup)
    for to in (
        f"results+{intake.new_token()}@{DOMAIN}",
        setup.address.replace(DOMAIN, "other.example"),
        f"someone@{DOMAIN}",
    ):
        answer = send(setup, b"", to=to)
        assert (answer.stage, answer.code) == ("rcpt", 550), answer
    nothing_stored(setup, before)


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
    nothing_stored(setup, before)
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
    nothing_stored(setup, before)


def test_an_unreadable_attachment_refuses_the_whole_message(setup: Setup):
    before = counts(setup)
    raw = message(
        [fixture_attachment("google_ads.csv"), fixture_attachment("zip_renamed.csv")],
        to=setup.address,
    )
    answer = send(setup, raw)
    assert (answer.code, "zip_renamed.csv" in answer.text) == (550, True)
    assert "ZIP archive" in answer.text
    nothing_stored(setup, before)


def test_a_message_over_the_limit_is_refused_with_552(setup: Setup):
    before = counts(setup)
    big = clean_csv(range(2, 9)) * 1
    big += b"".join(b"2026-03-09,Spring Bake Search,1,1,1,1,1,1.00,1.00\r\n" for _ in range(7000))
    assert len(big) > 256 * 1024
    raw = message([("big.csv", big, CSV)], to=setup.address)
    # Said in advance (SIZE): refused at MAIL FROM. Not said: refused after the data.
    answer = send(setup, raw, options=(f"SIZE={len(raw)}",))
    assert (answer.stage, answer.code) == ("mail", 552)
    answer = send(setup, raw)
    assert (answer.stage, answer.code) == ("data", 552)
    nothing_stored(setup, before)


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


def test_replies_are_one_line_of_ascii():
    reply = safe_reply("550 5.6.0 Spring “Café”.csv:\r\nbad\tline " + "x" * 500)
    assert reply.startswith("550 5.6.0 Spring ?Caf??.csv: bad line x")
    assert len(reply) == 400 and reply.isascii() and "\n" not in reply
