"""How the commitments feature hooks into the mail worker: follow-ups are queued by the
worker's own rounds, so nothing else needs to run for them to go out."""

from __future__ import annotations

from flask import Flask, current_app

from ..mail.worker import MailWriter, UnwrittenMail, register_mail_writer
from .follow_ups import Offsets, due_follow_ups, queue_due_follow_ups


def _offsets() -> Offsets:
    return Offsets.from_config(current_app.config)


def _none(_session) -> int:
    return 0


def _no_failures(_session) -> list[UnwrittenMail]:
    # A follow-up that cannot be queued rolls its round back and is tried again next round.
    return []


FOLLOW_UP_WRITER = MailWriter(
    name="commitment follow-ups",
    # One round queues everything due, so the worker's "until nothing is left" loop stops
    # after a second call that finds nothing.
    write=lambda session: queue_due_follow_ups(session, offsets=_offsets()),
    waiting=lambda session: due_follow_ups(session, offsets=_offsets()),
    failed=_none,
    failures=_no_failures,
    retry=_none,
)


def register_commitments(app: Flask) -> None:
    """Have the mail worker queue commitment follow-ups when they are due."""
    register_mail_writer(FOLLOW_UP_WRITER)
