"""The data each benchmark needs, seeded in the runner's process before any server starts.

The door rush's registrations and tickets go through the app's own services
(``register_by_organizer``, ``ticket_for``), so seat counters are what the app would have
produced; the receivers of registration's signals (calendar invitations, tickets) are muted
while seeding and the queued emails dropped, as the demo loader does. Growth data, up to
2,000 registrations with picks, check-ins and 3,000 feedback answers, is written in bulk on
top of the demo program (see ``grow``): the same rows, in seconds rather than minutes.
"""

from __future__ import annotations

from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from sqlalchemy import delete, func, insert, select, text

from forumapp.agenda.models import AgendaItem
from forumapp.checkin.models import CheckIn, Ticket
from forumapp.checkin.tickets import new_code, ticket_for
from forumapp.core.clock import local_instant, local_today, to_local, utcnow
from forumapp.core.models import (
    ApiToken,
    Audience,
    Forum,
    ForumDay,
    ForumStatus,
    Person,
    Program,
    Role,
    Team,
    TeamMembership,
    TeamRole,
    User,
)
from forumapp.demo import PROGRAM_NAME, load_demo
from forumapp.feedback.attendance import SHARED_KINDS
from forumapp.feedback.models import FeedbackResponse, SessionRating, TopicSuggestion
from forumapp.feedback.window import open_feedback
from forumapp.mail.models import OutboxMessage
from forumapp.registration.breakouts import breakout_slots
from forumapp.registration.models import (
    BreakoutPick,
    DaySeat,
    Registration,
    RegistrationKind,
    SeatStatus,
)
from forumapp.registration.people import find_or_create_person
from forumapp.registration.registering import register_by_organizer

ZONE = "America/New_York"
BURST_DATE = date(2030, 5, 7)
STEADY_DATE = date(2030, 5, 8)
STAFF_PASSWORD = "bench-staff-password"
BATCH = 200  # rows per commit while seeding


@contextmanager
def signals_muted():
    """Silence registration's and the agenda's signal receivers (invitations, tickets)."""
    from blinker import Signal

    from forumapp.agenda import signals as agenda_signals
    from forumapp.registration import signals as registration_signals

    with ExitStack() as stack:
        for module in (agenda_signals, registration_signals):
            for signal in vars(module).values():
                if isinstance(signal, Signal):
                    stack.enter_context(signal.muted())
        yield


def _drop_outbox(session, after_id: int) -> None:
    session.execute(delete(OutboxMessage).where(OutboxMessage.id > after_id))


def _last_outbox_id(session) -> int:
    return session.scalar(select(func.max(OutboxMessage.id))) or 0


def staff_user(session, role: Role, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, name=f"Bench {role.value}", role=role.value)
        user.set_password(STAFF_PASSWORD)
        session.add(user)
        session.flush()
    return user


def api_token(session, user: User) -> str:
    """A fresh bearer token for ``user`` (the plain text, shown once)."""
    token, plain = ApiToken.issue(user)
    session.add(token)
    session.flush()
    return plain


def _program(session) -> Program:
    program = session.scalar(select(Program).order_by(Program.id))
    if program is None:
        program = Program(name="Benchmark program", time_zone=ZONE)
        session.add(program)
        session.flush()
    return program


def _forum(session, number: int, title: str, day_date: date, capacity: int) -> Forum:
    """A published forum with one public day, registration open from a week ago."""
    now = utcnow()
    forum = Forum(
        program=_program(session),
        number=number,
        title=title,
        theme="Benchmark",
        venue_name="Convention Center",
        venue_address="1 Main Street",
        venue_city="Raleigh",
        status=ForumStatus.PUBLISHED.value,
        days=[
            ForumDay(
                date=day_date,
                audience=Audience.PUBLIC.value,
                starts_at=time(8, 30),
                ends_at=time(16, 30),
                capacity=capacity,
                registration_opens_at=now - timedelta(days=7),
                registration_closes_at=now + timedelta(days=365),
            )
        ],
    )
    session.add(forum)
    session.flush()
    return forum


def _public_person(n: int, prefix: str) -> tuple[str, str, str]:
    return (f"{prefix.title()} Attendee {n:05d}", f"{prefix}{n:05d}@public.example.org", "Town")


