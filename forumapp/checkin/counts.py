"""Live check-in counts for organizers: checked in against expected for a day, per team, and
arrivals over time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, func, select

from ..core.clock import to_local
from ..core.models import ForumDay, Team, TeamMembership
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
