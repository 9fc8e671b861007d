"""Mail through a real SMTP server: delivered after the request, kept in the outbox when the
server is down, and sent later by ``flask send-outbox``."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from comarketing.accounts.models import UserInvitation
from comarketing.extensions import db
from comarketing.outbox import OutboxMessage
from comarketing.tokens import hash_token
from tests import factories

pytestmark = pytest.mark.slow

COLLEAGUE = "new.colleague@a.example"
SUBJECT = "Admin A invited you to Alpha Flour on Comarketing"


def signed_in_admin(app):
    client = app.test_client()
    response = client.post(
        "/login", data={"email": "admin@a.example", "password": factories.TEST_PASSWORD}
    )
    assert response.status_code == 302
    return client


def invite_colleague(client) -> None:
    response = client.post("/settings/users", data={"email": COLLEAGUE, "role": "analyst"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/settings/users"


def outbox_rows(app) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))
        db.session.expunge_all()
        return rows


def test_invitation_mail_reaches_the_smtp_server_during_the_request(mail_app, smtp_server):
    client = signed_in_admin(mail_app)
    invite_colleague(client)

    (mail,) = smtp_server.received
    assert mail.recipients == [COLLEAGUE]
    assert mail.message["To"] == COLLEAGUE
    assert mail.message["Subject"] == SUBJECT
    link = re.search(r"^http://localhost/join/([A-Za-z0-9_-]{40,})$", mail.body, re.MULTILINE)
    assert link, mail.body
    with mail_app.app_context():
        stored = db.session.scalar(sa.select(UserInvitation.token_hash))
    assert stored == hash_token(link.group(1))
    (row,) = outbox_rows(mail_app)
    assert row.sent_at is not None
    assert (row.attempts, row.last_error) == (0, None)
    assert mail.message["Message-ID"] == f"<outbox-{row.id}@comarketing.local>"


def test_mail_waits_in_the_outbox_while_smtp_is_down_and_send_outbox_delivers_it(
    mail_app, smtp_server
):
    client = signed_in_admin(mail_app)
    smtp_server.stop()

    invite_colleague(client)  # the action itself must not fail because mail cannot go out

    (row,) = outbox_rows(mail_app)
    assert row.recipient == COLLEAGUE
    assert row.sent_at is None
    assert row.attempts == 1
    assert row.last_error.startswith("SMTP unavailable")
    assert smtp_server.received == []

    smtp_server.start()
    result = mail_app.test_cli_runner().invoke(args=["send-outbox"])

    assert result.exit_code == 0, result.output
    assert "Sent 1 message(s)." in result.output
    (mail,) = smtp_server.received
    assert mail.recipients == [COLLEAGUE]
    assert mail.message["Subject"] == SUBJECT
    (row,) = outbox_rows(mail_app)
    assert row.sent_at is not None
    # Running it again finds nothing left to send.
    again = mail_app.test_cli_runner().invoke(args=["send-outbox"])
    assert "Sent 0 message(s)." in again.output
    assert len(smtp_server.received) == 1
