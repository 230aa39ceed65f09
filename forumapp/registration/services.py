"""Registration rules: seats, waitlists, breakout picks and the emails they cause.

Seats are counted by the database, never in Python: taking a seat is one conditional
``UPDATE ... SET seats_taken = seats_taken + 1 WHERE seats_taken < capacity`` whose row count
says whether it worked, with a CHECK constraint as the backstop. On PostgreSQL the updated row
stays locked until commit, so concurrent requests queue on it; on SQLite every writing
transaction starts with ``BEGIN IMMEDIATE``. Functions flush; the caller commits once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.util import identity_key

from ..agenda.models import AgendaItem, ItemKind, ItemStatus
from ..agenda.visibility import Viewer, can_see_item
from ..core import audit
from ..core.actions import DomainError
from ..core.clock import to_local, utcnow
from ..core.emails import InvalidEmail, normalise_email
from ..core.links import absolute_url, personal_token, revoke_personal_links
from ..core.models import (
    Audience,
    Forum,
    ForumDay,
    ForumStatus,
    Person,
    Room,
    Team,
    TeamMembership,
)
from ..core.names import name_problem
from ..mail.outbox import queue_email_to_person
from .models import BreakoutPick, DaySeat, Registration, RegistrationKind, SeatStatus
from .signals import confirmation_email, place_changed

ACTIVE = (SeatStatus.CONFIRMED.value, SeatStatus.WAITLISTED.value)


class RegistrationError(DomainError):
    """A registration request that cannot be carried out (``DomainError``: the message, the
    input at fault and the status the JSON API answers)."""

    status = 422


class InvalidRegistration(RegistrationError):
    """Bad input; ``errors`` maps each field to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(" ".join(errors.values()), next(iter(errors), None), errors=errors)


class NotAllowed(RegistrationError):
    """The person may not register for that (e.g. a team-only day for the public)."""

    status = 403


class RegistrationClosed(RegistrationError):
    """Outside the day's registration window, or past the breakout choice deadline."""

    status = 409


class BreakoutFull(RegistrationError):
    """No seat left in the breakout; the person may join its waitlist or choose another."""

    status = 409


# --- Seat counters -------------------------------------------------------------------------


def _item_capacity():
    """SQL for an agenda item's capacity: its own, else its room's (NULL: unlimited)."""
    room_capacity = select(Room.capacity).where(Room.id == AgendaItem.room_id).scalar_subquery()
    return func.coalesce(AgendaItem.capacity, room_capacity)


def _capacity_of(model):
    return model.capacity if model is ForumDay else _item_capacity()


def _take_seat(session, model, row_id: int) -> bool:
    """Take one seat if one is free; True when taken. Atomic in the database."""
    capacity = _capacity_of(model)
    result = session.execute(
        update(model)
        .where(model.id == row_id, or_(capacity.is_(None), model.seats_taken < capacity))
        .values(seats_taken=model.seats_taken + 1)
        .execution_options(synchronize_session=False)
    )
    _forget_counts(session, model, row_id)
    return result.rowcount == 1


def _take_seat_by_override(session, model, row_id: int) -> None:
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


def _release_seat(session, model, row_id: int) -> bool:
    """Give a seat back; True when that frees a place for the waitlist.

    A seat given back while overrides hold the room above capacity only reduces the overflow.
    """
    absorbed = session.execute(
        update(model)
        .where(model.id == row_id, model.seats_overridden > 0)
        .values(seats_taken=model.seats_taken - 1, seats_overridden=model.seats_overridden - 1)
        .execution_options(synchronize_session=False)
    )
    _forget_counts(session, model, row_id)
    if absorbed.rowcount == 1:
        return False
    session.execute(
        update(model)
        .where(model.id == row_id)
        .values(seats_taken=model.seats_taken - 1)
        .execution_options(synchronize_session=False)
    )
    return True


