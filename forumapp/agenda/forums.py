"""Forums, their days and rooms: create and edit them, and publish, close or return a forum
to draft.

A change to the times of a published forum's day sends ``day_changed``, so the calendar can
tell the people registered for it. Functions ``flush()``; the caller commits once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select

from ..core.clock import local_instant
from ..core.models import (
    DEFAULT_REMINDER_DAYS,
    Audience,
    Forum,
    ForumDay,
    ForumStatus,
    Program,
    Room,
    format_reminder_days,
    parse_reminder_days,
)
from ..extensions import DbSession
from .capacity import check_capacity, give_new_seats, is_raised, seats_kept
from .errors import AgendaError
from .models import AgendaItem
from .signals import day_changed


def current_program(session: DbSession, time_zone: str) -> Program:
    """The program the app runs (the first one), created in ``time_zone`` when there is none."""
    program = session.scalar(select(Program).order_by(Program.id))
    if program is None:
        program = Program(name="Forum program", time_zone=time_zone)
        session.add(program)
        session.flush()
    return program


# --- Forums ----------------------------------------------------------------------------------

PARKING_INFO_MAX = 1000
ACCESSIBILITY_CONTACT_MAX = 300
LONG_TEXT_MAX = 5000  # privacy note, confirmation text, a day's notes


@dataclass
class ForumInput:
    """What an organizer enters for a forum."""

    number: int
    title: str
    venue_name: str
    venue_address: str
    venue_city: str
    theme: str = ""
    parking_info: str = ""  # where to park, shown with the venue and in reminders
    accessibility_contact: str = ""  # whom to ask about access: a name, phone or email
    # Spanish versions (empty: none); the registration form's privacy note (empty: the
    # standard one) and text added to the confirmation.
    title_es: str = ""
    theme_es: str = ""
    parking_info_es: str = ""
    privacy_note: str = ""
    privacy_note_es: str = ""
    confirmation_text: str = ""
    confirmation_text_es: str = ""


def number_taken(
    session: DbSession, program: Program, number: int, forum: Forum | None = None
) -> str | None:
    """Why ``number`` cannot be ``forum``'s (another forum of the program has it), or None."""
    clash = session.scalar(
        select(Forum).where(Forum.program_id == program.id, Forum.number == number)
    )
    if clash is not None and clash is not forum:
        return f"Forum {number} already exists in this program."
    return None


def save_forum(
    session: DbSession, program: Program, data: ForumInput, forum: Forum | None = None
) -> Forum:
    """Create (``forum`` None) or update a forum; its number is unique within the program."""
    taken = number_taken(session, program, data.number, forum)
    if taken:
        raise AgendaError(taken, "number")
    if forum is None:
        forum = Forum(program=program, status=ForumStatus.DRAFT.value)
        session.add(forum)
    forum.number = data.number
    forum.title = data.title.strip()
    forum.theme = data.theme.strip()
    forum.venue_name = data.venue_name.strip()
    forum.venue_address = data.venue_address.strip()
    forum.venue_city = data.venue_city.strip()
    forum.parking_info = data.parking_info.strip()[:PARKING_INFO_MAX]
    forum.accessibility_contact = data.accessibility_contact.strip()[:ACCESSIBILITY_CONTACT_MAX]
    forum.title_es = data.title_es.strip()[:200]
    forum.theme_es = data.theme_es.strip()
    forum.parking_info_es = data.parking_info_es.strip()[:PARKING_INFO_MAX]
    for name in ("privacy_note", "privacy_note_es", "confirmation_text", "confirmation_text_es"):
        setattr(forum, name, getattr(data, name).strip()[:LONG_TEXT_MAX])
    session.flush()
    return forum


def set_forum_status(session: DbSession, forum: Forum, status: str) -> None:
    """Publish (agenda becomes visible), close, or return a forum to draft. A forum people
    are registered for does not go back to draft: it would vanish from their pages."""
    if status == ForumStatus.DRAFT and any(day.seats_taken for day in forum.days):
        raise AgendaError(
            f"People are registered for {forum.title}: it cannot go back to draft, as it would "
            "vanish from their pages. Edit it while published; changes reach their calendars."
        )
    forum.status = ForumStatus(status).value
    session.flush()


