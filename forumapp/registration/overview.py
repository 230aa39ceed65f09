"""What organizers see of a forum's registrations: the live overview (seats, waitlists,
breakouts, team coverage, one page of the registrations) and the breakout table.

Both are built from a fixed number of queries (aggregates and eager loads), however many
people are registered, so the pages stay fast on the day of the forum.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import contains_eager, selectinload, subqueryload

from ..agenda.models import AgendaItem, ItemKind, ItemStatus
from ..core.models import Forum, ForumDay, Person, Team, TeamMembership
from ..core.pagination import Page, page_to_show
from ..core.search import contains_text
from ..extensions import DbSession
from .breakouts import group_into_slots
from .models import BreakoutPick, DaySeat, Registration, SeatStatus
from .people import program_teams
from .seats import ACTIVE, seats_left, waitlist_positions

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
        return seats_left(self.day)

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
        return seats_left(self.item)

    @property
    def is_full(self) -> bool:
        return self.seats_left == 0


@dataclass
class Slot:
    """A time slot of breakouts (see ``breakouts.BreakoutSlot``) with their seat counts."""

    day: ForumDay
    starts_at: datetime
    breakouts: list[BreakoutCounts]


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


def _status_counts(
    session: DbSession, model, parent_column, parent_ids
) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    if parent_ids:
        for parent_id, status, count in session.execute(
            select(parent_column, model.status, func.count())
            .where(parent_column.in_(parent_ids))
            .group_by(parent_column, model.status)
        ):
            counts[parent_id][status] = count
    return counts


def forum_breakouts(session: DbSession, forum: Forum) -> list[AgendaItem]:
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


def counted_slots(session: DbSession, forum: Forum, breakouts: list[AgendaItem]) -> list[Slot]:
    """The scheduled ``breakouts`` grouped in time slots (as on the attendee's page), with
    their seat counts (one query)."""
    pick_counts = _status_counts(
        session, BreakoutPick, BreakoutPick.item_id, [item.id for item in breakouts]
    )
    days_by_id = {day.id: day for day in forum.days}
    scheduled = sorted(
        (item for item in breakouts if item.status == ItemStatus.SCHEDULED),
        key=lambda item: (days_by_id[item.day_id].date, item.starts_at),
    )
    return [
        Slot(
            days_by_id[slot.day_id],
            slot.starts_at,
            [
                BreakoutCounts(
                    item,
                    pick_counts[item.id].get(CONFIRMED, 0),
                    pick_counts[item.id].get(WAITLISTED, 0),
                )
                for item in slot.items
            ],
        )
        for slot in group_into_slots(scheduled)
    ]


def forum_overview(
    session: DbSession, forum: Forum, search: str = "", page: int = 1, per_page: int = PER_PAGE
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
    breakouts = forum_breakouts(session, forum)
    slots = counted_slots(session, forum, breakouts)
    teams = program_teams(session, forum)
    coverage = _coverage(session, forum, teams, slots)
    people = _registration_page(
        session, forum, teams, {item.id: item for item in breakouts}, search, page, per_page
    )
    return ForumOverview(forum, day_rows, slots, coverage, people)


def _coverage(
    session: DbSession, forum: Forum, teams: list[Team], slots: list[Slot]
) -> list[TeamCoverage]:
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


def search_conditions(forum: Forum, search: str) -> list:
    """SQL conditions for the forum's registrations whose person's name or email contains
    ``search`` (all of them for an empty search)."""
    conditions = [Registration.forum_id == forum.id]
    search = search.strip()
    if search:
        conditions.append(
            or_(contains_text(Person.name, search), contains_text(Person.email, search))
        )
    return conditions


def registrations_by_name(conditions: list) -> Select[tuple[Registration]]:
    """A query for the registrations matching ``conditions``, by name, person, seats and
    picks loaded with them."""
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
    session: DbSession, forum, teams, items, search: str, page: int, per_page: int
) -> Page[RegistrationRow]:
    conditions = search_conditions(forum, search)
    total = session.execute(
        select(func.count())
        .select_from(Registration)
        .join(Person, Person.id == Registration.person_id)
        .where(*conditions)
    ).scalar_one()
    shown = page_to_show(page, total, per_page)
    registrations = session.scalars(
        registrations_by_name(conditions).offset((shown - 1) * per_page).limit(per_page)
    ).all()
    rows = registration_rows(session, forum, teams, items, registrations, page_only=True)
    return Page(rows, shown, per_page, total, requested=max(1, page))


def registration_rows(
    session: DbSession,
    forum: Forum,
    teams: list[Team],
    items: dict[int, AgendaItem],
    registrations: Sequence[Registration],
    page_only: bool,
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
    day_positions = waitlist_positions(
        session, DaySeat, [day.id for day in forum.days], registration_ids
    )
    pick_positions = waitlist_positions(session, BreakoutPick, list(items), registration_ids)
    rows = []
    for registration in registrations:
        picks = sorted(
            (p for p in registration.picks if p.status in ACTIVE),
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


def breakout_table(session: DbSession, forum: Forum) -> BreakoutTable:
    """Every scheduled breakout with room, capacity, confirmed, waitlisted and seats left, from
    aggregate queries only."""
    slots = counted_slots(session, forum, forum_breakouts(session, forum))
    days = [(day, [slot for slot in slots if slot.day.id == day.id]) for day in forum.days]
    return BreakoutTable(forum, days)