# --- Door rush -------------------------------------------------------------------------------


@dataclass
class DoorRushData:
    day_date: date
    codes: list[str]
    token: str


def seed_door_rush(session, tickets: int) -> DoorRushData:
    """``tickets`` confirmed registrations for one public day, each with a live ticket, and a
    door account's API token. Commits."""
    # Door staff check people in on the day itself only: the door rush day is today.
    day_date = local_today(ZONE)
    forum = _forum(session, 901, "Door rush forum", day_date, capacity=tickets)
    day = forum.days[0]
    last_message = _last_outbox_id(session)
    codes = []
    with signals_muted():
        for n in range(tickets):
            name, email, organization = _public_person(n, "door")
            person = find_or_create_person(session, name, email, organization)
            result = register_by_organizer(session, forum, person, [day.id])
            codes.append(ticket_for(session, result.registration).code)
            if n % BATCH == BATCH - 1:
                _drop_outbox(session, last_message)
                session.commit()
    _drop_outbox(session, last_message)
    door = staff_user(session, Role.DOOR, "door-scanner@bench.example.org")
    token = api_token(session, door)
    session.commit()
    return DoorRushData(day_date, codes, token)


# --- Registration burst ----------------------------------------------------------------------


@dataclass
class BurstData:
    forum_id: int
    day_id: int
    day_date: date


def seed_burst(session, seats: int, day_date: date) -> BurstData:
    """A published forum whose one public day, ``day_date``, has ``seats`` seats and is open
    for registration. Commits."""
    number = 902 + (day_date - BURST_DATE).days
    forum = _forum(session, number, f"Registration forum {number}", day_date, capacity=seats)
    session.commit()
    return BurstData(forum.id, forum.days[0].id, day_date)


# --- Growth ----------------------------------------------------------------------------------

# Per unit of scale (1x): public registrations on the final forum's public day (each picking a
# breakout in every slot), the share of them checked in at the door, and feedback responses
# (each rating two sessions: 300 answers per unit).
GROWTH_REGISTRATIONS = 200
GROWTH_CHECKED_IN = 160
GROWTH_RESPONSES = 150
RATINGS_PER_RESPONSE = 2
TEAM_MEMBER_EVERY = 4  # every fourth registrant is on a county team's roster
CONFIRMED_PICK_SHARE = 0.9  # breakout capacities leave about one pick in ten waitlisted


@dataclass
class GrowthData:
    """Where the growth pages are, and how much data is behind them."""

    forum_id: int
    public_day_id: int
    organizer_email: str
    organizer_token: str = ""  # for the API pages
    public_day_date: str = ""
    lookup_query: str = "attendee 00"
    scale: int = 0
    counts: dict[str, int] = field(default_factory=dict)


def seed_growth_base(session) -> GrowthData:
    """The demo program (forums, agendas, teams, its own registrations) and an organizer;
    the final forum's public day is where growth data goes. Commits."""
    load_demo(session)
    program = session.scalar(select(Program).where(Program.name == PROGRAM_NAME))
    forum = session.scalar(select(Forum).where(Forum.program_id == program.id, Forum.number == 5))
    day = next(d for d in forum.days if d.audience == Audience.PUBLIC)
    organizer = staff_user(session, Role.ORGANIZER, "organizer-growth@bench.example.org")
    staff_user(session, Role.DOOR, "door-growth@bench.example.org")
    open_feedback(session, forum, _local_wall_clock(days=30))
    token = api_token(session, organizer)
    session.commit()
    return GrowthData(forum.id, day.id, organizer.email, token, day.date.isoformat())


