"""Checking people in at the door: the one scan every door uses (the door pages and the JSON
API), check-in of a registration found another way (lookup, walk-in), and undo.

A scan is one small transaction: find the ticket by its unique code, find the seat, insert
one row. The partial unique index on ``check_in`` makes the database the referee when two doors
scan the same ticket at once; the loser is told "already checked in".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import and_, bindparam, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from ..core import audit
from ..core.clock import local_today, to_local, utcnow
from ..core.database import InsertOrNothing, reading_apart
from ..core.models import Forum, ForumDay, Person, Program, Team, TeamMembership
from ..extensions import DbSession
from ..registration.models import DaySeat, Registration, SeatStatus
from ..registration.seats import waitlist_position
from .access import is_today_for_code
from .models import CheckIn, Ticket
from .outcomes import Attendee, ScanOutcome, ScanResult, date_label, teams_of
from .signals import entered_again
from .tickets import TIME_ZONE_OF_CODE, normalise_code

# --- The one scan ----------------------------------------------------------------------------


class NotToday(Exception):  # noqa: N818  (a refusal, not a failure)
    """Door staff named a date that is not today for the ticket's program."""

    def __init__(self, on_date: date):
        super().__init__(on_date.isoformat())
        self.on_date = on_date


def scan(
    session: DbSession,
    raw_code: str,
    day: ForumDay | date | None,
    user_id: int | None,
    request_id: str | None = None,
    scanned_at: datetime | None = None,
    *,
    today_only: bool = False,
) -> ScanOutcome:
    """Check in the holder of a scanned or typed code.

    ``day`` is either the door's day, a ``ForumDay`` (the door pages: the scan is for that day
    of that forum, and the outcome carries the rows the result card and its undo button show),
    or the date a scanner names (the JSON API; None: today in the ticket's program's time
    zone). Several forums may meet on one date: the scan is then for the day of the ticket's own
    forum, and without one for another forum's day (refused as "not this forum").

    A retried ``request_id`` is answered as the first time, even after midnight; a request id
    used before with another code or day is refused (``ScanResult.REQUEST_ID_REUSED``).
    ``scanned_at`` is when the scan happened, for a door that was offline (default: now).
    With ``today_only`` (door staff naming a date) a date that is not today in the ticket's
    program's time zone raises ``NotToday`` before anything is written; the plain case reads
    the zone in its one query.
    """
    door_day: ForumDay | None
    on_date: date | None
    if isinstance(day, ForumDay):
        door_day, on_date = day, day.date
    else:
        door_day, on_date = None, day
    if door_day is None:
        # Nearly every scan at a busy door is the plain case: check it in with the least work.
        plain = _plain_check_in(
            session, raw_code, on_date, user_id, request_id, scanned_at, today_only
        )
        if plain is not None:
            return plain
        if today_only and on_date is not None and not is_today_for_code(session, raw_code, on_date):
            raise NotToday(on_date)
    replay = _replayed(session, request_id, raw_code, on_date, door_day)
    if replay is not None:
        return replay
    ticket = find_ticket(session, raw_code)
    if door_day is None and ticket is not None and ticket.voided_at is None:
        forum = ticket.registration.forum
        on_date = on_date or local_today(forum.program.time_zone)
        door_day = _day_on(session, forum, on_date)
        if door_day is None:
            return _no_forum_meets(session, ticket.registration, on_date)
    # Without a day the code is unknown or replaced: it is refused before a day is needed.
    return _scan_ticket(session, raw_code, ticket, door_day, user_id, request_id, scanned_at)


def _day_on(session: DbSession, forum: Forum, on_date: date) -> ForumDay | None:
    """The day a scan naming only a date is for: ``forum``'s day on that date, else another
    forum's (the first made), else None."""
    days = session.scalars(
        select(ForumDay).where(ForumDay.date == on_date).order_by(ForumDay.id)
    ).all()
    return next((d for d in days if d.forum_id == forum.id), None) or (days[0] if days else None)


def _no_forum_meets(session: DbSession, registration: Registration, on_date: date) -> ScanOutcome:
    return ScanOutcome(
        ScanResult.NOT_REGISTERED_FOR_DAY,
        f"No forum meets on {on_date:%A, %B} {on_date.day}, {on_date.year}: "
        f"{registration.person.name}'s ticket is for {registration.forum.title}.",
        registration,
        teams=teams_of(session, registration.person_id, registration.forum.program_id),
    )


def find_ticket(session: DbSession, raw_code: str) -> Ticket | None:
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


def _scan_ticket(
    session: DbSession,
    raw_code: str,
    ticket: Ticket | None,
    day: ForumDay | None,
    user_id: int | None,
    request_id: str | None,
    scanned_at: datetime | None = None,
) -> ScanOutcome:
    """The scan once the ticket is looked up and ``request_id`` is known not to be a retry.
    ``day`` may be None only when there is no live ticket."""
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
    assert day is not None, "a scan of a live ticket always has its day"
    return check_in_registration(
        session, ticket.registration, day, user_id, "scan", request_id, scanned_at
    )


