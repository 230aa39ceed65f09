"""What organizers do to a forum's registrations by hand: breakout settings, registering
someone, adding or cancelling their days, moving their breakout pick. Windows and deadlines
do not bind organizers; deliberate overrides and cancellations go to the audit log, written
here so that every caller (page, API, command line) is audited alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..agenda.models import AgendaItem
from ..core import audit
from ..core.clock import local_instant
from ..core.emails import InvalidEmail, normalise_email
from ..core.models import Forum, ForumDay, Person
from ..extensions import DbSession
from .breakouts import choose_breakout, pick_in_slot
from .errors import InvalidRegistration, RegistrationError
from .models import BreakoutPick, DaySeat, Registration, SeatStatus
from .people import find_or_create_person, person_with_email
from .registering import RegistrationResult, cancel_days, register_by_organizer
from .seats import seat_for, waitlist_length


def save_breakout_settings(
    session: DbSession,
    forum: Forum,
    choice_deadline_local: datetime | None,
    team_breakout_cap: int | None,
    *,
    interpreter_booking_days: int | None = None,
) -> None:
    """Set when breakout choices close (a wall-clock time in the program's time zone), how
    many members of one team may choose the same breakout (None: no limit) and, unless None,
    how many days before each day interpreters must be booked."""
    if team_breakout_cap is not None and team_breakout_cap < 1:
        raise InvalidRegistration(
            {"team_breakout_cap": "Use a number of at least 1, or leave it empty for no limit."}
        )
    forum.choice_deadline = (
        local_instant(
            choice_deadline_local.date(), choice_deadline_local.time(), forum.program.time_zone
        )
        if choice_deadline_local is not None
        else None
    )
    forum.team_breakout_cap = team_breakout_cap
    if interpreter_booking_days is not None:
        if not 0 <= interpreter_booking_days <= 365:
            raise InvalidRegistration(
                {"interpreter_booking_days": "Use a number of days from 0 to 365."}
            )
        forum.interpreter_booking_days = interpreter_booking_days
    session.flush()


# --- Registering someone and their days ----------------------------------------------------


def register_someone(
    session: DbSession,
    forum: Forum,
    *,
    email: str,
    name: str = "",
    organization: str = "",
    day_ids: list[int],
    override: bool = False,
    user_id: int | None,
) -> RegistrationResult:
    """Register a person (found by email, or created from name and organization) onto days,
    by the organizer ``user_id``: windows do not apply, and with ``override`` a full day still
    confirms. Raises ``InvalidRegistration`` naming the fields at fault."""
    errors = {}
    try:
        email = normalise_email(email)
    except InvalidEmail as exc:
        errors["email"] = f"Enter an email address like name@example.org. {exc}"
    person = None
    if "email" not in errors:
        person = person_with_email(session, email)
        if person is None and not name.strip():
            errors["name"] = "Nobody has this email yet: enter the new person's full name."
    if len(name) > 200:
        errors["name"] = "Use at most 200 characters."
    if not day_ids:
        errors["day_ids"] = "Choose at least one day."
    if errors:
        raise InvalidRegistration(errors)
    if person is None:
        person = find_or_create_person(session, name, email, organization)
    return _register(session, forum, person, day_ids, override, user_id)


def add_days(
    session: DbSession,
    registration: Registration,
    day_ids: list[int],
    *,
    override: bool = False,
    user_id: int | None,
) -> RegistrationResult:
    """The organizer ``user_id`` adds days to someone's registration (see
    ``register_someone``)."""
    return _register(session, registration.forum, registration.person, day_ids, override, user_id)


def _register(
    session: DbSession,
    forum: Forum,
    person: Person,
    day_ids: list[int],
    override: bool,
    user_id: int | None,
) -> RegistrationResult:
    result = register_by_organizer(session, forum, person, day_ids, override=override)
    assert result.registration is not None, "an organizer's registration is never pending"
    if override and result.created:
        # A deliberate capacity override is accounted for.
        audit.record(
            session,
            user_id,
            "registration.override",
            f"registration:{result.registration.id}",
            day_ids=[day_result.day.id for day_result in result.days],
        )
    return result


@dataclass
class DayCancellation:
    """What cancelling someone's day did: whether they held a place (``cancelled``), whether
    it was a waitlist place, how many others waited, and how many of those got a seat."""

    cancelled: bool
    was_waiting: bool
    waiting: int
    promoted: int


def cancel_someones_day(
    session: DbSession, registration: Registration, day: ForumDay, *, user_id: int | None
) -> DayCancellation:
    """The organizer ``user_id`` cancels the person's place on ``day`` and their breakouts
    that day, whenever it is; the freed seat goes to the first person waiting."""
    seat = seat_for(registration, day)
    was_waiting = seat is not None and seat.status == SeatStatus.WAITLISTED
    waiting = waitlist_length(session, DaySeat, day.id) - was_waiting
    cancelled = cancel_days(session, registration, [day.id]) > 0
    promoted = waiting - waitlist_length(session, DaySeat, day.id)
    if cancelled:
        audit.record(
            session,
            user_id,
            "registration.cancel_day",
            f"registration:{registration.id}",
            day_id=day.id,
        )
    return DayCancellation(cancelled, was_waiting, waiting, promoted)


@dataclass(frozen=True)
class MovedPick:
    """The pick after a move; ``unchanged`` when the person already held that seat."""

    pick: BreakoutPick
    unchanged: bool = False


def move_pick(
    session: DbSession,
    registration: Registration,
    item: AgendaItem,
    *,
    override: bool = False,
    user_id: int | None,
) -> MovedPick:
    """The organizer ``user_id`` moves the person's pick in ``item``'s slot to ``item``: a
    seat, else a waitlist place; with ``override`` a seat whatever the capacity, team cap or
    deadline. A refusal without ``override`` says that it would make the change anyway."""
    leaving = pick_in_slot(registration, item)
    if (
        leaving is not None
        and leaving.item_id == item.id
        and leaving.status == SeatStatus.CONFIRMED
        and (leaving.override or not override)
    ):
        return MovedPick(leaving, unchanged=True)  # the seat they hold: nothing to record
    try:
        pick = choose_breakout(session, registration, item, join_waitlist=True, override=override)
    except RegistrationError as error:
        if override:
            raise
        raise RegistrationError(
            f"{error.message} Tick “Override” to make the change anyway.",
            error.field,
            status=error.status,
        ) from error
    audit.record(
        session,
        user_id,
        "registration.move_pick",
        f"registration:{registration.id}",
        from_item_id=leaving.item_id if leaving is not None else None,
        to_item_id=item.id,
        status=pick.status,
        override=pick.override,
    )
    return MovedPick(pick)
