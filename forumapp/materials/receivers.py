"""How the materials feature hooks into the mail worker: the slides reminders and the packets
after a forum are queued by the worker's own rounds when their time comes."""

from __future__ import annotations

from flask import Flask, current_app

from ..mail.worker import MailWriter, register_mail_writer
from .packet import packets_waiting, queue_due_packets
from .speaker_mail import queue_due_slides_reminders, slides_reminders_waiting


def _reminder_days() -> int:
    return current_app.config["SPEAKER_SLIDES_REMINDER_DAYS"]


# What cannot be queued rolls its round back and is tried again next round.
SLIDES_REMINDER_WRITER = MailWriter.retried_next_round(
    "slides reminders to speakers",
    lambda session: queue_due_slides_reminders(session, default_days=_reminder_days()),
    lambda session: slides_reminders_waiting(session, default_days=_reminder_days()),
)
PACKET_WRITER = MailWriter.retried_next_round(
    "packets after a forum", queue_due_packets, packets_waiting
)


def register_materials(app: Flask) -> None:
    """Have the mail worker queue slides reminders and packets when they are due."""
    register_mail_writer(SLIDES_REMINDER_WRITER)
    register_mail_writer(PACKET_WRITER)