# --- Days and rooms --------------------------------------------------------------------------


@dataclass
class DayInput:
    """What an organizer enters for a forum day; times are local wall-clock times."""

    date: date
    audience: str
    starts_at: time
    ends_at: time
    capacity: int | None = None
    registration_opens_local: datetime | None = None  # naive, in the program's zone
    registration_closes_local: datetime | None = None
    # Days before the day that reminders go, as typed ("7, 2"); empty: no reminders.
    reminder_days: str = DEFAULT_REMINDER_DAYS
    notes: str = ""  # shown with the day on the public agenda
    notes_es: str = ""


@dataclass(frozen=True)
class DaySaved:
    """A day saved, and how many people waiting a raised capacity gave a seat."""

    day: ForumDay
    moved_up: int = 0


def save_day(
    session: DbSession, forum: Forum, data: DayInput, day: ForumDay | None = None
) -> DaySaved:
    """Create or update a forum day; one day per date per forum. Its capacity may not go
    below the seats taken; raised, it gives the new seats to the people waiting."""
    if data.ends_at <= data.starts_at:
        raise AgendaError("The day must end after it starts.", "ends_at")
    try:
        reminder_offsets = parse_reminder_days(data.reminder_days)
    except ValueError as problem:
        raise AgendaError(str(problem), "reminder_days") from None
    for other in forum.days:
        if other.date == data.date and other is not day:
            raise AgendaError(f"The forum already has a day on {data.date:%B %d, %Y}.", "date")
    zone = forum.program.time_zone

    def instant(local: datetime | None) -> datetime | None:
        return local_instant(local.date(), local.time(), zone) if local else None

    check_capacity(day, data.capacity, "on this day")
    times_before = None if day is None else (day.date, day.starts_at, day.ends_at)
    capacity_before = None if day is None else day.capacity  # a new day raises nothing
    with seats_kept(session, day, "on this day"):
        if day is None:
            day = ForumDay(forum=forum)
            session.add(day)
        day.date = data.date
        day.audience = Audience(data.audience).value
        day.starts_at = data.starts_at
        day.ends_at = data.ends_at
        day.capacity = data.capacity
        day.registration_opens_at = instant(data.registration_opens_local)
        day.registration_closes_at = instant(data.registration_closes_local)
        day.reminder_days = format_reminder_days(reminder_offsets)
        day.notes = data.notes.strip()[:LONG_TEXT_MAX]
        day.notes_es = data.notes_es.strip()[:LONG_TEXT_MAX]
        session.flush()
    changed = times_before is not None and times_before != (day.date, day.starts_at, day.ends_at)
    if changed and forum.status != ForumStatus.DRAFT:
        day_changed.send(day, session=session)
    moved_up = 0
    if is_raised(capacity_before, day.capacity):
        moved_up = give_new_seats(session, day)
    return DaySaved(day, moved_up)


def save_room(
    session: DbSession, forum: Forum, name: str, capacity: int, room: Room | None = None
) -> Room:
    """Create or update a room; room names are unique within a forum."""
    name = name.strip()
    if capacity < 1:
        raise AgendaError("Seats must be at least 1.", "capacity")
    for other in forum.rooms:
        if other.name.lower() == name.lower() and other is not room:
            raise AgendaError(f"This forum already has a room called {other.name}.", "name")
    # Sessions without a capacity of their own hold as many as their room.
    sharing = (
        []
        if room is None
        else list(
            session.scalars(
                select(AgendaItem).where(
                    AgendaItem.room_id == room.id, AgendaItem.capacity.is_(None)
                )
            )
        )
    )
    for item in sharing:
        check_capacity(item, capacity, f"in “{item.title}”, held in this room,")
    seats_before = None if room is None else room.capacity
    if room is None:
        room = Room(forum=forum)
        session.add(room)
    room.name = name
    room.capacity = capacity
    session.flush()
    if is_raised(seats_before, capacity):
        for item in sharing:
            give_new_seats(session, item)
    return room
