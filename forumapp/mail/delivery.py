"""Delivering the outbox: send what is due over SMTP, retry with backoff, never lose a message.

Every email is first stored by ``queue_email`` in the transaction that caused it; this module
sends the stored rows. ``flask --app forumapp mail send --loop`` runs it as a worker.

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
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.policy import SMTP
from email.utils import format_datetime, parseaddr

import flask_mail
from flask import Flask, current_app, g, has_request_context
from sqlalchemy import event, func, select
from sqlalchemy.exc import SQLAlchemyError

from ..core.clock import utcnow
from ..extensions import db
from .models import MessageStatus, OutboxMessage
from .outbox import attachment_content

BATCH_SIZE = 50
DEFAULT_MAX_ATTEMPTS = 8
FIRST_RETRY_DELAY = timedelta(minutes=1)
LONGEST_RETRY_DELAY = timedelta(hours=1)
# Longer than one message can take to send with MAIL_TIMEOUT on every socket operation.
CLAIM_LEASE = timedelta(minutes=5)
ERROR_LENGTH = 300
# Bodies are encoded quoted-printable or base64, so any SMTP server relays them unchanged.
# Headers are not folded below SMTP's own 998-octet limit: CPython 3.11's folder drops the
# quotes around a long display name, so "…, Bob <x@evil.example>" in a person's name became
# a second address in To:. Names (at most 200 characters) then stay on one quoted line.
MIME_POLICY = SMTP.clone(cte_type="7bit", max_line_length=998)


@dataclass
class DeliveryReport:
    """What one ``deliver_due`` run did."""

    sent: int = 0
    deferred: int = 0  # an attempt failed; the message will be tried again later
    failed: int = 0  # given up in this run
    pending: int = 0  # still waiting in the outbox after the run, due now or later
    server_error: str | None = None  # why the run stopped early, if it did

    @property
    def tried(self) -> int:
        return self.sent + self.deferred + self.failed

    def summary(self) -> str:
        """``sent 3, failed 0, pending 2``, plus retries and an early stop when there were any."""
        line = f"sent {self.sent}, failed {self.failed}, pending {self.pending}"
        if self.deferred:
            line += f" ({self.deferred} to retry later)"
        if self.server_error:
            line += f"; stopped early: {self.server_error}"
        return line


@dataclass(frozen=True)
class _Claimed:
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


class _Outcome:
    SERVER = "server"  # the server is the problem: stop the batch
    RETRY = "retry"  # this message failed this time
    PERMANENT = "permanent"  # this message can never be delivered


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt: 1, 2, 4 ... minutes, max 1 h."""
    return min(FIRST_RETRY_DELAY * 2 ** max(attempts - 1, 0), LONGEST_RETRY_DELAY)


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
    write: Callable[[object], int]
    waiting: Callable[[object], int]
    failed: Callable[[object], int]
    failures: Callable[[object], list[UnwrittenMail]]
    retry: Callable[[object], int]


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
    """Tell the development mode (``MAIL_SEND_AFTER_REQUEST``) that this request left mail for
    a writer, as a queued message does."""
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


def deliver_due(
    session,
    now: datetime | None = None,
    limit: int = BATCH_SIZE,
    *,
    should_stop: Callable[[], bool] | None = None,
) -> DeliveryReport:
    """Write the mail requests left to the worker (``register_mail_writer``), then send up to
    ``limit`` pending messages whose ``next_attempt_at`` is not after ``now``.

    Commits after every claim and every result (see the module docstring), so call it with no
    unit of work of your own in progress. Needs an app context (Flask-Mail's settings) and
    ``MAIL_DEFAULT_SENDER`` (``RuntimeError`` before anything is touched without it). ``now``
    defaults to the current time, read afresh at each step; tests pass it to travel in time.
    ``should_stop`` is asked before each message (a worker's shutdown flag).
    """
    sender = current_app.extensions["mail"].default_sender
    if not sender:
        raise RuntimeError("Set MAIL_DEFAULT_SENDER: mail cannot be sent without a From address")
    _write_deferred_mail(session, should_stop)
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
                prepared = _PreparedMessage(claimed, sender)
            except Exception as exc:  # bad stored data: trying again cannot help
                _record_failure(session, claimed.id, _short(f"cannot build the message: {exc}"),
                                clock(), max_attempts, permanent=True)  # fmt: skip
                report.failed += 1
                continue
            try:
                if connection is None:
                    connection = _SMTPConnection(current_app.extensions["mail"]).open()
                connection.send(prepared)
            except Exception as exc:
                outcome, reason = _classify(exc)
                gave_up = _record_failure(session, claimed.id, reason, clock(), max_attempts,
                                          permanent=outcome == _Outcome.PERMANENT)  # fmt: skip
                if gave_up:
                    report.failed += 1
                else:
                    report.deferred += 1
                if outcome == _Outcome.SERVER:
                    report.server_error = reason
                    break
                continue
            _record_sent(session, claimed.id, clock())
            report.sent += 1
    finally:
        if connection is not None:
            connection.close()
    report.pending = status_counts(session)[MessageStatus.PENDING.value]
    session.commit()
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


def install_send_after_request(app: Flask) -> None:
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
            deliver_in_background(current_app._get_current_object())
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
    if has_request_context():
        g.outbox_written = True


# --- Claiming and recording ---------------------------------------------------------------------


