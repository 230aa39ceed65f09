"""What faculty read: response rates, rating distributions, comments, topics; and the shared
measures across the program's forums.

Every figure comes from a handful of aggregate queries (no query per session or per team).
Names of people who answered anonymously never leave this module: they are replaced by
"Anonymous" here, so no page or export can show them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import case, func, or_, select

from ..agenda.models import AgendaItem, ItemStatus
from ..checkin.models import CheckIn
from ..core.clock import to_local
from ..core.models import Forum, ForumDay, ForumStatus, Person, Program, Team
from ..core.pagination import Page, page_to_show
from ..core.spreadsheet import csv_text
from ..registration.models import Registration
from .collection import RATEABLE_KINDS, live_check_ins, team_of_person
from .models import FeedbackResponse, SessionRating, TopicGroup, TopicStatus, TopicSuggestion
from .topics import FLAG_TEAMS

ANONYMOUS = "Anonymous"
# The summary page shows this many of the newest comments per question; the rest are one click
# away (``comments_page``), so the page stays short and fast however many people answer.
COMMENTS_SHOWN = 20
COMMENTS_PER_PAGE = 50
MOST_USEFUL = "most-useful"
SHOULD_CHANGE = "should-change"
NO_TEAM = "Public attendees (no team)"
# A topic raised by this many teams is flagged for special attention at the next forum: the
# topics feature owns the rule (the TOPIC_FLAG_TEAMS setting is passed in when set).
MULTI_TEAM = FLAG_TEAMS


@dataclass(frozen=True)
class SummaryFilter:
    """Narrow the summary to one team's answers and/or one day's attendees and sessions."""

    team_id: int | None = None
    day_id: int | None = None

    @property
    def active(self) -> bool:
        return self.team_id is not None or self.day_id is not None


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
class Comment:
    """Something a person wrote; ``author`` is "Anonymous" for anonymous answers."""

    author: str
    team: str | None
    text: str
    rating: int | None = None


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


def session_question(item_id: int) -> str:
    """The question key of a session's comments (for ``comments_page``)."""
    return f"session-{item_id}"


def _author(anonymous: bool, name: str | None) -> str:
    return ANONYMOUS if anonymous else (name or "")


def _response_conditions(forum: Forum, filters: SummaryFilter) -> list:
    """The responses a summary counts: attendees' (of the day, if filtered), of the team."""
    conditions = [
        FeedbackResponse.forum_id == forum.id,
        FeedbackResponse.registration_id.in_(live_check_ins(forum.id, filters.day_id)),
    ]
    if filters.team_id is not None:
        conditions.append(FeedbackResponse.team_id == filters.team_id)
    return conditions


def team_names(session, program_id: int) -> dict[int, str]:
    return dict(
        session.execute(
            select(Team.id, Team.name).where(Team.program_id == program_id).order_by(Team.name)
        ).all()
    )


def rateable_items(session, forum: Forum, day_id: int | None = None) -> list[AgendaItem]:
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


