"""Seats and waitlists: the counters on days and breakouts, who waits in which order, and
filling freed seats from the waitlist.

Seats are counted by the database, never in Python: taking a seat is one conditional
``UPDATE ... SET seats_taken = seats_taken + 1 WHERE seats_taken < capacity`` whose row count
says whether it worked, with a CHECK constraint as the backstop. On PostgreSQL the updated row
stays locked until commit, so concurrent requests queue on it; on SQLite every writing
transaction starts with ``BEGIN IMMEDIATE``. Functions flush; the caller commits once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.orm.util import identity_key

from ..agenda.models import AgendaItem
from ..core.clock import utcnow
from ..core.database import rows_changed
from ..core.models import ForumDay, Room
from ..extensions import DbSession
from .models import BreakoutPick, DaySeat, Registration, SeatStatus
from .signals import place_changed

#: The statuses of a place that is held: a seat, or a place on the waitlist.
ACTIVE = (SeatStatus.CONFIRMED.value, SeatStatus.WAITLISTED.value)

Place = TypeVar("Place", DaySeat, BreakoutPick)


# --- Seat counters -------------------------------------------------------------------------


def _item_capacity():
    """SQL for an agenda item's capacity: its own, else its room's (NULL: unlimited)."""
    room_capacity = select(Room.capacity).where(Room.id == AgendaItem.room_id).scalar_subquery()
    return func.coalesce(AgendaItem.capacity, room_capacity)


def _capacity_of(model):
    return model.capacity if model is ForumDay else _item_capacity()


def take_seat(session: DbSession, model: type[ForumDay | AgendaItem], row_id: int) -> bool:
    """Take one seat of a day or breakout if one is free; True when taken. Atomic in the
    database."""
    capacity = _capacity_of(model)
    taken = rows_changed(
        session,
        update(model)
        .where(model.id == row_id, or_(capacity.is_(None), model.seats_taken < capacity))
        .values(seats_taken=model.seats_taken + 1)
        .execution_options(synchronize_session=False),
    )
    _forget_counts(session, model, row_id)
    return taken == 1


def take_seat_by_override(
    session: DbSession, model: type[ForumDay | AgendaItem], row_id: int
) -> None:
    """Take a seat even when full; a seat beyond capacity is counted as overridden."""
    capacity = _capacity_of(model)
    over = case((and_(capacity.is_not(None), model.seats_taken >= capacity), 1), else_=0)
    session.execute(
        update(model)
        .where(model.id == row_id)
        .values(seats_taken=model.seats_taken + 1, seats_overridden=model.seats_overridden + over)
        .execution_options(synchronize_session=False)
    )
    _forget_counts(session, model, row_id)


def release_seat(session: DbSession, model: type[ForumDay | AgendaItem], row_id: int) -> bool:
    """Give a seat back; True when that frees a place for the waitlist.

    A seat given back while overrides hold the room above capacity only reduces the overflow.
    """
    absorbed = rows_changed(
        session,
        update(model)
        .where(model.id == row_id, model.seats_overridden > 0)
        .values(seats_taken=model.seats_taken - 1, seats_overridden=model.seats_overridden - 1)
        .execution_options(synchronize_session=False),
    )
    _forget_counts(session, model, row_id)
    if absorbed == 1:
        return False
    session.execute(
        update(model)
        .where(model.id == row_id)
        .values(seats_taken=model.seats_taken - 1)
        .execution_options(synchronize_session=False)
    )
    return True


def is_postgresql(session: DbSession) -> bool:
    """Whether the database is PostgreSQL (row locks); SQLite locks the whole database."""
    return session.get_bind().dialect.name == "postgresql"


def _forget_counts(session: DbSession, model, row_id: int) -> None:
    """Make a loaded day or item re-read its counters after an UPDATE in the database."""
    loaded = session.identity_map.get(identity_key(model, row_id))
    if loaded is not None:
        session.expire(loaded, ["seats_taken", "seats_overridden"])


def seats_left(row: ForumDay | AgendaItem) -> int | None:
    """Free seats on a day or in a breakout (None: no limit)."""
    capacity = row.capacity if isinstance(row, ForumDay) else row.effective_capacity
    if capacity is None:
        return None
    return max(capacity - row.seats_taken, 0)


# --- Places --------------------------------------------------------------------------------


def seat_for(registration: Registration, day: ForumDay) -> DaySeat | None:
    """The registration's seat row for ``day`` (whatever its status), if any."""
    return next((s for s in registration.seats if s.day_id == day.id), None)


