"""Fixtures for functional tests: a real SMTP server (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests import factories


@dataclass
class ReceivedMail:
    recipients: list[str]
    message: EmailMessage

    @property
    def body(self) -> str:
        # SMTP carries CRLF line ends; compare text with plain newlines.
        return str(self.message.get_content()).replace("\r\n", "\n")


@dataclass
class Inbox:
    """aiosmtpd handler: every message accepted is kept, parsed."""

    received: list[ReceivedMail] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        self.received.append(ReceivedMail(list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def free_port() -> int:
    # aiosmtpd's Controller cannot start on port 0: pick a free port first.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SmtpServer:
    """An SMTP server on a fixed local port that can be stopped and started again."""

    host = "127.0.0.1"

    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self._controller: Controller | None = None

    @property
    def received(self) -> list[ReceivedMail]:
        return self.inbox.received

    def start(self) -> None:
        assert self._controller is None
        self._controller = Controller(self.inbox, hostname=self.host, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mail_app(make_app: Any, smtp_server: SmtpServer) -> Any:
    """An app that delivers its outbox to ``smtp_server``, with the world of companies A-C."""
    app = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    with app.app_context():
        factories.build_world()
    return app