def _is_postgresql(session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _forget_counts(session, model, row_id: int) -> None:
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


# --- Waitlists -----------------------------------------------------------------------------


def waitlist_position(session, seat: DaySeat | BreakoutPick) -> int | None:
    """1 for the first person waiting, and so on; None when not waitlisted."""
    if seat.status != SeatStatus.WAITLISTED:
        return None
    model = type(seat)
    parent = model.day_id if model is DaySeat else model.item_id
    parent_id = seat.day_id if model is DaySeat else seat.item_id
    ahead = session.scalar(
        select(func.count())
        .select_from(model)
        .where(
            parent == parent_id,
            model.status == SeatStatus.WAITLISTED,
            or_(
                model.created_at < seat.created_at,
                and_(model.created_at == seat.created_at, model.id < seat.id),
            ),
        )
    )
    return ahead + 1


def waitlist_length(session, model, parent_id: int) -> int:
    parent = model.day_id if model is DaySeat else model.item_id
    return session.scalar(
        select(func.count())
        .select_from(model)
        .where(parent == parent_id, model.status == SeatStatus.WAITLISTED)
    )


def _promote(session, model, parent_id: int) -> list:
    """Move people from the waitlist into free seats, first come first served, and tell them."""
    parent_model = ForumDay if model is DaySeat else AgendaItem
    parent_column = model.day_id if model is DaySeat else model.item_id
    promoted = []
    while True:
        query = (
            select(model)
            .where(parent_column == parent_id, model.status == SeatStatus.WAITLISTED)
            .order_by(model.created_at, model.id)
            .limit(1)
        )
        if _is_postgresql(session):
            query = query.with_for_update(skip_locked=True)
        waiting = session.scalar(query)
        if waiting is None or not _take_seat(session, parent_model, parent_id):
            break
        waiting.status = SeatStatus.CONFIRMED.value
        waiting.status_changed_at = utcnow()
        promoted.append(waiting)
    session.flush()
    for seat in promoted:
        given_up = _give_up_other_seat(session, seat) if model is BreakoutPick else None
        _email_promotion(session, seat, given_up)
        place_changed.send(seat, session=session)
    return promoted


def _give_up_other_seat(session, pick: BreakoutPick) -> AgendaItem | None:
    """A person who waited for ``pick`` while holding a seat in another breakout of the slot
    moves: that seat goes to the next person waiting there. Returns the breakout left."""
    for other in _picks_in_slot(pick.registration, pick.item):
        if other is not pick and other.status == SeatStatus.CONFIRMED:
            _cancel_pick(session, other)
            return other.item
    return None


# --- People and registrations --------------------------------------------------------------


@dataclass
class PublicRegistrationInput:
    """What a public attendee enters on the form or sends to the API."""

    name: str
    email: str
    day_ids: list[int]
    organization: str = ""
    community: str = ""
    accessibility_needs: str = ""
    dietary_needs: str = ""
    consent: bool = False


@dataclass
class DayResult:
    day: ForumDay
    status: str
    waitlist_position: int | None = None


@dataclass
class RegistrationResult:
    """What happened: ``created`` is False when nothing new was registered."""

    registration: Registration | None
    created: bool
    days: list[DayResult] = field(default_factory=list)
    # True when the email was known: nothing was registered, its owner was asked by email.
    pending: bool = False


def find_or_create_person(session, name: str, email: str, organization: str = "") -> Person:
    """The person with this email (normalised), created if new; blank details are filled in."""
    email = normalise_email(email)
    person = session.scalar(select(Person).where(Person.email == email))
    if person is None:
        # None: the same email arrived at the same moment (a double submit): use that record.
        person = _insert_person(session, name, email, organization) or session.scalar(
            select(Person).where(Person.email == email)
        )
    elif organization and not person.organization:
        person.organization = organization.strip()
    return person


def _insert_person(session, name: str, email: str, organization: str) -> Person | None:
    """A new person with this (normalised) email, or ``None`` when a concurrent request
    created one a moment ago (the unique index decides, in a savepoint)."""
    try:
        with session.begin_nested():
            person = Person(name=name.strip(), email=email, organization=organization.strip())
            session.add(person)
    except IntegrityError:
        return None
    return person


def day_has_passed(day: ForumDay, now: datetime) -> bool:
    """Whether the forum day is over: its local date is before today's in the program's zone."""
    return day.date < to_local(now, day.forum.program.time_zone).date()


def is_over_for_attendees(day: ForumDay, now: datetime) -> bool:
    """Whether attendees can no longer change their place on ``day``: the day has passed, or
    the organizers closed the forum."""
    return day.forum.status == ForumStatus.CLOSED or day_has_passed(day, now)


def is_held(forum: Forum, now: datetime) -> bool:
    """Whether the forum is behind us for its attendees: closed by the organizers, or every
    day of it has passed. Attendees can then no longer change their places or tickets."""
    if forum.status == ForumStatus.CLOSED:
        return True
    return bool(forum.days) and all(day_has_passed(day, now) for day in forum.days)


def _check_not_over(day: ForumDay, now: datetime, field: str = "day_ids") -> None:
    """Attendees change places only for days still to come (organizers may correct later)."""
    if day.forum.status == ForumStatus.CLOSED:
        raise RegistrationClosed(
            f"{day.forum.title} is closed: places can no longer be changed.", field
        )
    if day_has_passed(day, now):
        raise RegistrationClosed(
            f"{day.date:%A, %B} {day.date.day}, {day.date.year} is over: places on it can no "
            "longer be changed.",
            field,
        )


def _check_window(day: ForumDay, now: datetime) -> None:
    _check_not_over(day, now)
    opens, closes = day.registration_opens_at, day.registration_closes_at
    if opens is not None and now < opens:
        raise RegistrationClosed(
            f"Registration for {day.date:%B %d, %Y} opens on {_local(opens, day)}.", "day_ids"
        )
    if closes is not None and now >= closes:
        raise RegistrationClosed(
            f"Registration for {day.date:%B %d, %Y} closed on {_local(closes, day)}.", "day_ids"
        )


def _local(instant: datetime, day: ForumDay) -> str:
    from ..core.templating import format_local_datetime

    return format_local_datetime(instant, day.forum.program.time_zone)


def _validate_public(data: PublicRegistrationInput) -> str:
    errors = {}
    if problem := name_problem(data.name.strip(), missing="Enter your full name."):
        errors["name"] = problem
    try:
        email = normalise_email(data.email)
    except InvalidEmail as exc:
        email = ""
        errors["email"] = f"Enter an email address like name@example.org. {exc}"
    if len(data.organization) > 200:
        errors["organization"] = "Use at most 200 characters."
    if not data.day_ids:
        errors["day_ids"] = "Choose at least one day."
    if not data.consent:
        errors["consent"] = "Tick the box to agree to the privacy note, or we cannot register you."
    if errors:
        raise InvalidRegistration(errors)
    return email


def _days_of(forum: Forum, day_ids: list[int]) -> list[ForumDay]:
    """The forum's days with these ids, in id order: seats are then always taken (and on
    PostgreSQL their rows locked) in one order, so two requests naming the same days in a
    different order cannot deadlock."""
    by_id = {day.id: day for day in forum.days}
    days = []
    for day_id in sorted(set(day_ids)):
        if day_id not in by_id:
            raise InvalidRegistration({"day_ids": "Choose days of this forum."})
        days.append(by_id[day_id])
    return days


def program_teams(session, forum: Forum) -> list[Team]:
    """The teams of the forum's program, by name."""
    return list(
        session.scalars(select(Team).where(Team.program_id == forum.program_id).order_by(Team.name))
    )


def is_team_member(session, person: Person, forum: Forum) -> bool:
    """True when the person is on a roster of one of the forum's program's teams."""
    return (
        session.scalar(
            select(func.count())
            .select_from(TeamMembership)
            .join(Team)
            .where(TeamMembership.person_id == person.id, Team.program_id == forum.program_id)
        )
        > 0
    )


def _get_registration(session, forum: Forum, person: Person) -> Registration | None:
    return session.scalar(
        select(Registration).where(
            Registration.forum_id == forum.id, Registration.person_id == person.id
        )
    )


def _seat_for(registration: Registration, day: ForumDay) -> DaySeat | None:
    return next((s for s in registration.seats if s.day_id == day.id), None)


def _new_registration(session, forum: Forum, person: Person, kind: str) -> Registration:
    """A new registration, or the one a concurrent request (a double submit) just made."""
    try:
        with session.begin_nested():
            registration = Registration(forum=forum, person=person, kind=kind)
            session.add(registration)
    except IntegrityError:
        registration = _get_registration(session, forum, person)
    return registration


def _holds_seat(registration: Registration | None, day: ForumDay) -> bool:
    """True when the registration is confirmed or waitlisted on ``day``."""
    seat = _seat_for(registration, day) if registration is not None else None
    return seat is not None and seat.status in ACTIVE


def _request_seat(session, registration: Registration, day: ForumDay, override=False):
    """Confirm or waitlist the registration on ``day``; returns the seat and whether it is new."""
    seat = _seat_for(registration, day)
    if seat is not None and seat.status in ACTIVE:
        return seat, False
    if not override and seats_left(day) != 0:
        confirmed = _confirm_if_free(session, registration, day, seat)
        if confirmed is not None:
            return confirmed, True
        seat = _seat_for(registration, day)
    if _is_postgresql(session):
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
        _take_seat_by_override(session, ForumDay, day.id)
        status = SeatStatus.CONFIRMED
    else:
        status = (
            SeatStatus.CONFIRMED if _take_seat(session, ForumDay, day.id) else SeatStatus.WAITLISTED
        )
    if seat is None:
        seat = DaySeat(registration=registration, day=day)
        session.add(seat)
    seat.status = status.value
    seat.override = override
    seat.created_at = now  # a returning person joins the back of any waitlist
    seat.status_changed_at = now
    session.flush()
    place_changed.send(seat, session=session)
    return seat, True


def _confirm_if_free(
    session, registration: Registration, day: ForumDay, seat: DaySeat | None
) -> DaySeat | None:
    """Confirm a seat when one looked free, doing the work a confirmed seat brings (ticket,
    calendar invitation) *before* taking it; None, with nothing written, when the day filled up
    meanwhile.

    Taking the seat locks the day's row on PostgreSQL until commit, and every registration for
    the day queues on that lock: taken last, it is held for the commit alone rather than for
    all of a registration's work, so a rush of registrations is not served one whole request
    at a time. The conditional UPDATE still decides, so a seat is never given twice.
    """
    now = utcnow()
    savepoint = session.begin_nested()
    if seat is None:
        seat = DaySeat(registration=registration, day=day)
        session.add(seat)
    seat.status = SeatStatus.CONFIRMED.value
    seat.override = False
    seat.created_at = now
    seat.status_changed_at = now
    session.flush()
    place_changed.send(seat, session=session)
    if _take_seat(session, ForumDay, day.id):
        savepoint.commit()
        return seat
    savepoint.rollback()
    return None


def _held_days(registration: Registration) -> list[ForumDay]:
    """The days the registration has a seat or a waitlist place on, in date order."""
    return sorted(
        (seat.day for seat in registration.seats if seat.status in ACTIVE),
        key=lambda day: day.date,
    )


def _day_results(session, registration: Registration, days: list[ForumDay]) -> list[DayResult]:
    results = []
    for day in days:
        seat = _seat_for(registration, day)
        results.append(DayResult(day, seat.status, waitlist_position(session, seat)))
    return results


def register_public(
    session, forum: Forum, data: PublicRegistrationInput, now: datetime | None = None
) -> RegistrationResult:
    """Register a member of the public for open days of a published forum.

    Anyone may type any email, so the answer to the caller is the same whoever owns it, and
    nothing of an existing person changes here: a new email gets its registration at once
    (confirmation, ticket and personal link go to that inbox); a known one gets an email asking
    its owner to confirm the request (``confirm_public_request``), or its personal link again
    when it already holds those days. The caller learns only that an email was sent.

    Raises ``InvalidRegistration``, ``NotAllowed`` or ``RegistrationClosed`` (which depend on
    what was typed and on the forum, never on whether the email is known).
    """
    now = now or utcnow()
    email = _validate_public(data)
    if forum.status != ForumStatus.PUBLISHED:
        raise NotAllowed("Registration for this forum is not open.")
    days = _days_of(forum, data.day_ids)
    for day in days:
        if day.audience != Audience.PUBLIC:
            raise NotAllowed(
                f"{day.date:%B %d, %Y} is for the community teams only. Team members register "
                "through the personal link in their invitation.",
                "day_ids",
            )
        _check_window(day, now)
    known = session.scalar(select(Person).where(Person.email == email))
    person = (
        None if known is not None else _insert_person(session, data.name, email, data.organization)
    )
    if person is None:
        known = known or session.scalar(select(Person).where(Person.email == email))
        registration = _get_registration(session, forum, known)
        if all(_holds_seat(registration, day) for day in days):
            send_personal_link(session, known, forum)
        else:
            _ask_to_confirm(session, forum, known, data, days)
        return RegistrationResult(registration, False, [], pending=True)
    return _register_public_person(session, forum, person, data, days, now)


def registration_sent_message(email: str) -> str:
    """What the form and the API tell whoever registered ``email``, known or not."""
    return (
        f"Thank you. We've emailed {email} your registration, your ticket and your personal "
        "link to see, change or cancel it. If the address was already registered with us, the "
        "email asks you to confirm first."
    )


def _register_public_person(
    session, forum: Forum, person: Person, data: PublicRegistrationInput, days, now: datetime
) -> RegistrationResult:
    """Seats on ``days`` for ``person``, with the details they typed; emails the result."""
    if data.organization.strip() and not person.organization:
        person.organization = data.organization.strip()
    registration = _get_registration(session, forum, person)
    if registration is None:
        registration = _new_registration(session, forum, person, RegistrationKind.PUBLIC)
    registration.community = data.community.strip()[:200]
    registration.accessibility_needs = data.accessibility_needs.strip()
    registration.dietary_needs = data.dietary_needs.strip()
    registration.consented_at = now
    for day in days:
        _request_seat(session, registration, day)
    session.flush()
    result = RegistrationResult(registration, True, _day_results(session, registration, days))
    _email_registration(session, result)
    return result


# A request to register a known email waits in the owner's inbox for this long.
REQUEST_MAX_AGE = 7 * 24 * 3600
_REQUEST_SALT = "public-registration-request"


def _request_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_REQUEST_SALT)


