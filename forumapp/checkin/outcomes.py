"""What a scan says: the kinds of result, who it is about and the teams the door shows."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import bindparam, select

from ..core.models import ForumDay, Person, Team, TeamMembership
from ..extensions import DbSession
from ..registration.models import Registration
from .models import CheckIn


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
        return cls(
            registration.id, person.name, person.organization, registration.accessibility_needs
        )


@dataclass
class ScanOutcome:
    """What the door shows: a result, a sentence, and who it is about.

    ``attendee`` and ``day_date`` are always set when there is a registration and a day. The
    door's plain case (the scan's fast path) sets only them, not the ORM objects
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
    # Already checked in, they had left and came back: their return was recorded (a welcome
    # back, not a second check-in to look into or to undo).
    came_back: bool = False

    def __post_init__(self) -> None:
        if self.attendee is None and self.registration is not None:
            self.attendee = Attendee.of(self.registration)
        if self.day_date is None and self.day is not None:
            self.day_date = self.day.date

    @property
    def person(self) -> Person | None:
        return self.registration.person if self.registration else None


def date_label(on_date: date) -> str:
    """A forum day as the door says it: "Monday, March 15"."""
    return f"{on_date:%A, %B} {on_date.day}"


# --- The teams shown with a person -----------------------------------------------------------

# Built once: building a SELECT and its cache key costs several times more CPU than running
# it, and the door runs it thousands of times in a morning.
_TEAMS_OF_PERSON = (
    select(Team.name)
    .join(TeamMembership)
    .where(
        TeamMembership.person_id == bindparam("person_id"),
        Team.program_id == bindparam("program_id"),
    )
)


def teams_of(session: DbSession, person_id: int, program_id: int) -> list[str]:
    """The names of the person's teams in the program."""
    return list(
        session.scalars(_TEAMS_OF_PERSON, {"person_id": person_id, "program_id": program_id})
    )


def teams_of_people(
    session: DbSession, person_ids: list[int], program_id: int
) -> dict[int, list[str]]:
    """Each person's team names in the program, for many people in one query."""
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