@dataclass
class DayResult:
    """Where a registration stands on one day after a request."""

    day: ForumDay
    status: str
    waitlist_position: int | None = None


def held_days(registration: Registration) -> list[ForumDay]:
    """The days the registration has a seat or a waitlist place on, in date order."""
    return sorted(
        (seat.day for seat in registration.seats if seat.status in ACTIVE),
        key=lambda day: day.date,
    )


def day_results(
    session: DbSession, registration: Registration, days: list[ForumDay]
) -> list[DayResult]:
    """Where the registration stands on each of ``days`` (each must have a seat row)."""
    results = []
    for day in days:
        seat = seat_for(registration, day)
        assert seat is not None, f"registration {registration.id} has no seat row for day {day.id}"
        results.append(DayResult(day, seat.status, waitlist_position(session, seat)))
    return results


def settle_place(
    session: DbSession,
    place: DaySeat | BreakoutPick,
    status: SeatStatus,
    override: bool,
    now: datetime,
) -> None:
    """Give a new or returning place its status (a returning person joins the back of any
    waitlist), flush, and tell the features above (``place_changed``)."""
    place.status = status.value
    place.override = override
    place.created_at = now
    place.status_changed_at = now
    session.flush()
    place_changed.send(place, session=session)


def lift_by_override(session: DbSession, place: DaySeat | BreakoutPick, now: datetime) -> None:
    """An organizer lifts a waiting person into a seat deliberately, beyond capacity if need
    be; the features above hear of it (``place_changed``) like any other change of place."""
    if isinstance(place, DaySeat):
        take_seat_by_override(session, ForumDay, place.day_id)
    else:
        take_seat_by_override(session, AgendaItem, place.item_id)
    place.status = SeatStatus.CONFIRMED.value
    place.override = True
    place.status_changed_at = now
    session.flush()
    place_changed.send(place, session=session)


def lock_active_place(session: DbSession, place: DaySeat | BreakoutPick) -> bool | None:
    """Lock a seat or pick and read its status afresh: True if confirmed, False if
    waitlisted, None if it is no longer active.

    Two cancellations of the same place at once must not both give its seat back: on
    PostgreSQL the second waits here for the first to commit, then sees it cancelled.
    """
    model = type(place)
    query = select(model.status).where(model.id == place.id)
    if is_postgresql(session):
        query = query.with_for_update()
    status = session.scalar(query.execution_options(populate_existing=True))
    if status not in ACTIVE:
        session.refresh(place)
        return None
    return status == SeatStatus.CONFIRMED


# --- Waitlists -----------------------------------------------------------------------------


def waitlist_order(model_or_place) -> tuple:
    """Who on a waitlist is served first: who asked earlier, then (in one instant) the lower
    id. Given the model, the columns to order by; given a place, its key in that order."""
    return (model_or_place.created_at, model_or_place.id)


def _parent_column(model: type[DaySeat] | type[BreakoutPick]):
    """The column naming the day (seats) or breakout (picks) a place belongs to."""
    return DaySeat.day_id if model is DaySeat else BreakoutPick.item_id


def _parent_id(place: DaySeat | BreakoutPick) -> int:
    return place.day_id if isinstance(place, DaySeat) else place.item_id


