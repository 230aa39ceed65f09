"""Live check-in counts for organizers: checked in against expected for a day, per team, and
arrivals over time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, func, select

from ..core.clock import to_local
from ..core.models import Forum, ForumDay, Team, TeamMembership
from ..extensions import DbSession
from ..registration.models import DaySeat, Registration, SeatStatus
from .models import CheckIn


@dataclass
class DayCounts:
    day: ForumDay
    checked_in: int
    expected: int
    per_team: list[tuple[str, int, int]]  # team, checked in, expected
    arrivals: list[tuple[datetime, int]]  # 15-minute buckets (local), count


NO_TEAM = "On no team"


def live_counts(session: DbSession, day: ForumDay, bucket_minutes: int = 15) -> DayCounts:
    """Checked in / expected for a day, per team, and arrivals over time."""
    seated = (DaySeat.day_id == day.id, DaySeat.status == SeatStatus.CONFIRMED)
    present = (CheckIn.day_id == day.id, CheckIn.undone_at.is_(None))
    expected = session.execute(
        select(func.count()).select_from(DaySeat).where(*seated)
    ).scalar_one()
    times = session.scalars(select(CheckIn.checked_in_at).where(*present)).all()
    team_expected, no_team_expected = _per_team(session, DaySeat, seated)
    team_in, no_team_in = _per_team(session, CheckIn, present)
    return DayCounts(
        day=day,
        checked_in=len(times),
        expected=expected,
        per_team=sorted(
            (name, team_in.get(name, 0), count) for name, count in team_expected.items()
        )
        + ([(NO_TEAM, no_team_in, no_team_expected)] if no_team_expected else []),
        arrivals=_arrivals(times, day.forum.program.time_zone, bucket_minutes),
    )


def _per_team(
    session: DbSession, rows: type[DaySeat] | type[CheckIn], conditions
) -> tuple[dict[str, int], int]:
    """Of the ``rows`` (seats or check-ins) meeting ``conditions``: how many per team (a person
    on two teams counts for both), and how many of people on no team."""
    of_person = (Registration, Registration.id == rows.registration_id)
    per_team = {
        name: count
        for name, count in session.execute(
            select(Team.name, func.count(func.distinct(rows.id)))
            .select_from(rows)
            .join(*of_person)
            .join(TeamMembership, TeamMembership.person_id == Registration.person_id)
            .join(Team, Team.id == TeamMembership.team_id)
            .where(*conditions)
            .group_by(Team.name)
        )
    }
    # People on no team (the public, guests) get a row of their own, so the rows add up.
    on_no_team = ~exists().where(TeamMembership.person_id == Registration.person_id)
    on_none = session.execute(
        select(func.count()).select_from(rows).join(*of_person).where(*conditions, on_no_team)
    ).scalar_one()
    return per_team, on_none


def _arrivals(
    times: Sequence[datetime], zone: str, bucket_minutes: int
) -> list[tuple[datetime, int]]:
    """Check-ins per ``bucket_minutes`` (local start, count), from the first to the last, the
    empty buckets between them included."""
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
    return sorted(buckets.items())


def confirmed_people_checked_in(session: DbSession, day_ids: list[int]) -> dict[int, int]:
    """Day id -> people with a confirmed seat that day who were checked in (undone check-ins
    aside): what the no-show rate compares with the confirmed seats (see
    ``registration.day_measures``). Days nobody was checked in on are left out."""
    if not day_ids:
        return {}
    rows = session.execute(
        select(CheckIn.day_id, func.count())
        .join(
            DaySeat,
            (DaySeat.registration_id == CheckIn.registration_id)
            & (DaySeat.day_id == CheckIn.day_id),
        )
        .where(
            CheckIn.day_id.in_(day_ids),
            CheckIn.undone_at.is_(None),
            DaySeat.status == SeatStatus.CONFIRMED,
        )
        .group_by(CheckIn.day_id)
    ).all()
    return {day_id: count for day_id, count in rows}


def check_in_times_columns(forum: Forum) -> list[str]:
    """The registrations download's check-in columns: one per forum day."""
    return [f"Checked in {day.date:%a %b} {day.date.day}" for day in forum.days]


def check_in_times(
    session: DbSession, forum: Forum, registration_ids: list[int]
) -> dict[int, list[str]]:
    """Registration id → for each forum day, the local time of its live check-in (or "")."""
    days = list(forum.days)
    zone = forum.program.time_zone
    found: dict[int, list[str]] = {}
    if not registration_ids or not days:
        return found
    for registration_id, day_id, at in session.execute(
        select(CheckIn.registration_id, CheckIn.day_id, CheckIn.checked_in_at).where(
            CheckIn.registration_id.in_(registration_ids),
            CheckIn.day_id.in_([day.id for day in days]),
            CheckIn.undone_at.is_(None),
        )
    ):
        cells = found.setdefault(registration_id, [""] * len(days))
        cells[[day.id for day in days].index(day_id)] = to_local(at, zone).strftime("%H:%M")
    return found
