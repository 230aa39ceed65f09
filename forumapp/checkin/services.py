"""Check-in rules: ticket codes, scanning at the door and at breakout doors, lookup, walk-ins,
undo and live counts.

A scan is one small transaction: find the ticket by its unique code, find the seat, insert
one row. The partial unique index on ``check_in`` makes the database the referee when two doors
scan the same ticket at once; the loser is told "already checked in".
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, bindparam, exists, func, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from ..agenda.models import AgendaItem
from ..core import audit
from ..core.clock import local_today, to_local, utcnow
from ..core.erasure import is_erased_address, not_erased
from ..core.models import (
    Audience,
    Forum,
    ForumDay,
    ForumStatus,
    Person,
    Program,
    Role,
    Team,
    TeamMembership,
)
from ..core.names import name_problem
from ..core.search import contains_text
from ..registration.errors import InvalidRegistration, RegistrationError
from ..registration.models import BreakoutPick, DaySeat, Registration, SeatStatus
from ..registration.people import find_or_create_person
from ..registration.registering import register_by_organizer
from ..registration.seats import ACTIVE, seats_left, waitlist_position
from .models import BreakoutAttendance, CheckIn, Ticket

# --- Who may use which door ------------------------------------------------------------------


def is_door_day_today(day: ForumDay, now: datetime | None = None) -> bool:
    """Whether ``day`` is a day of an announced (not draft) forum held today in its program's
    time zone; a forum marked as held that day keeps its door open until midnight."""
    return day.forum.status != ForumStatus.DRAFT and day.date == local_today(
        day.forum.program.time_zone, now
    )


def may_use_door(user, day: ForumDay, now: datetime | None = None) -> bool:
    """Whether ``user`` may use the door pages (scan, lookup, walk-ins, undo, breakout doors)
    of ``day``.

    Organizers and admins may use any day's door, to prepare or to correct. Door staff only
    today's days of announced forums: they never see drafts or other days'
    registrations, and at a breakout door only today's scheduled breakouts.
    """
    return user.has_role(Role.ORGANIZER) or is_door_day_today(day, now)


def may_use_breakout_door(user, item: AgendaItem, now: datetime | None = None) -> bool:
    """Whether ``user`` may use the door of the breakout ``item``: a scheduled breakout (not a
    draft or a cancelled one) of a day whose door they may use (``may_use_door``)."""
    return item.is_scheduled and may_use_door(user, item.day, now)


def may_check_in_on(session, user, raw_code: str, on_date: date | None) -> bool:
    """Whether ``user`` may check the holder of ``raw_code`` in for ``on_date`` (None: today).
    Door staff check in on the day itself only, today in the ticket's program's time zone (as
    ``may_use_door``); organizers and admins on any date, to correct the record. An unknown code
    is left to the scan, which refuses it."""
    if on_date is None or user.has_role(Role.ORGANIZER):
        return True
    code = normalise_code(raw_code)
    time_zone = session.scalar(_TIME_ZONE_OF_CODE, {"code": code}) if code else None
    return time_zone is None or on_date == local_today(time_zone)


# Crockford's base32: no I, L, O or U, so a code read aloud or typed by hand has no look-alikes.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 26  # 130 random bits
_LOOK_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None, " ": None})


class ScanResult(enum.StrEnum):
    CHECKED_IN = "checked_in"
    ALREADY_CHECKED_IN = "already_checked_in"
    NOT_REGISTERED_FOR_DAY = "not_registered_for_day"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    INVALID = "invalid"
    # The request id of an earlier scan sent with another code or day: not a retry, refused.
    REQUEST_ID_REUSED = "request_id_reused"

    @property
    def ok(self) -> bool:
        return self in (ScanResult.CHECKED_IN, ScanResult.ALREADY_CHECKED_IN)


@dataclass(frozen=True)
class Attendee:
    """Who a scan is about, as plain values (read while the scan's transaction is open)."""

    registration_id: int
    name: str
    organization: str
    accessibility_needs: str

    @classmethod
    def of(cls, registration: Registration) -> Attendee:
        person = registration.person
        return cls(registration.id, person.name, person.organization,
                   registration.accessibility_needs)  # fmt: skip


@dataclass
class ScanOutcome:
    """What the door shows: a result, a sentence, and who it is about.

    ``attendee`` and ``day_date`` are always set when there is a registration and a day. The
    door's plain case (``check_in_on_date``) sets only them, not the ORM objects
    ``registration``, ``day`` and ``check_in``; every other outcome has those too.
    """

    result: ScanResult
    message: str
    registration: Registration | None = None
    day: ForumDay | None = None
    check_in: CheckIn | None = None
    teams: list[str] = field(default_factory=list)
    attendee: Attendee | None = None
    day_date: date | None = None

    def __post_init__(self) -> None:
        if self.attendee is None and self.registration is not None:
            self.attendee = Attendee.of(self.registration)
        if self.day_date is None and self.day is not None:
            self.day_date = self.day.date

    @property
    def person(self) -> Person | None:
        return self.registration.person if self.registration else None


# --- Codes and tickets -----------------------------------------------------------------------


def new_code() -> str:
    """A fresh unguessable ticket code (26 characters of Crockford base32)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str) -> str | None:
    """The canonical form of a scanned or typed code, or None if it cannot be a code."""
    code = (raw or "").strip().upper().translate(_LOOK_ALIKES)
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    return code


def format_code(code: str) -> str:
    """A code in groups of four or five, for reading aloud or typing."""
    return "-".join(code[i : i + 5] for i in range(0, len(code), 5))


def may_have_ticket(registration: Registration) -> bool:
    """Whether a ticket may be issued for the registration: not for an erased person. Erasure
    voids their tickets, and no code that would check them in is issued again (their seats
    still count, so a confirmed seat alone must not bring one back)."""
    return not is_erased_address(registration.person.email)


def ticket_for(session, registration: Registration) -> Ticket | None:
    """The registration's live ticket, created on first use; None for an erased person, who
    gets no ticket (``may_have_ticket``)."""
    if not may_have_ticket(registration):
        return None
    ticket = session.scalar(
        select(Ticket).where(Ticket.registration_id == registration.id, Ticket.voided_at.is_(None))
    )
    if ticket is None:
        ticket = Ticket(registration=registration, code=new_code())
        session.add(ticket)
        session.flush()
    return ticket


def reissue_ticket(session, registration: Registration) -> Ticket | None:
    """Void the current code and issue a new one (for a lost or photographed ticket); for an
    erased person only the voiding (None)."""
    current = session.scalar(
        select(Ticket).where(Ticket.registration_id == registration.id, Ticket.voided_at.is_(None))
    )
    if current is not None:
        current.voided_at = utcnow()
        session.flush()
    if not may_have_ticket(registration):
        return None
    ticket = Ticket(registration=registration, code=new_code())
    session.add(ticket)
    session.flush()
    return ticket


# --- Scanning --------------------------------------------------------------------------------


# Statements a scan runs are built once: building a SELECT and its cache key costs several
# times more CPU than running it, and the door runs them thousands of times in a morning.
_TEAMS_OF_PERSON = (
    select(Team.name)
    .join(TeamMembership)
    .where(
        TeamMembership.person_id == bindparam("person_id"),
        Team.program_id == bindparam("program_id"),
    )
)


def _teams_of(session, person_id: int, program_id: int) -> list[str]:
    return list(
        session.scalars(_TEAMS_OF_PERSON, {"person_id": person_id, "program_id": program_id})
    )


def _teams_of_people(session, person_ids: list[int], program_id: int) -> dict[int, list[str]]:
    """Each person's team names, for many people in one query."""
    teams: dict[int, list[str]] = {person_id: [] for person_id in person_ids}
    if person_ids:
        for person_id, name in session.execute(
            select(TeamMembership.person_id, Team.name)
            .join(Team)
            .where(TeamMembership.person_id.in_(person_ids), Team.program_id == program_id)
            .order_by(Team.name)
        ):
            teams[person_id].append(name)
    return teams


def _live_check_in(session, registration_id: int, day_id: int) -> CheckIn | None:
    return session.scalar(
        select(CheckIn)
        .where(
            CheckIn.registration_id == registration_id,
            CheckIn.day_id == day_id,
            CheckIn.undone_at.is_(None),
        )
        .options(selectinload(CheckIn.checked_in_by))
    )


def _day_label(day: ForumDay) -> str:
    return _date_label(day.date)


def _date_label(on_date: date) -> str:
    return f"{on_date:%A, %B} {on_date.day}"


def _already(check_in: CheckIn, registration, day, teams) -> ScanOutcome:
    zone = day.forum.program.time_zone
    when = to_local(check_in.checked_in_at, zone).strftime("%I:%M %p").lstrip("0")
    by = (
        check_in.checked_in_by.name or check_in.checked_in_by.email
        if check_in.checked_in_by
        else None
    )
    return ScanOutcome(
        ScanResult.ALREADY_CHECKED_IN,
        f"{registration.person.name} was already checked in at {when}"
        + (f" by {by}." if by else "."),
        registration,
        day,
        check_in,
        teams,
    )


def check_in_registration(
    session,
    registration: Registration,
    day: ForumDay,
    user_id: int | None,
    method: str = "scan",
    request_id: str | None = None,
) -> ScanOutcome:
    """Check a registration in on ``day``, saying why not when it cannot be done."""
    teams = _teams_of(session, registration.person_id, registration.forum.program_id)
    name = registration.person.name
    if registration.forum_id != day.forum_id:
        return ScanOutcome(
            ScanResult.NOT_REGISTERED_FOR_DAY,
            f"{name}'s ticket is for {registration.forum.title}, not this forum.",
            registration, day, teams=teams,
        )  # fmt: skip
    seat = next((s for s in registration.seats if s.day_id == day.id), None)
    if seat is None:
        other = [_day_label(s.day) for s in registration.seats if s.status in ("confirmed",)]
        where = f" They are registered for {', '.join(other)}." if other else ""
        return ScanOutcome(
            ScanResult.NOT_REGISTERED_FOR_DAY,
            f"{name} is not registered for {_day_label(day)}.{where}",
            registration, day, teams=teams,
        )  # fmt: skip
    if seat.status == SeatStatus.WAITLISTED:
        position = waitlist_position(session, seat)
        return ScanOutcome(
            ScanResult.WAITLISTED,
            f"{name} is number {position} on the waitlist for {_day_label(day)}, not confirmed.",
            registration, day, teams=teams,
        )  # fmt: skip
    if seat.status == SeatStatus.CANCELLED:
        return ScanOutcome(
            ScanResult.CANCELLED,
            f"{name} cancelled their place for {_day_label(day)}.",
            registration, day, teams=teams,
        )  # fmt: skip
    # Insert first and let the partial unique index say whether the person is already in:
    # the usual scan (the first one) then costs no extra query, and a race between two doors
    # is settled the same way as a second scan.
    check_in = CheckIn(
        registration_id=registration.id,
        day_id=day.id,
        checked_in_by_id=user_id,
        method=method,
        request_id=request_id,
    )
    try:
        with session.begin_nested():
            session.add(check_in)
    except IntegrityError:
        # Checked in before, by another door just now, or by this very request retried while
        # its first attempt was committing: report that row.
        earlier = _earlier_request(session, request_id)
        if earlier is not None:
            same = earlier.registration_id == registration.id and earlier.day_id == day.id
            return _replay(session, earlier) if same else _reused_request_id(day)
        existing = _live_check_in(session, registration.id, day.id)
        if existing is None:
            raise
        return _already(existing, registration, day, teams)
    return ScanOutcome(
        ScanResult.CHECKED_IN,
        f"Welcome, {name}! Checked in for {_day_label(day)}.",
        registration, day, check_in, teams,
    )  # fmt: skip


def _earlier_request(session, request_id: str | None) -> CheckIn | None:
    if not request_id:
        return None
    return session.scalar(select(CheckIn).where(CheckIn.request_id == request_id))


def _reused_request_id(day: ForumDay | None = None) -> ScanOutcome:
    # Says nothing of the earlier scan: its attendee is none of this request's business.
    return ScanOutcome(
        ScanResult.REQUEST_ID_REUSED,
        "This request id was already used for a scan of another ticket or day. "
        "Send a new request id with each scan.",
        day=day,
    )


def _replay(session, earlier: CheckIn) -> ScanOutcome:
    registration = earlier.registration
    teams = _teams_of(session, registration.person_id, registration.forum.program_id)
    return ScanOutcome(
        ScanResult.CHECKED_IN,
        f"Welcome, {registration.person.name}! Checked in for {_day_label(earlier.day)}.",
        registration, earlier.day, earlier, teams,
    )  # fmt: skip


def replayed(
    session, request_id: str | None, raw_code: str, on_date: date | None = None
) -> ScanOutcome | None:
    """The original answer to a request the scanner sent again (a flaky network's retry), or
    None when ``request_id`` is new.

    A retry is the same request id with the same code (any ticket of the registration checked
    in, even one replaced since) and, when the request names one, the same date. A request id
    used before with another code or date is refused (``ScanResult.REQUEST_ID_REUSED``).
    """
    earlier = _earlier_request(session, request_id)
    if earlier is None:
        return None
    code = normalise_code(raw_code)
    same_ticket = code is not None and session.scalar(
        select(
            exists().where(Ticket.code == code, Ticket.registration_id == earlier.registration_id)
        )
    )
    if not same_ticket or (on_date is not None and earlier.day.date != on_date):
        return _reused_request_id()
    return _replay(session, earlier)


def find_ticket(session, raw_code: str) -> Ticket | None:
    """The ticket with this scanned or typed code (live or voided), with what a scan reads of
    its registration loaded in the same round trip; None for an unknown or malformed code."""
    code = normalise_code(raw_code)
    if code is None:
        return None
    return session.scalar(
        select(Ticket)
        .where(Ticket.code == code)
        .options(
            joinedload(Ticket.registration).options(
                joinedload(Registration.person),
                joinedload(Registration.forum),
                selectinload(Registration.seats),
            )
        )
    )


def scan(
    session, raw_code: str, day: ForumDay, user_id: int | None, request_id: str | None = None
) -> ScanOutcome:
    """Check in the holder of a scanned or typed code on ``day``."""
    replay = replayed(session, request_id, raw_code, day.date)
    if replay is not None:
        return replay if replay.result != ScanResult.REQUEST_ID_REUSED else _reused_request_id(day)
    return scan_ticket(session, raw_code, find_ticket(session, raw_code), day, user_id, request_id)


def scan_ticket(
    session,
    raw_code: str,
    ticket: Ticket | None,
    day: ForumDay | None,
    user_id: int | None,
    request_id: str | None = None,
) -> ScanOutcome:
    """``scan`` for a caller that has looked up the ticket (``find_ticket``) and checked that
    ``request_id`` is not a retry. ``day`` may be None only when there is no live ticket."""
    if normalise_code(raw_code) is None:
        return ScanOutcome(ScanResult.INVALID, "That is not a forum ticket code.", day=day)
    if ticket is None:
        return ScanOutcome(
            ScanResult.INVALID,
            "Unknown code: this ticket was not issued by the forum. Look the person up by name.",
            day=day,
        )
    if ticket.voided_at is not None:
        return ScanOutcome(
            ScanResult.INVALID,
            f"This code was replaced by a newer one for {ticket.registration.person.name}. "
            "Ask for their latest ticket or look them up by name.",
            ticket.registration,
            day,
        )
    return check_in_registration(session, ticket.registration, day, user_id, "scan", request_id)


# --- The door's plain case ------------------------------------------------------------------

# A live ticket whose forum meets on the date, with a confirmed seat that day: a row per team
# membership of the person (at least one; the team's name where it is this program's). No row
# when anything is out of the ordinary; the full path then says why.
_PLAIN_SCAN = (
    select(
        Registration.id,
        Registration.accessibility_needs,
        Person.name,
        Person.organization,
        ForumDay.id,
        Team.name,
    )
    .select_from(Ticket)
    .join(Registration, Registration.id == Ticket.registration_id)
    .join(Person, Person.id == Registration.person_id)
    .join(Forum, Forum.id == Registration.forum_id)
    .join(ForumDay, and_(ForumDay.forum_id == Forum.id, ForumDay.date == bindparam("on_date")))
    .join(DaySeat, and_(DaySeat.registration_id == Registration.id, DaySeat.day_id == ForumDay.id))
    .outerjoin(TeamMembership, TeamMembership.person_id == Registration.person_id)
    .outerjoin(Team, and_(Team.id == TeamMembership.team_id, Team.program_id == Forum.program_id))
    .where(
        Ticket.code == bindparam("code"),
        Ticket.voided_at.is_(None),
        DaySeat.status == SeatStatus.CONFIRMED,
    )
)
_TIME_ZONE_OF_CODE = (
    select(Program.time_zone)
    .select_from(Ticket)
    .join(Registration, Registration.id == Ticket.registration_id)
    .join(Forum, Forum.id == Registration.forum_id)
    .join(Program, Program.id == Forum.program_id)
    .where(Ticket.code == bindparam("code"))
)
# The partial unique index (one live check-in per registration and day) and the unique
# request id make the database the referee: a second row is simply not inserted, and no error
# aborts the transaction, so no savepoint is needed. Written as text because SQLAlchemy 2.0
# compiles its ``on_conflict_do_nothing()`` anew on every run; this SQL means the same on
# SQLite (3.35 and later) and PostgreSQL.
_check_in_columns = CheckIn.__table__.c
_NEW_CHECK_IN = (
    text(
        "INSERT INTO check_in"
        " (registration_id, day_id, checked_in_at, checked_in_by_id, method, request_id)"
        " VALUES (:registration_id, :day_id, :checked_in_at, :checked_in_by_id, :method,"
        " :request_id)"
        " ON CONFLICT DO NOTHING RETURNING id"
    )
    .bindparams(
        bindparam("checked_in_at", type_=_check_in_columns.checked_in_at.type),
        bindparam("request_id", type_=_check_in_columns.request_id.type),
        bindparam("method", type_=_check_in_columns.method.type),
    )
    .columns(_check_in_columns.id)
)


def check_in_on_date(
    session,
    raw_code: str,
    on_date: date | None,
    user_id: int | None,
    request_id: str | None = None,
) -> ScanOutcome | None:
    """The door's plain case, in two short statements (three without a date): the holder of a
    live ticket of a forum that meets on ``on_date`` (None: today in the program's time zone),
    with a confirmed seat that day and no check-in yet, is checked in
    (``ScanResult.CHECKED_IN``, with ``attendee`` and ``day_date`` but no ORM objects).

    None for anything else (an unknown or replaced code, another day, no seat, already checked
    in, a retried ``request_id``): nothing was written, and ``tickets.scan_on_date`` answers it.
    """
    code = normalise_code(raw_code)
    if code is None:
        return None
    session.flush()  # the statements below go straight to the connection, past autoflush
    connection = session.connection()
    if on_date is None:
        zone = connection.scalar(_TIME_ZONE_OF_CODE, {"code": code})
        if zone is None:
            return None
        on_date = local_today(zone)
    rows = connection.execute(_PLAIN_SCAN, {"code": code, "on_date": on_date}).all()
    if not rows:
        return None
    registration_id, accessibility_needs, name, organization, day_id, _team = rows[0]
    teams = [team for *_, team in rows if team is not None]
    inserted = connection.execute(
        _NEW_CHECK_IN,
        {
            "registration_id": registration_id,
            "day_id": day_id,
            "checked_in_at": utcnow(),
            "checked_in_by_id": user_id,
            "method": "scan",
            "request_id": request_id,
        },
    ).first()
    if inserted is None:
        return None  # in already, or this very request again
    return ScanOutcome(
        ScanResult.CHECKED_IN,
        f"Welcome, {name}! Checked in for {_date_label(on_date)}.",
        teams=teams,
        attendee=Attendee(registration_id, name, organization, accessibility_needs),
        day_date=on_date,
    )


def undo_check_in(session, check_in: CheckIn, user_id: int | None) -> None:
    """Take back a check-in, keeping the record of who undid it and when."""
    if check_in.undone_at is None:
        check_in.undone_at = utcnow()
        check_in.undone_by_id = user_id
        session.flush()


# --- Lookup and walk-ins ---------------------------------------------------------------------


@dataclass
class LookupRow:
    registration: Registration
    seat: DaySeat | None
    check_in: CheckIn | None
    teams: list[str]


def lookup(session, day: ForumDay, query: str, limit: int = 25) -> list[LookupRow]:
    """Registrations of the day's forum matching a name, email or organization; erased people
    are not found (nothing at the door admits them again)."""
    words = query.strip()
    if len(words) < 2:
        return []
    registrations = session.scalars(
        select(Registration)
        .join(Person)
        .where(
            Registration.forum_id == day.forum_id,
            not_erased(Person.email),
            or_(
                contains_text(Person.name, words),
                contains_text(Person.email, words),
                contains_text(Person.organization, words),
            ),
        )
        .options(selectinload(Registration.person), selectinload(Registration.seats))
        .order_by(Person.name)
        .limit(limit)
    ).all()
    ids = [r.id for r in registrations]
    live = {
        c.registration_id: c
        for c in session.scalars(
            select(CheckIn).where(
                CheckIn.registration_id.in_(ids),
                CheckIn.day_id == day.id,
                CheckIn.undone_at.is_(None),
            )
        )
    }
    teams = _teams_of_people(session, [r.person_id for r in registrations], day.forum.program_id)
    rows = []
    for registration in registrations:
        seat = next((s for s in registration.seats if s.day_id == day.id), None)
        rows.append(
            LookupRow(registration, seat, live.get(registration.id), teams[registration.person_id])
        )
    return rows


class WalkInError(RegistrationError):
    """A walk-in that cannot be registered."""


def walk_in(
    session,
    day: ForumDay,
    name: str,
    email: str,
    organization: str,
    user_id: int | None,
    override: bool = False,
) -> ScanOutcome:
    """Register someone at the door for a public day and check them in.

    Capacity is respected unless door staff deliberately ``override`` it; a full day puts
    the walk-in on the waitlist, not in the room.
    """
    if day.audience != Audience.PUBLIC:
        raise WalkInError("Walk-ins are only for days open to the public.")
    errors = {}
    if problem := name_problem(name.strip(), missing="Enter the person's name."):
        errors["name"] = problem
    try:
        person = find_or_create_person(session, name, email, organization)
    except ValueError as exc:
        errors["email"] = f"Enter a valid email address. {exc}"
    if errors:
        raise InvalidRegistration(errors)
    result = register_by_organizer(session, day.forum, person, [day.id], override=override)
    registration = result.registration
    if result.days[0].status != SeatStatus.CONFIRMED:
        seats = seats_left(day)
        return ScanOutcome(
            ScanResult.WAITLISTED,
            f"{_day_label(day)} is full ({seats} seats left): {person.name} is on the "
            "waitlist. Tick “Override capacity” to let them in anyway.",
            registration,
            day,
        )
    return check_in_registration(session, registration, day, user_id, "walk_in")


# --- Breakout doors --------------------------------------------------------------------------


class BreakoutChoice(enum.StrEnum):
    """What a person scanned at a breakout's door had chosen. Everyone with a valid ticket for
    the forum is scanned in (they are in the room), whatever they chose; only ``INVALID``
    (no ticket of this forum) is refused and not recorded."""

    CHOSE_THIS = "confirmed"
    WAITLISTED = "waitlisted"
    CHOSE_ANOTHER = "other"
    NO_CHOICE = "none"
    INVALID = "invalid"


def breakout_scan(session, raw_code: str, item: AgendaItem, user_id: int | None):
    """Record a person at a breakout's door; returns (choice, message, registration)."""
    code = normalise_code(raw_code)
    ticket = session.scalar(select(Ticket).where(Ticket.code == code)) if code else None
    if ticket is None or ticket.voided_at is not None:
        return BreakoutChoice.INVALID, "That is not a valid forum ticket.", None
    registration = ticket.registration
    name = registration.person.name
    if registration.forum_id != item.day.forum_id:
        return BreakoutChoice.INVALID, f"{name}'s ticket is for another forum.", None
    picks = session.scalars(
        select(BreakoutPick).where(
            BreakoutPick.registration_id == registration.id,
            BreakoutPick.status.in_(ACTIVE),
        )
    ).all()
    this = next((p for p in picks if p.item_id == item.id), None)
    in_slot = [
        p for p in picks
        if p.item.day_id == item.day_id and p.item.starts_at < item.ends_at
        and item.starts_at < p.item.ends_at and p.item_id != item.id
    ]  # fmt: skip
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
    if existing is None:
        try:
            with session.begin_nested():
                session.add(
                    BreakoutAttendance(
                        registration_id=registration.id,
                        item_id=item.id,
                        scanned_by_id=user_id,
                        choice=choice.value,
                    )
                )
        except IntegrityError:
            pass  # scanned twice at once: one row is enough
    return choice, message, registration


# --- Live counts -----------------------------------------------------------------------------


def breakout_attendance_counts(session, item_ids: list[int]) -> dict[int, int]:
    """Breakout id → people scanned in at its door (breakouts nobody was scanned at left out)."""
    if not item_ids:
        return {}
    return dict(
        session.execute(
            select(BreakoutAttendance.item_id, func.count())
            .where(BreakoutAttendance.item_id.in_(item_ids))
            .group_by(BreakoutAttendance.item_id)
        ).all()
    )


@dataclass
class DayCounts:
    day: ForumDay
    checked_in: int
    expected: int
    per_team: list[tuple[str, int, int]]  # team, checked in, expected
    arrivals: list[tuple[datetime, int]]  # 15-minute buckets (local), count


NO_TEAM = "On no team"


def live_counts(session, day: ForumDay, bucket_minutes: int = 15) -> DayCounts:
    """Checked in / expected for a day, per team, and arrivals over time."""
    expected = session.scalar(
        select(func.count())
        .select_from(DaySeat)
        .where(DaySeat.day_id == day.id, DaySeat.status == SeatStatus.CONFIRMED)
    )
    times = session.scalars(
        select(CheckIn.checked_in_at).where(CheckIn.day_id == day.id, CheckIn.undone_at.is_(None))
    ).all()
    team_expected = dict(
        session.execute(
            select(Team.name, func.count(func.distinct(DaySeat.id)))
            .select_from(DaySeat)
            .join(Registration, Registration.id == DaySeat.registration_id)
            .join(TeamMembership, TeamMembership.person_id == Registration.person_id)
            .join(Team, Team.id == TeamMembership.team_id)
            .where(DaySeat.day_id == day.id, DaySeat.status == SeatStatus.CONFIRMED)
            .group_by(Team.name)
        ).all()
    )
    team_in = dict(
        session.execute(
            select(Team.name, func.count(func.distinct(CheckIn.id)))
            .select_from(CheckIn)
            .join(Registration, Registration.id == CheckIn.registration_id)
            .join(TeamMembership, TeamMembership.person_id == Registration.person_id)
            .join(Team, Team.id == TeamMembership.team_id)
            .where(CheckIn.day_id == day.id, CheckIn.undone_at.is_(None))
            .group_by(Team.name)
        ).all()
    )
    # People on no team (the public, guests) get a row of their own, so the rows add up.
    on_no_team = ~exists().where(TeamMembership.person_id == Registration.person_id)
    no_team_expected = session.scalar(
        select(func.count())
        .select_from(DaySeat)
        .join(Registration, Registration.id == DaySeat.registration_id)
        .where(DaySeat.day_id == day.id, DaySeat.status == SeatStatus.CONFIRMED, on_no_team)
    )
    no_team_in = session.scalar(
        select(func.count())
        .select_from(CheckIn)
        .join(Registration, Registration.id == CheckIn.registration_id)
        .where(CheckIn.day_id == day.id, CheckIn.undone_at.is_(None), on_no_team)
    )
    zone = day.forum.program.time_zone
    buckets: dict[datetime, int] = {}
    for instant in times:
        local = to_local(instant, zone)
        start = local.replace(
            minute=local.minute - local.minute % bucket_minutes, second=0, microsecond=0
        )
        buckets[start] = buckets.get(start, 0) + 1
    if buckets:
        first, last = min(buckets), max(buckets)
        step = timedelta(minutes=bucket_minutes)
        cursor = first
        while cursor <= last:
            buckets.setdefault(cursor, 0)
            cursor += step
    return DayCounts(
        day=day,
        checked_in=len(times),
        expected=expected,
        per_team=sorted(
            (name, team_in.get(name, 0), count) for name, count in team_expected.items()
        )
        + ([(NO_TEAM, no_team_in, no_team_expected)] if no_team_expected else []),
        arrivals=sorted(buckets.items()),
    )


def _describe_check_ins(session, ids: list[int]) -> dict[int, str]:
    rows = session.execute(
        select(CheckIn.id, Person.name, ForumDay.date)
        .join(Registration, CheckIn.registration_id == Registration.id)
        .join(Person, Registration.person_id == Person.id)
        .join(ForumDay, CheckIn.day_id == ForumDay.id)
        .where(CheckIn.id.in_(ids))
    ).all()
    return {row_id: f"{name}, {day:%B} {day.day}, {day.year}" for row_id, name, day in rows}


audit.register_subject_kind("check_in", _describe_check_ins)
