"""What organizers see and do with a forum's registrations: the live overview (seats, waitlists,
breakouts, team coverage), CSV exports, breakout settings and registering someone by hand.

The overview is built from a fixed number of queries (aggregates and eager loads), however
many people are registered, so the page stays fast on the day of the forum.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import contains_eager, selectinload, subqueryload

from ..agenda.models import AgendaItem, ItemKind, ItemStatus
from ..core.clock import local_instant, to_local
from ..core.emails import InvalidEmail, normalise_email
from ..core.models import Forum, ForumDay, Person, Team, TeamMembership
from ..core.pagination import Page, page_to_show
from ..core.search import contains_text
from ..core.spreadsheet import csv_lines
from . import services
from .models import BreakoutPick, DaySeat, Registration, SeatStatus

CONFIRMED = SeatStatus.CONFIRMED.value
WAITLISTED = SeatStatus.WAITLISTED.value
PER_PAGE = 100  # registrations per page of the organizer's table


# --- The overview --------------------------------------------------------------------------


@dataclass
class DayCounts:
    day: ForumDay
    confirmed: int = 0
    waitlisted: int = 0

    @property
    def capacity(self) -> int | None:
        return self.day.capacity

    @property
    def seats_left(self) -> int | None:
        return services.seats_left(self.day)

    @property
    def overridden(self) -> int:
        return self.day.seats_overridden


@dataclass
class BreakoutCounts:
    item: AgendaItem
    confirmed: int = 0
    waitlisted: int = 0

    @property
    def capacity(self) -> int | None:
        return self.item.effective_capacity

    @property
    def seats_left(self) -> int | None:
        return services.seats_left(self.item)

    @property
    def is_full(self) -> bool:
        return self.seats_left == 0


@dataclass
class Slot:
    """Parallel breakouts starting at one time on one day."""

    day: ForumDay
    starts_at: datetime
    breakouts: list[BreakoutCounts]

    @property
    def key(self) -> str:
        return f"{self.day.id}-{int(self.starts_at.timestamp())}"


@dataclass
class TeamCoverage:
    """How many of a team's members hold a confirmed seat in each slot (aligned with
    ``ForumOverview.slots``); a slot with nobody is a gap."""

    team: Team
    counts: list[int]
    gaps: list[Slot]


@dataclass
class RegistrationRow:
    registration: Registration
    teams: list[Team]
    seats: dict[int, DaySeat]
    day_positions: dict[int, int]
    picks: list[tuple[BreakoutPick, AgendaItem | None, int | None]]

    @property
    def person(self) -> Person:
        return self.registration.person

    @property
    def team_names(self) -> str:
        return ", ".join(team.name for team in self.teams)

    def day_status(self, day: ForumDay) -> str:
        """``confirmed``, ``confirmed (override)``, ``waitlisted #2``, ``cancelled`` or ``""``."""
        seat = self.seats.get(day.id)
        if seat is None:
            return ""
        if seat.status == WAITLISTED:
            return f"waitlisted #{self.day_positions.get(seat.id, '?')}"
        if seat.status == CONFIRMED and seat.override:
            return "confirmed (override)"
        return seat.status


@dataclass
class ForumOverview:
    forum: Forum
    days: list[DayCounts]
    slots: list[Slot]
    coverage: list[TeamCoverage]
    people: Page[RegistrationRow]

    @property
    def registrations(self) -> list[RegistrationRow]:
        """The registrations on the page shown."""
        return self.people.items

    def slots_of(self, day: ForumDay) -> list[Slot]:
        return [slot for slot in self.slots if slot.day.id == day.id]

    @property
    def teams_with_gaps(self) -> list[TeamCoverage]:
        return [row for row in self.coverage if row.gaps]


def _status_counts(session, model, parent_column, parent_ids) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    if parent_ids:
        for parent_id, status, count in session.execute(
            select(parent_column, model.status, func.count())
            .where(parent_column.in_(parent_ids))
            .group_by(parent_column, model.status)
        ):
            counts[parent_id][status] = count
    return counts


def _waitlist_positions(
    session, model, parent_column, parent_ids, registration_ids: list[int] | None = None
) -> dict[int, int]:
    """Seat or pick id → place in its waitlist, in one query. With ``registration_ids``, only
    the seats or picks of those registrations come back: the database numbers each waitlist
    (a window function), and only the page's rows are read."""
    if not parent_ids or registration_ids == []:
        return {}
    ranked = (
        select(
            model.id.label("id"),
            model.registration_id.label("registration_id"),
            func.row_number()
            .over(partition_by=parent_column, order_by=(model.created_at, model.id))
            .label("position"),
        )
        .where(parent_column.in_(parent_ids), model.status == WAITLISTED)
        .subquery()
    )
    query = select(ranked.c.id, ranked.c.position)
    if registration_ids is not None:
        query = query.where(ranked.c.registration_id.in_(registration_ids))
    return dict(session.execute(query).all())


