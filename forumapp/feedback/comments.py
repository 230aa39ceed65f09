"""What people wrote: session comments and the answers to the open questions ("what was most
useful", "what should change"), newest first, for the summary (the newest few) and the
comments pages (every answer, a page at a time).

Names of people who answered anonymously never leave this module: they are replaced by
"Anonymous" here, so no page can show them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import InstrumentedAttribute

from ..agenda.models import AgendaItem
from ..core.models import Forum, Person, Team
from ..core.pagination import Page, page_to_show
from ..extensions import DbSession
from ..registration.models import Registration
from .answer_scope import (
    NEWEST_FIRST,
    SummaryFilter,
    rateable_items,
    response_conditions,
    with_author,
)
from .models import FeedbackResponse, SessionRating

ANONYMOUS = "Anonymous"
# The summary page shows this many of the newest comments per question; the rest are one click
# away (``comments_page``), so the page stays short and fast however many people answer.
COMMENTS_SHOWN = 20
COMMENTS_PER_PAGE = 50
MOST_USEFUL = "most-useful"
SHOULD_CHANGE = "should-change"
# The open questions: their key in links, their column, and their title.
OPEN_QUESTIONS = {
    MOST_USEFUL: (FeedbackResponse.most_useful, "What was most useful"),
    SHOULD_CHANGE: (FeedbackResponse.should_change, "What should change"),
}


@dataclass
class Comment:
    """Something a person wrote; ``author`` is "Anonymous" for anonymous answers."""

    author: str
    team: str | None
    text: str
    rating: int | None = None


def session_question(item_id: int) -> str:
    """The question key of a session's comments (for ``comments_page``)."""
    return f"session-{item_id}"


def _comment(text: str, rating: int | None, anonymous: bool, name: str | None, team) -> Comment:
    return Comment(ANONYMOUS if anonymous else (name or ""), team, text, rating)


def newest_session_comments(
    session: DbSession, conditions: list[ColumnElement[bool]], limit: int | None
) -> Iterator[tuple[int, int, Comment]]:
    """(item id, the session's number of comments, comment) for the comments of the responses
    ``conditions`` select, session by session, newest first; with ``limit``, only that many
    a session."""
    ranked = _ranked_session_comments(conditions).subquery()
    # The names are joined after ranking, so only the rows kept are joined.
    query = (
        select(ranked, Person.name.label("name"), Team.name.label("team"))
        .join(Registration, Registration.id == ranked.c.registration_id)
        .join(Person, Person.id == Registration.person_id)
        .outerjoin(Team, Team.id == ranked.c.team_id)
        .order_by(ranked.c.item_id, ranked.c.rank)
    )
    if limit is not None:
        query = query.where(ranked.c.rank <= limit)
    for row in session.execute(query):
        yield (
            row.item_id,
            row.total,
            _comment(row.comment, row.rating, row.anonymous, row.name, row.team),
        )


def _ranked_session_comments(conditions: list[ColumnElement[bool]]) -> Select:
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
            .over(partition_by=SessionRating.item_id, order_by=NEWEST_FIRST)
            .label("rank"),
            func.count().over(partition_by=SessionRating.item_id).label("total"),
        )
        .join(FeedbackResponse, FeedbackResponse.id == SessionRating.response_id)
        .where(*conditions, SessionRating.comment != "")
    )


def open_answer_counts(
    session: DbSession, conditions: list[ColumnElement[bool]]
) -> tuple[int, int]:
    """How many of the responses ``conditions`` select answered "most useful" and "should
    change"."""
    useful, change = FeedbackResponse.most_useful, FeedbackResponse.should_change
    return tuple(
        session.execute(
            select(func.count().filter(useful != ""), func.count().filter(change != "")).where(
                *conditions
            )
        ).one()
    )


def open_answers(
    session: DbSession,
    conditions: list[ColumnElement[bool]],
    question: InstrumentedAttribute[str],
    limit: int | None,
) -> list[Comment]:
    """The answers to an open question (a column of the response), newest first; with
    ``limit``, only that many."""
    query = with_author(
        select(
            question,
            FeedbackResponse.overall_rating,
            FeedbackResponse.anonymous,
            Person.name,
            Team.name,
        )
    )
    query = query.where(*conditions, question != "").order_by(*NEWEST_FIRST).limit(limit)
    return [_comment(*row) for row in session.execute(query)]


@dataclass
class CommentPage(Page[Comment]):
    """One page of the answers to one question, newest first."""

    title: str = ""
    item: AgendaItem | None = None


def comments_page(
    session: DbSession,
    forum: Forum,
    filters: SummaryFilter,
    question: str,
    page: int = 1,
    per_page: int | None = None,
) -> CommentPage | None:
    """Every answer to ``question`` (``most-useful``, ``should-change`` or a session's
    ``session-<id>``), a page at a time, newest first; None for a question the forum does not
    have. A ``page`` past the last one shows the last one; ``COMMENTS_PER_PAGE`` a page unless
    ``per_page`` says otherwise."""
    per_page = per_page or COMMENTS_PER_PAGE
    conditions = response_conditions(forum, filters)
    item = None
    # (text, rating, anonymous, name, team): a session's rating may be missing, unlike the overall.
    rows: Select[tuple[str, int | None, bool, str, str]]
    if question in OPEN_QUESTIONS:
        column, title = OPEN_QUESTIONS[question]
        rating: InstrumentedAttribute[int | None] = FeedbackResponse.overall_rating
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
    total = session.execute(select(func.count()).select_from(answers.subquery())).scalar_one()
    shown = page_to_show(page, total, per_page)
    comments = [
        _comment(*row)
        for row in session.execute(
            with_author(rows).order_by(*NEWEST_FIRST).offset((shown - 1) * per_page).limit(per_page)
        )
    ]
    return CommentPage(comments, shown, per_page, total, max(1, page), title=title, item=item)