def response_rates(
    session, forum: Forum, filters: SummaryFilter, names: dict[int, str]
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
    session,
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
    conditions = _response_conditions(forum, filters)
    overall_rate, team_rates = response_rates(session, forum, filters, names)

    overall = Distribution(
        dict(
            session.execute(
                select(FeedbackResponse.overall_rating, func.count())
                .where(*conditions)
                .group_by(FeedbackResponse.overall_rating)
            ).all()
        )
    )

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
    sessions_ranked = _session_comments(conditions).subquery()
    query = _with_author(sessions_ranked).order_by(
        sessions_ranked.c.item_id, sessions_ranked.c.rank
    )
    if comment_limit is not None:
        query = query.where(sessions_ranked.c.rank <= comment_limit)
    for row in session.execute(query):
        if row.item_id in by_item:
            entry = by_item[row.item_id]
            entry.comment_count = row.total
            entry.comments.append(
                Comment(_author(row.anonymous, row.name), row.team, row.comment, row.rating)
            )

    useful, change = FeedbackResponse.most_useful, FeedbackResponse.should_change
    useful_count, change_count = session.execute(
        select(func.count().filter(useful != ""), func.count().filter(change != "")).where(
            *conditions
        )
    ).one()
    most_useful = _own_words(session, conditions, useful, comment_limit)
    should_change = _own_words(session, conditions, change, comment_limit)

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


_NEWEST_FIRST = (FeedbackResponse.submitted_at.desc(), FeedbackResponse.id.desc())


def _session_comments(conditions: list):
    """Session comments with their place among the session's comments (1: the newest) and
    the session's number of comments, for a window of the newest."""
    return (
        select(
            SessionRating.item_id,
            SessionRating.rating,
            SessionRating.comment,
            FeedbackResponse.anonymous,
            FeedbackResponse.registration_id,
            FeedbackResponse.team_id,
            func.row_number()
            .over(partition_by=SessionRating.item_id, order_by=_NEWEST_FIRST)
            .label("rank"),
            func.count().over(partition_by=SessionRating.item_id).label("total"),
        )
        .join(FeedbackResponse, FeedbackResponse.id == SessionRating.response_id)
        .where(*conditions, SessionRating.comment != "")
    )


def _own_words(session, conditions: list, question, limit: int | None) -> list[Comment]:
    """The answers to an open question (a column of the response), newest first; with
    ``limit``, only that many."""
    query = (
        select(
            question,
            FeedbackResponse.anonymous,
            Person.name,
            Team.name,
            FeedbackResponse.overall_rating,
        )
        .join(Registration, Registration.id == FeedbackResponse.registration_id)
        .join(Person, Person.id == Registration.person_id)
        .outerjoin(Team, Team.id == FeedbackResponse.team_id)
        .where(*conditions, question != "")
        .order_by(*_NEWEST_FIRST)
        .limit(limit)
    )
    return [
        Comment(_author(anonymous, name), team, text, rating)
        for text, anonymous, name, team, rating in session.execute(query)
    ]


def _with_author(ranked):
    """The ranked answers with the name of who wrote them and their team's name (joined after
    ranking, so only the rows kept are joined)."""
    return (
        select(ranked, Person.name.label("name"), Team.name.label("team"))
        .join(Registration, Registration.id == ranked.c.registration_id)
        .join(Person, Person.id == Registration.person_id)
        .outerjoin(Team, Team.id == ranked.c.team_id)
    )


@dataclass
class CommentPage(Page[Comment]):
    """One page of the answers to one question, newest first."""

    title: str = ""
    item: AgendaItem | None = None


def comments_page(
    session, forum: Forum, filters: SummaryFilter, question: str, page: int = 1,
    per_page: int | None = None,
) -> CommentPage | None:  # fmt: skip
    """Every answer to ``question`` (``most-useful``, ``should-change`` or a session's
    ``session-<id>``), a page at a time, newest first; None for a question the forum does not
    have. A ``page`` past the last one shows the last one; ``COMMENTS_PER_PAGE`` a page unless
    ``per_page`` says otherwise."""
    per_page = per_page or COMMENTS_PER_PAGE
    conditions = _response_conditions(forum, filters)
    item = None
    if question in (MOST_USEFUL, SHOULD_CHANGE):
        column = (
            FeedbackResponse.most_useful
            if question == MOST_USEFUL
            else FeedbackResponse.should_change
        )
        title = "What was most useful" if question == MOST_USEFUL else "What should change"
        rating = FeedbackResponse.overall_rating
        answers = select(FeedbackResponse.id).where(*conditions, column != "")
        rows = select(column, rating, FeedbackResponse.anonymous, Person.name, Team.name).where(
            *conditions, column != ""
        )
    else:
        items = {
            session_question(item.id): item
            for item in rateable_items(session, forum, filters.day_id)
        }
        item = items.get(question)
        if item is None:
            return None
        title = f"Comments on “{item.title}”"
        has_comment = (SessionRating.item_id == item.id, SessionRating.comment != "")
        answers = (
            select(SessionRating.id)
            .join(FeedbackResponse, FeedbackResponse.id == SessionRating.response_id)
            .where(*conditions, *has_comment)
        )
        rows = (
            select(
                SessionRating.comment,
                SessionRating.rating,
                FeedbackResponse.anonymous,
                Person.name,
                Team.name,
            )
            .select_from(SessionRating)
            .join(FeedbackResponse, FeedbackResponse.id == SessionRating.response_id)
            .where(*conditions, *has_comment)
        )
    total = session.scalar(select(func.count()).select_from(answers.subquery()))
    shown = page_to_show(page, total, per_page)
    comments = [
        Comment(_author(anonymous, name), team, text, rating)
        for text, rating, anonymous, name, team in session.execute(
            rows.join(Registration, Registration.id == FeedbackResponse.registration_id)
            .join(Person, Person.id == Registration.person_id)
            .outerjoin(Team, Team.id == FeedbackResponse.team_id)
            .order_by(*_NEWEST_FIRST)
            .offset((shown - 1) * per_page)
            .limit(per_page)
        )
    ]
    return CommentPage(comments, shown, per_page, total, max(1, page), title=title, item=item)


def topic_overview(session, forum: Forum, team_id: int | None = None, flag_teams: int = MULTI_TEAM):
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
        TopicGroupSummary(*row, flagged=row[4] >= flag_teams) for row in session.execute(query)
    ]
    counts = select(
        func.count(TopicSuggestion.id),
        func.count(TopicSuggestion.id).filter(TopicSuggestion.group_id.is_(None)),
    ).where(TopicSuggestion.forum_id == forum.id)
    if team_id is not None:
        counts = counts.where(TopicSuggestion.team_id == team_id)
    total, ungrouped = session.execute(counts).one()
    return groups, total, ungrouped