# --- Checking a registration in --------------------------------------------------------------


def _live_check_in(session: DbSession, registration_id: int, day_id: int) -> CheckIn | None:
    return session.scalar(
        select(CheckIn)
        .where(
            CheckIn.registration_id == registration_id,
            CheckIn.day_id == day_id,
            CheckIn.undone_at.is_(None),
        )
        .options(selectinload(CheckIn.checked_in_by))
    )


def _came_back(session: DbSession, check_in: CheckIn, at: datetime, user_id: int | None):
    """When the person, already checked in, had left the building, if they had and their
    return is now recorded (``entered_again``'s receivers); else None."""
    answers = entered_again.send(check_in, session=session, at=at, user_id=user_id)
    return next((left_at for _receiver, left_at in answers if left_at is not None), None)


def _already(
    check_in: CheckIn,
    registration: Registration,
    day: ForumDay,
    teams: list[str],
    left_at: datetime | None = None,
) -> ScanOutcome:
    zone = day.forum.program.time_zone

    def clock(instant: datetime) -> str:
        return to_local(instant, zone).strftime("%I:%M %p").lstrip("0")

    name = registration.person.name
    if left_at is not None:
        message = f"Welcome back, {name}! Back in after leaving at {clock(left_at)}."
    else:
        by = (
            check_in.checked_in_by.name or check_in.checked_in_by.email
            if check_in.checked_in_by
            else None
        )
        message = f"{name} was already checked in at {clock(check_in.checked_in_at)}" + (
            f" by {by}." if by else "."
        )
    return ScanOutcome(
        ScanResult.ALREADY_CHECKED_IN,
        message,
        registration,
        day,
        check_in,
        teams,
        came_back=left_at is not None,
    )


