"""What organizers see and do with a forum's registrations: the live overview (seats, waitlists,
breakouts, team coverage), CSV exports, breakout settings and registering someone by hand.

The overview is built from a fixed number of queries (aggregates and eager loads), however
many people are registered, so the page stays fast on the day of the forum.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager, selectinload, subqueryload

from ..agenda.models import AgendaItem, ItemKind, ItemStatus
from ..agenda.speaker_services import spreadsheet_safe
from ..core.clock import local_instant, to_local
from ..core.emails import InvalidEmail, normalise_email
from ..core.models import Forum, ForumDay, Person, Team, TeamMembership
from . import services
from .models import BreakoutPick, DaySeat, Registration, SeatStatus

CONFIRMED = SeatStatus.CONFIRMED.value
WAITLISTED = SeatStatus.WAITLISTED.value


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
    registrations: list[RegistrationRow] = field(default_factory=list)

    def slots_of(self, day: ForumDay) -> list[Slot]:
        return [slot for slot in self.slots if slot.day.id == day.id]

    @property
    def teams_with_gaps(self) -> list[TeamCoverage]:
        return [row for row in self.coverage if row.gaps]


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


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


def _waitlist_positions(session, model, parent_column, parent_ids) -> dict[int, int]:
    """Seat or pick id → place in its waitlist, for every waiting one, in one query."""
    positions: dict[int, int] = {}
    if not parent_ids:
        return positions
    rows = session.execute(
        select(model.id, parent_column)
        .where(parent_column.in_(parent_ids), model.status == WAITLISTED)
        .order_by(parent_column, model.created_at, model.id)
    )
    place: dict[int, int] = defaultdict(int)
    for row_id, parent_id in rows:
        place[parent_id] += 1
        positions[row_id] = place[parent_id]
    return positions


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


def forum_overview(session, forum: Forum, search: str = "") -> ForumOverview:
    """Seats and waitlists per day and per breakout, team coverage of breakout slots, and the
    registrations (optionally only those whose name or email contains ``search``)."""
    days = list(forum.days)
    day_ids = [day.id for day in days]
    day_counts = _status_counts(session, DaySeat, DaySeat.day_id, day_ids)
    day_rows = [
        DayCounts(day, day_counts[day.id].get(CONFIRMED, 0), day_counts[day.id].get(WAITLISTED, 0))
        for day in days
    ]

    breakouts = _breakouts(session, forum)
    items = {item.id: item for item in breakouts}
    pick_counts = _status_counts(session, BreakoutPick, BreakoutPick.item_id, list(items))
    days_by_id = {day.id: day for day in days}
    slots_by_start: dict[tuple[int, datetime], Slot] = {}
    for item in breakouts:
        if item.status != ItemStatus.SCHEDULED:
            continue
        counts = BreakoutCounts(
            item, pick_counts[item.id].get(CONFIRMED, 0), pick_counts[item.id].get(WAITLISTED, 0)
        )
        key = (item.day_id, item.starts_at)
        if key not in slots_by_start:
            slots_by_start[key] = Slot(days_by_id[item.day_id], item.starts_at, [])
        slots_by_start[key].breakouts.append(counts)
    slots = sorted(slots_by_start.values(), key=lambda s: (s.day.date, s.starts_at))

    teams = list(
        session.scalars(select(Team).where(Team.program_id == forum.program_id).order_by(Team.name))
    )
    coverage = _coverage(session, forum, teams, slots)
    registrations = _registration_rows(session, forum, teams, items, search)
    return ForumOverview(forum, day_rows, slots, coverage, registrations)


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


def _registration_rows(session, forum, teams, items, search: str) -> list[RegistrationRow]:
    query = (
        select(Registration)
        .join(Person, Person.id == Registration.person_id)
        .where(Registration.forum_id == forum.id)
        # The person comes with the row (the join is there anyway); seats and picks come in
        # one query each. selectinload would send one query per 500 registrations, so the
        # number of queries would grow with the forum.
        .options(
            contains_eager(Registration.person),
            subqueryload(Registration.seats),
            subqueryload(Registration.picks),
        )
        .order_by(func.lower(Person.name), Person.id)
    )
    search = search.strip()
    if search:
        pattern = _like(search.lower())
        query = query.where(
            or_(
                func.lower(Person.name).like(pattern, escape="\\"),
                Person.email.like(pattern, escape="\\"),
            )
        )
    registrations = session.scalars(query).all()
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
    day_positions = _waitlist_positions(
        session, DaySeat, DaySeat.day_id, [day.id for day in forum.days]
    )
    pick_positions = _waitlist_positions(session, BreakoutPick, BreakoutPick.item_id, list(items))
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


# --- CSV exports ---------------------------------------------------------------------------


def _csv(header: list[str], rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([spreadsheet_safe(str(cell)) for cell in row])
    return out.getvalue()


def day_label(day: ForumDay) -> str:
    return f"{day.date:%a} {day.date:%b} {day.date.day}, {day.date.year}"


def registrations_csv(session, forum: Forum) -> str:
    """One row per registration: contact details, kind, team, each day's status, needs."""
    overview = forum_overview(session, forum)
    days = [counts.day for counts in overview.days]
    header = ["Name", "Email", "Organization", "Community", "Kind", "Team"]
    header += [f"{day_label(day)} ({'public' if day.is_public else 'team'} day)" for day in days]
    header += ["Accessibility needs", "Dietary needs"]
    rows = (
        [
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
        for row in overview.registrations
    )
    return _csv(header, rows)


def breakouts_csv(session, forum: Forum) -> str:
    """One row per person holding or waiting for a seat in a breakout, breakout by breakout:
    confirmed people first, then the waitlist in order."""
    overview = forum_overview(session, forum)
    zone = forum.program.time_zone
    by_item: dict[int, list[tuple[RegistrationRow, BreakoutPick, int | None]]] = defaultdict(list)
    for row in overview.registrations:
        for pick, _item, position in row.picks:
            by_item[pick.item_id].append((row, pick, position))
    rows = []
    for slot in overview.slots:
        for counts in slot.breakouts:
            item = counts.item
            entries = sorted(
                by_item[item.id],
                key=lambda e: (e[1].status != CONFIRMED, e[2] or 0, e[0].person.name.casefold()),
            )
            for row, pick, position in entries:
                status = pick.status if pick.status == CONFIRMED else f"waitlisted #{position}"
                rows.append(
                    [
                        item.title,
                        slot.day.date.isoformat(),
                        to_local(item.starts_at, zone).strftime("%Y-%m-%d %H:%M"),
                        item.room.name if item.room else "",
                        row.person.name,
                        row.person.email,
                        row.team_names,
                        status,
                    ]
                )
    header = ["Breakout", "Day", "Start", "Room", "Person", "Email", "Team", "Status"]
    return _csv(header, rows)


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
