"""Reminders before each forum day, queued by the mail worker itself in every round.

**When.** A day's reminder offsets (``ForumDay.reminder_days``, 7 and 2 days before unless the
organizers change them or turn them off) each name a wall-clock moment: the reminder N days
before day D goes at ``REMINDER_LOCAL_TIME`` (9:00) in the program's time zone on the date
D - N. Across a daylight-saving change it stays 9:00 local, so its UTC instant moves by the
hour the clocks did (13:00 UTC in summer time, 14:00 UTC in winter time in New York).

**While due.** A reminder is due from its moment until the next reminder of the same day
(the last one until the day starts). A worker that was not running at the moment (the app
deployed later, a long outage) then sends only the reminder that is current: never a backlog
of old ones, and nothing once the day has begun.

**Who.** People with a confirmed seat on the day *at the reminder's moment* and not erased.
Someone whose seat was confirmed later (they registered, or were promoted, after it) had a
confirmation or promotion email at that time, so the reminder is not sent late. People still
waitlisted at the moment get a short "you are still on the waitlist" note instead; cancelled
people get nothing.

**Once.** Each reminder (day, offset, person) is a ``SentReminder`` row inserted with
``ON CONFLICT DO NOTHING`` in the transaction that queues its email: a row that is already
there (a worker restarted after committing a batch, or another worker at the same time) means
"already done", on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import selectinload

from ..agenda.models import AgendaItem
from ..calendar.feeds import ensure_feed, feed_urls
from ..checkin.receivers import ticket_email_addition
from ..checkin.tickets import may_have_ticket
from ..core.clock import local_instant, to_local, utcnow
from ..core.database import InsertOrNothing
from ..core.erasure import not_erased
from ..core.i18n import format_date, format_local_time, in_language, local_text
from ..core.links import absolute_url, personal_token
from ..core.models import (
    MOST_DAYS_BEFORE,
    REMINDER_LOCAL_TIME,
    Forum,
    ForumDay,
    ForumStatus,
    Person,
)
from ..extensions import DbSession
from ..mail.outbox import queue_email_to_person
from ..registration.models import BreakoutPick, DaySeat, Registration, SeatStatus
from ..registration.seats import waitlist_position
from .models import ReminderKind, SentReminder

BATCH = 50  # people handled per call; the worker commits each batch and asks again


@dataclass(frozen=True)
class DayReminder:
    """One reminder of a forum day: ``days_before`` the day, due from ``at`` until ``until``
    (instants in UTC)."""

    day: ForumDay
    days_before: int
    at: datetime
    until: datetime

    @property
    def about(self) -> str:
        """What its emails are ``about`` in the outbox."""
        return f"reminder:{self.day.id}:{self.days_before}"

    def is_due(self, now: datetime) -> bool:
        return self.at <= now < self.until


def reminder_time(day: ForumDay, days_before: int) -> datetime:
    """The instant (UTC) of the reminder ``days_before`` the day: ``REMINDER_LOCAL_TIME`` in
    the program's time zone on that date."""
    return local_instant(
        day.date - timedelta(days=days_before), REMINDER_LOCAL_TIME, day.forum.program.time_zone
    )


def day_reminders(day: ForumDay) -> list[DayReminder]:
    """The day's reminders, earliest first, each due until the next one (the last until the
    day starts)."""
    starts = local_instant(day.date, day.starts_at, day.forum.program.time_zone)
    moments = [(days, reminder_time(day, days)) for days in day.reminder_offsets]
    reminders = []
    for index, (days_before, at) in enumerate(moments):
        until = moments[index + 1][1] if index + 1 < len(moments) else starts
        reminders.append(DayReminder(day, days_before, at, until))
    return reminders


def due_reminders(session: DbSession, now: datetime) -> list[DayReminder]:
    """The reminders due at ``now``, of the days of published forums (not drafts, not forums
    the organizers closed)."""
    # A generous window of dates (any zone is within a day of UTC); ``is_due`` decides.
    today = now.date()
    days = session.scalars(
        select(ForumDay)
        .join(Forum, Forum.id == ForumDay.forum_id)
        .where(
            Forum.status == ForumStatus.PUBLISHED,
            ForumDay.date >= today - timedelta(days=1),
            ForumDay.date <= today + timedelta(days=MOST_DAYS_BEFORE + 1),
            ForumDay.reminder_days != "",
        )
        .order_by(ForumDay.date, ForumDay.id)
    ).all()
    return [reminder for day in days for reminder in day_reminders(day) if reminder.is_due(now)]


