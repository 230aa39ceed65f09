"""A person's registrations as their personal page shows them: for each forum they are
registered for (or whose team days they may join), their days, breakout slots and picks.

Plain values gathered in one go, so the page that shows them (``attendee``) sends no query
while it renders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from ..agenda.models import AgendaItem
from ..core.i18n import known_language
from ..core.models import Audience, Forum, ForumDay, ForumStatus, Person
from ..extensions import DbSession
from .breakouts import BreakoutSlot, breakout_slots, seat_in_slot
from .models import BreakoutPick, DaySeat, Registration
from .people import is_team_member
from .registering import get_registration
from .seats import ACTIVE, seats_left, waitlist_position
from .windows import WindowState, choices_closed, is_held, is_over_for_attendees, window_state


@dataclass(frozen=True)
class DayOnPage:
    """One day of a forum on the personal page: the person's seat (None: not registered), its
    waitlist position, the breakout slots they may choose in (team members with a place)."""

    day: ForumDay
    seat: DaySeat | None
    position: int | None
    slots: list[BreakoutSlot]
    state: WindowState
    over: bool


@dataclass(frozen=True)
class ForumSection:
    """One forum on the personal page. ``picks`` are the active breakout picks by item id,
    ``positions`` their waitlist positions, ``seat_ids`` the items the person has a seat in,
    ``waiting_ids`` the breakouts waited for while holding a seat in the same slot (the wish
    shown), ``seats_left`` the free seats of each breakout in ``days``' slots."""

    forum: Forum
    member: bool
    registration: Registration | None
    days: list[DayOnPage]
    picks: dict[int, BreakoutPick]
    positions: dict[int, int | None]
    choices_open: bool
    held: bool
    seat_ids: set[int] = field(default_factory=set)
    waiting_ids: set[int] = field(default_factory=set)
    seats_left: dict[int, int | None] = field(default_factory=dict)


def personal_sections(session: DbSession, person: Person, now: datetime) -> list[ForumSection]:
    """The published forums ``person`` is registered for or is a team member of, in forum
    order, as of ``now``."""
    forums = session.scalars(
        select(Forum).where(Forum.status != ForumStatus.DRAFT).order_by(Forum.number)
    ).all()
    sections = []
    for forum in forums:
        member = is_team_member(session, person, forum)
        registration = get_registration(session, forum, person)
        if registration is None and not member:
            continue
        sections.append(_section(session, forum, member, registration, now))
    return sections


def _section(
    session: DbSession,
    forum: Forum,
    member: bool,
    registration: Registration | None,
    now: datetime,
) -> ForumSection:
    seats = {seat.day_id: seat for seat in registration.seats} if registration else {}
    picks = {
        pick.item_id: pick
        for pick in (registration.picks if registration else [])
        if pick.status in ACTIVE
    }
    held = is_held(forum, now)
    days = []
    for day in forum.days:
        if day.audience == Audience.TEAM and not member:
            continue
        seat = seats.get(day.id)
        slots = []
        if member and seat is not None and seat.status in ACTIVE:
            slots = breakout_slots(session, forum, day)
        days.append(
            DayOnPage(
                day=day,
                seat=seat,
                position=waitlist_position(session, seat) if seat else None,
                slots=slots,
                state=window_state(day, now),
                over=is_over_for_attendees(day, now),
            )
        )
    items: list[AgendaItem] = [
        item for entry in days for slot in entry.slots for item in slot.items
    ]
    return ForumSection(
        forum=forum,
        member=member,
        registration=registration,
        days=days,
        picks=picks,
        positions={item_id: waitlist_position(session, pick) for item_id, pick in picks.items()},
        choices_open=not held and not choices_closed(forum, now),
        held=held,
        seat_ids={i for i, pick in picks.items() if pick.status == "confirmed"},
        waiting_ids={
            item_id
            for item_id, pick in picks.items()
            # Picks come from the registration: there are none without one.
            if registration is not None
            and pick.status == "waitlisted"
            and seat_in_slot(registration, pick.item) is not None
        },
        seats_left={item.id: seats_left(item) for item in items},
    )


def set_language(session: DbSession, person: Person, language: str) -> bool:
    """Store the language of ``person``'s mail, calendar invitations and personal pages
    ("en" or "es"); returns whether it changed. Raises ``ValueError`` for another code: the
    form offers only ours. Flushes; the caller commits."""
    code = known_language(language)
    if code is None or code != language.strip().lower():
        raise ValueError(f"Not a language we write in: {language!r}")
    if person.language == code:
        return False
    person.language = code
    session.flush()
    return True
