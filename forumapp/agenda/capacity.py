"""A day's or a session's capacity against the seats already taken in it.

An organizer may lower a capacity down to the seats taken (seats given beyond it by override
apart), never below: the people holding those seats keep them. Raising it (or removing it)
gives the new seats to the people waiting, through ``capacity_raised``, which registration
answers as it answers a cancelled seat.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError

from ..core.models import ForumDay
from ..extensions import DbSession
from .errors import AgendaError
from .models import AgendaItem
from .signals import capacity_raised

# The name both tables give their check that seats never exceed capacity (plus overrides).
_SEATS_CHECK = "seats_within_capacity"


def check_capacity(place: ForumDay | AgendaItem | None, capacity: int | None, where: str) -> None:
    """Raise ``AgendaError`` (about ``capacity``) when ``capacity`` is below the seats already
    taken in ``place``, counting overrides out; ``where`` says which in the message ("on this
    day", "in this session")."""
    if place is None or capacity is None:
        return
    if capacity < place.seats_taken - place.seats_overridden:
        raise AgendaError(_too_low(place, where), "capacity")


def _too_low(place: ForumDay | AgendaItem, where: str) -> str:
    lowest = place.seats_taken - place.seats_overridden
    people = "1 person has" if place.seats_taken == 1 else f"{place.seats_taken} people have"
    return (
        f"{people} a seat {where}, so its capacity cannot be lower than {lowest}. "
        "Cancel or move seats first."
    )


@contextmanager
def seats_kept(
    session: DbSession, place: ForumDay | AgendaItem | None, where: str
) -> Iterator[None]:
    """Make the edit inside a savepoint: when seats were taken since ``check_capacity``
    (on PostgreSQL, by a registration a moment earlier), the database's check refuses the new
    capacity, and the edit is refused with the same message instead of failing."""
    if place is None:
        yield
        return
    try:
        with session.begin_nested():
            yield
    except IntegrityError as error:
        if _SEATS_CHECK not in str(error.orig):
            raise
        session.refresh(place)
        raise AgendaError(_too_low(place, where), "capacity") from None


def is_raised(before: int | None, after: int | None) -> bool:
    """True when a capacity went from ``before`` to a larger one, or to none (no limit)."""
    return before is not None and (after is None or after > before)


def give_new_seats(session: DbSession, place: ForumDay | AgendaItem) -> int:
    """Tell the features above that ``place``'s capacity was raised; returns how many people
    waiting were given a seat (and told by email)."""
    answers = capacity_raised.send(place, session=session)
    return sum(len(moved_up or ()) for _receiver, moved_up in answers)


def moved_up_message(count: int) -> str:
    """What the organizer is told after a capacity raise gave seats to people waiting."""
    if count == 1:
        return "1 person waiting was given a seat and emailed."
    return f"{count} people waiting were given a seat and emailed."
