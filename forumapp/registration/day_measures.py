"""What reminders and waitlists achieve, day by day: seats given back through a reminder's
"I can't come" link, people promoted from the waitlist into a freed seat, and the no-show
rate (people with a confirmed seat who were not checked in) once the day is over.

Check-ins are the check-in feature's, which sits above registration: it gives its count with
``register_attendance_counter`` when the app starts. Without it (a bare registration) the
no-show rate is simply not known.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from ..core.models import ForumDay
from ..extensions import DbSession
from .models import DaySeat, ReleasedVia, SeatStatus
from .windows import day_has_passed

#: ``(session, day ids) -> {day id: people with a confirmed seat that day who were checked
#: in}``; days nobody was checked in on may be left out.
AttendanceCounter = Callable[[DbSession, list[int]], dict[int, int]]

_COUNTERS: dict[str, AttendanceCounter] = {}


def register_attendance_counter(counter: AttendanceCounter) -> None:
    """Let the no-show rate count check-ins (the check-in feature registers here). Registering
    again replaces the counter."""
    _COUNTERS["attendance"] = counter


@dataclass(frozen=True)
class DayMeasures:
    """One day's figures. ``checked_in`` counts people with a confirmed seat who came; it is
    None until the day is over (or when check-ins cannot be counted)."""

    day: ForumDay
    released_through_reminders: int
    promoted: int
    confirmed: int
    checked_in: int | None

    @property
    def no_shows(self) -> int | None:
        """Confirmed but not checked in, for a day that is over."""
        return None if self.checked_in is None else max(self.confirmed - self.checked_in, 0)

    @property
    def no_show_rate(self) -> float | None:
        """``no_shows`` as a share of the confirmed seats (0.2 for one in five); None when not
        known or nobody had a seat."""
        if self.no_shows is None or not self.confirmed:
            return None
        return self.no_shows / self.confirmed


def day_measures(session: DbSession, days: Sequence[ForumDay], now: datetime) -> list[DayMeasures]:
    """The figures of each of ``days`` as of ``now``, in the order given, from two aggregate
    queries (three with check-ins), however many people registered."""
    day_ids = [day.id for day in days]
    if not day_ids:
        return []
    rows = session.execute(
        select(
            DaySeat.day_id,
            func.count().filter(DaySeat.released_via == ReleasedVia.REMINDER.value),
            func.count().filter(DaySeat.promoted_at.is_not(None)),
            func.count().filter(DaySeat.status == SeatStatus.CONFIRMED.value),
        )
        .where(DaySeat.day_id.in_(day_ids))
        .group_by(DaySeat.day_id)
    ).all()
    counts = {
        day_id: (released, promoted, confirmed) for day_id, released, promoted, confirmed in rows
    }
    over_ids = [day.id for day in days if day_has_passed(day, now)]
    counter = _COUNTERS.get("attendance")
    came: dict[int, int] | None = None
    if counter is not None:
        came = counter(session, over_ids) if over_ids else {}
    measures = []
    for day in days:
        released, promoted, confirmed = counts.get(day.id, (0, 0, 0))
        checked_in = came.get(day.id, 0) if came is not None and day.id in over_ids else None
        measures.append(DayMeasures(day, released, promoted, confirmed, checked_in))
    return measures