def _unsent(reminder: DayReminder):
    """SQL conditions: the seats of the day held at the reminder's moment, confirmed or
    waitlisted, of people not erased who have not had this reminder."""
    already = exists().where(
        SentReminder.forum_day_id == reminder.day.id,
        SentReminder.days_before == reminder.days_before,
        SentReminder.person_id == Registration.person_id,
    )
    return and_(
        DaySeat.day_id == reminder.day.id,
        DaySeat.status.in_([SeatStatus.CONFIRMED.value, SeatStatus.WAITLISTED.value]),
        # In this status since before the moment: a later registration or promotion was
        # told by its own email, and is not reminded late.
        DaySeat.status_changed_at <= reminder.at,
        not_erased(Person.email),
        ~already,
    )


def _seats_to_remind(session: DbSession, reminder: DayReminder, limit: int) -> list[DaySeat]:
    return list(
        session.scalars(
            select(DaySeat)
            .join(Registration, Registration.id == DaySeat.registration_id)
            .join(Person, Person.id == Registration.person_id)
            .where(_unsent(reminder))
            .order_by(DaySeat.id)
            .limit(limit)
            .options(
                selectinload(DaySeat.registration).selectinload(Registration.person),
                selectinload(DaySeat.registration)
                .selectinload(Registration.picks)
                .selectinload(BreakoutPick.item)
                .selectinload(AgendaItem.room),
            )
        )
    )


# No row comes back when the unique key refuses it.
_CLAIM = InsertOrNothing(
    SentReminder.__table__, ("forum_day_id", "days_before", "person_id")
).returning(SentReminder.__table__.c.id)


def _claim(
    session: DbSession, reminder: DayReminder, person_id: int, kind: ReminderKind, now: datetime
) -> bool:
    """Record that ``person_id`` has this reminder; False when they had it already."""
    session.flush()  # the statement goes past the ORM's autoflush
    inserted = session.execute(
        _CLAIM,
        {
            "forum_day_id": reminder.day.id,
            "days_before": reminder.days_before,
            "person_id": person_id,
            "kind": kind.value,
            "queued_at": now,
        },
    ).first()
    return inserted is not None


def queue_due_reminders(session: DbSession, now: datetime | None = None, limit: int = BATCH) -> int:
    """Queue the reminders (and waitlist notes) due at ``now`` for up to ``limit`` people;
    returns how many people were handled (0: nothing is left). Each email goes through the
    outbox in the caller's transaction with the row that makes it once. Flushes; the caller
    commits each batch (the mail worker does, see ``MailWriter``)."""
    now = now or utcnow()
    handled = 0
    for reminder in due_reminders(session, now):
        if handled >= limit:
            break
        for seat in _seats_to_remind(session, reminder, limit - handled):
            handled += 1
            confirmed = seat.status == SeatStatus.CONFIRMED
            kind = ReminderKind.REMINDER if confirmed else ReminderKind.WAITLIST_NOTE
            if not _claim(session, reminder, seat.registration.person_id, kind, now):
                continue  # another worker has just done it
            if confirmed:
                _queue_reminder(session, reminder, seat)
            else:
                _queue_waitlist_note(session, reminder, seat)
    return handled


def reminders_waiting(session: DbSession, now: datetime | None = None) -> int:
    """How many people have a reminder due and not yet queued (for the outbox page)."""
    now = now or utcnow()
    return sum(
        session.scalar(
            select(func.count())
            .select_from(DaySeat)
            .join(Registration, Registration.id == DaySeat.registration_id)
            .join(Person, Person.id == Registration.person_id)
            .where(_unsent(reminder))
        )
        or 0
        for reminder in due_reminders(session, now)
    )


# --- The emails ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BreakoutOnDay:
    """A breakout the person has a seat in that day, as the reminder lists it."""

    title: str
    starts: str
    ends: str
    room: str


