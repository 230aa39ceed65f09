"""Which answers the faculty's pages read: the summary's filters (one team, one day), the
responses they select, the sessions people rate, and who wrote each answer.

Shared by the summary (``summary``), the comments (``comments``), the CSV export
(``answers_export``) and the measures across forums (``measures``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, select

from ..agenda.models import AgendaItem, ItemStatus
from ..core.models import Forum, ForumDay, Person, Team
from ..extensions import DbSession
from ..registration.models import Registration
from .attendance import RATEABLE_KINDS, live_check_ins
from .models import FeedbackResponse

NO_TEAM = "Public attendees (no team)"
# Answers are listed newest first everywhere.
NEWEST_FIRST = (FeedbackResponse.submitted_at.desc(), FeedbackResponse.id.desc())


@dataclass(frozen=True)
class SummaryFilter:
    """Narrow the summary to one team's answers and/or one day's attendees and sessions."""

    team_id: int | None = None
    day_id: int | None = None

    @property
    def active(self) -> bool:
        return self.team_id is not None or self.day_id is not None


def response_conditions(forum: Forum, filters: SummaryFilter) -> list[ColumnElement[bool]]:
    """The responses a summary counts: attendees' (of the day, if filtered), of the team."""
    conditions = [
        FeedbackResponse.forum_id == forum.id,
        FeedbackResponse.registration_id.in_(live_check_ins(forum.id, filters.day_id)),
    ]
    if filters.team_id is not None:
        conditions.append(FeedbackResponse.team_id == filters.team_id)
    return conditions


def with_author(query: Select) -> Select:
    """``query`` (of responses) joined to the person who answered and their team, for their
    names. Whoever shows the person's name must honour ``FeedbackResponse.anonymous``."""
    return (
        query.join(Registration, Registration.id == FeedbackResponse.registration_id)
        .join(Person, Person.id == Registration.person_id)
        .outerjoin(Team, Team.id == FeedbackResponse.team_id)
    )


def team_names(session: DbSession, program_id: int) -> dict[int, str]:
    """The program's teams by id, in the order of their names."""
    rows = session.execute(
        select(Team.id, Team.name).where(Team.program_id == program_id).order_by(Team.name)
    )
    return {team_id: name for team_id, name in rows}


def rateable_items(session: DbSession, forum: Forum, day_id: int | None = None) -> list[AgendaItem]:
    """The forum's sessions people rate (meals and cancelled sessions left out), in order."""
    query = (
        select(AgendaItem)
        .join(ForumDay, ForumDay.id == AgendaItem.day_id)
        .where(
            ForumDay.forum_id == forum.id,
            AgendaItem.status == ItemStatus.SCHEDULED,
            AgendaItem.kind.in_(RATEABLE_KINDS),
        )
        .order_by(ForumDay.date, AgendaItem.starts_at, AgendaItem.position, AgendaItem.id)
    )
    if day_id is not None:
        query = query.where(AgendaItem.day_id == day_id)
    return list(session.scalars(query))