def waitlist_position(session: DbSession, place: DaySeat | BreakoutPick) -> int | None:
    """1 for the first person waiting, and so on; None when not waitlisted."""
    if place.status != SeatStatus.WAITLISTED:
        return None
    model = type(place)
    ahead = session.execute(
        select(func.count())
        .select_from(model)
        .where(
            _parent_column(model) == _parent_id(place),
            model.status == SeatStatus.WAITLISTED,
            _ahead_of(place),
        )
    ).scalar_one()
    return ahead + 1


def _ahead_of(place: DaySeat | BreakoutPick):
    """SQL: the places served before ``place`` in the ``waitlist_order``."""
    (first, tie), (place_first, place_tie) = waitlist_order(type(place)), waitlist_order(place)
    return or_(first < place_first, and_(first == place_first, tie < place_tie))


def waitlist_positions(
    session: DbSession,
    model: type[DaySeat] | type[BreakoutPick],
    parent_ids: list[int],
    registration_ids: list[int] | None = None,
) -> dict[int, int]:
    """Seat or pick id → place in its waitlist, for the days (seats) or breakouts (picks)
    ``parent_ids``, in one query. With ``registration_ids``, only the seats or picks of those
    registrations come back: the database numbers each waitlist (a window function), and only
    those rows are read."""
    if not parent_ids or registration_ids == []:
        return {}
    parent_column = _parent_column(model)
    ranked = (
        select(
            model.id.label("id"),
            model.registration_id.label("registration_id"),
            func.row_number()
            .over(partition_by=parent_column, order_by=waitlist_order(model))
            .label("position"),
        )
        .where(parent_column.in_(parent_ids), model.status == SeatStatus.WAITLISTED)
        .subquery()
    )
    query = select(ranked.c.id, ranked.c.position)
    if registration_ids is not None:
        query = query.where(ranked.c.registration_id.in_(registration_ids))
    return {place_id: position for place_id, position in session.execute(query)}


def waitlist_positions_among(places: Iterable[DaySeat | BreakoutPick]) -> dict[int, int]:
    """Place id → waitlist position for the waitlisted among ``places``, counted without a
    query; ``places`` must hold every place of the waitlists concerned (e.g. all the seats of
    a forum's registrations)."""
    waiting: dict[int, list[DaySeat | BreakoutPick]] = {}
    for place in places:
        if place.status == SeatStatus.WAITLISTED:
            waiting.setdefault(_parent_id(place), []).append(place)
    positions: dict[int, int] = {}
    for queue in waiting.values():
        queue.sort(key=waitlist_order)
        positions |= {place.id: number for number, place in enumerate(queue, start=1)}
    return positions


def waitlist_length(
    session: DbSession, model: type[DaySeat] | type[BreakoutPick], parent_id: int
) -> int:
    """How many people wait for the day (seats) or breakout (picks) ``parent_id``."""
    return session.execute(
        select(func.count())
        .select_from(model)
        .where(_parent_column(model) == parent_id, model.status == SeatStatus.WAITLISTED)
    ).scalar_one()


def fill_from_waitlist(session: DbSession, model: type[Place], parent_id: int) -> list[Place]:
    """Move people from the waitlist into free seats, first come first served; returns them.
    The caller tells them (email, ``place_changed``): see ``promote_to_day`` and
    ``promote_to_breakout``."""
    parent_model = ForumDay if model is DaySeat else AgendaItem
    promoted = []
    while True:
        query = (
            select(model)
            .where(_parent_column(model) == parent_id, model.status == SeatStatus.WAITLISTED)
            .order_by(*waitlist_order(model))
            .limit(1)
        )
        if is_postgresql(session):
            query = query.with_for_update(skip_locked=True)
        waiting = session.scalar(query)
        if waiting is None or not take_seat(session, parent_model, parent_id):
            break
        waiting.status = SeatStatus.CONFIRMED.value
        waiting.status_changed_at = utcnow()
        promoted.append(waiting)
    session.flush()
    return promoted
