"""Time zones and holidays end to end: the due instant enforced by ``flask send-reminders`` is
the one the pages and the mails show, each reader seeing it in their own zone; the company and
personal settings refuse what they cannot use, next to the field.

B works in Europe/Berlin with German holidays. A's admin sends an offer on Wednesday
23 Dec 2026 (approving for A by sending, so only B decides, with two business days): Thursday
24 Dec counts, Christmas (25, 26 Dec) and the weekend do not, so the review is due at the end
of Monday 28 Dec in Berlin: 23:00 UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from freezegun import freeze_time

from comarketing.accounts.models import Organization, User
from comarketing.extensions import db
from comarketing.offers.models import OfferRevision
from comarketing.outbox import OutboxMessage
from tests.conftest import login
from tests.offer_helpers import make_terms, propose_and_send

PM, APPROVER, ADMIN = "partner_manager", "approver", "admin"
SENT = "2026-12-23 09:00:00"
DUE = datetime(2026, 12, 28, 23, 0, tzinfo=UTC)
IN_BERLIN = "end of Mon, 28 Dec 2026 (CET)"
IN_NEW_YORK = "Mon, 28 Dec 2026, 18:00 EST"
IN_UTC = "Mon, 28 Dec 2026, 23:00 UTC"


def place(app, world: Any) -> None:
    with app.app_context():
        b = db.session.get(Organization, world.b.id)
        b.time_zone, b.country = "Europe/Berlin", "DE"
        # B's partner manager travels: reads times in New York.
        db.session.get(User, world.b.user_ids[PM]).time_zone = "America/New_York"
        db.session.commit()


def send(app, world: Any) -> int:
    parties = [world.a.id, world.b.id]
    with freeze_time(SENT), app.app_context():
        return propose_and_send(world.a.email(ADMIN), parties, make_terms(parties))


def mail_body(app, email: str, kind: str) -> str:
    with app.app_context():
        bodies = db.session.scalars(
            sa.select(OutboxMessage.body).where(
                OutboxMessage.recipient == email, OutboxMessage.kind == kind
            )
        ).all()
    assert len(bodies) == 1, (email, kind, bodies)
    return bodies[0]


def offer_page(app, email: str, offer_id: int) -> str:
    """The offer page as ``email`` reads it on 24 Dec (a client of its own per reader)."""
    reader = app.test_client()
    with freeze_time("2026-12-24 10:00:00"):
        login(reader, email)
        return reader.get(f"/offers/{offer_id}").get_data(as_text=True)


def test_the_due_instant_enforced_is_the_one_pages_and_mails_show(app, world):
    place(app, world)
    offer_id = send(app, world)
    with app.app_context():
        revision = db.session.scalar(
            sa.select(OfferRevision).where(OfferRevision.offer_id == offer_id)
        )
        assert revision is not None and revision.review_due_at == DUE

    # Each reader sees the same instant in their own zone, on the page and in the mail.
    assert f"review due {IN_BERLIN}" in offer_page(app, world.b.email(APPROVER), offer_id)
    assert f"for your review by {IN_BERLIN}." in mail_body(
        app, world.b.email(APPROVER), "offer_received"
    )
    assert f"review due {IN_NEW_YORK}" in offer_page(app, world.b.email(PM), offer_id)
    assert f"review due {IN_UTC}" in offer_page(app, world.a.email(PM), offer_id)

    # Enforced at that instant: not a second before.
    with freeze_time("2026-12-28 22:59:59"), app.app_context():
        assert "flagged overdue 0" in app.test_cli_runner().invoke(args=["send-reminders"]).output
    with freeze_time("2026-12-28 23:00:00"), app.app_context():
        assert "flagged overdue 1" in app.test_cli_runner().invoke(args=["send-reminders"]).output
    assert f"was due {IN_BERLIN} and is now overdue" in mail_body(
        app, world.b.email(APPROVER), "review_overdue"
    )
    assert f"was due {IN_UTC} and is now overdue" in mail_body(
        app, world.a.email(PM), "review_overdue"
    )


def test_the_reminder_goes_the_business_day_before_skipping_the_holidays(app, world):
    place(app, world)
    send(app, world)
    runner = app.test_cli_runner()
    for quiet in ("2026-12-23 10:00:00", "2026-12-23 22:59:59"):
        with freeze_time(quiet):
            assert "Reminded 0" in runner.invoke(args=["send-reminders"]).output, quiet
    # Thursday 24 Dec has begun in Berlin (23:00 UTC on Wednesday): its next business day,
    # past Christmas and the weekend, is the due day.
    with freeze_time("2026-12-23 23:00:00"):
        assert "Reminded 1" in runner.invoke(args=["send-reminders"]).output
    assert f"is due {IN_BERLIN}." in mail_body(app, world.b.email(APPROVER), "review_reminder")


def test_company_settings_refuse_an_unknown_zone_or_country_next_to_the_field(
    app, client, login_as, world
):
    login_as(world.b.email(ADMIN))
    page = client.get("/settings/organization").get_data(as_text=True)
    assert '<option selected value="UTC">UTC</option>' in page
    assert '<option value="DE">Germany</option>' in page

    for data, field in (
        ({"time_zone": "Europe/Atlantis", "country": "DE"}, "time_zone"),
        ({"time_zone": "Europe/Berlin", "country": "XX"}, "country"),
    ):
        refused = client.post(
            "/settings/organization", data={"review_days": "7", "claim_days": "5", **data}
        )
        assert refused.status_code == 200
        assert f'data-field-error="{field}"' in refused.get_data(as_text=True)
    with app.app_context():
        b = db.session.get(Organization, world.b.id)
        # Nothing half-written: the review window stayed as it was too.
        assert (b.time_zone, b.country, b.review_business_days) == ("UTC", "", 2)

    saved = client.post(
        "/settings/organization",
        data={"review_days": "2", "time_zone": "Europe/Berlin", "country": "DE"},
    )
    assert saved.status_code == 302
    with app.app_context():
        b = db.session.get(Organization, world.b.id)
        assert (b.time_zone, b.country) == ("Europe/Berlin", "DE")


def test_a_person_chooses_their_own_zone_or_the_companys(app, client, login_as, world):
    place(app, world)
    login_as(world.b.email(APPROVER))
    page = client.get("/account/time-zone").get_data(as_text=True)
    assert "My company&#39;s zone (Europe/Berlin)" in page

    refused = client.post("/account/time-zone", data={"time_zone": "Moon/Tranquility"})
    assert refused.status_code == 200
    assert 'data-field-error="time_zone"' in refused.get_data(as_text=True)

    assert client.post("/account/time-zone", data={"time_zone": "Asia/Tokyo"}).status_code == 302
    with app.app_context():
        assert db.session.get(User, world.b.user_ids[APPROVER]).time_zone == "Asia/Tokyo"
    # Times on pages now read in Tokyo, with its abbreviation.
    offer_id = send(app, world)
    page = offer_page(app, world.b.email(APPROVER), offer_id)
    assert "review due Tue, 29 Dec 2026, 08:00 JST" in page

    assert client.post("/account/time-zone", data={"time_zone": ""}).status_code == 302
    with app.app_context():
        assert db.session.get(User, world.b.user_ids[APPROVER]).time_zone is None
