"""Who attended what: the people checked in at a forum, the sessions each could have attended,
and the team their answers count for.

Only people checked in (a check-in not undone) on a day of a forum are its attendees. They
attended the general sessions, discussions and panels of the days they were checked in on,
plus their confirmed breakouts on those days and any breakout they were scanned into.
"""

from __future__ import annotations

from sqlalchemy import ScalarSelect, Select, and_, exists, func, or_, select

from ..agenda.models import AgendaItem, ItemKind, ItemStatus
from ..checkin.models import BreakoutAttendance, CheckIn
from ..core.models import Forum, ForumDay, Person, Team, TeamMembership
from ..extensions import DbSession
from ..registration.models import BreakoutPick, Registration, SeatStatus
from .models import FeedbackResponse

# Kinds of session everyone checked in on the day attended; breakouts are chosen one by one.
SHARED_KINDS = (ItemKind.GENERAL_SESSION.value, ItemKind.DISCUSSION.value, ItemKind.PANEL.value)
RATEABLE_KINDS = (*SHARED_KINDS, ItemKind.BREAKOUT.value)


def live_check_ins(forum_id: int, day_id: int | None = None) -> Select:
    """SQL: ids of registrations with a live check-in on a day of the forum (or on one day)."""
    query = (
        select(CheckIn.registration_id)
        .join(ForumDay, ForumDay.id == CheckIn.day_id)
        .where(ForumDay.forum_id == forum_id, CheckIn.undone_at.is_(None))
    )
    if day_id is not None:
        query = query.where(CheckIn.day_id == day_id)
    return query


def is_attendee(session: DbSession, registration: Registration | None) -> bool:
    """True when the registration was checked in on at least one day of its forum."""
    if registration is None:
        return False
    check_ins = live_check_ins(registration.forum_id).where(
        CheckIn.registration_id == registration.id
    )
    return bool(session.scalar(select(exists(check_ins))))


def attendees(session: DbSession, forum: Forum, without_response: bool = False) -> list[Person]:
    """The forum's attendees by name; with ``without_response``, those who have not answered."""
    query = (
        select(Person)
        .join(Registration, Registration.person_id == Person.id)
        .where(Registration.forum_id == forum.id, Registration.id.in_(live_check_ins(forum.id)))
        .order_by(Person.name, Person.id)
    )
    if without_response:
        query = query.where(~exists().where(FeedbackResponse.registration_id == Registration.id))
    return list(session.scalars(query))


def attendee_count(session: DbSession, forum: Forum) -> int:
    """How many people were checked in on at least one day of the forum."""
    checked_in = live_check_ins(forum.id).distinct().subquery()
    return session.execute(select(func.count()).select_from(checked_in)).scalar_one()


def sessions_attended(session: DbSession, registration: Registration) -> list[AgendaItem]:
    """The sessions this person could have attended, in agenda order.

    The general sessions, discussions and panels of the days they were checked in on; their
    confirmed breakouts on those days; any breakout they were scanned into (which replaces a
    pick in the same time slot: they went elsewhere).
    """
    checked_days = select(CheckIn.day_id).where(
        CheckIn.registration_id == registration.id, CheckIn.undone_at.is_(None)
    )
    picked = select(BreakoutPick.item_id).where(
        BreakoutPick.registration_id == registration.id,
        BreakoutPick.status == SeatStatus.CONFIRMED,
    )
    scanned_ids = set(
        session.scalars(
            select(BreakoutAttendance.item_id).where(
                BreakoutAttendance.registration_id == registration.id
            )
        )
    )
    items = session.scalars(
        select(AgendaItem)
        .join(ForumDay, ForumDay.id == AgendaItem.day_id)
        .where(
            ForumDay.forum_id == registration.forum_id,
            AgendaItem.status == ItemStatus.SCHEDULED,
            or_(
                and_(
                    AgendaItem.day_id.in_(checked_days),
                    or_(AgendaItem.kind.in_(SHARED_KINDS), AgendaItem.id.in_(picked)),
                ),
                AgendaItem.id.in_(scanned_ids),
            ),
        )
        .order_by(ForumDay.date, AgendaItem.starts_at, AgendaItem.position, AgendaItem.id)
    ).all()
    scanned = [item for item in items if item.id in scanned_ids]

    def went_elsewhere(item: AgendaItem) -> bool:
        return item.kind == ItemKind.BREAKOUT and any(
            other.id != item.id
            and other.starts_at < item.ends_at
            and item.starts_at < other.ends_at
            for other in scanned
        )

    return [item for item in items if item.id in scanned_ids or not went_elsewhere(item)]


def team_id_for(session: DbSession, person_id: int, program_id: int) -> int | None:
    """The team a person's answers count for: their team in the program (the first, should
    they be on several rosters), or None for a public attendee."""
    return session.scalar(_team_query(person_id, program_id))


def team_of_person(person_id, program_id: int) -> ScalarSelect:
    """SQL (scalar subquery): the team a person counts for; ``person_id`` may be a column."""
    return _team_query(person_id, program_id).scalar_subquery()


def _team_query(person_id, program_id: int) -> Select:
    return (
        select(func.min(TeamMembership.team_id))
        .join(Team, Team.id == TeamMembership.team_id)
        .where(TeamMembership.person_id == person_id, Team.program_id == program_id)
    )