@dataclass
class PendingRequest:
    """A registration someone asked for on a known person's email, read back from the link
    in that person's inbox."""

    forum: Forum
    person: Person
    days: list[ForumDay]
    data: PublicRegistrationInput


def _ask_to_confirm(
    session, forum: Forum, person: Person, data: PublicRegistrationInput, days
) -> None:
    # The request travels inside the signed link rather than in a table: nothing is stored
    # for a stranger's request, and a new personal link (new nonce) voids it.
    token = _request_serializer().dumps(
        {
            "forum": forum.id,
            "person": person.id,
            "nonce": person.link_nonce,
            "days": [day.id for day in days],
            "organization": data.organization.strip(),
            "community": data.community.strip()[:200],
            "accessibility": data.accessibility_needs.strip(),
            "dietary": data.dietary_needs.strip(),
        }
    )
    queue_email_to_person(
        session,
        "registration_request",
        person,
        kind="registration_request",
        subject=f"Please confirm your registration: {forum.title}",
        forum=forum,
        days=days,
        community=data.community.strip(),
        accessibility_needs=data.accessibility_needs.strip(),
        dietary_needs=data.dietary_needs.strip(),
        confirm_url=absolute_url(
            "registration.confirm_public_request", forum_id=forum.id, token=token
        ),
        link=personal_link(person),
    )


