"""Registration's answers to what the agenda announces (``agenda.signals``)."""

from __future__ import annotations

from flask import Flask

from ..agenda.models import AgendaItem, ItemKind, ItemStatus
from ..agenda.signals import capacity_raised
from ..core.clock import local_today
from ..core.models import ForumDay, ForumStatus
from ..extensions import DbSession
from .breakouts import promote_to_breakout
from .registering import promote_to_day


def _fill_new_seats(sender: ForumDay | AgendaItem, session: DbSession, **_extra) -> list:
    """A raised capacity gives its new seats to the people waiting, as a cancelled seat does:
    in order, each told by email; nobody once the day is over (an organizer setting the
    record straight afterwards)."""
    day = sender if isinstance(sender, ForumDay) else sender.day
    over = day.date < local_today(day.forum.program.time_zone)
    if over or day.forum.status == ForumStatus.CLOSED:
        return []
    if isinstance(sender, ForumDay):
        return promote_to_day(session, sender.id)
    if sender.kind == ItemKind.BREAKOUT and sender.status == ItemStatus.SCHEDULED:
        return promote_to_breakout(session, sender.id)
    return []  # a session cancelled (or drafted) while its capacity went up seats nobody


def register_registration(app: Flask) -> None:
    """Connect the receivers. Signals are process-wide; connecting again (another app, as in
    tests) is harmless."""
    capacity_raised.connect(_fill_new_seats)
