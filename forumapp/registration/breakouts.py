"""Breakouts: what makes a time slot, a registration's picks in a slot, choosing and dropping
a breakout (with the team cap), and giving a freed breakout seat to the next person waiting.

A person holds at most one seat per slot, plus, while they wait for a full breakout of the
slot, a place on its waitlist (they keep their seat until one opens there).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..agenda.models import AgendaItem, ItemKind, ItemStatus
from ..agenda.visibility import Viewer, can_see_item
from ..core.clock import utcnow
from ..core.i18n import local_text
from ..core.models import Forum, ForumDay, TeamMembership
from ..extensions import DbSession
from .errors import BreakoutFull, InvalidRegistration, NotAllowed, RegistrationClosed
from .models import BreakoutPick, Registration, SeatStatus
from .notices import send_promotion
from .people import is_team_member, team_ids_of
from .seats import (
    ACTIVE,
    fill_from_waitlist,
    is_postgresql,
    lift_by_override,
    lock_active_place,
    release_seat,
    seat_for,
    settle_place,
    take_seat,
    take_seat_by_override,
)
from .signals import place_changed
from .windows import check_not_over, choices_closed, local_time_of

#: What ``BreakoutSlot.key`` looks like: the day's id and the slot's start (a timestamp).
SLOT_KEY = re.compile(r"^\d{1,12}-\d{1,12}$")


# --- Time slots ----------------------------------------------------------------------------


class BreakoutSlot(NamedTuple):
    """Breakouts of one day whose times overlap, whether or not they start together: a
    person holds one pick among them. ``items`` in agenda order."""

    starts_at: datetime
    items: list[AgendaItem]

    @property
    def day_id(self) -> int:
        return self.items[0].day_id

    @property
    def key(self) -> str:
        """Names the slot in forms and addresses (``SLOT_KEY``)."""
        return f"{self.day_id}-{int(self.starts_at.timestamp())}"


def group_into_slots(items: Iterable[AgendaItem]) -> list[BreakoutSlot]:
    """Breakouts (in day, then start order) grouped into slots: a breakout that starts before
    the slot so far has ended belongs to it."""
    slots: list[BreakoutSlot] = []
    slot_ends_at = None
    for item in items:
        if (
            slots
            and slot_ends_at is not None
            and slots[-1].day_id == item.day_id
            and item.starts_at < slot_ends_at
        ):
            slots[-1].items.append(item)
            slot_ends_at = max(slot_ends_at, item.ends_at)
        else:
            slots.append(BreakoutSlot(item.starts_at, [item]))
            slot_ends_at = item.ends_at
    return slots


def breakout_slots(session: DbSession, forum: Forum, day: ForumDay) -> list[BreakoutSlot]:
    """The day's scheduled breakouts, grouped in slots (see ``BreakoutSlot``), with their
    rooms (pages show each breakout's room and its seats, which may be the room's)."""
    items = session.scalars(
        select(AgendaItem)
        .options(joinedload(AgendaItem.room))
        .where(
            AgendaItem.day_id == day.id,
            AgendaItem.kind == ItemKind.BREAKOUT,
            AgendaItem.status == ItemStatus.SCHEDULED,
        )
        .order_by(AgendaItem.starts_at, AgendaItem.position, AgendaItem.id)
    ).all()
    return group_into_slots(items)


def picks_in_slot(registration: Registration, item: AgendaItem) -> list[BreakoutPick]:
    """The registration's active picks at the time of ``item``: at most a seat in one
    breakout and a place on the waitlist of another (kept until a seat opens there)."""
    return [
        pick
        for pick in registration.picks
        if pick.status in ACTIVE
        and pick.item.day_id == item.day_id
        and pick.item.starts_at < item.ends_at
        and item.starts_at < pick.item.ends_at
    ]


def seat_in_slot(registration: Registration, item: AgendaItem) -> BreakoutPick | None:
    """The registration's confirmed pick at the time of ``item`` in another breakout, if any."""
    return next(
        (
            pick
            for pick in picks_in_slot(registration, item)
            if pick.status == SeatStatus.CONFIRMED and pick.item_id != item.id
        ),
        None,
    )


def pick_in_slot(registration: Registration, item: AgendaItem) -> BreakoutPick | None:
    """The pick the person has in ``item``'s slot: their seat, else their waitlist place."""
    picks = picks_in_slot(registration, item)
    return next((p for p in picks if p.status == SeatStatus.CONFIRMED), None) or next(
        iter(picks), None
    )