def pending_request(session, forum_id: int, token: str) -> PendingRequest | None:
    """The request behind a confirmation link, or ``None`` for a forged, expired or voided one
    (the person got a new personal link since, or the forum or a day is gone)."""
    try:
        fields = _request_serializer().loads(token, max_age=REQUEST_MAX_AGE)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(fields, dict) or fields.get("forum") != forum_id:
        return None
    forum = session.get(Forum, forum_id)
    person = (
        session.get(Person, fields.get("person")) if isinstance(fields.get("person"), int) else None
    )
    if forum is None or person is None or person.link_nonce != fields.get("nonce"):
        return None
    try:
        days = _days_of(forum, list(fields.get("days") or []))
    except InvalidRegistration:
        return None
    data = PublicRegistrationInput(
        name=person.name,
        email=person.email,
        day_ids=[day.id for day in days],
        organization=str(fields.get("organization", "")),
        community=str(fields.get("community", "")),
        accessibility_needs=str(fields.get("accessibility", "")),
        dietary_needs=str(fields.get("dietary", "")),
        consent=True,
    )
    return PendingRequest(forum, person, days, data)


def confirm_public_request(
    session, request: PendingRequest, now: datetime | None = None
) -> RegistrationResult:
    """The owner of the inbox confirms a registration asked for on their email: the seats
    are requested now (windows and capacity as they are now) with the details typed then.
    Confirming twice changes nothing. Raises ``NotAllowed`` or ``RegistrationClosed``."""
    now = now or utcnow()
    if request.forum.status != ForumStatus.PUBLISHED:
        raise NotAllowed("Registration for this forum is not open.")
    registration = _get_registration(session, request.forum, request.person)
    if all(_holds_seat(registration, day) for day in request.days):
        return RegistrationResult(
            registration, False, _day_results(session, registration, request.days)
        )
    for day in request.days:
        _check_window(day, now)
    return _register_public_person(
        session, request.forum, request.person, request.data, request.days, now
    )


