"""How the messages feature hooks into the mail worker: scheduled messages and the reminders
before each forum day are queued by the worker's own rounds, so nothing else needs to run
for them to go out."""

from __future__ import annotations

from flask import Flask

from ..mail.worker import MailWriter, UnwrittenMail, register_mail_writer
from .reminders import queue_due_reminders, reminders_waiting
from .sending import due_messages, queue_due_messages


def _none(_session) -> int:
    return 0


def _no_failures(_session) -> list[UnwrittenMail]:
    # A message that cannot be queued rolls its batch back and stays scheduled, so it is
    # tried again next round rather than set aside.
    return []


MESSAGES_WRITER = MailWriter(
    name="scheduled messages",
    write=queue_due_messages,
    waiting=due_messages,
    failed=_none,
    failures=_no_failures,
    retry=_none,
)


REMINDERS_WRITER = MailWriter(
    name="reminders before forum days",
    write=queue_due_reminders,
    waiting=reminders_waiting,
    failed=_none,
    failures=_no_failures,  # as for messages: a batch that fails rolls back, tried next round
    retry=_none,
)


def register_messages(app: Flask) -> None:
    """Have the mail worker queue scheduled messages and reminders when they are due."""
    register_mail_writer(MESSAGES_WRITER)
    register_mail_writer(REMINDERS_WRITER)
