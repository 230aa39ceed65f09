"""Sending the outbox: claim what is due, send it over SMTP, record the outcome, retry later.

Every email is first stored by ``queue_email`` in the transaction that caused it; this module
sends the stored rows. ``worker.deliver_due`` runs it, once or as the worker's loop.

How a message is sent, and why it is safe with two workers at once
------------------------------------------------------------------
Each message goes through three short transactions, and SMTP is spoken only between them, never
while a transaction (and on SQLite the database's write lock) is held:

1. **Claim**: pick the oldest due pending row (``SELECT ... FOR UPDATE SKIP LOCKED`` on
   PostgreSQL, so a second worker skips it instead of waiting; on SQLite the transaction starts
   with ``BEGIN IMMEDIATE``, see ``core/database.py``, so claims are serialised), count the
   attempt and move ``next_attempt_at`` a lease (``CLAIM_LEASE``) into the future, then commit.
   Other workers no longer see the row as due.
2. **Send** over one SMTP connection shared by the batch, with a socket timeout.
3. **Record**: ``sent`` with ``sent_at``, or the error and the next try, then commit.

A message queued to be rendered when it is sent (``outbox.queue_email_rendered_when_sent``) is
rendered between 1 and 2, in a read-only transaction of its own (on SQLite outside the write
lock, ``reading_apart``), and stored as sent in 3; until then every attempt renders it afresh.
A renderer with nothing left to say (what the message was about is gone) makes the message
superseded, never sent; one that fails makes it fail at once, like a message that cannot be
built.

If a worker dies between 1 and 3 the lease runs out and another worker tries again (counting
another attempt, so a message that crashes the worker cannot loop forever). The only way to
send a message twice is a crash in the instant between the server's "250 OK" and the commit of
step 3; the ``Message-ID`` stays the same on every attempt, so mail clients can spot a duplicate.

Failures: a refused recipient (5xx) fails at once; other per-message errors are retried after
1, 2, 4, 8 ... minutes (at most an hour) until ``MAIL_MAX_ATTEMPTS`` (default 8), after which
the message is ``failed`` and staff can retry it from the outbox page. When the server itself
is the problem (unreachable, timeout, sign-in or sender refused), the message being tried counts
the attempt and the batch stops, so the others keep their attempts for when it is back.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import flask_mail
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..core.clock import utcnow
from ..core.database import reading_apart
from .mime import build_email
from .models import MessageStatus, OutboxMessage
from .outbox import rendered_message

BATCH_SIZE = 50
DEFAULT_MAX_ATTEMPTS = 8
FIRST_RETRY_DELAY = timedelta(minutes=1)
LONGEST_RETRY_DELAY = timedelta(hours=1)
# Longer than one message can take to send with MAIL_TIMEOUT on every socket operation.
CLAIM_LEASE = timedelta(minutes=5)
ERROR_LENGTH = 300


@dataclass
class DeliveryReport:
    """What one ``deliver_due`` run did."""

    sent: int = 0
    deferred: int = 0  # an attempt failed; the message will be tried again later
    failed: int = 0  # given up in this run
    dropped: int = 0  # not to be sent after all: replaced, its person erased, nothing to say
    pending: int = 0  # still waiting in the outbox after the run, due now or later
    server_error: str | None = None  # why the run stopped early, if it did

    @property
    def tried(self) -> int:
        return self.sent + self.deferred + self.failed + self.dropped

    def summary(self) -> str:
        """``sent 3, failed 0, pending 2``, plus retries, messages dropped and an early stop
        when there were any."""
        line = f"sent {self.sent}, failed {self.failed}, pending {self.pending}"
        if self.deferred:
            line += f" ({self.deferred} to retry later)"
        if self.dropped:
            line += f"; {self.dropped} no longer to be sent"
        if self.server_error:
            line += f"; stopped early: {self.server_error}"
        return line


@dataclass(frozen=True)
class ClaimedMessage:
    """The parts of a claimed row needed to send it, copied so no transaction stays open."""

    id: int
    to_email: str
    to_name: str
    subject: str
    text_body: str
    html_body: str | None
    alternatives: list
    attachments: list
    created_at: datetime
    rendered_by: str | None = None  # still to be rendered, by this renderer
    render_arguments: dict | None = None
    person_id: int | None = None


class _Outcome:
    SERVER = "server"  # the server is the problem: stop the batch
    RETRY = "retry"  # this message failed this time
    PERMANENT = "permanent"  # this message can never be delivered


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt: 1, 2, 4 ... minutes, max 1 h."""
    return min(FIRST_RETRY_DELAY * 2 ** max(attempts - 1, 0), LONGEST_RETRY_DELAY)