def register_team_member(
    session, forum: Forum, person: Person, day_ids: list[int], now: datetime | None = None,
    accessibility_needs: str = "", dietary_needs: str = "",
) -> RegistrationResult:  # fmt: skip
    """Register a roster member for days of a forum (team-only days included)."""
    now = now or utcnow()
    if not is_team_member(session, person, forum):
        raise NotAllowed("Only members of a community team's roster can register for this.")
    if forum.status != ForumStatus.PUBLISHED:
        raise NotAllowed("Registration for this forum is not open.")
    if not day_ids:
        raise InvalidRegistration({"day_ids": "Choose at least one day."})
    days = _days_of(forum, day_ids)
    registration = _get_registration(session, forum, person)
    new_days = [day for day in days if not _holds_seat(registration, day)]
    for day in new_days:
        _check_window(day, now)
    if registration is None:
        registration = _new_registration(session, forum, person, RegistrationKind.TEAM)
    registration.kind = RegistrationKind.TEAM.value
    registration.accessibility_needs = accessibility_needs.strip()
    registration.dietary_needs = dietary_needs.strip()
    registration.consented_at = registration.consented_at or now
    for day in new_days:
        _request_seat(session, registration, day)
    session.flush()
    result = RegistrationResult(
        registration, bool(new_days), _day_results(session, registration, days)
    )
    if new_days:
        _email_registration(session, result)
    return result