def _reminder_subject(words: dict) -> str:
    """``Tomorrow: <forum>, <date>``, in the language being rendered."""
    forum, date_text = local_text(words["forum"], "title"), words["date_text"]
    if words["days_before"] == 1:
        return _("Tomorrow: %(forum)s, %(date)s", forum=forum, date=date_text)
    return _(
        "In %(num)s days: %(forum)s, %(date)s",
        num=words["days_before"],
        forum=forum,
        date=date_text,
    )


def _day_words(reminder: DayReminder) -> dict:
    """What the reminder and the note say about the day: date, times, venue."""
    day = reminder.day
    forum = day.forum
    zone = forum.program.time_zone
    starts = local_instant(day.date, day.starts_at, zone)
    ends = local_instant(day.date, day.ends_at, zone)
    return {
        "forum": forum,
        "program": forum.program,
        "day": day,
        "date_text": format_date(day.date),
        "starts": format_local_time(starts, zone),
        "ends": format_local_time(ends, zone),
        "zone_name": to_local(starts, zone).tzname(),
        "days_before": reminder.days_before,
        "map_url": forum.map_url,
    }


def _breakouts_on(seat: DaySeat) -> list[BreakoutOnDay]:
    zone = seat.day.forum.program.time_zone
    picks = sorted(
        (
            pick
            for pick in seat.registration.picks
            if pick.status == SeatStatus.CONFIRMED and pick.item.day_id == seat.day_id
        ),
        key=lambda pick: pick.item.starts_at,
    )
    return [
        BreakoutOnDay(
            title=local_text(pick.item, "title"),
            starts=format_local_time(pick.item.starts_at, zone),
            ends=format_local_time(pick.item.ends_at, zone),
            room=pick.item.room.name if pick.item.room else "",
        )
        for pick in picks
    ]


def _queue_reminder(session: DbSession, reminder: DayReminder, seat: DaySeat) -> None:
    """The reminder: what the person needs to walk in, and the link to give the seat back,
    in the person's language."""
    with in_language(seat.registration.person.language):
        _queue_reminder_in_language(session, reminder, seat)


def _queue_reminder_in_language(session: DbSession, reminder: DayReminder, seat: DaySeat) -> None:
    registration = seat.registration
    person = registration.person
    token = personal_token(person)
    words = _day_words(reminder)
    addition = ticket_email_addition(session, registration)
    ticket_link = (
        absolute_url("checkin.ticket_page", token=token, registration_id=registration.id)
        if may_have_ticket(registration)
        else None
    )
    _webcal, calendar_link = feed_urls(ensure_feed(session, person))
    queue_email_to_person(
        session,
        "messages/email/day_reminder",
        person,
        kind="day_reminder",
        about=reminder.about,
        subject=_reminder_subject(words),
        link=absolute_url("attendee.personal_page", token=token),
        ticket_link=ticket_link,
        calendar_link=calendar_link,
        cancel_link=absolute_url(
            "registration.cancel_seat", token=token, seat_id=seat.id, via="reminder"
        ),
        breakouts=_breakouts_on(seat),
        attachments=addition.attachments if addition else [],
        **words,
        **(addition.context if addition else {}),
    )


def _queue_waitlist_note(session: DbSession, reminder: DayReminder, seat: DaySeat) -> None:
    """The note to someone still waiting: where they stand, and that a seat comes by email,
    in the person's language."""
    person = seat.registration.person
    with in_language(person.language):
        _queue_waitlist_note_in_language(session, reminder, seat, person)


def _queue_waitlist_note_in_language(
    session: DbSession, reminder: DayReminder, seat: DaySeat, person: Person
) -> None:
    words = _day_words(reminder)
    queue_email_to_person(
        session,
        "messages/email/waitlist_note",
        person,
        kind="waitlist_note",
        about=reminder.about,
        subject=_(
            "Still on the waitlist: %(forum)s, %(date)s",
            forum=local_text(words["forum"], "title"),
            date=words["date_text"],
        ),
        link=absolute_url("attendee.personal_page", token=personal_token(person)),
        position=waitlist_position(session, seat),
        cancel_link=absolute_url(
            "registration.cancel_seat", token=personal_token(person), seat_id=seat.id
        ),
        **words,
    )