def grow(session, data: GrowthData, scale: int) -> None:
    """Add public registrations (with picks, tickets, check-ins and feedback) until the forum
    has ``scale`` units of growth data. Commits.

    Rows are written in bulk, a few multi-row INSERTs per table, in the shapes the services
    write them; then the seat counters are recounted from the rows. Through the services
    (as the door rush does) 10x would take minutes; the pages read the same rows either way.
    """
    forum = session.get(Forum, data.forum_id)
    day = session.get(ForumDay, data.public_day_id)
    numbers = range(data.scale * GROWTH_REGISTRATIONS, scale * GROWTH_REGISTRATIONS)
    slots = breakout_slots(session, forum, day)
    breakouts = [item for _start, items in slots for item in items]
    for _start, items in slots:
        for item in items:
            item.capacity = round(numbers.stop * CONFIRMED_PICK_SHARE / len(items))
    day.capacity = numbers.stop + 500  # room for everyone, the demo's registrants too

    registered, team_of = _grow_registrations(session, forum, day, numbers)
    _grow_picks(session, registered, slots)
    checked_in = [n for n in registered if n % GROWTH_REGISTRATIONS < GROWTH_CHECKED_IN]
    _grow_check_ins(session, day, {n: registered[n] for n in checked_in})
    answering = [n for n in checked_in if n % GROWTH_REGISTRATIONS < GROWTH_RESPONSES]
    _grow_feedback(session, forum, day, {n: registered[n] for n in answering}, team_of)
    _recount_seats(session, day, breakouts)
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        # Ten times the rows in a second, as no forum grows: in production autovacuum analyzes
        # tables that grew by a tenth within a minute, and each ANALYZE makes the servers plan
        # their prepared statements again. Done here at once, so the 10x figures do not depend
        # on whether autovacuum ran before them (without it, plans made for 1x ran on 10x).
        session.execute(text("ANALYZE"))
        session.commit()
    data.scale = scale
    data.counts = {
        "registrations": _count(session, Registration, Registration.forum_id == forum.id),
        "check_ins": _count(session, CheckIn, CheckIn.day_id == day.id),
        "feedback_responses": _count(
            session, FeedbackResponse, FeedbackResponse.forum_id == forum.id
        ),
        "session_ratings": _count(session, SessionRating),
    }


def _grow_registrations(session, forum: Forum, day: ForumDay, numbers: range):
    """People numbered ``numbers``, registered and confirmed on ``day`` with a live ticket;
    every fourth on a team's roster. Returns ({number: registration id}, {number: team id})."""
    now = utcnow()
    teams = list(session.scalars(select(Team.id).where(Team.program_id == forum.program_id)))
    person_ids = _insert(
        session,
        Person,
        [
            dict(zip(("name", "email", "organization"), _public_person(n, "growth"), strict=True))
            for n in numbers
        ],
    )
    people = dict(zip(numbers, person_ids, strict=True))
    team_of = {n: teams[n % len(teams)] for n in numbers if n % TEAM_MEMBER_EVERY == 0}
    _insert(
        session,
        TeamMembership,
        [
            {"team_id": team_id, "person_id": people[n], "role": TeamRole.MEMBER.value}
            for n, team_id in team_of.items()
        ],
    )
    registration_ids = _insert(
        session,
        Registration,
        [
            {
                "forum_id": forum.id,
                "person_id": people[n],
                "kind": RegistrationKind.PUBLIC.value,
                "consented_at": now,
                "created_at": now,
            }
            for n in numbers
        ],
    )
    _insert(
        session,
        DaySeat,
        [
            {
                "registration_id": registration_id,
                "day_id": day.id,
                "status": SeatStatus.CONFIRMED.value,
                "created_at": now,
                "status_changed_at": now,
            }
            for registration_id in registration_ids
        ],
    )
    _insert(
        session,
        Ticket,
        [
            {"registration_id": registration_id, "code": new_code()}
            for registration_id in registration_ids
        ],
    )
    return dict(zip(numbers, registration_ids, strict=True)), team_of


def _grow_picks(session, registered: dict[int, int], slots) -> None:
    """A pick in every breakout slot, confirmed while the breakout has seats, else waitlisted."""
    now = utcnow()
    confirmed = dict(
        session.execute(
            select(BreakoutPick.item_id, func.count())
            .where(BreakoutPick.status == SeatStatus.CONFIRMED.value)
            .group_by(BreakoutPick.item_id)
        ).all()
    )
    picks = []
    for n, registration_id in registered.items():
        for slot_index, (_start, items) in enumerate(slots):
            item = items[(n + slot_index) % len(items)]
            has_seat = confirmed.get(item.id, 0) < item.capacity
            confirmed[item.id] = confirmed.get(item.id, 0) + has_seat
            status = SeatStatus.CONFIRMED if has_seat else SeatStatus.WAITLISTED
            picks.append(
                {
                    "registration_id": registration_id,
                    "item_id": item.id,
                    "status": status.value,
                    "created_at": now,
                    "status_changed_at": now,
                }
            )
    _insert(session, BreakoutPick, picks)