def _breakouts(session, forum: Forum) -> list[AgendaItem]:
    """Every breakout of the forum (cancelled ones too), in slot order."""
    day_ids = [day.id for day in forum.days]
    if not day_ids:
        return []
    return list(
        session.scalars(
            select(AgendaItem)
            .where(AgendaItem.day_id.in_(day_ids), AgendaItem.kind == ItemKind.BREAKOUT)
            .options(selectinload(AgendaItem.room))
            .order_by(AgendaItem.starts_at, AgendaItem.position, AgendaItem.id)
        )
    )


def _slots(session, forum: Forum, breakouts: list[AgendaItem]) -> list[Slot]:
    """The scheduled breakouts grouped in time slots, with their seat counts (one query)."""
    pick_counts = _status_counts(
        session, BreakoutPick, BreakoutPick.item_id, [item.id for item in breakouts]
    )
    days_by_id = {day.id: day for day in forum.days}
    scheduled = sorted(
        (item for item in breakouts if item.status == ItemStatus.SCHEDULED),
        key=lambda item: (days_by_id[item.day_id].date, item.starts_at),
    )
    # Breakouts whose times overlap are one slot, as on the attendee's page (breakout_slots).
    slots: list[Slot] = []
    slot_ends_at = None
    for item in scheduled:
        counts = BreakoutCounts(
            item, pick_counts[item.id].get(CONFIRMED, 0), pick_counts[item.id].get(WAITLISTED, 0)
        )
        if slots and slots[-1].day.id == item.day_id and item.starts_at < slot_ends_at:
            slots[-1].breakouts.append(counts)
            slot_ends_at = max(slot_ends_at, item.ends_at)
        else:
            slots.append(Slot(days_by_id[item.day_id], item.starts_at, [counts]))
            slot_ends_at = item.ends_at
    return slots


def forum_overview(
    session, forum: Forum, search: str = "", page: int = 1, per_page: int = PER_PAGE
) -> ForumOverview:
    """Seats and waitlists per day and per breakout, team coverage of breakout slots, and one
    page of the registrations (optionally only those whose name or email contains ``search``),
    by name. A ``page`` past the last one shows the last one."""
    days = list(forum.days)
    day_ids = [day.id for day in days]
    day_counts = _status_counts(session, DaySeat, DaySeat.day_id, day_ids)
    day_rows = [
        DayCounts(day, day_counts[day.id].get(CONFIRMED, 0), day_counts[day.id].get(WAITLISTED, 0))
        for day in days
    ]
    breakouts = _breakouts(session, forum)
    slots = _slots(session, forum, breakouts)
    teams = services.program_teams(session, forum)
    coverage = _coverage(session, forum, teams, slots)
    people = _registration_page(
        session, forum, teams, {item.id: item for item in breakouts}, search, page, per_page
    )
    return ForumOverview(forum, day_rows, slots, coverage, people)


def _coverage(session, forum: Forum, teams: list[Team], slots: list[Slot]) -> list[TeamCoverage]:
    slot_of_item = {
        counts.item.id: index for index, s in enumerate(slots) for counts in s.breakouts
    }
    per_team: dict[int, list[int]] = {team.id: [0] * len(slots) for team in teams}
    if slot_of_item and teams:
        rows = session.execute(
            select(
                TeamMembership.team_id,
                BreakoutPick.item_id,
                func.count(func.distinct(Registration.person_id)),
            )
            .select_from(BreakoutPick)
            .join(Registration, Registration.id == BreakoutPick.registration_id)
            .join(TeamMembership, TeamMembership.person_id == Registration.person_id)
            .where(
                Registration.forum_id == forum.id,
                BreakoutPick.status == CONFIRMED,
                BreakoutPick.item_id.in_(list(slot_of_item)),
                TeamMembership.team_id.in_(list(per_team)),
            )
            .group_by(TeamMembership.team_id, BreakoutPick.item_id)
        )
        for team_id, item_id, count in rows:
            per_team[team_id][slot_of_item[item_id]] += count
    return [
        TeamCoverage(
            team,
            per_team[team.id],
            [slot for slot, count in zip(slots, per_team[team.id], strict=True) if count == 0],
        )
        for team in teams
    ]


def _search_conditions(forum: Forum, search: str) -> list:
    conditions = [Registration.forum_id == forum.id]
    search = search.strip()
    if search:
        conditions.append(
            or_(contains_text(Person.name, search), contains_text(Person.email, search))
        )
    return conditions


