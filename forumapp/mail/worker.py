"""The mail worker: each round writes the mail requests left to it, then sends what is due.

``flask --app forumapp mail send`` runs one round (``deliver_due``) and ``--loop`` keeps
running them (``deliver_until_stopped``); in development ``MAIL_SEND_AFTER_REQUEST`` runs a round
after any request that left mail. Features above mail that leave work for the worker (calendar
invitations) register a ``MailWriter`` here, and the outbox page reads the backlog and the
counts from here. How one message is claimed, sent and retried is ``sending``'s.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app, g, has_request_context
from flask.sansio.app import App
from sqlalchemy import event, func, select
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import DbSession, db
from .models import MessageStatus, OutboxMessage
from .sending import BATCH_SIZE, DeliveryReport, send_due

# --- Mail writers: work requests leave for the worker ----------------------------------------


@dataclass(frozen=True)
class UnwrittenMail:
    """Work a mail writer could not turn into mail, kept for staff to see and try again."""

    about: str  # who and what, in staff's words
    error: str
    failed_at: datetime


@dataclass(frozen=True)
class MailWriter:
    """Mail that requests leave for the worker to write (e.g. calendar invitations).

    ``write(session)`` queues what is due through the outbox and returns how many items it
    handled (fewer than its batch when it is done). ``waiting(session)`` counts the items not
    yet written and ``failed(session)`` the ones that could not be; ``failures(session)`` lists
    the newest of those, and ``retry(session)`` puts them all back in line, returning how many.
    The outbox page shows them and offers the retry.
    """

    name: str  # plural, as staff read it: "calendar updates"
    write: Callable[[DbSession], int]
    waiting: Callable[[DbSession], int]
    failed: Callable[[DbSession], int]
    failures: Callable[[DbSession], list[UnwrittenMail]]
    retry: Callable[[DbSession], int]

    @classmethod
    def retried_next_round(
        cls, name: str, write: Callable[[DbSession], int], waiting: Callable[[DbSession], int]
    ) -> MailWriter:
        """A writer that keeps no failures: a batch that cannot be written rolls back and is
        tried again in the next round (reminders, follow-ups, scheduled messages)."""
        return cls(
            name=name,
            write=write,
            waiting=waiting,
            failed=_nothing,
            failures=_no_failures,
            retry=_nothing,
        )


def _nothing(_session) -> int:
    return 0


def _no_failures(_session) -> list[UnwrittenMail]:
    return []


@dataclass(frozen=True)
class WriterBacklog:
    """What one mail writer has not written yet, for the outbox page."""

    name: str
    waiting: int
    failed: int
    failures: list[UnwrittenMail]  # the newest of them


_MAIL_WRITERS: dict[str, MailWriter] = {}


def register_mail_writer(writer: MailWriter) -> None:
    """Have ``deliver_due`` call ``writer.write(session)`` before it sends, so work a request
    left to the worker (building calendar invitations for a registration or an agenda change)
    becomes outbox messages first. A feature above mail registers here, as mail cannot import
    it. Registering the same name again replaces the writer."""
    _MAIL_WRITERS[writer.name] = writer


def writer_backlogs(session) -> list[WriterBacklog]:
    """For each mail writer with anything waiting or failed: how many wait, and the failures."""
    backlogs = []
    for writer in _MAIL_WRITERS.values():
        waiting, failed = writer.waiting(session), writer.failed(session)
        if waiting or failed:
            failures = writer.failures(session) if failed else []
            backlogs.append(WriterBacklog(writer.name, waiting, failed, failures))
    return backlogs


def retry_unwritten(session) -> int:
    """Put every writer's failed items back in line; returns how many. The caller commits."""
    return sum(writer.retry(session) for writer in _MAIL_WRITERS.values())


def announce_mail_to_write() -> None:
    """Tell the development mode (``MAIL_SEND_AFTER_REQUEST``) that this request left mail: a
    message queued in the outbox, or work for a writer."""
    if has_request_context():
        g.outbox_written = True