def _unchanged_pick(registration: Registration, item: AgendaItem) -> BreakoutPick | None:
    """The pick ``item`` already is, when choosing it again would change nothing: the seat
    held with no other wish in the slot, or the waitlist place waited for."""
    in_slot = picks_in_slot(registration, item)
    current = next((pick for pick in in_slot if pick.item_id == item.id), None)
    if current is None:
        return None
    if current.status == SeatStatus.WAITLISTED or len(in_slot) == 1:
        return current
    return None


# --- Locks, cancelling and promotion -------------------------------------------------------


def lock_breakouts_of_day(session: DbSession, day_id: int, registration: Registration) -> None:
    """On PostgreSQL, lock every breakout of the day, in id order, before any breakout seat of
    it changes; then re-read what the transaction holds.

    A change moves seats across the day: choosing leaves a breakout and takes another, and a
    seat given back promotes someone who then leaves their old seat, and so on down the chain.
    Taking all the day's locks first, always in the same order, means two such changes wait
    for each other instead of deadlocking, and the team cap cannot be overshot by a race.
    The registration's picks read before waiting may be stale (another request may have moved
    this person meanwhile), so they are loaded afresh; other people's are read after the locks.
    """
    if not is_postgresql(session):
        return  # SQLite: the whole transaction already holds the database's write lock
    session.execute(
        select(AgendaItem.id)
        .where(AgendaItem.day_id == day_id, AgendaItem.kind == ItemKind.BREAKOUT)
        .order_by(AgendaItem.id)
        .with_for_update()
    )
    session.scalars(
        select(BreakoutPick)
        .where(BreakoutPick.registration_id == registration.id)
        .execution_options(populate_existing=True)
    ).all()
    session.expire(registration, ["picks"])


def cancel_pick(session: DbSession, pick: BreakoutPick) -> None:
    """Cancel a pick (once, even when two requests try at once); a seat it gave back goes to
    the first person waiting for the breakout."""
    was_confirmed = lock_active_place(session, pick)
    if was_confirmed is None:
        return
    pick.status = SeatStatus.CANCELLED.value
    pick.status_changed_at = utcnow()
    session.flush()
    place_changed.send(pick, session=session)
    if was_confirmed and release_seat(session, AgendaItem, pick.item_id):
        promote_to_breakout(session, pick.item_id)


def promote_to_breakout(session: DbSession, item_id: int) -> list[BreakoutPick]:
    """Give the breakout's free seats to the people waiting, in order, and tell them. Someone
    who waited while holding a seat in another breakout of the slot leaves that seat."""
    promoted = fill_from_waitlist(session, BreakoutPick, item_id)
    for pick in promoted:
        given_up = _give_up_other_seat(session, pick)
        send_promotion(session, pick, given_up)
        place_changed.send(pick, session=session)
    return promoted


def _give_up_other_seat(session: DbSession, pick: BreakoutPick) -> AgendaItem | None:
    """A person who waited for ``pick`` while holding a seat in another breakout of the slot
    moves: that seat goes to the next person waiting there. Returns the breakout left."""
    for other in picks_in_slot(pick.registration, pick.item):
        if other is not pick and other.status == SeatStatus.CONFIRMED:
            cancel_pick(session, other)
            return other.item
    return None


# --- Choosing ------------------------------------------------------------------------------


def teammates_in_breakout(
    session: DbSession, item: AgendaItem, team_ids: list[int], exclude_person: int
) -> int:
    """How many members of these teams hold an active pick for ``item``."""
    return session.execute(
        select(func.count(func.distinct(Registration.person_id)))
        .select_from(BreakoutPick)
        .join(Registration)
        .join(TeamMembership, TeamMembership.person_id == Registration.person_id)
        .where(
            BreakoutPick.item_id == item.id,
            BreakoutPick.status.in_(ACTIVE),
            TeamMembership.team_id.in_(team_ids),
            Registration.person_id != exclude_person,
        )
    ).scalar_one()


def _check_may_choose(
    session: DbSession, registration: Registration, item: AgendaItem, override: bool
) -> None:
    forum = registration.forum
    if item.kind != ItemKind.BREAKOUT or item.day.forum_id != forum.id or not item.is_scheduled:
        raise InvalidRegistration({"item_id": _("Choose one of this forum's breakouts.")})
    if not override and not (
        is_team_member(session, registration.person, forum)
        and can_see_item(Viewer(is_team_member=True), item)
    ):
        raise NotAllowed(_("Breakouts are chosen by the community teams' members."), "item_id")
    seat = seat_for(registration, item.day)
    if seat is None or seat.status not in ACTIVE:
        # Even an override: a breakout seat without a place on its day would show nowhere on
        # the person's page, yet count at the door and in the tables.
        raise NotAllowed(_("Register for that day before choosing its breakouts."), "item_id")


