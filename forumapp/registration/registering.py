"""Places on forum days: registering a team member or (by an organizer) anyone, cancelling
days, and giving a freed day seat to the next person waiting. The public's registration,
which must not reveal whether an email is known, builds on this in ``public``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..core import audit
from ..core.clock import utcnow
from ..core.models import Forum, ForumDay, ForumStatus, Person
from ..extensions import DbSession
from .additions import check_answers, record_answers
from .breakouts import cancel_pick, lock_breakouts_of_day
from .errors import InvalidRegistration, NotAllowed
from .models import DaySeat, Registration, RegistrationKind, ReleasedVia, SeatStatus
from .notices import send_confirmation, send_promotion
from .people import is_team_member
from .seats import (
    ACTIVE,
    DayResult,
    day_results,
    fill_from_waitlist,
    is_postgresql,
    lift_by_override,
    lock_active_place,
    release_seat,
    seat_for,
    seats_left,
    settle_place,
    take_seat,
    take_seat_by_override,
)
from .signals import place_changed
from .windows import check_not_over, check_window


@dataclass
class RegistrationResult:
    """What happened: ``created`` is False when nothing new was registered."""

    registration: Registration | None
    created: bool
    days: list[DayResult] = field(default_factory=list)
    # True when the email was known: nothing was registered, its owner was asked by email.
    pending: bool = False


# --- Reading a registration ----------------------------------------------------------------


def get_registration(session: DbSession, forum: Forum, person: Person) -> Registration | None:
    """The person's registration for the forum, if any."""
    return session.scalar(
        select(Registration).where(
            Registration.forum_id == forum.id, Registration.person_id == person.id
        )
    )


def new_registration(
    session: DbSession, forum: Forum, person: Person, kind: str, **details
) -> Registration:
    """A new registration with ``details`` (community, needs, consent: written in the same
    INSERT), or the one a concurrent request (a double submit) just made."""
    try:
        with session.begin_nested():
            registration = Registration(forum=forum, person=person, kind=kind, **details)
            session.add(registration)
    except IntegrityError:
        existing = get_registration(session, forum, person)
        if existing is None:
            raise
        registration = existing
    return registration


def holds_seat(registration: Registration | None, day: ForumDay) -> bool:
    """True when the registration is confirmed or waitlisted on ``day``."""
    seat = seat_for(registration, day) if registration is not None else None
    return seat is not None and seat.status in ACTIVE


def days_of(forum: Forum, day_ids: list[int]) -> list[ForumDay]:
    """The forum's days with these ids, in id order: seats are then always taken (and on
    PostgreSQL their rows locked) in one order, so two requests naming the same days in a
    different order cannot deadlock."""
    by_id = {day.id: day for day in forum.days}
    days = []
    for day_id in sorted(set(day_ids)):
        if day_id not in by_id:
            raise InvalidRegistration({"day_ids": _("Choose days of this forum.")})
        days.append(by_id[day_id])
    return days


# --- Taking places -------------------------------------------------------------------------


def request_seat(
    session: DbSession, registration: Registration, day: ForumDay, override: bool = False
) -> tuple[DaySeat, bool]:
    """Confirm or waitlist the registration on ``day``; returns the seat and whether it is new."""
    seat = seat_for(registration, day)
    if seat is not None and seat.status in ACTIVE:
        return seat, False
    if not override and seats_left(day) != 0:
        confirmed = _confirm_if_free(session, registration, day, seat)
        if confirmed is not None:
            return confirmed, True
        seat = seat_for(registration, day)
    if is_postgresql(session):
        # Queue on the day's row until commit even when no seat is free (a failed conditional
        # UPDATE locks nothing): joining the waitlist then follows commit order, so positions
        # are unique, and a seat freed by a concurrent cancellation is never missed. NO KEY
        # UPDATE, like the counter's UPDATE: rows that merely refer to the day (new seats)
        # need not wait for it.
        session.execute(
            select(ForumDay.id).where(ForumDay.id == day.id).with_for_update(key_share=True)
        )
    now = utcnow()  # taken once the day is ours, so waitlist order is commit order
    if override:
        take_seat_by_override(session, ForumDay, day.id)
        status = SeatStatus.CONFIRMED
    else:
        status = (
            SeatStatus.CONFIRMED if take_seat(session, ForumDay, day.id) else SeatStatus.WAITLISTED
        )
    return _settled_seat(session, registration, day, seat, status, override, now), True


