"""How the commitments feature hooks into the mail worker: follow-ups are queued by the
worker's own rounds, so nothing else needs to run for them to go out."""

from __future__ import annotations

from flask import Flask, current_app

from ..mail.worker import MailWriter, register_mail_writer
from .follow_ups import Offsets, due_follow_ups, queue_due_follow_ups


def _offsets() -> Offsets:
    return Offsets.from_config(current_app.config)


# One round queues everything due, so the worker's "until nothing is left" loop stops after a
# second call that finds nothing; a follow-up that cannot be queued is tried next round.
FOLLOW_UP_WRITER = MailWriter.retried_next_round(
    "commitment follow-ups",
    lambda session: queue_due_follow_ups(session, offsets=_offsets()),
    lambda session: due_follow_ups(session, offsets=_offsets()),
)


def register_commitments(app: Flask) -> None:
    """Have the mail worker queue commitment follow-ups when they are due."""
    register_mail_writer(FOLLOW_UP_WRITER)