def _check_team_cap(session: DbSession, registration: Registration, item: AgendaItem) -> None:
    """Refuse when the person's team already has the forum's cap of members in ``item``."""
    cap = registration.forum.team_breakout_cap
    if not cap:
        return
    teams = team_ids_of(session, registration.person_id, registration.forum.program_id)
    if teams and teammates_in_breakout(session, item, teams, registration.person_id) >= cap:
        raise NotAllowed(
            ngettext(
                "%(num)d member of your team already chose “%(title)s”. "
                "Please choose another breakout so your team covers more topics.",
                "%(num)d members of your team already chose “%(title)s”. "
                "Please choose another breakout so your team covers more topics.",
                cap,
                title=local_text(item, "title"),
            ),
            "item_id",
        )


def _new_pick_status(
    session: DbSession, item: AgendaItem, join_waitlist: bool, override: bool
) -> SeatStatus:
    """Take a seat in ``item`` for a new pick (beyond capacity with ``override``), or a place
    on its waitlist; ``BreakoutFull`` when it is full and the person would not wait."""
    if override:
        take_seat_by_override(session, AgendaItem, item.id)
        return SeatStatus.CONFIRMED
    if take_seat(session, AgendaItem, item.id):
        return SeatStatus.CONFIRMED
    if join_waitlist:
        return SeatStatus.WAITLISTED
    raise BreakoutFull(
        _(
            "“%(title)s” is full. Join its waitlist or choose another breakout.",
            title=local_text(item, "title"),
        ),
        "item_id",
    )


def choose_breakout(
    session: DbSession,
    registration: Registration,
    item: AgendaItem,
    join_waitlist: bool = False,
    now: datetime | None = None,
    override: bool = False,
) -> BreakoutPick:
    """Pick ``item`` for its time slot, replacing any other pick in that slot.

    When the breakout is full, raises ``BreakoutFull`` unless ``join_waitlist``; organizers
    may ``override`` capacity, the team cap and the deadline deliberately.
    """
    now = now or utcnow()
    _check_may_choose(session, registration, item, override)
    unchanged = _unchanged_pick(registration, item)
    if unchanged is not None and not override:
        return unchanged  # a form sent back as it was: nothing to check, nothing to do
    if not override:
        _check_choices_open(registration, item, now)
    lock_breakouts_of_day(session, item.day_id, registration)
    in_slot = picks_in_slot(registration, item)
    current = next((pick for pick in in_slot if pick.item_id == item.id), None)
    if current is not None:
        return _keep_current_pick(session, current, in_slot, override, now)
    if not override:
        _check_team_cap(session, registration, item)
    status = _new_pick_status(session, item, join_waitlist, override)
    for other in in_slot:
        # Someone waiting for a full breakout keeps their seat in the slot until one opens.
        if status == SeatStatus.WAITLISTED and other.status == SeatStatus.CONFIRMED:
            continue
        cancel_pick(session, other)
    pick = next((p for p in registration.picks if p.item_id == item.id), None)
    if pick is None:
        pick = BreakoutPick(registration=registration, item=item)
        session.add(pick)
    settle_place(session, pick, status, override, now)
    return pick


def _check_choices_open(registration: Registration, item: AgendaItem, now: datetime) -> None:
    check_not_over(item.day, now, "item_id")
    if choices_closed(registration.forum, now):
        deadline = local_time_of(registration.forum.choice_deadline, item.day)
        raise RegistrationClosed(
            _("Breakout choices closed on %(deadline)s.", deadline=deadline), "item_id"
        )


def _keep_current_pick(
    session: DbSession,
    current: BreakoutPick,
    in_slot: list[BreakoutPick],
    override: bool,
    now: datetime,
) -> BreakoutPick:
    """The breakout asked for is already picked (confirmed or waitlisted): an override lifts
    a waitlisted pick onto a seat; once seated, the slot's other picks are given up."""
    if override and current.status == SeatStatus.WAITLISTED:
        lift_by_override(session, current, now)
    if current.status == SeatStatus.CONFIRMED:
        # Settled on this seat: whatever else they waited for in the slot is given up.
        for other in in_slot:
            if other is not current:
                cancel_pick(session, other)
    return current


def drop_breakout(
    session: DbSession, registration: Registration, pick: BreakoutPick, now: datetime | None = None
) -> None:
    """Give up a pick (before the deadline); its seat goes to the first person waiting."""
    now = now or utcnow()
    check_not_over(pick.item.day, now, "item_id")
    if choices_closed(registration.forum, now):
        raise RegistrationClosed(_("Breakout choices are closed."), "item_id")
    if pick.registration_id != registration.id or pick.status not in ACTIVE:
        raise InvalidRegistration({"item_id": _("That pick is not yours to change.")})
    lock_breakouts_of_day(session, pick.item.day_id, registration)
    cancel_pick(session, pick)