def _confirm_if_free(
    session: DbSession, registration: Registration, day: ForumDay, seat: DaySeat | None
) -> DaySeat | None:
    """Confirm a seat when one looked free, with the work a confirmed seat brings (ticket,
    calendar invitation); None, with nothing written, when the day filled up meanwhile.

    On PostgreSQL taking the seat locks the day's row until commit, and every registration for
    the day queues on that lock: the seat is taken *last*, after that work, in a savepoint
    that is rolled back if the day filled up, so the lock is held for the commit alone rather
    than for all of a registration's work. On SQLite every writer already holds the whole
    database (the write gate) until commit, so there is nothing to shorten: the seat is taken
    first and the work follows only when it was. The conditional UPDATE decides either way,
    so a seat is never given twice.
    """
    if not is_postgresql(session):
        # The counter's UPDATE reads nothing the session holds unwritten: a new registration
        # is then written together with its seat, in one flush.
        with session.no_autoflush:
            taken = take_seat(session, ForumDay, day.id)
        if not taken:
            return None
        return _settled_seat(session, registration, day, seat, SeatStatus.CONFIRMED)
    savepoint = session.begin_nested()
    seat = _settled_seat(session, registration, day, seat, SeatStatus.CONFIRMED)
    if take_seat(session, ForumDay, day.id):
        savepoint.commit()
        return seat
    savepoint.rollback()
    return None


def _settled_seat(
    session: DbSession,
    registration: Registration,
    day: ForumDay,
    seat: DaySeat | None,
    status: SeatStatus,
    override: bool = False,
    now: datetime | None = None,
) -> DaySeat:
    """``seat`` (or a new one for ``day``) given ``status``, and the features above told
    (``settle_place``)."""
    if seat is None:
        seat = DaySeat(registration=registration, day=day)
        session.add(seat)
    settle_place(session, seat, status, override, now or utcnow())
    return seat


def register_team_member(
    session: DbSession,
    forum: Forum,
    person: Person,
    day_ids: list[int],
    now: datetime | None = None,
    accessibility_needs: str = "",
    dietary_needs: str = "",
    answers: Mapping[str, Mapping] | None = None,
) -> RegistrationResult:
    """Register a roster member for days of a forum (team-only days included). ``answers``
    are those to the questions other features add to the form (``additions.answers_of``)."""
    now = now or utcnow()
    answers = answers or {}
    check_answers(answers)
    if not is_team_member(session, person, forum):
        raise NotAllowed(_("Only members of a community team's roster can register for this."))
    if forum.status != ForumStatus.PUBLISHED:
        raise NotAllowed(_("Registration for this forum is not open."))
    if not day_ids:
        raise InvalidRegistration({"day_ids": _("Choose at least one day.")})
    days = days_of(forum, day_ids)
    registration = get_registration(session, forum, person)
    new_days = [day for day in days if not holds_seat(registration, day)]
    for day in new_days:
        check_window(day, now)
    if registration is None:
        registration = new_registration(session, forum, person, RegistrationKind.TEAM)
    registration.kind = RegistrationKind.TEAM.value
    registration.accessibility_needs = accessibility_needs.strip()
    registration.dietary_needs = dietary_needs.strip()
    registration.consented_at = registration.consented_at or now
    for day in new_days:
        request_seat(session, registration, day)
    record_answers(session, registration, answers)
    return _result(session, registration, days, new_days)


