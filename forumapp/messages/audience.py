"""Who a group message reaches: the people of one forum chosen by days, sessions, teams, roles
and statuses.

The filters combine with AND; the values of one filter with OR ("day 1 or day 2", "Dare or
Nash"). Statuses come in three independent facets that AND together: the place
(``confirmed``, ``waitlisted``), attendance (``checked_in``, ``not_checked_in``) and feedback
(``no_feedback``), so "checked in, no feedback" means both. Without a place status everyone
with a place or on a waitlist is reached; people who cancelled every day, and erased people,
never are. Each person is reached once, however many ways they match.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import contains_eager

from ..agenda.models import AgendaItem, ItemKind
from ..checkin.models import CheckIn
from ..core.erasure import not_erased
from ..core.i18n import format_date
from ..core.models import Forum, ForumDay, Person, Team, TeamMembership, TeamRole
from ..extensions import DbSession
from ..feedback.models import FeedbackResponse
from ..registration.models import (
    BreakoutPick,
    DaySeat,
    Registration,
    RegistrationKind,
    SeatStatus,
)
from .errors import MessageError

ROLE_LABELS = {
    "project_manager": "Project managers",
    "team_member": "Team members",
    "public": "Public attendees",
}
STATUS_LABELS = {
    "confirmed": "Confirmed",
    "waitlisted": "On a waitlist",
    "checked_in": "Checked in",
    "not_checked_in": "Not checked in",
    "no_feedback": "No feedback yet",
}
ROLES = tuple(ROLE_LABELS)
PLACE_STATUSES = ("confirmed", "waitlisted")
ATTENDANCE_STATUSES = ("checked_in", "not_checked_in")
STATUSES = tuple(STATUS_LABELS)
MAX_VALUES = 100  # per filter: more is a mistake, not an audience


@dataclass(frozen=True)
class Audience:
    """An audience as written; empty tuples mean "not filtered by this"."""

    days: tuple[date, ...] = ()
    sessions: tuple[int, ...] = ()
    teams: tuple[int, ...] = ()
    roles: tuple[str, ...] = ()
    status: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.days or self.sessions or self.teams or self.roles or self.status)

    def as_json(self) -> dict:
        """The audience as stored with the message and shown back by the API."""
        return {
            "days": [day.isoformat() for day in self.days],
            "sessions": list(self.sessions),
            "teams": list(self.teams),
            "roles": list(self.roles),
            "status": list(self.status),
        }

    @classmethod
    def from_json(cls, stored: dict) -> Audience:
        return cls(
            days=tuple(date.fromisoformat(day) for day in stored.get("days", ())),
            sessions=tuple(stored.get("sessions", ())),
            teams=tuple(stored.get("teams", ())),
            roles=tuple(stored.get("roles", ())),
            status=tuple(stored.get("status", ())),
        )


@dataclass(frozen=True)
class Recipient:
    """One person the message reaches, with their registration and the days it is about."""

    person: Person
    registration: Registration
    days: list[ForumDay]


def check_audience(session: DbSession, forum: Forum, audience: Audience) -> None:
    """Refuse an empty audience and values that are not the forum's; ``MessageError`` names
    the filter (``audience.days`` ...)."""
    if audience.is_empty:
        raise MessageError(
            "Choose who receives the message: at least one day, session, team, role or status.",
            "audience",
        )
    for name in ("days", "sessions", "teams", "roles", "status"):
        if len(getattr(audience, name)) > MAX_VALUES:
            raise MessageError(f"Choose at most {MAX_VALUES} values.", f"audience.{name}")
    forum_dates = {day.date for day in forum.days}
    unknown_days = sorted(set(audience.days) - forum_dates)
    if unknown_days:
        listed = ", ".join(day.isoformat() for day in unknown_days)
        raise MessageError(f"Not a day of this forum: {listed}.", "audience.days")
    if audience.sessions:
        known = set(
            session.scalars(
                select(AgendaItem.id).where(
                    AgendaItem.id.in_(audience.sessions),
                    AgendaItem.day_id.in_([day.id for day in forum.days]),
                )
            )
        )
        unknown = [str(item) for item in audience.sessions if item not in known]
        if unknown:
            raise MessageError(
                f"Not a session of this forum: {', '.join(unknown)}.", "audience.sessions"
            )
    if audience.teams:
        known_teams = set(session.scalars(select(Team.id).where(Team.id.in_(audience.teams))))
        unknown = [str(team) for team in audience.teams if team not in known_teams]
        if unknown:
            raise MessageError(f"There is no team {', '.join(unknown)}.", "audience.teams")
    for name, allowed in (("roles", ROLES), ("status", STATUSES)):
        wrong = [value for value in getattr(audience, name) if value not in allowed]
        if wrong:
            raise MessageError(
                f"Unknown {name}: {', '.join(wrong)}. Choose from {', '.join(allowed)}.",
                f"audience.{name}",
            )


def describe_audience(session: DbSession, audience: Audience) -> list[str]:
    """The audience in words, one line per filter used ("Teams: Dare County, Nash County")."""
    lines = []
    if audience.days:
        lines.append("Days: " + ", ".join(format_date(day) for day in sorted(audience.days)))
    if audience.sessions:
        titles = session.scalars(
            select(AgendaItem.title)
            .where(AgendaItem.id.in_(audience.sessions))
            .order_by(AgendaItem.starts_at, AgendaItem.id)
        ).all()
        lines.append("Sessions: " + ", ".join(titles))
    if audience.teams:
        names = session.scalars(
            select(Team.name).where(Team.id.in_(audience.teams)).order_by(Team.name)
        ).all()
        lines.append("Teams: " + ", ".join(names))
    if audience.roles:
        lines.append("Roles: " + ", ".join(ROLE_LABELS.get(role, role) for role in audience.roles))
    if audience.status:
        lines.append(
            "Status: " + ", ".join(STATUS_LABELS.get(status, status) for status in audience.status)
        )
    return lines


def _matching(session: DbSession, forum: Forum, audience: Audience):
    """The audience as SQL conditions on registrations joined to their person, with the day
    ids and seat statuses it covers."""
    day_ids = [day.id for day in forum.days if not audience.days or day.date in audience.days]
    place = [status for status in audience.status if status in PLACE_STATUSES] or list(
        PLACE_STATUSES
    )
    seat_on_days = and_(
        DaySeat.registration_id == Registration.id,
        DaySeat.day_id.in_(day_ids),
        DaySeat.status.in_([SeatStatus(status).value for status in place]),
    )
    conditions = [
        Registration.forum_id == forum.id,
        exists().where(seat_on_days),
        not_erased(Person.email),
    ]
    if audience.sessions:
        conditions.append(_in_sessions(session, audience.sessions))
    if audience.teams:
        conditions.append(_membership(audience.teams))
    if audience.roles:
        conditions.append(_in_roles(audience))
    attendance = [status for status in audience.status if status in ATTENDANCE_STATUSES]
    if attendance and len(attendance) < len(ATTENDANCE_STATUSES):
        checked_in = exists().where(
            CheckIn.registration_id == Registration.id, CheckIn.day_id.in_(day_ids)
        )
        conditions.append(checked_in if attendance == ["checked_in"] else ~checked_in)
    if "no_feedback" in audience.status:
        conditions.append(~exists().where(FeedbackResponse.registration_id == Registration.id))
    return conditions, day_ids, place


def audience_size(session: DbSession, forum: Forum, audience: Audience) -> int:
    """How many people ``audience`` reaches (one COUNT, whatever their number)."""
    conditions, _day_ids, _place = _matching(session, forum, audience)
    return session.execute(
        select(func.count(Registration.id))
        .join(Person, Person.id == Registration.person_id)
        .where(*conditions)
    ).scalar_one()


def recipients(
    session: DbSession, forum: Forum, audience: Audience, limit: int | None = None
) -> list[Recipient]:
    """The people ``audience`` reaches, once each, by name (the first ``limit`` of them when
    given); ``check_audience`` first. Two queries, whatever their number."""
    conditions, day_ids, place = _matching(session, forum, audience)
    query = (
        select(Registration)
        .join(Person, Person.id == Registration.person_id)
        .where(*conditions)
        .options(contains_eager(Registration.person))
        .order_by(Person.name, Person.id)
    )
    registrations = session.scalars(query.limit(limit) if limit is not None else query).all()
    seat_days: dict[int, list[int]] = defaultdict(list)
    seats = select(DaySeat.registration_id, DaySeat.day_id).where(
        DaySeat.day_id.in_(day_ids), DaySeat.status.in_([SeatStatus(s).value for s in place])
    )
    if limit is not None:
        seats = seats.where(DaySeat.registration_id.in_([r.id for r in registrations]))
    for registration_id, day_id in session.execute(seats):
        seat_days[registration_id].append(day_id)
    days_by_id = {day.id: day for day in forum.days}
    return [
        Recipient(
            registration.person,
            registration,
            sorted((days_by_id[d] for d in seat_days[registration.id]), key=lambda day: day.date),
        )
        for registration in registrations
    ]


def _in_sessions(session: DbSession, item_ids: tuple[int, ...]):
    """Has a seat in one of the sessions: a confirmed pick for a breakout, a confirmed seat on
    the day for everything else (a general session has no picks)."""
    items = session.execute(
        select(AgendaItem.id, AgendaItem.kind, AgendaItem.day_id).where(AgendaItem.id.in_(item_ids))
    ).all()
    breakout_ids = [item_id for item_id, kind, _day in items if kind == ItemKind.BREAKOUT]
    plenary_days = [day_id for _id, kind, day_id in items if kind != ItemKind.BREAKOUT]
    either = []
    if breakout_ids:
        either.append(
            exists().where(
                BreakoutPick.registration_id == Registration.id,
                BreakoutPick.item_id.in_(breakout_ids),
                BreakoutPick.status == SeatStatus.CONFIRMED.value,
            )
        )
    if plenary_days:
        either.append(
            exists().where(
                DaySeat.registration_id == Registration.id,
                DaySeat.day_id.in_(plenary_days),
                DaySeat.status == SeatStatus.CONFIRMED.value,
            )
        )
    return or_(*either)


def _membership(teams: tuple[int, ...], team_roles: list[str] | None = None):
    """A member of one of ``teams`` (any team when empty), in one of ``team_roles`` if given."""
    membership = [TeamMembership.person_id == Registration.person_id]
    if teams:
        membership.append(TeamMembership.team_id.in_(teams))
    if team_roles:
        membership.append(TeamMembership.role.in_(team_roles))
    return exists().where(*membership)


def _in_roles(audience: Audience):
    """In one of the roles: a project manager or member of a team (of the chosen teams, if
    any), or registered as the public."""
    team_roles = [
        TeamRole.PROJECT_MANAGER.value if role == "project_manager" else TeamRole.MEMBER.value
        for role in audience.roles
        if role != "public"
    ]
    either = []
    if team_roles:
        either.append(_membership(audience.teams, team_roles))
    if "public" in audience.roles:
        either.append(Registration.kind == RegistrationKind.PUBLIC.value)
    return or_(*either)