def _registrations_by_name(conditions: list):
    return (
        select(Registration)
        .join(Person, Person.id == Registration.person_id)
        .where(*conditions)
        # The person comes with the row (the join is there anyway); seats and picks come in
        # one query each. selectinload would send one query per 500 registrations, so the
        # number of queries would grow with the forum (the CSV export reads them all).
        .options(
            contains_eager(Registration.person),
            subqueryload(Registration.seats),
            subqueryload(Registration.picks),
        )
        .order_by(func.lower(Person.name), Person.id)
    )


def _registration_page(
    session, forum, teams, items, search: str, page: int, per_page: int
) -> Page[RegistrationRow]:
    conditions = _search_conditions(forum, search)
    total = session.scalar(
        select(func.count())
        .select_from(Registration)
        .join(Person, Person.id == Registration.person_id)
        .where(*conditions)
    )
    shown = page_to_show(page, total, per_page)
    registrations = session.scalars(
        _registrations_by_name(conditions).offset((shown - 1) * per_page).limit(per_page)
    ).all()
    rows = _registration_rows(session, forum, teams, items, registrations, page_only=True)
    return Page(rows, shown, per_page, total, requested=max(1, page))


def _registration_rows(
    session, forum, teams, items, registrations, page_only: bool
) -> list[RegistrationRow]:
    """Rows for ``registrations``: their teams and waitlist places come in one query each
    (with ``page_only``, places of these registrations' seats and picks only)."""
    teams_by_id = {team.id: team for team in teams}
    teams_of: dict[int, list[Team]] = defaultdict(list)
    person_ids = [r.person_id for r in registrations]
    if person_ids and teams_by_id:
        for person_id, team_id in session.execute(
            select(TeamMembership.person_id, TeamMembership.team_id).where(
                TeamMembership.person_id.in_(person_ids),
                TeamMembership.team_id.in_(list(teams_by_id)),
            )
        ):
            teams_of[person_id].append(teams_by_id[team_id])
    registration_ids = [r.id for r in registrations] if page_only else None
    day_positions = _waitlist_positions(
        session, DaySeat, DaySeat.day_id, [day.id for day in forum.days], registration_ids
    )
    pick_positions = _waitlist_positions(
        session, BreakoutPick, BreakoutPick.item_id, list(items), registration_ids
    )
    rows = []
    for registration in registrations:
        picks = sorted(
            (p for p in registration.picks if p.status in services.ACTIVE),
            key=lambda p: (
                p.item_id not in items,
                items[p.item_id].starts_at if p.item_id in items else 0,
            ),
        )
        rows.append(
            RegistrationRow(
                registration=registration,
                teams=sorted(teams_of[registration.person_id], key=lambda t: t.name),
                seats={seat.day_id: seat for seat in registration.seats},
                day_positions=day_positions,
                picks=[(p, items.get(p.item_id), pick_positions.get(p.id)) for p in picks],
            )
        )
    return rows


# --- The breakout table --------------------------------------------------------------------


@dataclass
class BreakoutTable:
    """The forum's breakouts by day and time slot with their counts. ``door_counts`` (breakout
    id → people scanned in at its door) is None unless the caller adds it: the check-in
    feature, which sits above registration, does (``checkin.breakouts``)."""

    forum: Forum
    days: list[tuple[ForumDay, list[Slot]]]
    door_counts: dict[int, int] | None = None

    @property
    def has_breakouts(self) -> bool:
        return any(slots for _day, slots in self.days)

    def checked_in(self, item: AgendaItem) -> int:
        return (self.door_counts or {}).get(item.id, 0)


def breakout_table(session, forum: Forum) -> BreakoutTable:
    """Every scheduled breakout with room, capacity, confirmed, waitlisted and seats left, from
    aggregate queries only."""
    slots = _slots(session, forum, _breakouts(session, forum))
    days = [(day, [slot for slot in slots if slot.day.id == day.id]) for day in forum.days]
    return BreakoutTable(forum, days)


# --- CSV exports ---------------------------------------------------------------------------


def day_label(day: ForumDay) -> str:
    return f"{day.date:%a} {day.date:%b} {day.date.day}, {day.date.year}"


def registrations_csv(session, forum: Forum) -> Iterator[str]:
    """One row per registration: contact details, kind, team, each day's status, needs; as
    lines of CSV, produced as they are read."""
    days = list(forum.days)
    header = ["Name", "Email", "Organization", "Community", "Kind", "Team"]
    header += [f"{day_label(day)} ({'public' if day.is_public else 'team'} day)" for day in days]
    header += ["Accessibility needs", "Dietary needs"]

    def rows():
        items = {item.id: item for item in _breakouts(session, forum)}
        registrations = session.scalars(_registrations_by_name(_search_conditions(forum, ""))).all()
        teams = services.program_teams(session, forum)
        for row in _registration_rows(session, forum, teams, items, registrations, page_only=False):
            yield [
                row.person.name,
                row.person.email,
                row.person.organization,
                row.registration.community,
                row.registration.kind,
                row.team_names,
                *(row.day_status(day) for day in days),
                row.registration.accessibility_needs,
                row.registration.dietary_needs,
            ]

    return csv_lines(header, rows())


