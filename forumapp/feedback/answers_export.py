"""Every answer of a forum's feedback as a CSV file, for faculty to read in a spreadsheet.

Names are blank for people who answered anonymously. A download of the answers is recorded in
the audit log (``download_answers_csv``).
"""

from __future__ import annotations

from sqlalchemy import select

from ..agenda.models import AgendaItem
from ..core import audit
from ..core.clock import to_local
from ..core.models import Forum, ForumDay, Person, Team
from ..core.spreadsheet import csv_text
from ..extensions import DbSession
from .answer_scope import SummaryFilter, response_conditions, with_author
from .models import FeedbackResponse, SessionRating, TopicSuggestion

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


def answers_csv(session: DbSession, forum: Forum, filters: SummaryFilter | None = None) -> str:
    """One row per answer (overall rating, each session, each open question, each topic).
    Names are blank for anonymous responses; cells a spreadsheet would run are defused."""
    filters = filters or SummaryFilter()
    zone = forum.program.time_zone
    conditions = response_conditions(forum, filters)
    responses = session.execute(
        with_author(select(FeedbackResponse, Person.name, Team.name))
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

    lines: list[list[object]] = []
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


def download_answers_csv(
    session: DbSession, forum: Forum, filters: SummaryFilter | None, user_id: int | None
) -> str:
    """``answers_csv``, recorded in the audit log as staff user ``user_id``'s download.

    Commits the audit entry in a transaction of its own (``audit.record_download``)."""
    text = answers_csv(session, forum, filters)
    audit.record_download(session, user_id, "export.feedback_csv", f"forum:{forum.id}")
    return text
