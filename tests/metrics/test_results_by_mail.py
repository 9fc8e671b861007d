"""Results by mail (issue 19): real SMTP sessions (smtplib) against ``flask intake serve``'s
server started on a free port, with the ad-platform fixtures attached; the replies arrive at a
real aiosmtpd sink through the outbox (helpers: ``tests/metrics/mail_intake.py``).

Each platform's file: the first of its layout waits on its preview and tells A's partner
managers; once a person confirmed it (stored exactly as expected), the next file of that layout
is imported by itself and the result mailed back. A file with bad rows stores nothing and the
reply lists the errors. A's address only ever imports into A's placements, B's into B's.
"""

from __future__ import annotations

import io
import smtplib
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.jobs import Job, runner
from comarketing.jobs.runner import drain
from comarketing.metrics import choices, intake, intake_replies, runs, uploads
from comarketing.metrics import imports as metric_imports
from comarketing.metrics.models import DailyMetric, MetricImport
from comarketing.outbox import OutboxMessage
from tests import campaign_helpers as ch
from tests import factories
from tests.fixtures.ad_exports.expected import EXPECTED
from tests.fixtures.ad_exports.expected_platforms import EXPECTED_PLATFORMS
from tests.metrics.mail_intake import (
    CLEAN_HEADER,
    CSV,
    DOMAIN,
    PM,
    SENDER,
    Setup,
    clean_csv,
    fixture_attachment,
    imports_of,
    mail_subjects,
    message,
    remember_clean_layout,
    send,
    start_intake,
    stored,
    variant,
)
from tests.offer_helpers import actor

ALL_EXPECTED = {**EXPECTED, **EXPECTED_PLATFORMS}
PLATFORM_FILES = sorted(name for name, spec in ALL_EXPECTED.items() if spec["platform"])
_NUMERIC_ORDERS = {"%m/%d/%Y": "mdy", "%d/%m/%Y": "dmy", "%d.%m.%Y": "dmy"}


@pytest.fixture
def setup(make_app: Any, tmp_path: Path) -> Iterator[Setup]:
    yield from start_intake(make_app, tmp_path, INTAKE_MAX_BYTES=256 * 1024)


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


def test_a_file_of_a_remembered_layout_stores_its_days_and_mails_the_result(setup: Setup):
    remember_clean_layout(setup)
    answer = send(setup, message([("daily.csv", clean_csv(range(4, 9)), CSV)], to=setup.address))
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
    remember_clean_layout(setup)
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
    remember_clean_layout(setup)
    setup.sink.received.clear()
    content = clean_csv(range(4, 6), placement="Spring Bake Radio")
    answer = send(setup, message([("radio.csv", content, CSV)], to=setup.address))
    assert answer.code == 250
    assert imports_of(setup)[-1].status == "preview"
    [notice, *_] = setup.sink.received
    assert "“Spring Bake Radio”" in notice.body


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
    yield from start_intake(make_app, tmp_path, lmtp=True)


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


def test_the_reply_waits_for_a_slow_import_and_is_sent_once(setup: Setup):
    """The reply job re-queues itself while the import is queued or running (as when it runs
    on a background thread), then mails once; running the jobs again sends nothing more."""
    remember_clean_layout(setup)
    with setup.app.app_context():
        who = actor(setup.pm)
        made = uploads.upload(
            who,
            io.BytesIO(clean_csv(range(4, 6))),
            "slow.csv",
            campaign_id=setup.campaign_id,
            sender=SENDER,
        )
        intake_replies.expect_result(made)
        metric_imports.confirm(who, made.id, post_costs=False)  # queued, not run yet
        job = db.session.scalar(sa.select(Job).where(Job.kind == intake_replies.REPLY_KIND))
        assert job is not None
        runner.run(job.id)  # before the import's own job
        db.session.refresh(job)
        assert (job.status, job.error) == ("queued", "the import has not finished yet")
        assert job.run_after > utcnow() + timedelta(seconds=20)
        sent = sa.select(sa.func.count()).where(OutboxMessage.kind == "results_mail_result")
        assert db.session.scalar(sent) == 0

        drain()  # the import runs and wakes the reply, which mails at once
        db.session.refresh(job)
        assert job.status == "done"
        assert db.session.get(MetricImport, made.id).status == "succeeded"
        assert db.session.scalar(sent) == 2  # A's admin and partner manager, once each
        drain()
        assert db.session.scalar(sent) == 2
        db.session.remove()


def test_a_csv_that_is_the_whole_message_is_read_as_a_file(setup: Setup):
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = SENDER, setup.address, "report"
    mail.set_content(clean_csv(range(4, 6)), maintype="text", subtype="csv")
    answer = send(setup, mail.as_bytes(policy=SMTP_POLICY))
    assert answer.code == 250
    [made] = imports_of(setup)
    assert (made.filename, made.status) == ("results.csv", "preview")
