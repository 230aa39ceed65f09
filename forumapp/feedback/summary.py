"""What faculty read first: response rates, rating distributions, the newest comments and the
topics raised, for one forum (narrowed to a team or a day); and the staff overview of every
forum's feedback.

Every figure comes from a handful of aggregate queries (no query per session or per team).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import case, func, or_, select

from ..agenda.models import AgendaItem
from ..checkin.models import CheckIn
from ..core.models import Forum, ForumStatus
from ..extensions import DbSession
from ..registration.models import Registration
from .answer_scope import NO_TEAM, SummaryFilter, rateable_items, response_conditions, team_names
from .attendance import live_check_ins, team_of_person
from .comments import (
    Comment,
    newest_session_comments,
    open_answer_counts,
    open_answers,
    session_question,
)
from .models import FeedbackResponse, FeedbackWindow, SessionRating, TopicGroup, TopicSuggestion
from .topic_groups import FLAG_TEAMS
from .window import WindowState, window_state

# A topic raised by this many teams is flagged for special attention at the next forum: the
# topics feature owns the rule (the TOPIC_FLAG_TEAMS setting is passed in when set).
MULTI_TEAM = FLAG_TEAMS


@dataclass
class ResponseRate:
    label: str
    attendees: int
    responses: int
    team_id: int | None = None

    @property
    def rate(self) -> float | None:
        return self.responses / self.attendees if self.attendees else None


@dataclass
class Distribution:
    counts: dict[int, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def average(self) -> float | None:
        total = self.total
        return sum(r * c for r, c in self.counts.items()) / total if total else None


@dataclass
class SessionSummary:
    """A session's ratings and its comments, newest first: ``comments`` may hold only the
    newest of ``comment_count``."""

    item: AgendaItem
    ratings: Distribution
    comments: list[Comment] = field(default_factory=list)
    comment_count: int = 0

    @property
    def question(self) -> str:
        return session_question(self.item.id)


@dataclass
class TopicGroupSummary:
    group_id: int
    label: str
    status: str
    suggestions: int
    teams: int
    promoted_item_id: int | None
    flagged: bool = False


@dataclass
class FeedbackSummary:
    forum: Forum
    filter: SummaryFilter
    overall_rate: ResponseRate
    team_rates: list[ResponseRate]
    overall: Distribution
    sessions: list[SessionSummary]
    most_useful: list[Comment]
    should_change: list[Comment]
    topic_groups: list[TopicGroupSummary]
    suggestions: int
    ungrouped: int
    most_useful_count: int = 0
    should_change_count: int = 0


def response_rates(
    session: DbSession, forum: Forum, filters: SummaryFilter, names: dict[int, str]
) -> tuple[ResponseRate, list[ResponseRate]]:
    """Attendees and responses overall and per team (teams with attendees only)."""
    attendees = (
        select(
            Registration.id.label("registration_id"),
            team_of_person(Registration.person_id, forum.program_id).label("team_id"),
        )
        .where(
            Registration.forum_id == forum.id,
            Registration.id.in_(live_check_ins(forum.id, filters.day_id)),
        )
        .subquery()
    )
    query = (
        select(
            attendees.c.team_id,
            func.count(attendees.c.registration_id),
            func.count(FeedbackResponse.id),
        )
        .select_from(attendees)
        .outerjoin(
            FeedbackResponse, FeedbackResponse.registration_id == attendees.c.registration_id
        )
        .group_by(attendees.c.team_id)
    )
    if filters.team_id is not None:
        query = query.where(attendees.c.team_id == filters.team_id)
    rows = [
        ResponseRate(names.get(team_id, NO_TEAM), attendee_count, answered, team_id)
        for team_id, attendee_count, answered in session.execute(query)
    ]
    rows.sort(key=lambda row: (row.team_id is None, row.label))
    overall = ResponseRate(
        "All attendees",
        sum(row.attendees for row in rows),
        sum(row.responses for row in rows),
    )
    return overall, rows


def forum_summary(
    session: DbSession,
    forum: Forum,
    filters: SummaryFilter | None = None,
    flag_teams: int = MULTI_TEAM,
    comment_limit: int | None = None,
) -> FeedbackSummary:
    """Everything the faculty summary page shows for ``forum``, narrowed by ``filters``;
    topic groups raised by ``flag_teams`` or more teams are flagged. Comments come newest
    first; with ``comment_limit``, only that many per question (the counts say how many
    there are)."""
    filters = filters or SummaryFilter()
    names = team_names(session, forum.program_id)
    conditions = response_conditions(forum, filters)
    overall_rate, team_rates = response_rates(session, forum, filters, names)

    overall_counts = session.execute(
        select(FeedbackResponse.overall_rating, func.count())
        .where(*conditions)
        .group_by(FeedbackResponse.overall_rating)
    )
    overall = Distribution({rating: count for rating, count in overall_counts})

    items = rateable_items(session, forum, filters.day_id)
    by_item = {item.id: SessionSummary(item, Distribution()) for item in items}
    for item_id, rating, count in session.execute(
        select(SessionRating.item_id, SessionRating.rating, func.count())
        .join(FeedbackResponse, FeedbackResponse.id == SessionRating.response_id)
        .where(*conditions, SessionRating.rating.is_not(None))
        .group_by(SessionRating.item_id, SessionRating.rating)
    ):
        if item_id in by_item:
            by_item[item_id].ratings.counts[rating] = count
    for item_id, total, comment in newest_session_comments(session, conditions, comment_limit):
        if item_id in by_item:
            entry = by_item[item_id]
            entry.comment_count = total
            entry.comments.append(comment)

    useful_count, change_count = open_answer_counts(session, conditions)
    useful, change = FeedbackResponse.most_useful, FeedbackResponse.should_change
    most_useful = open_answers(session, conditions, useful, comment_limit)
    should_change = open_answers(session, conditions, change, comment_limit)

    groups, suggestions, ungrouped = topic_overview(session, forum, filters.team_id, flag_teams)
    return FeedbackSummary(
        forum=forum,
        filter=filters,
        overall_rate=overall_rate,
        team_rates=team_rates,
        overall=overall,
        sessions=list(by_item.values()),
        most_useful=most_useful,
        should_change=should_change,
        topic_groups=groups,
        suggestions=suggestions,
        ungrouped=ungrouped,
        most_useful_count=useful_count,
        should_change_count=change_count,
    )


def topic_overview(
    session: DbSession, forum: Forum, team_id: int | None = None, flag_teams: int = MULTI_TEAM
) -> tuple[list[TopicGroupSummary], int, int]:
    """(groups with how many suggestions and teams, suggestions, ungrouped suggestions); with
    ``team_id``, only the groups and suggestions that team raised. Groups left empty (and never
    promoted) are not listed."""
    suggestions = func.count(TopicSuggestion.id)
    teams = func.count(func.distinct(TopicSuggestion.team_id))
    query = (
        select(
            TopicGroup.id,
            TopicGroup.label,
            TopicGroup.status,
            suggestions,
            teams,
            TopicGroup.promoted_item_id,
        )
        .outerjoin(TopicSuggestion, TopicSuggestion.group_id == TopicGroup.id)
        .where(TopicGroup.forum_id == forum.id)
        .group_by(TopicGroup.id, TopicGroup.label, TopicGroup.status, TopicGroup.promoted_item_id)
        .order_by(teams.desc(), suggestions.desc(), TopicGroup.label)
    )
    if team_id is not None:
        query = query.having(func.sum(case((TopicSuggestion.team_id == team_id, 1), else_=0)) > 0)
    else:
        query = query.having(or_(suggestions > 0, TopicGroup.promoted_item_id.is_not(None)))
    groups = [
        TopicGroupSummary(
            group_id=group_id,
            label=label,
            status=status,
            suggestions=suggestion_count,
            teams=team_count,
            promoted_item_id=promoted_item_id,
            flagged=team_count >= flag_teams,
        )
        for group_id, label, status, suggestion_count, team_count, promoted_item_id in (
            session.execute(query)
        )
    ]
    counts = select(
        func.count(TopicSuggestion.id),
        func.count(TopicSuggestion.id).filter(TopicSuggestion.group_id.is_(None)),
    ).where(TopicSuggestion.forum_id == forum.id)
    if team_id is not None:
        counts = counts.where(TopicSuggestion.team_id == team_id)
    total, ungrouped = session.execute(counts).one()
    return groups, total, ungrouped


@dataclass
class ForumFeedback:
    """A line of the staff overview: a published forum, its window, and how many of its
    attendees answered."""

    forum: Forum
    window: FeedbackWindow | None
    state: WindowState
    responses: int
    attendees: int


def feedback_overview(session: DbSession) -> list[ForumFeedback]:
    """Every published forum in order, with its feedback window and counts (four queries)."""
    forums = session.scalars(
        select(Forum).where(Forum.status != ForumStatus.DRAFT).order_by(Forum.number)
    ).all()
    windows = {w.forum_id: w for w in session.scalars(select(FeedbackWindow))}
    response_counts = session.execute(
        select(FeedbackResponse.forum_id, func.count()).group_by(FeedbackResponse.forum_id)
    )
    responses = {forum_id: count for forum_id, count in response_counts}
    attendee_counts = session.execute(
        select(Registration.forum_id, func.count(func.distinct(Registration.id)))
        .join(CheckIn, CheckIn.registration_id == Registration.id)
        .where(CheckIn.undone_at.is_(None))
        .group_by(Registration.forum_id)
    )
    attendees = {forum_id: count for forum_id, count in attendee_counts}
    return [
        ForumFeedback(
            forum,
            windows.get(forum.id),
            window_state(windows.get(forum.id)),
            responses.get(forum.id, 0),
            attendees.get(forum.id, 0),
        )
        for forum in forums
    ]
