"""The shared measures across a program's forums, forum by forum and team by team: attendance,
responses and average rating, topics raised and addressed."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, or_, select

from ..checkin.models import CheckIn
from ..core.models import Forum, ForumStatus, Program
from ..extensions import DbSession
from ..registration.models import Registration
from .answer_scope import NO_TEAM, team_names
from .attendance import team_of_person
from .models import FeedbackResponse, TopicGroup, TopicStatus, TopicSuggestion


@dataclass
class ForumMeasures:
    forum: Forum
    attendees: int = 0
    responses: int = 0
    rating_sum: int = 0
    suggestions: int = 0
    teams_raising: int = 0
    groups: int = 0
    groups_addressed: int = 0

    @property
    def average_rating(self) -> float | None:
        return self.rating_sum / self.responses if self.responses else None


@dataclass
class TeamMeasures:
    team_id: int | None
    name: str
    attendance: dict[int, int] = field(default_factory=dict)
    responses: dict[int, int] = field(default_factory=dict)
    rating_sums: dict[int, int] = field(default_factory=dict)
    topics: dict[int, int] = field(default_factory=dict)

    def average_rating(self, forum_id: int) -> float | None:
        count = self.responses.get(forum_id, 0)
        return self.rating_sums.get(forum_id, 0) / count if count else None


@dataclass
class ProgramMeasures:
    program: Program
    forums: list[ForumMeasures]
    teams: list[TeamMeasures]


def program_measures(session: DbSession, program: Program) -> ProgramMeasures:
    """The shared measures, forum by forum: attendance (checked in), responses and average
    overall rating, topics raised and addressed; overall and per team."""
    forums = list(
        session.scalars(
            select(Forum)
            .where(Forum.program_id == program.id, Forum.status != ForumStatus.DRAFT)
            .order_by(Forum.number)
        )
    )
    forum_ids = [forum.id for forum in forums]
    by_forum = {forum.id: ForumMeasures(forum) for forum in forums}
    names = team_names(session, program.id)
    teams = {team_id: TeamMeasures(team_id, name) for team_id, name in names.items()}
    public = TeamMeasures(None, NO_TEAM)

    def team(team_id: int | None) -> TeamMeasures:
        return teams.get(team_id, public) if team_id is not None else public

    checked_in = (
        select(
            Registration.id.label("registration_id"),
            Registration.forum_id.label("forum_id"),
            team_of_person(Registration.person_id, program.id).label("team_id"),
        )
        .where(
            Registration.forum_id.in_(forum_ids),
            Registration.id.in_(select(CheckIn.registration_id).where(CheckIn.undone_at.is_(None))),
        )
        .subquery()
    )
    for forum_id, team_id, count in session.execute(
        select(checked_in.c.forum_id, checked_in.c.team_id, func.count()).group_by(
            checked_in.c.forum_id, checked_in.c.team_id
        )
    ):
        by_forum[forum_id].attendees += count
        team(team_id).attendance[forum_id] = count

    for forum_id, team_id, count, rating_sum in session.execute(
        select(
            FeedbackResponse.forum_id,
            FeedbackResponse.team_id,
            func.count(),
            func.sum(FeedbackResponse.overall_rating),
        )
        .where(FeedbackResponse.forum_id.in_(forum_ids))
        .group_by(FeedbackResponse.forum_id, FeedbackResponse.team_id)
    ):
        by_forum[forum_id].responses += count
        by_forum[forum_id].rating_sum += rating_sum or 0
        row = team(team_id)
        row.responses[forum_id] = row.responses.get(forum_id, 0) + count
        row.rating_sums[forum_id] = row.rating_sums.get(forum_id, 0) + (rating_sum or 0)

    for forum_id, team_id, count in session.execute(
        select(TopicSuggestion.forum_id, TopicSuggestion.team_id, func.count())
        .where(TopicSuggestion.forum_id.in_(forum_ids))
        .group_by(TopicSuggestion.forum_id, TopicSuggestion.team_id)
    ):
        by_forum[forum_id].suggestions += count
        if team_id is not None:
            by_forum[forum_id].teams_raising += 1
        row = team(team_id)
        row.topics[forum_id] = row.topics.get(forum_id, 0) + count

    addressed = or_(
        TopicGroup.status == TopicStatus.ADDRESSED, TopicGroup.promoted_item_id.is_not(None)
    )
    for forum_id, count, done in session.execute(
        select(TopicGroup.forum_id, func.count(), func.count().filter(addressed))
        .where(TopicGroup.forum_id.in_(forum_ids))
        .group_by(TopicGroup.forum_id)
    ):
        by_forum[forum_id].groups = count
        by_forum[forum_id].groups_addressed = done

    team_rows = list(teams.values())
    if public.attendance or public.responses or public.topics:
        team_rows.append(public)
    return ProgramMeasures(program, list(by_forum.values()), team_rows)