def check_in_registration(
    session: DbSession,
    registration: Registration,
    day: ForumDay,
    user_id: int | None,
    method: str = "scan",
    request_id: str | None = None,
    checked_in_at: datetime | None = None,
) -> ScanOutcome:
    """Check a registration in on ``day`` (at ``checked_in_at``, default now), saying why not
    when it cannot be done."""
    teams = teams_of(session, registration.person_id, registration.forum.program_id)
    name = registration.person.name
    if registration.forum_id != day.forum_id:
        return ScanOutcome(
            ScanResult.NOT_REGISTERED_FOR_DAY,
            f"{name}'s ticket is for {registration.forum.title}, not this forum.",
            registration,
            day,
            teams=teams,
        )
    seat = next((s for s in registration.seats if s.day_id == day.id), None)
    if seat is None:
        other = [date_label(s.day.date) for s in registration.seats if s.status in ("confirmed",)]
        where = f" They are registered for {', '.join(other)}." if other else ""
        return ScanOutcome(
            ScanResult.NOT_REGISTERED_FOR_DAY,
            f"{name} is not registered for {date_label(day.date)}.{where}",
            registration,
            day,
            teams=teams,
        )
    if seat.status == SeatStatus.WAITLISTED:
        position = waitlist_position(session, seat)
        return ScanOutcome(
            ScanResult.WAITLISTED,
            f"{name} is number {position} on the waitlist for {date_label(day.date)}, "
            "not confirmed.",
            registration,
            day,
            teams=teams,
        )
    if seat.status == SeatStatus.CANCELLED:
        return ScanOutcome(
            ScanResult.CANCELLED,
            f"{name} cancelled their place for {date_label(day.date)}.",
            registration,
            day,
            teams=teams,
        )
    # Insert first and let the partial unique index say whether the person is already in:
    # the usual scan (the first one) then costs no extra query, and a race between two doors
    # is settled the same way as a second scan.
    check_in = CheckIn(
        registration_id=registration.id,
        day_id=day.id,
        checked_in_at=checked_in_at or utcnow(),
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
        left_at = _came_back(session, existing, check_in.checked_in_at, user_id)
        return _already(existing, registration, day, teams, left_at)
    return ScanOutcome(
        ScanResult.CHECKED_IN,
        f"Welcome, {name}! Checked in for {date_label(day.date)}.",
        registration,
        day,
        check_in,
        teams,
    )


# --- Retried requests ------------------------------------------------------------------------


def _earlier_request(session: DbSession, request_id: str | None) -> CheckIn | None:
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


def _replay(session: DbSession, earlier: CheckIn) -> ScanOutcome:
    registration = earlier.registration
    teams = teams_of(session, registration.person_id, registration.forum.program_id)
    return ScanOutcome(
        ScanResult.CHECKED_IN,
        f"Welcome, {registration.person.name}! Checked in for {date_label(earlier.day.date)}.",
        registration,
        earlier.day,
        earlier,
        teams,
    )


def _replayed(
    session: DbSession,
    request_id: str | None,
    raw_code: str,
    on_date: date | None,
    day: ForumDay | None,
) -> ScanOutcome | None:
    """The original answer to a request the scanner sent again (a flaky network's retry), or
    None when ``request_id`` is new.

    A retry is the same request id with the same code (any ticket of the registration checked
    in, even one replaced since) and, when the request names one, the same date. A request id
    used before with another code or date is refused (about ``day``, the door's, if any).
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
        return _reused_request_id(day)
    return _replay(session, earlier)


# --- The door's plain case: two statements ---------------------------------------------------

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
        Program.time_zone,
    )
    .select_from(Ticket)
    .join(Registration, Registration.id == Ticket.registration_id)
    .join(Person, Person.id == Registration.person_id)
    .join(Forum, Forum.id == Registration.forum_id)
    .join(Program, Program.id == Forum.program_id)
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
# The partial unique index (one live check-in per registration and day) and the unique
# request id make the database the referee: a second row is simply not inserted, and no error
# aborts the transaction, so no savepoint is needed.
_NEW_CHECK_IN = InsertOrNothing(CheckIn.__table__).returning(CheckIn.__table__.c.id)


def _plain_check_in(
    session: DbSession,
    raw_code: str,
    on_date: date | None,
    user_id: int | None,
    request_id: str | None,
    scanned_at: datetime | None = None,
    today_only: bool = False,
) -> ScanOutcome | None:
    """The door's plain case, in two short statements (three without a date): the holder of a
    live ticket of a forum that meets on ``on_date`` (None: today in the program's time zone),
    with a confirmed seat that day and no check-in yet, is checked in
    (``ScanResult.CHECKED_IN``, with ``attendee`` and ``day_date`` but no ORM objects).

    None for anything else (an unknown or replaced code, another day, no seat, already checked
    in, a retried ``request_id``): nothing was written, and the rest of ``scan`` answers it.
    """
    code = normalise_code(raw_code)
    if code is None:
        return None
    session.flush()  # the statements below go straight to the connection, past autoflush
    # Reading who this is holds up no other door: on SQLite only the INSERT waits for the
    # write lock. What was read may change before the INSERT (a ticket voided a moment
    # earlier), as it may on PostgreSQL between two statements: the scan then counts as
    # having come first. One row per registration and day is the INSERT's own to keep.
    with reading_apart(session):
        connection = session.connection()
        if on_date is None:
            zone = connection.scalar(TIME_ZONE_OF_CODE, {"code": code})
            if zone is None:
                return None
            on_date = local_today(zone)
        rows = connection.execute(_PLAIN_SCAN, {"code": code, "on_date": on_date}).all()
    if not rows:
        return None
    registration_id, accessibility_needs, name, organization, day_id, _team, zone = rows[0]
    if today_only and on_date != local_today(zone):
        return None  # the full path refuses it
    teams = [team for *_, team, _zone in rows if team is not None]
    writing = session.connection()  # the read's own transaction may have ended
    inserted = writing.execute(
        _NEW_CHECK_IN,
        {
            "registration_id": registration_id,
            "day_id": day_id,
            "checked_in_at": scanned_at or utcnow(),
            "checked_in_by_id": user_id,
            "method": "scan",
            "request_id": request_id,
        },
    ).first()
    if inserted is None:
        return None  # in already, or this very request again
    return ScanOutcome(
        ScanResult.CHECKED_IN,
        f"Welcome, {name}! Checked in for {date_label(on_date)}.",
        teams=teams,
        attendee=Attendee(registration_id, name, organization, accessibility_needs),
        day_date=on_date,
    )


# --- Undo and the door's recent list ---------------------------------------------------------


def undo_check_in(session: DbSession, check_in: CheckIn, user_id: int | None) -> None:
    """Take back a check-in, keeping the record of who undid it and when (audited); one
    already undone is left as it is."""
    if check_in.undone_at is None:
        check_in.undone_at = utcnow()
        check_in.undone_by_id = user_id
        session.flush()
        audit.record(
            session,
            user_id,
            "checkin.undo",
            f"check_in:{check_in.id}",
            registration_id=check_in.registration_id,
            day_id=check_in.day_id,
        )


def recent_check_ins(session: DbSession, day: ForumDay, limit: int) -> Sequence[CheckIn]:
    """The day's latest ``limit`` check-ins (undone ones too), newest first, with who made and
    who undid them."""
    return session.scalars(
        select(CheckIn)
        .where(CheckIn.day_id == day.id)
        .options(
            selectinload(CheckIn.registration).selectinload(Registration.person),
            selectinload(CheckIn.checked_in_by),
            selectinload(CheckIn.undone_by),
        )
        .order_by(CheckIn.checked_in_at.desc(), CheckIn.id.desc())
        .limit(limit)
    ).all()


def _describe_check_ins(session: DbSession, ids: list[int]) -> dict[int, str]:
    rows = session.execute(
        select(CheckIn.id, Person.name, ForumDay.date)
        .join(Registration, CheckIn.registration_id == Registration.id)
        .join(Person, Registration.person_id == Person.id)
        .join(ForumDay, CheckIn.day_id == ForumDay.id)
        .where(CheckIn.id.in_(ids))
    ).all()
    return {row_id: f"{name}, {day:%B} {day.day}, {day.year}" for row_id, name, day in rows}


audit.register_subject_kind("check_in", _describe_check_ins)
