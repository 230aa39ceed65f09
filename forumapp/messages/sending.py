"""Writing, scheduling, queueing and cancelling group messages.

A message goes out as one outbox copy per recipient, each with their own first name, days and
links, in the transaction that marks the message queued, so an SMTP outage loses nothing and
a worker that restarts mid-round never queues a message twice (the message's status changes
from scheduled to queued by a conditional UPDATE that only one worker wins).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from ..checkin.tickets import may_have_ticket
from ..core import audit
from ..core.clock import utcnow
from ..core.database import rows_changed
from ..core.i18n import format_date, format_list, in_language, local_text
from ..core.links import absolute_url, personal_token
from ..core.models import Forum
from ..extensions import DbSession
from ..mail.models import MessageStatus as OutboxStatus
from ..mail.models import OutboxMessage
from ..mail.outbox import queue_email
from .audience import Audience, Recipient, audience_size, check_audience, recipients
from .errors import MessageError
from .models import GroupMessage, MessageStatus
from .placeholders import fill_in, placeholder_problem

SUBJECT_MAX = 200
BODY_MAX = 10_000
SAMPLE_SIZE = 5  # first names shown by a dry run
CONFIRM_ABOVE = 50  # the page asks again before writing to more people than this
LATEST_SEND_AT = timedelta(days=365)
MESSAGE_KIND = "group_message"
DUE_BATCH = 20  # scheduled messages queued per worker round


@dataclass(frozen=True)
class MessageInput:
    subject: str
    body: str
    audience: Audience
    send_at: datetime | None = None  # None: now


@dataclass(frozen=True)
class Preview:
    """What a message would do: how many people, a few first names, one rendered copy."""

    recipients: int
    sample: list[str]
    subject: str
    body: str  # the first recipient's copy


def check_message(session: DbSession, forum: Forum, data: MessageInput, now: datetime) -> None:
    """Refuse what cannot be sent, naming the field: ``MessageError``."""
    subject = data.subject.strip()
    if not subject:
        raise MessageError("Write a subject.", "subject")
    if len(subject) > SUBJECT_MAX:
        raise MessageError(f"Use at most {SUBJECT_MAX} characters.", "subject")
    if "\n" in subject or "\r" in subject:
        raise MessageError("Write the subject on one line.", "subject")
    if not data.body.strip():
        raise MessageError("Write the message.", "body")
    if len(data.body) > BODY_MAX:
        raise MessageError(f"Use at most {BODY_MAX} characters.", "body")
    for field, text in (("subject", subject), ("body", data.body)):
        problem = placeholder_problem(text)
        if problem:
            raise MessageError(problem, field)
    if data.send_at is not None:
        if data.send_at < now - timedelta(minutes=1):
            raise MessageError("Choose a time in the future, or send it now.", "send_at")
        if data.send_at > now + LATEST_SEND_AT:
            raise MessageError("Choose a time within a year.", "send_at")
    check_audience(session, forum, data.audience)


def preview(
    session: DbSession, forum: Forum, data: MessageInput, now: datetime | None = None
) -> Preview:
    """Check the message and say whom it reaches, without writing anything; an audience that
    matches nobody is refused, as it would be when sent."""
    now = now or utcnow()
    check_message(session, forum, data, now)
    count = _size_or_refuse(session, forum, data.audience)
    found = recipients(session, forum, data.audience, limit=SAMPLE_SIZE)
    subject, body = _copy_for(session, forum, data.subject, data.body, found[0])
    return Preview(
        recipients=count,
        sample=[_first_name(recipient.person.name) for recipient in found[:SAMPLE_SIZE]],
        subject=subject,
        body=body,
    )


def write_message(
    session: DbSession,
    forum: Forum,
    data: MessageInput,
    user_id: int | None,
    now: datetime | None = None,
) -> GroupMessage:
    """Store the message and, unless it is scheduled for later, queue every copy now.

    An audience that matches nobody is refused. Audited with the audience and the count, never
    the addresses. Flushes; the caller commits."""
    now = now or utcnow()
    check_message(session, forum, data, now)
    count = _size_or_refuse(session, forum, data.audience)
    later = data.send_at is not None and data.send_at > now
    message = GroupMessage(
        forum_id=forum.id,
        subject=data.subject.strip(),
        body=data.body,
        audience=data.audience.as_json(),
        status=MessageStatus.SCHEDULED.value,
        send_at=data.send_at if later else now,
        recipients=count,
        created_by_id=user_id,
        created_at=now,
    )
    session.add(message)
    session.flush()
    if not later:
        _queue_copies(session, message, now)
    audit.record(
        session,
        user_id,
        "message.scheduled" if later else "message.sent",
        message.ref,
        forum_id=forum.id,
        audience=message.audience,
        recipients=message.recipients,
    )
    return message


def _size_or_refuse(session: DbSession, forum: Forum, audience: Audience) -> int:
    count = audience_size(session, forum, audience)
    if not count:
        raise MessageError("Nobody matches this audience: widen it.", "audience")
    return count


def cancel_message(session: DbSession, message: GroupMessage, user_id: int | None) -> None:
    """Cancel a scheduled message that has not gone yet. Flushes; the caller commits."""
    cancelled = rows_changed(
        session,
        update(GroupMessage)
        .where(GroupMessage.id == message.id, GroupMessage.status == MessageStatus.SCHEDULED)
        .values(status=MessageStatus.CANCELLED.value)
        .execution_options(synchronize_session=False),
    )
    if not cancelled:
        raise MessageError("This message has already gone out; it can no longer be cancelled.")
    session.refresh(message)
    audit.record(session, user_id, "message.cancelled", message.ref, forum_id=message.forum_id)


def queue_due_messages(session: DbSession, now: datetime | None = None) -> int:
    """Queue the copies of scheduled messages whose time has come (a batch of them); returns
    how many messages were queued. Flushes; the caller commits each batch."""
    now = now or utcnow()
    due = session.scalars(
        select(GroupMessage)
        .where(GroupMessage.status == MessageStatus.SCHEDULED, GroupMessage.send_at <= now)
        .order_by(GroupMessage.send_at, GroupMessage.id)
        .limit(DUE_BATCH)
    ).all()
    queued = 0
    for message in due:
        if _queue_copies(session, message, now):
            queued += 1
    return queued


def due_messages(session: DbSession, now: datetime | None = None) -> int:
    """How many scheduled messages wait for the worker now."""
    return session.execute(
        select(func.count())
        .select_from(GroupMessage)
        .where(
            GroupMessage.status == MessageStatus.SCHEDULED,
            GroupMessage.send_at <= (now or utcnow()),
        )
    ).scalar_one()


def _queue_copies(session: DbSession, message: GroupMessage, now: datetime) -> bool:
    """Claim the message (only one worker wins) and queue one copy per recipient."""
    claimed = rows_changed(
        session,
        update(GroupMessage)
        .where(GroupMessage.id == message.id, GroupMessage.status == MessageStatus.SCHEDULED)
        .values(status=MessageStatus.QUEUED.value, queued_at=now)
        .execution_options(synchronize_session=False),
    )
    if not claimed:
        return False
    forum = message.forum
    found = recipients(session, forum, Audience.from_json(message.audience))
    for recipient in found:
        subject, body = _copy_for(session, forum, message.subject, message.body, recipient)
        queue_email(
            session,
            to_email=recipient.person.email,
            to_name=recipient.person.name,
            subject=subject,
            text_body=body,
            kind=MESSAGE_KIND,
            person_id=recipient.person.id,
            about=message.ref,
        )
    session.execute(
        update(GroupMessage)
        .where(GroupMessage.id == message.id)
        .values(recipients=len(found))
        .execution_options(synchronize_session=False)
    )
    session.refresh(message)
    return True


def _copy_for(
    session: DbSession, forum: Forum, subject: str, body: str, recipient: Recipient
) -> tuple[str, str]:
    token = personal_token(recipient.person)
    ticket = (
        absolute_url("checkin.ticket_page", token=token, registration_id=recipient.registration.id)
        if may_have_ticket(recipient.registration)
        else ""
    )
    # The organizer writes the message in one language; the values filled into it (the
    # forum's title, the dates) speak the recipient's.
    with in_language(recipient.person.language):
        values = {
            "first_name": _first_name(recipient.person.name),
            "forum": local_text(forum, "title"),
            "day": format_list([format_date(day.date) for day in recipient.days]),
            "personal_link": absolute_url("attendee.personal_page", token=token),
            "ticket_link": ticket,
        }
    return fill_in(subject.strip(), values), fill_in(body, values)


def _first_name(name: str) -> str:
    return name.split()[0] if name.split() else name


@dataclass(frozen=True)
class MessageCounts:
    message: GroupMessage
    queued: int
    sent: int
    failed: int


def forum_messages(session: DbSession, forum: Forum) -> list[MessageCounts]:
    """The forum's messages, newest first, with how many copies wait, went and failed."""
    messages = session.scalars(
        select(GroupMessage)
        .where(GroupMessage.forum_id == forum.id)
        .order_by(GroupMessage.created_at.desc(), GroupMessage.id.desc())
    ).all()
    refs = [message.ref for message in messages]
    counts: dict[tuple[str, str], int] = {}
    if refs:
        rows = session.execute(
            select(OutboxMessage.about, OutboxMessage.status, func.count())
            .where(OutboxMessage.about.in_(refs))
            .group_by(OutboxMessage.about, OutboxMessage.status)
        ).all()
        counts = {(about, status): count for about, status, count in rows}
    return [
        MessageCounts(
            message,
            queued=counts.get((message.ref, OutboxStatus.PENDING.value), 0),
            sent=counts.get((message.ref, OutboxStatus.SENT.value), 0),
            failed=counts.get((message.ref, OutboxStatus.FAILED.value), 0),
        )
        for message in messages
    ]
