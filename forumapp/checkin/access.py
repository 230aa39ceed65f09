"""Who may use which door, and when: organizers and admins any day's, door staff today's.

The door views answer a door the signed-in user may not use like an unknown one (404), and
the JSON API refuses a check-in for another day (403); both ask here.
"""

from __future__ import annotations

from datetime import date, datetime

from ..agenda.models import AgendaItem
from ..core.clock import local_today
from ..core.models import ForumDay, ForumStatus, Role, User
from ..extensions import DbSession
from .tickets import TIME_ZONE_OF_CODE, normalise_code


def is_door_day_today(day: ForumDay, now: datetime | None = None) -> bool:
    """Whether ``day`` is a day of an announced (not draft) forum held today in its program's
    time zone; a forum marked as held that day keeps its door open until midnight."""
    return day.forum.status != ForumStatus.DRAFT and day.date == local_today(
        day.forum.program.time_zone, now
    )


def may_use_door(user: User, day: ForumDay, now: datetime | None = None) -> bool:
    """Whether ``user`` may use the door pages (scan, lookup, walk-ins, undo, breakout doors)
    of ``day``.

    Organizers and admins may use any day's door, to prepare or to correct. Door staff only
    today's days of announced forums: they never see drafts or other days'
    registrations, and at a breakout door only today's scheduled breakouts.
    """
    return user.has_role(Role.ORGANIZER) or is_door_day_today(day, now)


def may_use_breakout_door(user: User, item: AgendaItem, now: datetime | None = None) -> bool:
    """Whether ``user`` may use the door of the breakout ``item``: a scheduled breakout (not a
    draft or a cancelled one) of a day whose door they may use (``may_use_door``)."""
    return item.is_scheduled and may_use_door(user, item.day, now)


def may_check_in_on(session: DbSession, user: User, raw_code: str, on_date: date | None) -> bool:
    """Whether ``user`` may check the holder of ``raw_code`` in for ``on_date`` (None: today).
    Door staff check in on the day itself only, today in the ticket's program's time zone (as
    ``may_use_door``); organizers and admins on any date, to correct the record. An unknown code
    is left to the scan, which refuses it."""
    return not must_be_today(user, on_date) or is_today_for_code(session, raw_code, on_date)


def must_be_today(user: User, on_date: date | None) -> bool:
    """Whether the date ``user`` names for a check-in must be today: door staff naming one.
    Organizers and admins may name any date; no date means today anyway."""
    return on_date is not None and not user.has_role(Role.ORGANIZER)


def is_today_for_code(session: DbSession, raw_code: str, on_date: date | None) -> bool:
    """Whether ``on_date`` is today in the time zone of the program of ``raw_code``'s ticket
    (True for an unknown code: the scan refuses it)."""
    code = normalise_code(raw_code)
    time_zone = session.scalar(TIME_ZONE_OF_CODE, {"code": code}) if code else None
    return time_zone is None or on_date == local_today(time_zone)
