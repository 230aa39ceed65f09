"""Scans that record presence: entry and exit at any session's door, and exit (or re-entry)
at the day's entrance.

The day's first entry at the entrance stays the check-in (``checkin.scanning.scan``, the
door's two-statement path); every other scan adds one ``PresenceScan`` row. A scanner's
``request_id`` makes a retried request answer as the first time and record nothing more.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..agenda.models import AgendaItem, ItemKind
from ..checkin.access import may_use_door
from ..checkin.breakouts import BreakoutChoice, record_at_breakout
from ..checkin.models import CheckIn, Ticket
from ..checkin.scanning import find_ticket
from ..checkin.signals import entered_again, scanned_at_breakout
from ..core.actions import DomainError
from ..core.clock import local_today, utcnow
from ..core.i18n import format_local_time
from ..core.models import ForumDay, User
from ..extensions import DbSession
from ..registration.models import Registration, SeatStatus
from .models import Direction, PresenceScan


class DoorResult(enum.StrEnum):
    ENTERED = "entered"
    LEFT = "left"
    NOT_CHECKED_IN = "not_checked_in"
    ALREADY_OUT = "already_out"
    NOT_REGISTERED_FOR_DAY = "not_registered_for_day"
    INVALID = "invalid"
    REQUEST_ID_REUSED = "request_id_reused"

    @property
    def ok(self) -> bool:
        return self in (DoorResult.ENTERED, DoorResult.LEFT)


@dataclass(frozen=True)
class DoorOutcome:
    """What a presence scan says, and who it is about."""

    result: DoorResult
    message: str
    registration: Registration | None = None
    scan: PresenceScan | None = None
    # At a breakout's session door, what the person had chosen (``BreakoutChoice``): the
    # door's card shows it as the breakout door does.
    breakout_choice: BreakoutChoice | None = None


def door_scan(
    session: DbSession,
    raw_code: str,
    day: ForumDay,
    item: AgendaItem | None,
    direction: Direction,
    user_id: int | None,
    request_id: str | None = None,
    scanned_at: datetime | None = None,
) -> DoorOutcome:
    """Record the holder of ``raw_code`` going in or out of ``item`` (a session of ``day``), or
    of the day's entrance when ``item`` is None. The first entry at the entrance is a check-in,
    made by ``checkin.scanning.scan``, not here. Flushes; the caller commits."""
    assert item is None or item.day_id == day.id, "a session's door belongs to its day"
    scanned_at = scanned_at or utcnow()
    ticket = find_ticket(session, raw_code)
    if request_id:
        earlier = session.scalar(select(PresenceScan).where(PresenceScan.request_id == request_id))
        if earlier is not None:
            return _replay(earlier, ticket, day, item, direction)
    refused = _refusal(session, ticket, day, item, direction)
    if refused is not None:
        return refused
    assert ticket is not None, "no ticket is a refusal"
    registration = ticket.registration
    scan = PresenceScan(
        registration_id=registration.id,
        day_id=day.id,
        item_id=item.id if item else None,
        direction=direction.value,
        scanned_at=scanned_at,
        scanned_by_id=user_id,
        request_id=request_id or None,
    )
    try:
        with session.begin_nested():
            session.add(scan)
    except IntegrityError:
        # The same request id arrived twice at once: the other one recorded it.
        earlier = session.scalar(select(PresenceScan).where(PresenceScan.request_id == request_id))
        if earlier is None:
            raise
        return _replay(earlier, ticket, day, item, direction)
    if direction == Direction.ENTRY and item is not None and item.kind == ItemKind.BREAKOUT:
        # The breakout door also says whether they chose this breakout.
        choice, message = record_at_breakout(session, registration, item, user_id, scanned_at)
        return DoorOutcome(DoorResult.ENTERED, message, registration, scan, choice)
    message = _message(registration, item, direction, scanned_at)
    result = DoorResult.ENTERED if direction == Direction.ENTRY else DoorResult.LEFT
    return DoorOutcome(result, message, registration, scan)


def _refusal(
    session: DbSession,
    ticket: Ticket | None,
    day: ForumDay,
    item: AgendaItem | None,
    direction: Direction,
) -> DoorOutcome | None:
    """Why this scan records nothing, or None when it may: an unknown or replaced code,
    another forum's ticket, no seat that day, no check-in yet (at the entrance), or a second
    exit in a row."""
    if ticket is None:
        return DoorOutcome(DoorResult.INVALID, "Unknown code: this is not a forum ticket.")
    registration = ticket.registration
    name = registration.person.name
    if ticket.voided_at is not None:
        return DoorOutcome(
            DoorResult.INVALID,
            f"This code was replaced by a newer one for {name}. Ask for their latest ticket.",
            registration,
        )
    if registration.forum_id != day.forum_id:
        return DoorOutcome(
            DoorResult.INVALID, f"{name}'s ticket is for another forum.", registration
        )
    if not any(
        seat.day_id == day.id and seat.status == SeatStatus.CONFIRMED for seat in registration.seats
    ):
        return DoorOutcome(
            DoorResult.NOT_REGISTERED_FOR_DAY,
            f"{name} has no confirmed place on this day.",
            registration,
        )
    if item is None and not _checked_in(session, registration.id, day.id):
        return DoorOutcome(
            DoorResult.NOT_CHECKED_IN,
            f"{name} was never checked in today: check them in first.",
            registration,
        )
    left_at = (
        _already_out_since(session, registration.id, day.id, item)
        if direction == Direction.EXIT
        else None
    )
    if left_at is not None:
        zone = registration.forum.program.time_zone
        return DoorOutcome(
            DoorResult.ALREADY_OUT,
            f"{name} already left {_place(item)} at {format_local_time(left_at, zone)}. "
            "Nothing more was recorded.",
            registration,
        )
    return None


def _already_out_since(
    session: DbSession, registration_id: int, day_id: int, item: AgendaItem | None
) -> datetime | None:
    """When the person last left this door (the session's, or the entrance), if their last
    scan there was an exit: a second exit in a row is a slip at the door, not news."""
    last = session.execute(
        select(PresenceScan.direction, PresenceScan.scanned_at)
        .where(
            PresenceScan.registration_id == registration_id,
            PresenceScan.day_id == day_id,
            PresenceScan.item_id == item.id if item else PresenceScan.item_id.is_(None),
        )
        .order_by(PresenceScan.scanned_at.desc(), PresenceScan.id.desc())
        .limit(1)
    ).first()
    if last is None or last.direction != Direction.EXIT:
        return None
    return last.scanned_at


def _entry_after_exit(
    session: DbSession,
    registration_id: int,
    day_id: int,
    item: AgendaItem | None,
    at: datetime,
    user_id: int | None,
) -> datetime | None:
    """Record a return through this door (the session's, or the entrance) at ``at`` when the
    person's last scan there was an exit before it; returns when they had left, or None (not
    out, or an offline door's scan from before they left, synced only now)."""
    left_at = _already_out_since(session, registration_id, day_id, item)
    if left_at is None or left_at >= at:
        return None
    session.add(
        PresenceScan(
            registration_id=registration_id,
            day_id=day_id,
            item_id=item.id if item else None,
            direction=Direction.ENTRY.value,
            scanned_at=at,
            scanned_by_id=user_id,
        )
    )
    session.flush()
    return left_at


def _record_return(
    check_in: CheckIn, session: DbSession, at: datetime, user_id: int | None, **_extra
) -> datetime | None:
    """Someone checked in today comes back in at the entrance: after an exit there, their
    return is an entry (``presence`` then counts the time inside again)."""
    return _entry_after_exit(session, check_in.registration_id, check_in.day_id, None, at, user_id)


entered_again.connect(_record_return)


def _record_return_through_breakout_door(
    registration: Registration,
    session: DbSession,
    item: AgendaItem,
    at: datetime,
    user_id: int | None,
    **_extra,
) -> None:
    """Back in through a breakout's own door after leaving by its session door: an entry at
    the session's door (the breakout door keeps only its first record of each person)."""
    _entry_after_exit(session, registration.id, item.day_id, item, at, user_id)


scanned_at_breakout.connect(_record_return_through_breakout_door)


def _checked_in(session: DbSession, registration_id: int, day_id: int) -> bool:
    return (
        session.scalar(
            select(CheckIn.id).where(
                CheckIn.registration_id == registration_id,
                CheckIn.day_id == day_id,
                CheckIn.undone_at.is_(None),
            )
        )
        is not None
    )


def _place(item: AgendaItem | None) -> str:
    """Where a door scan is, in the door's words: the session, or the building."""
    return f"“{item.title}”" if item else "the building"


def _message(
    registration: Registration, item: AgendaItem | None, direction: Direction, at: datetime
) -> str:
    name = registration.person.name
    time_zone = registration.forum.program.time_zone
    where = _place(item)
    if direction == Direction.EXIT:
        return f"{name} left {where} at {format_local_time(at, time_zone)}."
    return f"Welcome, {name}: in {where} at {format_local_time(at, time_zone)}."


def _replay(
    earlier: PresenceScan,
    ticket: Ticket | None,
    day: ForumDay,
    item: AgendaItem | None,
    direction: Direction,
) -> DoorOutcome:
    same = (
        ticket is not None
        and earlier.registration_id == ticket.registration_id
        and earlier.day_id == day.id
        and earlier.item_id == (item.id if item else None)
        and earlier.direction == direction.value
    )
    registration = earlier.registration
    if not same:
        return DoorOutcome(
            DoorResult.REQUEST_ID_REUSED,
            "This request id was used before for another scan; send a new one.",
        )
    result = DoorResult.ENTERED if direction == Direction.ENTRY else DoorResult.LEFT
    name = registration.person.name
    return DoorOutcome(result, f"Already recorded: {name}.", registration, earlier)


# --- A presence scan named by ids and dates (the JSON API) -----------------------------------


class ScanPlaceRefused(DomainError):
    """A presence scan naming a session or day it cannot be made at (422), or one door staff
    may not use today (403)."""

    status = 422


def presence_scan_at(
    session: DbSession,
    raw_code: str,
    on_date: date | None,
    item_id: int | None,
    direction: Direction,
    user: User,
    request_id: str | None = None,
) -> DoorOutcome:
    """``door_scan`` for a scan named by a session id (or none, for the entrance) and a date
    (None: today; for the entrance, the ticket's forum's day on that date). Door staff scan on
    the day itself only. Raises ``ScanPlaceRefused``. Flushes; the caller commits."""
    item: AgendaItem | None = None
    if item_id is not None:
        item = session.get(AgendaItem, item_id)
        if item is None or item.kind == ItemKind.BREAK or not item.is_scheduled:
            raise ScanPlaceRefused("There is no session with this id to scan at.", "session")
        day = item.day
        if on_date is not None and on_date != day.date:
            raise ScanPlaceRefused("This session is not on the day named.", "day")
    else:
        ticket = find_ticket(session, raw_code)
        if ticket is None:
            return DoorOutcome(DoorResult.INVALID, "Unknown code: this is not a forum ticket.")
        forum = ticket.registration.forum
        when = on_date or local_today(forum.program.time_zone)
        found = session.scalar(
            select(ForumDay).where(ForumDay.forum_id == forum.id, ForumDay.date == when)
        )
        if found is None:
            return DoorOutcome(
                DoorResult.NOT_REGISTERED_FOR_DAY,
                f"{ticket.registration.person.name}'s forum does not meet that day.",
                ticket.registration,
            )
        day = found
    if not may_use_door(user, day):
        raise ScanPlaceRefused(
            "Door staff scan on the day itself only; an organizer can record another day.",
            status=403,
        )
    return door_scan(session, raw_code, day, item, direction, user.id, request_id)


def recent_scans(
    session: DbSession, day: ForumDay, item: AgendaItem | None, limit: int
) -> list[PresenceScan]:
    """The latest presence scans at a session's door (or the day's entrance), newest first."""
    query = select(PresenceScan).where(PresenceScan.day_id == day.id)
    query = query.where(
        PresenceScan.item_id == item.id if item is not None else PresenceScan.item_id.is_(None)
    )
    return list(
        session.scalars(
            query.options(selectinload(PresenceScan.registration).selectinload(Registration.person))
            .order_by(PresenceScan.scanned_at.desc(), PresenceScan.id.desc())
            .limit(limit)
        )
    )