# --- Raw answers as CSV ----------------------------------------------------------------------

CSV_HEADER = [
    "Response",
    "Updated",
    "Name",
    "Team",
    "Anonymous",
    "Question",
    "Session day",
    "Rating",
    "Text",
]


def answers_csv(session, forum: Forum, filters: SummaryFilter | None = None) -> str:
    """One row per answer (overall rating, each session, each open question, each topic).
    Names are blank for anonymous responses; cells a spreadsheet would run are defused."""
    filters = filters or SummaryFilter()
    zone = forum.program.time_zone
    conditions = _response_conditions(forum, filters)
    responses = session.execute(
        select(FeedbackResponse, Person.name, Team.name)
        .join(Registration, Registration.id == FeedbackResponse.registration_id)
        .join(Person, Person.id == Registration.person_id)
        .outerjoin(Team, Team.id == FeedbackResponse.team_id)
        .where(*conditions)
        .order_by(FeedbackResponse.id)
    ).all()
    ids = [response.id for response, _, _ in responses]
    ratings: dict[int, list] = {}
    session_rows = (
        select(
            SessionRating.response_id,
            AgendaItem.title,
            ForumDay.date,
            SessionRating.rating,
            SessionRating.comment,
        )
        .join(AgendaItem, AgendaItem.id == SessionRating.item_id)
        .join(ForumDay, ForumDay.id == AgendaItem.day_id)
        .where(SessionRating.response_id.in_(ids))
        .order_by(SessionRating.response_id, AgendaItem.starts_at, AgendaItem.id)
    )
    if filters.day_id is not None:
        session_rows = session_rows.where(AgendaItem.day_id == filters.day_id)
    for response_id, title, day, rating, comment in session.execute(session_rows):
        ratings.setdefault(response_id, []).append((title, day, rating, comment))
    topics: dict[int, list[str]] = {}
    for response_id, text in session.execute(
        select(TopicSuggestion.response_id, TopicSuggestion.text)
        .where(TopicSuggestion.response_id.in_(ids))
        .order_by(TopicSuggestion.id)
    ):
        topics.setdefault(response_id, []).append(text)

    lines = []
    for response, name, team in responses:
        updated = to_local(response.updated_at, zone).strftime("%Y-%m-%d %H:%M")
        who = [
            response.id,
            updated,
            "" if response.anonymous else name,
            team or "",
            "yes" if response.anonymous else "no",
        ]
        rows = [["Overall rating", "", response.overall_rating, ""]]
        for title, day, rating, comment in ratings.get(response.id, []):
            rows.append([f"Session: {title}", day.isoformat(), rating or "", comment])
        if response.most_useful:
            rows.append(["What was most useful", "", "", response.most_useful])
        if response.should_change:
            rows.append(["What should change", "", "", response.should_change])
        for text in topics.get(response.id, []):
            rows.append(["Topic for the next forum", "", "", text])
        lines.extend(who + row for row in rows)
    return csv_text(CSV_HEADER, lines)


# --- Across forums -------------------------------------------------------------------------


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


def program_measures(session, program: Program) -> ProgramMeasures:
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

    def team(team_id):
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