def _grow_check_ins(session, day: ForumDay, registered: dict[int, int]) -> None:
    """Arrivals spread over the morning, scanned by the door account."""
    door_id = session.scalar(select(User.id).where(User.email == "door-growth@bench.example.org"))
    opened = local_instant(day.date, time(8, 0), ZONE)
    _insert(
        session,
        CheckIn,
        [
            {
                "registration_id": registration_id,
                "day_id": day.id,
                "checked_in_by_id": door_id,
                "method": "scan",
                "checked_in_at": opened + timedelta(seconds=7 * (n % 3600)),
            }
            for n, registration_id in registered.items()
        ],
    )


def _grow_feedback(session, forum: Forum, day: ForumDay, registered: dict[int, int], team_of):
    """A response from each: an overall rating, two session ratings, comments, and every
    second one a topic for the next forum; every fifth anonymous."""
    now = utcnow()
    response_ids = _insert(
        session,
        FeedbackResponse,
        [
            {
                "forum_id": forum.id,
                "registration_id": registration_id,
                "team_id": team_of.get(n),
                "anonymous": n % 5 == 0,
                "overall_rating": 1 + n % 5,
                "most_useful": f"The panel, said attendee {n}.",
                "should_change": "More time for questions." if n % 3 else "",
                "submitted_at": now,
                "updated_at": now,
            }
            for n, registration_id in registered.items()
        ],
    )
    responses = dict(zip(registered, response_ids, strict=True))
    rated = [
        item
        for item in session.scalars(
            select(AgendaItem).where(AgendaItem.day_id == day.id).order_by(AgendaItem.starts_at)
        )
        if item.kind in SHARED_KINDS
    ][:RATINGS_PER_RESPONSE]
    _insert(
        session,
        SessionRating,
        [
            {
                "response_id": response_id,
                "item_id": item.id,
                "rating": 1 + (n + i) % 5,
                "comment": f"Comment {n}" if n % 2 else "",
            }
            for n, response_id in responses.items()
            for i, item in enumerate(rated)
        ],
    )
    person_of = dict(
        session.execute(
            select(Registration.id, Registration.person_id).where(
                Registration.id.in_(list(registered.values()))
            )
        ).all()
    )
    _insert(
        session,
        TopicSuggestion,
        [
            {
                "forum_id": forum.id,
                "text": TOPICS[n % len(TOPICS)],
                "team_id": team_of.get(n),
                "person_id": None if n % 5 == 0 else person_of[registered[n]],
                "response_id": response_id,
                "source": "feedback",
            }
            for n, response_id in responses.items()
            if n % 2
        ],
    )


TOPICS = [
    "Naloxone in schools",
    "Peer support in the emergency department",
    "Recovery housing",
    "Transportation to treatment",
    "Spending settlement funds",
    "Data sharing agreements",
    "Stigma in public messaging",
    "Jail-based treatment",
]


def _insert(session, model, rows: list[dict]) -> list[int]:
    """Insert ``rows`` in bulk; their new ids, in order."""
    if not rows:
        return []
    result = session.execute(insert(model).returning(model.id, sort_by_parameter_order=True), rows)
    return list(result.scalars())


def _count(session, model, *conditions) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*conditions))


def _recount_seats(session, day: ForumDay, items: list[AgendaItem]) -> None:
    """Seat counters as the services keep them: one per confirmed seat or pick."""
    day.seats_taken = _count(
        session, DaySeat, DaySeat.day_id == day.id, DaySeat.status == SeatStatus.CONFIRMED.value
    )
    for item in items:
        item.seats_taken = _count(
            session,
            BreakoutPick,
            BreakoutPick.item_id == item.id,
            BreakoutPick.status == SeatStatus.CONFIRMED.value,
        )
    session.flush()


def _local_wall_clock(days: int):
    """A wall-clock time ``days`` from now in the program's zone, as a form gives it."""
    return (to_local(utcnow(), ZONE) + timedelta(days=days)).replace(
        tzinfo=None, second=0, microsecond=0
    )
