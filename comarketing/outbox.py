"""Outgoing mail through an outbox table.

A service adds a message in the same transaction as the action it reports, so no mail is
sent for a rolled-back action and no committed action loses its mail. Each message gets a
delivery job in that same transaction (``comarketing/jobs/mail.py``): a worker sends it with
:func:`send_one` after the commit, retrying with backoff while the SMTP server fails; the
request never waits for SMTP. ``flask send-outbox`` (:func:`deliver_pending`) is the manual
tool that sends whatever is still unsent.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column

from comarketing.db import UTCDateTime, utcnow
from comarketing.extensions import Model, db

log = logging.getLogger("comarketing.mail")

_QUEUED_FLAG = "outbox_queued"
MAX_ATTEMPTS = 8


class OutboxMessage(Model):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    kind: Mapped[str] = mapped_column(sa.String(40), default="general")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(300))


def enqueue(recipient: str, subject: str, body: str, *, kind: str = "general") -> OutboxMessage:
    """Queue a message in the caller's transaction."""
    message = OutboxMessage(recipient=recipient, subject=subject, body=body, kind=kind)
    db.session.add(message)
    db.session.info[_QUEUED_FLAG] = True
    return message


def has_queued() -> bool:
    return bool(db.session.info.get(_QUEUED_FLAG))


def _build(message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Message-ID"] = f"<outbox-{message.id}@{current_app.config['MAIL_MESSAGE_ID_DOMAIN']}>"
    email.set_content(message.body)
    return email


def send_one(message: OutboxMessage) -> str | None:
    """Send one message now (the caller commits); returns the error when it was not sent
    (its ``attempts`` and ``last_error`` then say so)."""
    try:
        _send([message])
    except (OSError, smtplib.SMTPException) as exc:
        message.attempts += 1
        message.last_error = f"SMTP unavailable: {exc}"[:300]
        log.warning("mail server unavailable: %s", exc)
    return None if message.sent_at is not None else (message.last_error or "not sent")


def _send(messages: list[OutboxMessage]) -> None:
    config = current_app.config
    host = config.get("MAIL_SERVER")
    if not host:
        for message in messages:
            if config.get("ENV_NAME") == "development":
                # Development without SMTP: the log is the mailbox (links included, by design).
                log.info(
                    "mail (not sent, no MAIL_SERVER) to=%s subject=%s\n%s",
                    message.recipient,
                    message.subject,
                    message.body,
                )
                message.sent_at = utcnow()
            else:
                message.attempts += 1
                message.last_error = "MAIL_SERVER is not configured"
        return
    smtp_class = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
    with smtp_class(host, int(config["MAIL_PORT"]), timeout=config["MAIL_TIMEOUT"]) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        for message in messages:
            try:
                smtp.send_message(_build(message))
                message.sent_at = utcnow()
                log.info("mail sent id=%s kind=%s", message.id, message.kind)
            except smtplib.SMTPException as exc:
                message.attempts += 1
                message.last_error = str(exc)[:300]
                log.warning("mail failed id=%s error=%s", message.id, exc)


def deliver_pending(limit: int = 100) -> int:
    """Send unsent messages; returns how many were sent. Safe to run from several processes:
    on PostgreSQL rows are claimed with SKIP LOCKED so two workers never send the same mail."""
    db.session.info.pop(_QUEUED_FLAG, None)
    query = (
        sa.select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    messages = list(db.session.scalars(query))
    if not messages:
        db.session.rollback()
        return 0
    try:
        _send(messages)
    except (OSError, smtplib.SMTPException) as exc:
        for message in messages:
            message.attempts += 1
            message.last_error = f"SMTP unavailable: {exc}"[:300]
        log.warning("mail server unavailable: %s", exc)
    db.session.commit()
    return sum(1 for m in messages if m.sent_at is not None)