def register_by_organizer(
    session: DbSession, forum: Forum, person: Person, day_ids: list[int], override: bool = False
) -> RegistrationResult:
    """An organizer registers someone on any days of the forum, windows aside.

    With ``override`` a full day still confirms the seat, recorded as an override; without it
    the person joins the waitlist like anyone else.
    """
    if not day_ids:
        raise InvalidRegistration({"day_ids": _("Choose at least one day.")})
    days = days_of(forum, day_ids)
    registration = get_registration(session, forum, person)
    if registration is None:
        kind = (
            RegistrationKind.TEAM
            if is_team_member(session, person, forum)
            else RegistrationKind.PUBLIC
        )
        registration = new_registration(session, forum, person, kind)
    new_days = [day for day in days if not holds_seat(registration, day)]
    for day in days:
        seat = seat_for(registration, day)
        if override and seat is not None and seat.status == SeatStatus.WAITLISTED:
            lift_by_override(session, seat, utcnow())
            new_days.append(day)
        elif day in new_days:
            request_seat(session, registration, day, override=override)
    return _result(session, registration, days, new_days)


def _result(
    session: DbSession, registration: Registration, days: list[ForumDay], new_days: list[ForumDay]
) -> RegistrationResult:
    """Where the registration stands on ``days``; confirmed by email when some are new."""
    session.flush()
    result = RegistrationResult(
        registration, bool(new_days), day_results(session, registration, days)
    )
    if new_days:
        send_confirmation(session, registration)
    return result


# --- Giving places up ----------------------------------------------------------------------


def cancel_own_days(
    session: DbSession,
    registration: Registration,
    day_ids: list[int],
    now: datetime | None = None,
    released_via: ReleasedVia | None = None,
) -> int:
    """An attendee gives up places (see ``cancel_days``); refused with ``RegistrationClosed``
    for a day that is over or a forum that is closed."""
    now = now or utcnow()
    for seat in registration.seats:
        if seat.day_id in day_ids:
            check_not_over(seat.day, now)
    return cancel_days(session, registration, day_ids, released_via)


def cancel_days(
    session: DbSession,
    registration: Registration,
    day_ids: list[int] | None = None,
    released_via: ReleasedVia | None = None,
) -> int:
    """Cancel the registration's seats (all, or on the given days) and their breakout picks;
    freed seats go to the first person waiting. Returns how many seats were cancelled (0 when
    they were cancelled already). ``released_via`` marks the confirmed seats given back (a
    reminder's link), for the measures."""
    cancelled = 0
    for seat in list(registration.seats):
        if seat.status not in ACTIVE or (day_ids is not None and seat.day_id not in day_ids):
            continue
        was_confirmed = lock_active_place(session, seat)
        if was_confirmed is None:
            continue  # cancelled meanwhile by a concurrent request
        seat.status = SeatStatus.CANCELLED.value
        seat.status_changed_at = utcnow()
        if was_confirmed and released_via is not None:
            seat.released_via = ReleasedVia(released_via).value
        session.flush()
        place_changed.send(seat, session=session)
        cancelled += 1
        lock_breakouts_of_day(session, seat.day_id, registration)
        for pick in registration.picks:
            if pick.item.day_id == seat.day_id and pick.status in ACTIVE:
                cancel_pick(session, pick)
        if was_confirmed and release_seat(session, ForumDay, seat.day_id):
            promote_to_day(session, seat.day_id)
    session.flush()
    return cancelled


def promote_to_day(session: DbSession, day_id: int) -> list[DaySeat]:
    """Give the day's free seats to the people waiting, in order, and tell them."""
    promoted = fill_from_waitlist(session, DaySeat, day_id)
    for seat in promoted:
        seat.promoted_at = seat.status_changed_at
        place_changed.send(seat, session=session)  # issues the ticket the email carries
        send_promotion(session, seat)
    return promoted


def _describe_registrations(session: DbSession, ids: list[int]) -> dict[int, str]:
    rows = session.execute(
        select(Registration.id, Person.name, Forum.title)
        .join(Person, Registration.person_id == Person.id)
        .join(Forum, Registration.forum_id == Forum.id)
        .where(Registration.id.in_(ids))
    ).all()
    return {row_id: f"{name}, {title}" for row_id, name, title in rows}


audit.register_subject_kind("registration", _describe_registrations)
