"""``flask intake serve``: the SMTP (or LMTP) server results by mail arrive at, built on
aiosmtpd, meant to sit behind the company's mail relay (which does TLS, SPF/DKIM/DMARC and
spam checks, and forwards ``results+*@INTAKE_DOMAIN`` here).

Refuses at RCPT what it can (550: no such address, no senders set, or the address's manager can
no longer import), at MAIL/DATA what is too large (552, aiosmtpd's ``data_size_limit`` =
``INTAKE_MAX_BYTES``), and after DATA a sender that is not allowed, a message without a CSV/XLSX
attachment and a file that cannot be read (550) — nothing stored in any of these cases. The
database work runs on a worker thread in an app context, never on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import click
from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from comarketing.extensions import db
from comarketing.metrics import intake, intake_receive, intake_replies

log = logging.getLogger("comarketing.intake")
TEMPORARY_FAILURE = "451 4.3.0 Temporary failure, try again later"
DRAIN_EVERY_SECONDS = 30.0


def safe_reply(reply: str) -> str:
    """One line of printable ASCII (a file name or a reason may carry anything), at most 400
    characters: what every relay understands."""
    text = " ".join(reply.split())
    text = "".join(ch if " " <= ch <= "~" else "?" for ch in text)
    return text[:400]


class IntakeHandler:
    """aiosmtpd handler: RCPT and DATA decided by :mod:`intake_receive`."""

    def __init__(self, app: Flask, *, lmtp: bool = False) -> None:
        self.app = app
        self.lmtp = lmtp

    def _in_app(self, function: Any, *args: Any) -> Any:
        with self.app.app_context():
            try:
                return function(*args)
            finally:
                db.session.remove()

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        loop = asyncio.get_running_loop()
        try:
            refusal, _ = await loop.run_in_executor(
                None, self._in_app, intake_receive.check_recipient, address, envelope.mail_from
            )
        except Exception:
            log.exception("intake: checking a recipient failed")
            return TEMPORARY_FAILURE
        if refusal is not None:
            return str(refusal)
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    def _receive_all(self, envelope: Envelope, peer: str | None) -> list[str]:
        content = envelope.content or b""
        assert isinstance(content, bytes)
        replies = []
        for recipient in envelope.rcpt_tos:
            try:
                outcome = intake_receive.receive(recipient, envelope.mail_from, content, peer=peer)
                replies.append(outcome.reply)
            except Exception:
                db.session.rollback()
                log.exception("intake: a message could not be handled")
                replies.append(TEMPORARY_FAILURE)
        try:
            intake_replies.hand_over()
        except Exception:  # the jobs and the outbox are retried by their own runs
            log.exception("intake: handing over jobs or mail failed")
        return replies

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        peer = session.peer[0] if isinstance(session.peer, tuple) else None
        loop = asyncio.get_running_loop()
        replies = await loop.run_in_executor(None, self._in_app, self._receive_all, envelope, peer)
        replies = [safe_reply(reply) for reply in replies]
        if self.lmtp:  # LMTP answers once per recipient
            return "\r\n".join(replies)
        refused = [reply for reply in replies if not reply.startswith("250")]
        return refused[0] if refused else replies[0]


class IntakeController(Controller):
    """aiosmtpd's threaded controller, speaking LMTP when asked."""

    def __init__(self, handler: IntakeHandler, **kwargs: Any) -> None:
        self.lmtp = handler.lmtp
        super().__init__(handler, **kwargs)

    def factory(self) -> SMTP:
        server_class = LMTP if self.lmtp else SMTP
        return server_class(self.handler, **self.SMTP_kwargs)


def controller(app: Flask, host: str, port: int, *, lmtp: bool = False) -> IntakeController:
    """A server for ``app`` on ``host:port`` (not started). aiosmtpd cannot bind port 0: the
    caller picks a free port."""
    limit = int(app.config["INTAKE_MAX_BYTES"])
    return IntakeController(
        IntakeHandler(app, lmtp=lmtp),
        hostname=host,
        port=port,
        data_size_limit=limit,
        ident="Comarketing results intake",
        # The name in the greeting; without it aiosmtpd asks DNS for this machine's (getfqdn).
        server_hostname=app.config.get("INTAKE_DOMAIN") or "localhost",
    )


def _drain_periodically(app: Flask, stop: threading.Event) -> None:
    """With jobs run in-process (``JOBS_BACKEND`` inline), the replies of imports that ran on a
    background thread are sent from here."""
    while not stop.wait(DRAIN_EVERY_SECONDS):
        with app.app_context():
            try:
                intake_replies.hand_over()
            except Exception:
                log.exception("intake: running due jobs failed")
            finally:
                db.session.remove()


intake_cli = AppGroup("intake", help="Results by mail: the SMTP/LMTP server.")


@intake_cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8025, show_default=True, type=int)
@click.option("--lmtp", is_flag=True, help="Speak LMTP (for a relay that delivers by LMTP).")
@with_appcontext
def serve(host: str, port: int, lmtp: bool) -> None:
    """Accept results by mail for the campaigns' intake addresses until interrupted."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    if intake.intake_domain() is None:
        raise click.ClickException("Set INTAKE_DOMAIN first (the domain of intake addresses).")
    server = controller(app, host, port, lmtp=lmtp)
    server.start()
    stop = threading.Event()
    threading.Thread(target=_drain_periodically, args=(app, stop), daemon=True).start()
    click.echo(
        f"Intake ({'LMTP' if lmtp else 'SMTP'}) for results+…@{intake.intake_domain()} on "
        f"{host}:{port}; at most {app.config['INTAKE_MAX_BYTES']:,} bytes a message.",
        err=True,
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.stop()
