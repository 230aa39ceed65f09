"""Breakout doors: who is scanned in at a breakout's room, what they had chosen, and how many
came to each breakout (the organizer's breakout table shows it beside the seats)."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..agenda.models import AgendaItem
from ..core.clock import utcnow
from ..core.i18n import format_local_time
from ..core.models import Forum
from ..extensions import DbSession
from ..registration.models import BreakoutPick, Registration, SeatStatus
from ..registration.overview import BreakoutTable, breakout_table
from ..registration.seats import ACTIVE
from .models import BreakoutAttendance, Ticket
from .signals import scanned_at_breakout
from .tickets import normalise_code


class BreakoutChoice(enum.StrEnum):
    """What a person scanned at a breakout's door had chosen. Everyone with a valid ticket for
    the forum is scanned in (they are in the room), whatever they chose; only ``INVALID``
    (no ticket of this forum) is refused and not recorded."""

    CHOSE_THIS = "confirmed"
    WAITLISTED = "waitlisted"
    CHOSE_ANOTHER = "other"
    NO_CHOICE = "none"
    INVALID = "invalid"


def breakout_scan(
    session: DbSession,
    raw_code: str,
    item: AgendaItem,
    user_id: int | None,
    scanned_at: datetime | None = None,
) -> tuple[BreakoutChoice, str, Registration | None]:
    """Record a person at a breakout's door (at ``scanned_at``, default now); returns
    (choice, message, registration)."""
    code = normalise_code(raw_code)
    ticket = session.scalar(select(Ticket).where(Ticket.code == code)) if code else None
    if ticket is None or ticket.voided_at is not None:
        return BreakoutChoice.INVALID, "That is not a valid forum ticket.", None
    registration = ticket.registration
    if registration.forum_id != item.day.forum_id:
        name = registration.person.name
        return BreakoutChoice.INVALID, f"{name}'s ticket is for another forum.", None
    at = scanned_at or utcnow()
    choice, message = record_at_breakout(session, registration, item, user_id, at)
    scanned_at_breakout.send(registration, session=session, item=item, at=at, user_id=user_id)
    return choice, message, registration


def record_at_breakout(
    session: DbSession,
    registration: Registration,
    item: AgendaItem,
    user_id: int | None,
    scanned_at: datetime | None = None,
) -> tuple[BreakoutChoice, str]:
    """Record ``registration`` (of the breakout's forum) at the breakout's door once, and say
    what they had chosen; returns (choice, message)."""
    name = registration.person.name
    picks = session.scalars(
        select(BreakoutPick).where(
            BreakoutPick.registration_id == registration.id,
            BreakoutPick.status.in_(ACTIVE),
        )
    ).all()
    this = next((p for p in picks if p.item_id == item.id), None)
    in_slot = [
        p
        for p in picks
        if p.item.day_id == item.day_id
        and p.item.starts_at < item.ends_at
        and item.starts_at < p.item.ends_at
        and p.item_id != item.id
    ]
    if this is not None and this.status == SeatStatus.CONFIRMED:
        choice, message = BreakoutChoice.CHOSE_THIS, f"Yes: {name} chose this breakout."
    elif this is not None:
        choice = BreakoutChoice.WAITLISTED
        message = f"{name} is on this breakout's waitlist."
    elif in_slot:
        choice = BreakoutChoice.CHOSE_ANOTHER
        message = f"{name} chose another breakout: “{in_slot[0].item.title}”."
    else:
        choice = BreakoutChoice.NO_CHOICE
        message = f"{name} did not choose a breakout at this time."
    existing = session.scalar(
        select(BreakoutAttendance).where(
            BreakoutAttendance.registration_id == registration.id,
            BreakoutAttendance.item_id == item.id,
        )
    )
    if existing is not None:
        # Scanned again (back from a break, or the same ticket twice in the line): the door
        # says so, and the first scan stays the record.
        zone = item.day.forum.program.time_zone
        message += f" First scanned in here at {format_local_time(existing.scanned_at, zone)}."
    else:
        try:
            with session.begin_nested():
                session.add(
                    BreakoutAttendance(
                        registration_id=registration.id,
                        item_id=item.id,
                        scanned_at=scanned_at or utcnow(),
                        scanned_by_id=user_id,
                        choice=choice.value,
                    )
                )
        except IntegrityError:
            pass  # scanned twice at once: one row is enough
    return choice, message


# --- What the breakout door and the organizers see -------------------------------------------


@dataclass
class BreakoutDoorList:
    """The breakout door's list: the latest people scanned in, and the totals."""

    scanned: Sequence[BreakoutAttendance]  # the latest, newest first
    scanned_total: int
    chosen: int  # confirmed picks of this breakout


def breakout_door_list(session: DbSession, item: AgendaItem, limit: int) -> BreakoutDoorList:
    """The latest ``limit`` people scanned in at the breakout's door, how many were in all, and
    how many hold a confirmed seat in it."""
    scanned = session.scalars(
        select(BreakoutAttendance)
        .where(BreakoutAttendance.item_id == item.id)
        .options(selectinload(BreakoutAttendance.registration).selectinload(Registration.person))
        .order_by(BreakoutAttendance.scanned_at.desc(), BreakoutAttendance.id.desc())
        .limit(limit)
    ).all()
    scanned_total = session.execute(
        select(func.count())
        .select_from(BreakoutAttendance)
        .where(BreakoutAttendance.item_id == item.id)
    ).scalar_one()
    chosen = session.execute(
        select(func.count())
        .select_from(BreakoutPick)
        .where(BreakoutPick.item_id == item.id, BreakoutPick.status == SeatStatus.CONFIRMED)
    ).scalar_one()
    return BreakoutDoorList(scanned, scanned_total, chosen)


def breakout_attendance_counts(session: DbSession, item_ids: list[int]) -> dict[int, int]:
    """Breakout id → people scanned in at its door (breakouts nobody was scanned at left out)."""
    if not item_ids:
        return {}
    counts = session.execute(
        select(BreakoutAttendance.item_id, func.count())
        .where(BreakoutAttendance.item_id.in_(item_ids))
        .group_by(BreakoutAttendance.item_id)
    )
    return {item_id: count for item_id, count in counts}


def breakout_table_with_door_counts(session: DbSession, forum: Forum) -> BreakoutTable:
    """Registration's breakout table (seats, waitlists) with, for each breakout, how many
    people were scanned in at its door."""
    table = breakout_table(session, forum)
    item_ids = [
        counts.item.id for _day, slots in table.days for slot in slots for counts in slot.breakouts
    ]
    return dataclasses.replace(table, door_counts=breakout_attendance_counts(session, item_ids))