def register_by_organizer(
    session, forum: Forum, person: Person, day_ids: list[int], override: bool = False
) -> RegistrationResult:
    """An organizer registers someone on any days of the forum, windows aside.

    With ``override`` a full day still confirms the seat, recorded as an override; without it
    the person joins the waitlist like anyone else.
    """
    if not day_ids:
        raise InvalidRegistration({"day_ids": "Choose at least one day."})
    days = _days_of(forum, day_ids)
    registration = _get_registration(session, forum, person)
    if registration is None:
        kind = (
            RegistrationKind.TEAM
            if is_team_member(session, person, forum)
            else RegistrationKind.PUBLIC
        )
        registration = _new_registration(session, forum, person, kind)
    new_days = [day for day in days if not _holds_seat(registration, day)]
    for day in days:
        seat = _seat_for(registration, day)
        if override and seat is not None and seat.status == SeatStatus.WAITLISTED:
            # Lift a waiting person into a seat deliberately.
            _take_seat_by_override(session, ForumDay, day.id)
            seat.status = SeatStatus.CONFIRMED.value
            seat.override = True
            seat.status_changed_at = utcnow()
            session.flush()
            place_changed.send(seat, session=session)
            new_days.append(day)
        elif day in new_days:
            _request_seat(session, registration, day, override=override)
    session.flush()
    result = RegistrationResult(
        registration, bool(new_days), _day_results(session, registration, days)
    )
    if new_days:
        _email_registration(session, result)
    return result


def cancel_own_days(
    session, registration: Registration, day_ids: list[int], now: datetime | None = None
) -> int:
    """An attendee gives up places (see ``cancel_days``); refused with ``RegistrationClosed``
    for a day that is over or a forum that is closed."""
    now = now or utcnow()
    for seat in registration.seats:
        if seat.day_id in day_ids:
            _check_not_over(seat.day, now)
    return cancel_days(session, registration, day_ids)


def cancel_days(session, registration: Registration, day_ids: list[int] | None = None) -> int:
    """Cancel the registration's seats (all, or on the given days) and their breakout picks;
    freed seats go to the first person waiting. Returns how many seats were cancelled."""
    cancelled = 0
    for seat in list(registration.seats):
        if seat.status not in ACTIVE or (day_ids is not None and seat.day_id not in day_ids):
            continue
        was_confirmed = _lock_active_place(session, seat)
        if was_confirmed is None:
            continue  # cancelled meanwhile by a concurrent request
        seat.status = SeatStatus.CANCELLED.value
        seat.status_changed_at = utcnow()
        session.flush()
        place_changed.send(seat, session=session)
        cancelled += 1
        _lock_breakouts_of_day(session, seat.day_id, registration)
        for pick in registration.picks:
            if pick.item.day_id == seat.day_id and pick.status in ACTIVE:
                _cancel_pick(session, pick)
        if was_confirmed and _release_seat(session, ForumDay, seat.day_id):
            _promote(session, DaySeat, seat.day_id)
    session.flush()
    return cancelled


# --- Breakout picks ------------------------------------------------------------------------


def breakout_slots(session, forum: Forum, day: ForumDay) -> list[tuple[datetime, list]]:
    """The day's breakout slots: (start, [breakouts]). Breakouts whose times overlap form one
    slot, whether or not they start together, as a person holds one pick among them."""
    items = session.scalars(
        select(AgendaItem)
        .where(
            AgendaItem.day_id == day.id,
            AgendaItem.kind == ItemKind.BREAKOUT,
            AgendaItem.status == ItemStatus.SCHEDULED,
        )
        .order_by(AgendaItem.starts_at, AgendaItem.position, AgendaItem.id)
    ).all()
    slots: list[tuple[datetime, list]] = []
    slot_ends_at = None
    for item in items:
        if slots and item.starts_at < slot_ends_at:
            slots[-1][1].append(item)
            slot_ends_at = max(slot_ends_at, item.ends_at)
        else:
            slots.append((item.starts_at, [item]))
            slot_ends_at = item.ends_at
    return slots


def _lock_breakouts_of_day(session, day_id: int, registration: Registration) -> None:
    """On PostgreSQL, lock every breakout of the day, in id order, before any breakout seat of
    it changes; then re-read what the transaction holds.

    A change moves seats across the day: choosing leaves a breakout and takes another, and a
    seat given back promotes someone who then leaves their old seat, and so on down the chain.
    Taking all the day's locks first, always in the same order, means two such changes wait
    for each other instead of deadlocking, and the team cap cannot be overshot by a race.
    The registration's picks read before waiting may be stale (another request may have moved
    this person meanwhile), so they are loaded afresh; other people's are read after the locks.
    """
    if not _is_postgresql(session):
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