def _write_deferred_mail(session, should_stop: Callable[[], bool] | None) -> int:
    """Run every mail writer until it has nothing left; each batch commits on its own. A writer
    that fails is logged and skipped, so it never holds up the mail already queued."""
    written = 0
    for writer in _MAIL_WRITERS.values():
        while should_stop is None or not should_stop():
            try:
                handled = writer.write(session)
                session.commit()
            except Exception:
                session.rollback()
                current_app.logger.exception("Writing deferred mail failed; it is tried again")
                break
            written += handled
            if handled == 0:
                break
    return written


# --- Rounds and the loop ---------------------------------------------------------------------


def deliver_due(
    session,
    now: datetime | None = None,
    limit: int = BATCH_SIZE,
    *,
    should_stop: Callable[[], bool] | None = None,
) -> DeliveryReport:
    """Write the mail requests left to the worker (``register_mail_writer``), then send up to
    ``limit`` pending messages whose ``next_attempt_at`` is not after ``now``.

    Commits after every claim and every result (see ``sending``), so call it with no unit of
    work of your own in progress. Needs an app context (Flask-Mail's settings) and
    ``MAIL_DEFAULT_SENDER`` (``RuntimeError`` before anything is touched without it). ``now``
    defaults to the current time, read afresh at each step; tests pass it to travel in time.
    ``should_stop`` is asked before each message (a worker's shutdown flag).
    """
    sender = current_app.extensions["mail"].default_sender
    if not sender:
        raise RuntimeError("Set MAIL_DEFAULT_SENDER: mail cannot be sent without a From address")
    _write_deferred_mail(session, should_stop)
    report = send_due(session, sender, now, limit, should_stop=should_stop)
    report.pending = status_counts(session)[MessageStatus.PENDING.value]
    session.commit()
    return report


def status_counts(session) -> dict[str, int]:
    """How many messages are pending, sent and failed (every status present, maybe 0)."""
    counts = dict.fromkeys((status.value for status in MessageStatus), 0)
    rows = session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all()
    counts.update({status: count for status, count in rows})
    return counts


def deliver_until_stopped(
    session,
    *,
    interval: float,
    stop: threading.Event,
    on_report: Callable[[DeliveryReport], None],
) -> None:
    """The worker: deliver what is due every ``interval`` seconds until ``stop`` is set.

    A full batch is followed at once by the next one. ``on_report`` hears about every run that
    tried to send something. A database error is logged and the worker waits and carries on.
    """
    while not stop.is_set():
        try:
            report = deliver_due(session, should_stop=stop.is_set)
        except SQLAlchemyError:
            session.rollback()
            current_app.logger.exception("Mail delivery could not reach the database")
            stop.wait(interval)
            continue
        if report.tried:
            on_report(report)
        if report.tried < BATCH_SIZE or report.server_error:
            stop.wait(interval)


# --- Development: send right after the request that queued mail --------------------------------


def install_send_after_request(app: App) -> None:
    """With ``MAIL_SEND_AFTER_REQUEST``, deliver in a background thread after any request that
    wrote to the outbox, so a developer sees mail without running a worker.

    The thread starts after the view has committed and does not delay the response; if SMTP is
    down the message simply stays pending for the next try. Production runs the worker instead.
    """
    if not event.contains(OutboxMessage, "after_insert", _note_outbox_write):
        event.listen(OutboxMessage, "after_insert", _note_outbox_write)
        event.listen(OutboxMessage, "after_update", _note_outbox_write)

    @app.after_request
    def _deliver_after_response(response):
        if g.pop("outbox_written", False) and current_app.config.get("MAIL_SEND_AFTER_REQUEST"):
            # Flask types ``current_app`` as the app, but it is a proxy bound to this request's
            # context; the thread needs the app object itself.
            deliver_in_background(current_app._get_current_object())  # type: ignore[attr-defined]
        return response


def deliver_in_background(app: Flask) -> threading.Thread:
    """Run one ``deliver_due`` in a daemon thread with its own app context and session."""

    def run() -> None:
        with app.app_context():
            try:
                deliver_due(db.session)
            except Exception:
                app.logger.exception("Sending mail after a request failed; it stays queued")
            finally:
                db.session.remove()

    thread = threading.Thread(target=run, name="outbox-after-request", daemon=True)
    thread.start()
    return thread


def _note_outbox_write(_mapper, _connection, _target) -> None:
    announce_mail_to_write()