def _claim_next(session, now: datetime) -> _Claimed | None:
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
    claimed = _Claimed(
        id=message.id,
        to_email=message.to_email,
        to_name=message.to_name or "",
        subject=message.subject,
        text_body=message.text_body,
        html_body=message.html_body,
        alternatives=list(message.alternatives or []),
        attachments=list(message.attachments or []),
        created_at=message.created_at,
    )
    session.commit()
    return claimed


def _record_sent(session, message_id: int, now: datetime) -> None:
    message = session.get(OutboxMessage, message_id, populate_existing=True)
    if message is not None:
        message.status = MessageStatus.SENT.value
        message.sent_at = now
    session.commit()


def _record_failure(
    session, message_id: int, reason: str, now: datetime, max_attempts: int, *, permanent: bool
) -> bool:
    """Store the error and schedule the next try, or give up; True when given up."""
    message = session.get(OutboxMessage, message_id, populate_existing=True)
    if message is None:
        session.commit()
        return False
    message.last_error = reason
    if message.status == MessageStatus.SUPERSEDED:
        session.commit()  # replaced while it was being tried: it is not tried again
        return False
    gave_up = permanent or message.attempts >= max_attempts
    if gave_up:
        message.status = MessageStatus.FAILED.value
    else:
        message.next_attempt_at = now + retry_delay(message.attempts)
    session.commit()
    return gave_up


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


# --- Building and sending -------------------------------------------------------------------------


def build_email(message: _Claimed | OutboxMessage, sender: str) -> EmailMessage:
    """The MIME message for a stored email.

    Text body, then in one ``multipart/alternative`` the HTML body and every stored alternative
    part (an iMIP ``text/calendar; method=REQUEST`` must sit there), wrapped with the
    attachments in ``multipart/mixed`` when there are any. A part's ``content_type`` is sent as
    stored, parameters and all (values quoted, as MIME allows: ``method="REQUEST"``), with
    ``charset=utf-8`` added to text parts that lack one. An attachment with a ``content_id``
    (an image the HTML shows by ``cid:``) sits inline beside the HTML in ``multipart/related``.
    """
    email = EmailMessage(policy=MIME_POLICY)
    email["Subject"] = message.subject
    email["From"] = sender
    email["To"] = Address(display_name=message.to_name or "", addr_spec=message.to_email)
    email["Date"] = format_datetime(utcnow())
    domain = parseaddr(sender)[1].rpartition("@")[2] or "forumapp.invalid"
    # The same on every attempt, so a rare duplicate can be recognised as one.
    email["Message-ID"] = f"<outbox.{message.id}.{message.created_at:%Y%m%d%H%M%S}@{domain}>"
    email.set_content(message.text_body)
    attachments = list(message.attachments or [])
    inline = [part for part in attachments if part.get("content_id")] if message.html_body else []
    if message.html_body or message.alternatives:
        email.make_alternative()
        if message.html_body:
            email.add_alternative(message.html_body, subtype="html")
            if inline:
                html = list(email.iter_parts())[-1]
                html.make_related()
                for part in inline:
                    html.attach(_attachment_part(part, inline=True))
        for part in message.alternatives:
            email.attach(_mime_part(part["content_type"], part["content"]))
    files = [part for part in attachments if not any(part is other for other in inline)]
    if files:
        email.make_mixed()
        for part in files:
            email.attach(_attachment_part(part))
    return email


def _attachment_part(part: dict, inline: bool = False) -> MIMEPart:
    """A stored attachment as a MIME part (drawn now if it has a renderer)."""
    content = attachment_content(part)
    disposition = "inline" if inline else "attachment"
    mime = _mime_part(part["content_type"], content, part["filename"], disposition)
    if part.get("content_id"):
        mime["Content-ID"] = f"<{part['content_id']}>"
    return mime


def _mime_part(
    content_type: str,
    content: str | bytes,
    filename: str | None = None,
    disposition: str | None = None,
) -> MIMEPart:
    probe = EmailMessage(policy=MIME_POLICY)
    probe["Content-Type"] = content_type
    maintype, subtype = probe.get_content_maintype(), probe.get_content_subtype()
    disposition = disposition or ("attachment" if filename else None)
    part = MIMEPart(policy=MIME_POLICY)
    if maintype == "text":
        text = content.decode("utf-8") if isinstance(content, bytes) else content
        charset = probe.get_content_charset() or "utf-8"
        part.set_content(text, subtype=subtype, charset=charset, disposition=disposition,
                         filename=filename)  # fmt: skip
        if probe.get_param("charset") is None:
            content_type = f"{content_type}; charset={charset}"
    else:
        data = content.encode("utf-8") if isinstance(content, str) else content
        part.set_content(data, maintype, subtype, disposition=disposition, filename=filename)
    part.replace_header("Content-Type", content_type)
    return part


class _PreparedMessage(flask_mail.Message):
    """A Flask-Mail message carrying a MIME structure built by ``build_email``.

    Flask-Mail 0.10's own ``alts`` only makes ``text/<subtype>; charset=...`` parts, one per
    subtype, with no room for ``method=REQUEST``; so the MIME is built here, and Flask-Mail's
    connection still checks headers, honours ``MAIL_SUPPRESS_SEND`` and signals
    ``email_dispatched`` (which ``mail.record_messages()`` listens to).
    """

    def __init__(self, claimed: _Claimed, sender: str):
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