def send_due(
    session,
    sender: str,
    now: datetime | None = None,
    limit: int = BATCH_SIZE,
    *,
    should_stop: Callable[[], bool] | None = None,
) -> DeliveryReport:
    """Send up to ``limit`` pending messages whose ``next_attempt_at`` is not after ``now``,
    from ``sender``; the report leaves ``pending`` to the caller.

    Commits after every claim and every result (see the module docstring), so call it with no
    unit of work of your own in progress. ``now`` defaults to the current time, read afresh at
    each step. ``should_stop`` is asked before each message (a worker's shutdown flag).
    """
    clock = (lambda: now) if now is not None else utcnow
    max_attempts = int(current_app.config.get("MAIL_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))
    report = DeliveryReport()
    connection: _SMTPConnection | None = None
    try:
        for _ in range(limit):
            if should_stop is not None and should_stop():
                break
            claimed = _claim_next(session, clock())
            if claimed is None:
                break
            try:
                rendered = _rendered(session, claimed)
                if rendered is None:
                    _record_nothing_to_say(session, claimed.id)
                    report.dropped += 1
                    continue
                prepared = _PreparedMessage(rendered, sender)
            except Exception as exc:
                session.rollback()
                # Bad stored data fails again at every try; the database, busy while the
                # message was rendered, need not.
                _record_failure(
                    session,
                    report,
                    claimed.id,
                    _short(f"cannot build the message: {exc}"),
                    clock(),
                    max_attempts,
                    permanent=not isinstance(exc, SQLAlchemyError),
                )
                continue
            try:
                if connection is None:
                    connection = _SMTPConnection(current_app.extensions["mail"]).open()
                connection.send(prepared)
            except Exception as exc:
                outcome, reason = _classify(exc)
                _record_failure(
                    session,
                    report,
                    claimed.id,
                    reason,
                    clock(),
                    max_attempts,
                    permanent=outcome == _Outcome.PERMANENT,
                )
                if outcome == _Outcome.SERVER:
                    report.server_error = reason
                    break
                continue
            _record_sent(session, rendered, clock())
            report.sent += 1
    finally:
        if connection is not None:
            connection.close()
    return report


def retry_failed(session, message_ids: Iterable[int] | None = None) -> int:
    """Put failed messages (all, or those in ``message_ids``) back in line to be sent now.

    Their attempts start again from zero; the last error is kept until the next attempt.
    Returns how many were put back. Flushes; the caller commits.
    """
    query = select(OutboxMessage).where(OutboxMessage.status == MessageStatus.FAILED.value)
    if message_ids is not None:
        query = query.where(OutboxMessage.id.in_(list(message_ids)))
    now = utcnow()
    messages = session.scalars(query).all()
    for message in messages:
        message.status = MessageStatus.PENDING.value
        message.attempts = 0
        message.next_attempt_at = now
    session.flush()
    return len(messages)


# --- Claiming and recording ---------------------------------------------------------------------


def _claim_next(session, now: datetime) -> ClaimedMessage | None:
    message = session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.status == MessageStatus.PENDING.value,
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)  # ignored on SQLite, whose BEGIN IMMEDIATE locks
        .execution_options(populate_existing=True)
    ).first()
    if message is None:
        session.commit()
        return None
    message.attempts += 1
    message.next_attempt_at = now + CLAIM_LEASE
    claimed = ClaimedMessage(
        id=message.id,
        to_email=message.to_email,
        to_name=message.to_name or "",
        subject=message.subject,
        text_body=message.text_body,
        html_body=message.html_body,
        alternatives=list(message.alternatives or []),
        attachments=list(message.attachments or []),
        created_at=message.created_at,
        rendered_by=message.rendered_by,
        render_arguments=message.render_arguments,
        person_id=message.person_id,
    )
    session.commit()
    return claimed


def _rendered(session, claimed: ClaimedMessage) -> ClaimedMessage | None:
    """``claimed`` with its bodies, rendered now if it was queued to be; None when it is not
    to be sent after all: its renderer has nothing left to say, or since the claim it was
    superseded or deleted (the person erased). The read transaction rendering took is ended,
    so no transaction stays open while SMTP is spoken."""
    if claimed.rendered_by is None:
        return claimed
    with reading_apart(session):
        status = session.scalar(select(OutboxMessage.status).where(OutboxMessage.id == claimed.id))
        rendered = rendered_message(session, claimed) if status == MessageStatus.PENDING else None
    session.commit()
    if rendered is None:
        return None
    return replace(
        claimed,
        subject=rendered.subject or claimed.subject,
        to_name=rendered.to_name or claimed.to_name,
        text_body=rendered.text_body,
        html_body=rendered.html_body,
        attachments=rendered.attachments,
    )


def _record_sent(session, sent: ClaimedMessage, now: datetime) -> None:
    """Mark the message sent, storing what it said if it was rendered for this attempt."""
    message = session.get(OutboxMessage, sent.id, populate_existing=True)
    if message is not None:
        message.status = MessageStatus.SENT.value
        message.sent_at = now
        if message.rendered_by is not None:
            message.subject, message.to_name = sent.subject, sent.to_name
            message.text_body, message.html_body = sent.text_body, sent.html_body
            message.attachments = sent.attachments
            message.rendered_by = message.render_arguments = None
    session.commit()