def _unchanged_pick(registration: Registration, item: AgendaItem) -> BreakoutPick | None:
    """The pick ``item`` already is, when choosing it again would change nothing: the seat
    held with no other wish in the slot, or the waitlist place waited for."""
    in_slot = _picks_in_slot(registration, item)
    current = next((pick for pick in in_slot if pick.item_id == item.id), None)
    if current is None:
        return None
    if current.status == SeatStatus.WAITLISTED or len(in_slot) == 1:
        return current
    return None


def _picks_in_slot(registration: Registration, item: AgendaItem) -> list[BreakoutPick]:
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
            for pick in _picks_in_slot(registration, item)
            if pick.status == SeatStatus.CONFIRMED and pick.item_id != item.id
        ),
        None,
    )


def _pick_in_slot(registration: Registration, item: AgendaItem) -> BreakoutPick | None:
    """The pick the person has in ``item``'s slot: their seat, else their waitlist place."""
    picks = _picks_in_slot(registration, item)
    return next((p for p in picks if p.status == SeatStatus.CONFIRMED), None) or next(
        iter(picks), None
    )


def _lock_active_place(session, place: DaySeat | BreakoutPick) -> bool | None:
    """Lock a seat or pick and read its status afresh: True if confirmed, False if
    waitlisted, None if it is no longer active.

    Two cancellations of the same place at once must not both give its seat back: on
    PostgreSQL the second waits here for the first to commit, then sees it cancelled.
    """
    model = type(place)
    query = select(model.status).where(model.id == place.id)
    if _is_postgresql(session):
        query = query.with_for_update()
    status = session.scalar(query.execution_options(populate_existing=True))
    if status not in ACTIVE:
        session.refresh(place)
        return None
    return status == SeatStatus.CONFIRMED


def _cancel_pick(session, pick: BreakoutPick) -> None:
    was_confirmed = _lock_active_place(session, pick)
    if was_confirmed is None:
        return
    pick.status = SeatStatus.CANCELLED.value
    pick.status_changed_at = utcnow()
    session.flush()
    place_changed.send(pick, session=session)
    if was_confirmed and _release_seat(session, AgendaItem, pick.item_id):
        _promote(session, BreakoutPick, pick.item_id)


def _team_ids(session, person_id: int, program_id: int) -> list[int]:
    return list(
        session.scalars(
            select(TeamMembership.team_id)
            .join(Team)
            .where(TeamMembership.person_id == person_id, Team.program_id == program_id)
        )
    )


def teammates_in_breakout(session, item: AgendaItem, team_ids: list[int], exclude_person: int):
    """How many members of these teams hold an active pick for ``item``."""
    return session.scalar(
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
    )


