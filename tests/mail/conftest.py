"""A real SMTP server in the test process (aiosmtpd), and the app pointed at it."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

import pytest
from aiosmtpd.controller import Controller

from forumapp.extensions import mail


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


class _Handler:
    def __init__(self, inbox: SMTPServer):
        self.inbox = inbox

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.inbox.refused_recipients:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        parsed = message_from_bytes(envelope.content, policy=default)
        self.inbox.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


class SMTPServer:
    """An SMTP server on 127.0.0.1 that keeps what it receives; it can go down and come back."""

    def __init__(self):
        self.port = free_port()
        self.received: list[Received] = []
        self.refused_recipients: set[str] = set()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for(self, count: int, timeout: float = 10) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.received


_ABSENT = object()


@pytest.fixture
def mail_settings(app):
    """Change MAIL_* settings for one test; Flask-Mail reads them again, and all is restored.

    Flask-Mail copies its settings when ``init_app`` runs, so the copy is rebuilt here.
    """
    saved_state = app.extensions["mail"]
    saved: dict = {}

    def change(**settings):
        for key, value in settings.items():
            saved.setdefault(key, app.config.get(key, _ABSENT))
            app.config[key] = value
        app.extensions["mail"] = mail.init_mail(app.config, app.debug, app.testing)

    yield change
    for key, value in saved.items():
        if value is _ABSENT:
            app.config.pop(key, None)
        else:
            app.config[key] = value
    app.extensions["mail"] = saved_state


@pytest.fixture
def smtp_server(mail_settings):
    """A running SMTP server the app really delivers to (sending is not suppressed)."""
    server = SMTPServer()
    server.start()
    mail_settings(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_SUPPRESS_SEND=False)
    yield server
    server.stop()
