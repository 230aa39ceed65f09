"""How the messages feature hooks into the mail worker: scheduled messages and the reminders
before each forum day are queued by the worker's own rounds, so nothing else needs to run
for them to go out."""

from __future__ import annotations

from flask import Flask

from ..mail.worker import MailWriter, register_mail_writer
from .reminders import queue_due_reminders, reminders_waiting
from .sending import due_messages, queue_due_messages

# A message or reminder that cannot be queued rolls its batch back and stays due, so it is
# tried again next round rather than set aside.
MESSAGES_WRITER = MailWriter.retried_next_round(
    "scheduled messages", queue_due_messages, due_messages
)
REMINDERS_WRITER = MailWriter.retried_next_round(
    "reminders before forum days", queue_due_reminders, reminders_waiting
)


def register_messages(app: Flask) -> None:
    """Have the mail worker queue scheduled messages and reminders when they are due."""
    register_mail_writer(MESSAGES_WRITER)
    register_mail_writer(REMINDERS_WRITER)