def _record_nothing_to_say(session, message_id: int) -> None:
    message = session.get(OutboxMessage, message_id, populate_existing=True)
    if message is not None and message.status == MessageStatus.PENDING:
        message.status = MessageStatus.SUPERSEDED.value
        message.last_error = "not sent: what it was about is gone, or its address changed"
    session.commit()


def _record_failure(
    session,
    report: DeliveryReport,
    message_id: int,
    reason: str,
    now: datetime,
    max_attempts: int,
    *,
    permanent: bool,
) -> None:
    """Store the error and schedule the next try, or give up; counted in ``report`` as
    deferred, failed, or dropped when the message was replaced or deleted meanwhile."""
    message = session.get(OutboxMessage, message_id, populate_existing=True)
    if message is None or message.status == MessageStatus.SUPERSEDED:
        # Deleted (its person erased) or replaced while it was being tried: not tried again.
        if message is not None:
            message.last_error = reason
        session.commit()
        report.dropped += 1
        return
    message.last_error = reason
    if permanent or message.attempts >= max_attempts:
        message.status = MessageStatus.FAILED.value
        report.failed += 1
    else:
        message.next_attempt_at = now + retry_delay(message.attempts)
        report.deferred += 1
    session.commit()


def _classify(exc: BaseException) -> tuple[str, str]:
    """Whether an SMTP error is the server's, this message's, or final; and a short reason."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refusals = list(exc.recipients.values())
        reason = "; ".join(f"{code} {_text(text)}" for code, text in refusals)
        final = bool(refusals) and all(500 <= code < 600 for code, _ in refusals)
        outcome = _Outcome.PERMANENT if final else _Outcome.RETRY
        return outcome, _short(f"recipient refused: {reason}")
    if isinstance(exc, smtplib.SMTPSenderRefused):  # the same for every message
        return _Outcome.SERVER, _short(f"sender refused: {_response(exc)}")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return _Outcome.SERVER, _short(f"SMTP sign-in refused: {_response(exc)}")
    if isinstance(exc, smtplib.SMTPResponseException):
        outcome = _Outcome.SERVER if exc.smtp_code == 421 else _Outcome.RETRY
        return outcome, _short(f"message refused: {_response(exc)}")
    if isinstance(exc, OSError):  # refused, unreachable, timed out, disconnected, TLS
        return _Outcome.SERVER, _short(f"SMTP server unreachable: {exc or type(exc).__name__}")
    if isinstance(exc, flask_mail.BadHeaderError):
        return _Outcome.PERMANENT, "a header contains a line break"
    return _Outcome.RETRY, _short(f"{type(exc).__name__}: {exc}")


def _response(exc: smtplib.SMTPResponseException) -> str:
    return f"{exc.smtp_code} {_text(exc.smtp_error)}"


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _short(reason: str) -> str:
    reason = " ".join(reason.split())
    return reason if len(reason) <= ERROR_LENGTH else reason[: ERROR_LENGTH - 1] + "…"


# --- Sending --------------------------------------------------------------------------------------


class _PreparedMessage(flask_mail.Message):
    """A Flask-Mail message carrying a MIME structure built by ``build_email``.

    Flask-Mail 0.10's own ``alts`` only makes ``text/<subtype>; charset=...`` parts, one per
    subtype, with no room for ``method=REQUEST``; so the MIME is built here, and Flask-Mail's
    connection still checks headers, honours ``MAIL_SUPPRESS_SEND`` and signals
    ``email_dispatched`` (which ``mail.record_messages()`` listens to).
    """

    def __init__(self, claimed: ClaimedMessage, sender: str):
        super().__init__(
            subject=claimed.subject,
            recipients=[claimed.to_email],
            body=claimed.text_body,
            html=claimed.html_body,
            sender=sender,
        )
        self.mime = build_email(claimed, sender)

    def as_bytes(self) -> bytes:
        return self.mime.as_bytes()

    def as_string(self) -> str:
        return self.mime.as_string()


class _SMTPConnection(flask_mail.Connection):
    """Flask-Mail's connection with a socket timeout (``MAIL_TIMEOUT``) and a quiet close."""

    def open(self) -> _SMTPConnection:
        self.__enter__()
        return self

    def configure_host(self) -> smtplib.SMTP:
        settings = self.mail
        timeout = current_app.config.get("MAIL_TIMEOUT", 10)
        smtp_class = smtplib.SMTP_SSL if settings.use_ssl else smtplib.SMTP
        host = smtp_class(settings.server, settings.port, timeout=timeout)
        try:
            host.set_debuglevel(int(settings.debug))
            if settings.use_tls:
                host.starttls()
            if settings.username and settings.password:
                host.login(settings.username, settings.password)
        except BaseException:
            host.close()
            raise
        return host

    def close(self) -> None:
        if self.host is None:
            return
        try:
            self.host.quit()
        except (smtplib.SMTPException, OSError):
            self.host.close()
        self.host = None