def breakouts_csv(session, forum: Forum) -> Iterator[str]:
    """One row per person holding or waiting for a seat in a breakout, breakout by breakout:
    confirmed people first (by name), then the waitlist in order; as lines of CSV."""
    header = ["Breakout", "Day", "Start", "Room", "Person", "Email", "Team", "Status"]
    return csv_lines(header, _breakout_list_rows(session, forum))


def _breakout_list_rows(session, forum: Forum) -> Iterator[list]:
    zone = forum.program.time_zone
    slots = _slots(session, forum, _breakouts(session, forum))
    items = [counts.item for slot in slots for counts in slot.breakouts]
    if not items:
        return
    waiting = BreakoutPick.status != CONFIRMED
    picks = session.execute(
        select(
            BreakoutPick.item_id,
            BreakoutPick.status,
            Person.id,
            Person.name,
            Person.email,
        )
        .join(Registration, Registration.id == BreakoutPick.registration_id)
        .join(Person, Person.id == Registration.person_id)
        .where(
            BreakoutPick.item_id.in_([item.id for item in items]),
            BreakoutPick.status.in_(services.ACTIVE),
        )
        # Confirmed people by name, then the waitlist in the order it is served.
        .order_by(
            BreakoutPick.item_id,
            waiting,
            case((waiting, ""), else_=func.lower(Person.name)),
            BreakoutPick.created_at,
            BreakoutPick.id,
        )
    ).all()
    teams_of: dict[int, list[str]] = defaultdict(list)
    for person_id, team_name in session.execute(
        select(TeamMembership.person_id, Team.name)
        .join(Team, Team.id == TeamMembership.team_id)
        .where(
            Team.program_id == forum.program_id,
            TeamMembership.person_id.in_(
                select(Registration.person_id).where(Registration.forum_id == forum.id)
            ),
        )
        .order_by(Team.name)
    ):
        teams_of[person_id].append(team_name)
    by_item: dict[int, list] = defaultdict(list)
    for pick in picks:
        by_item[pick.item_id].append(pick)
    for item in items:
        day = next(day for day in forum.days if day.id == item.day_id)
        position = 0
        for _item_id, status, person_id, name, email in by_item[item.id]:
            if status == CONFIRMED:
                shown = status
            else:
                position += 1
                shown = f"waitlisted #{position}"
            yield [
                item.title,
                day.date.isoformat(),
                to_local(item.starts_at, zone).strftime("%Y-%m-%d %H:%M"),
                item.room.name if item.room else "",
                name,
                email,
                ", ".join(teams_of[person_id]),
                shown,
            ]


# --- Settings and registering someone by hand ----------------------------------------------


def save_breakout_settings(
    session, forum: Forum, choice_deadline_local: datetime | None, team_breakout_cap: int | None
) -> None:
    """Set when breakout choices close (a wall-clock time in the program's time zone) and how
    many members of one team may choose the same breakout (None: no limit)."""
    if team_breakout_cap is not None and team_breakout_cap < 1:
        raise services.InvalidRegistration(
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
    session.flush()


def register_someone(
    session, forum: Forum, *, email: str, name: str = "", organization: str = "",
    day_ids: list[int], override: bool = False,
) -> services.RegistrationResult:  # fmt: skip
    """Register a person (found by email, or created from name and organization) onto days,
    by an organizer: windows do not apply, and with ``override`` a full day still confirms.
    Raises ``InvalidRegistration`` naming the fields at fault."""
    errors = {}
    try:
        email = normalise_email(email)
    except InvalidEmail as exc:
        errors["email"] = f"Enter an email address like name@example.org. {exc}"
    person = None
    if "email" not in errors:
        person = session.scalar(select(Person).where(Person.email == email))
        if person is None and not name.strip():
            errors["name"] = "Nobody has this email yet: enter the new person's full name."
    if len(name) > 200:
        errors["name"] = "Use at most 200 characters."
    if not day_ids:
        errors["day_ids"] = "Choose at least one day."
    if errors:
        raise services.InvalidRegistration(errors)
    if person is None:
        person = services.find_or_create_person(session, name, email, organization)
    return services.register_by_organizer(session, forum, person, day_ids, override=override)