def choose_breakout(
    session,
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
    forum = registration.forum
    if item.kind != ItemKind.BREAKOUT or item.day.forum_id != forum.id or not item.is_scheduled:
        raise InvalidRegistration({"item_id": "Choose one of this forum's breakouts."})
    if not override and not (
        is_team_member(session, registration.person, forum)
        and can_see_item(Viewer(is_team_member=True), item)
    ):
        raise NotAllowed("Breakouts are chosen by the community teams' members.", "item_id")
    seat = _seat_for(registration, item.day)
    if seat is None or seat.status not in ACTIVE:
        # Even an override: a breakout seat without a place on its day would show nowhere on
        # the person's page, yet count at the door and in the tables.
        raise NotAllowed("Register for that day before choosing its breakouts.", "item_id")
    unchanged = _unchanged_pick(registration, item)
    if unchanged is not None and not override:
        return unchanged  # a form sent back as it was: nothing to check, nothing to do
    if not override:
        _check_not_over(item.day, now, "item_id")
    if not override and forum.choice_deadline is not None and now >= forum.choice_deadline:
        raise RegistrationClosed(
            f"Breakout choices closed on {_local(forum.choice_deadline, item.day)}.", "item_id"
        )
    _lock_breakouts_of_day(session, item.day_id, registration)
    in_slot = _picks_in_slot(registration, item)
    current = next((pick for pick in in_slot if pick.item_id == item.id), None)
    if current is not None:
        if override and current.status == SeatStatus.WAITLISTED:
            # Lift a waiting person into the breakout deliberately.
            _take_seat_by_override(session, AgendaItem, item.id)
            current.status = SeatStatus.CONFIRMED.value
            current.override = True
            current.status_changed_at = now
            session.flush()
        if current.status == SeatStatus.CONFIRMED:
            # Settled on this seat: whatever else they waited for in the slot is given up.
            for other in in_slot:
                if other is not current:
                    _cancel_pick(session, other)
        return current
    if forum.team_breakout_cap and not override:
        teams = _team_ids(session, registration.person_id, forum.program_id)
        if teams and teammates_in_breakout(session, item, teams, registration.person_id) >= (
            forum.team_breakout_cap
        ):
            cap = forum.team_breakout_cap
            raise NotAllowed(
                f"{cap} member{'s' if cap != 1 else ''} of your team already chose "
                f"“{item.title}”. "
                "Please choose another breakout so your team covers more topics.",
                "item_id",
            )
    if override:
        _take_seat_by_override(session, AgendaItem, item.id)
        status = SeatStatus.CONFIRMED
    elif _take_seat(session, AgendaItem, item.id):
        status = SeatStatus.CONFIRMED
    elif join_waitlist:
        status = SeatStatus.WAITLISTED
    else:
        raise BreakoutFull(
            f"“{item.title}” is full. Join its waitlist or choose another breakout.", "item_id"
        )
    for other in in_slot:
        # Someone waiting for a full breakout keeps their seat in the slot until one opens.
        if status == SeatStatus.WAITLISTED and other.status == SeatStatus.CONFIRMED:
            continue
        _cancel_pick(session, other)
    pick = next((p for p in registration.picks if p.item_id == item.id), None)
    if pick is None:
        pick = BreakoutPick(registration=registration, item=item)
        session.add(pick)
    pick.status = status.value
    pick.override = override
    pick.created_at = now
    pick.status_changed_at = now
    session.flush()
    place_changed.send(pick, session=session)
    return pick


def drop_breakout(session, registration: Registration, pick: BreakoutPick, now=None) -> None:
    """Give up a pick (before the deadline); its seat goes to the first person waiting."""
    now = now or utcnow()
    _check_not_over(pick.item.day, now, "item_id")
    deadline = registration.forum.choice_deadline
    if deadline is not None and now >= deadline:
        raise RegistrationClosed("Breakout choices are closed.", "item_id")
    if pick.registration_id != registration.id or pick.status not in ACTIVE:
        raise InvalidRegistration({"item_id": "That pick is not yours to change."})
    _lock_breakouts_of_day(session, pick.item.day_id, registration)
    _cancel_pick(session, pick)


# --- Email ---------------------------------------------------------------------------------


def personal_link(person: Person) -> str:
    return absolute_url("registration.personal_page", token=personal_token(person))


def send_personal_link(session, person: Person, forum: Forum | None = None) -> None:
    """Queue an email with the person's personal link."""
    queue_email_to_person(
        session,
        "personal_link",
        person,
        kind="personal_link",
        subject=f"Your personal link{f' for {forum.title}' if forum else ''}",
        forum=forum,
        link=personal_link(person),
    )


def renew_personal_link(session, person: Person) -> None:
    """Revoke every personal link sent so far and email the person a new one."""
    revoke_personal_links(session, person)
    send_personal_link(session, person)


def _email_registration(session, result: RegistrationResult) -> None:
    registration = result.registration
    person = registration.person
    forum = registration.forum
    extra, attachments = {}, []  # e.g. the ticket, from the check-in feature
    for _receiver, addition in confirmation_email.send(registration, session=session):
        if addition is not None:
            extra |= addition.context
            attachments += addition.attachments
    queue_email_to_person(
        session,
        "registration_confirmation",
        person,
        kind="registration",
        about=f"registration:{registration.id}",
        supersedes=True,
        subject=f"Your registration: {forum.title}",
        forum=forum,
        program=forum.program,
        # Every day held, not only those of this request: the newest confirmation replaces
        # the unsent ones (``supersedes``), so it must say everything they said.
        days=_day_results(session, registration, _held_days(registration)),
        link=personal_link(person),
        attachments=attachments,
        **extra,
    )


def _email_promotion(
    session, seat: DaySeat | BreakoutPick, given_up: AgendaItem | None = None
) -> None:
    registration = seat.registration
    person = registration.person
    forum = registration.forum
    if isinstance(seat, DaySeat):
        what = f"{seat.day.date:%A, %B %d, %Y}"
        day = seat.day
    else:
        what = f"the breakout “{seat.item.title}”"
        day = seat.item.day
    queue_email_to_person(
        session,
        "waitlist_promotion",
        person,
        kind="promotion",
        subject=f"A seat opened up for you: {forum.title}",
        forum=forum,
        program=forum.program,
        what=what,
        given_up=given_up.title if given_up is not None else None,
        day=day,
        link=personal_link(person),
    )


def _describe_registrations(session, ids: list[int]) -> dict[int, str]:
    rows = session.execute(
        select(Registration.id, Person.name, Forum.title)
        .join(Person, Registration.person_id == Person.id)
        .join(Forum, Registration.forum_id == Forum.id)
        .where(Registration.id.in_(ids))
    ).all()
    return {row_id: f"{name}, {title}" for row_id, name, title in rows}


audit.register_subject_kind("registration", _describe_registrations)
