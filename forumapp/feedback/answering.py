"""Answering the feedback form: a person's answers checked and saved, once per forum.

Only people checked in at a forum may answer, while its feedback is open, and only about the
sessions they could have attended (``attendance``); answering again edits the first answer
until feedback closes. Functions flush; the caller commits once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..agenda.models import AgendaItem
from ..core.clock import utcnow
from ..core.models import Forum
from ..extensions import DbSession
from ..registration.models import Registration
from .attendance import is_attendee, sessions_attended, team_id_for
from .errors import FeedbackClosed, InvalidFeedback, NotAnAttendee
from .models import FeedbackResponse, FeedbackWindow, SessionRating, TopicSuggestion
from .topic_groups import place_new, tidy_after_leaving
from .window import WindowState, feedback_window, window_state

RATINGS = (1, 2, 3, 4, 5)
MAX_COMMENT = 2000
MAX_ANSWER = 4000
MAX_TOPIC = 300
MAX_TOPICS = 10


@dataclass
class SessionAnswer:
    """What a person said about one session: a rating (text from a form, or an int) and a
    comment; both may be empty."""

    rating: str | int | None = None
    comment: str = ""


@dataclass
class FeedbackInput:
    """A person's answers as submitted by the form or an API client."""

    overall_rating: str | int | None
    sessions: Mapping[int, SessionAnswer] = field(default_factory=dict)
    most_useful: str = ""
    should_change: str = ""
    topics: list[str] = field(default_factory=list)
    anonymous: bool = False


@dataclass
class SaveResult:
    response: FeedbackResponse
    created: bool


def find_response(session: DbSession, registration: Registration) -> FeedbackResponse | None:
    """The registration's answers to its forum's feedback, if any."""
    return session.scalar(
        select(FeedbackResponse).where(FeedbackResponse.registration_id == registration.id)
    )


def _rating(value: str | int | None) -> int | None:
    """The rating as an int, None when not given; raises ValueError when not 1-5."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = int(value)
    if number not in RATINGS:
        raise ValueError(number)
    return number


def _too_long(text: str, limit: int, what: str) -> str:
    # ``what`` is already translated ("your comment", "this answer").
    return _(
        "Keep %(what)s to %(limit)s characters or fewer (it has %(length)s).",
        what=what,
        limit=f"{limit:,}",
        length=f"{len(text):,}",
    )


def topic_key(text: str) -> str:
    """Topics that differ only in case or spacing are the same topic."""
    return " ".join(text.split()).casefold()


def _validate(
    data: FeedbackInput, attended: dict[int, AgendaItem]
) -> tuple[int, dict[int, tuple[int | None, str]], list[str]]:
    """Check the answers; returns (overall, {item_id: (rating, comment)}, topics) or raises
    ``InvalidFeedback`` with a message per field."""
    # Each step adds its messages in the order of the form, which the error's text follows.
    errors: dict[str, str] = {}
    overall = _checked_overall(data, errors)
    answers = _checked_sessions(data, attended, errors)
    _check_open_answers(data, errors)
    topics = _checked_topics(data, errors)
    # A missing overall rating is always among the errors; the test narrows its type.
    if errors or overall is None:
        raise InvalidFeedback(errors)
    return overall, answers, topics


def _checked_overall(data: FeedbackInput, errors: dict[str, str]) -> int | None:
    try:
        overall = _rating(data.overall_rating)
    except (TypeError, ValueError):
        overall = None
    if overall is None:
        errors["overall_rating"] = _("Choose an overall rating from 1 (poor) to 5 (excellent).")
    return overall


def _checked_sessions(
    data: FeedbackInput, attended: dict[int, AgendaItem], errors: dict[str, str]
) -> dict[int, tuple[int | None, str]]:
    """{item_id: (rating, comment)} for the sessions answered; only attended ones may be."""
    answers: dict[int, tuple[int | None, str]] = {}
    strangers = []
    for item_id, answer in data.sessions.items():
        comment = (answer.comment or "").strip()
        try:
            rating = _rating(answer.rating)
        except (TypeError, ValueError):
            errors[f"rating-{item_id}"] = _("Choose a rating from 1 to 5, or “No answer”.")
            continue
        if rating is None and not comment:
            continue
        if item_id not in attended:
            strangers.append(item_id)
            continue
        if len(comment) > MAX_COMMENT:
            errors[f"comment-{item_id}"] = _too_long(comment, MAX_COMMENT, _("your comment"))
            continue
        answers[item_id] = (rating, comment)
    if strangers:
        errors["sessions"] = _(
            "You can rate only the sessions you attended: the general sessions of the days you "
            "were checked in and your breakouts."
        )
    return answers


def _check_open_answers(data: FeedbackInput, errors: dict[str, str]) -> None:
    for name in ("most_useful", "should_change"):
        text = (getattr(data, name) or "").strip()
        if len(text) > MAX_ANSWER:
            errors[name] = _too_long(text, MAX_ANSWER, _("this answer"))


def _checked_topics(data: FeedbackInput, errors: dict[str, str]) -> list[str]:
    """The topics suggested, spaces tidied, each once (see ``topic_key``)."""
    topics: list[str] = []
    seen = set()
    for index, raw in enumerate(data.topics):
        text = " ".join((raw or "").split())
        if not text:
            continue
        if len(text) > MAX_TOPIC:
            errors[f"topic-{index}"] = _(
                "Keep each topic to %(limit)s characters (this one has %(length)s). "
                "Split it into two topics if needed.",
                limit=MAX_TOPIC,
                length=len(text),
            )
            continue
        if topic_key(text) not in seen:
            seen.add(topic_key(text))
            topics.append(text)
    if len(topics) > MAX_TOPICS:
        errors["topics"] = _(
            "Give at most %(limit)s topics; keep the most important ones.", limit=MAX_TOPICS
        )
    return topics


def check_can_answer(
    session: DbSession, registration: Registration | None, now: datetime | None = None
) -> FeedbackWindow:
    """The open window, when this registration may answer now; raises ``NotAnAttendee`` or
    ``FeedbackClosed`` otherwise."""
    if registration is None or not is_attendee(session, registration):
        raise NotAnAttendee(
            _(
                "Feedback is for people who attended the forum, and our records do not show "
                "you checked in."
            )
        )
    window = feedback_window(session, registration.forum)
    state = window_state(window, now)
    if window is None or state == WindowState.NOT_OPEN:
        raise FeedbackClosed(_("Feedback for this forum is not open yet."))
    if state == WindowState.CLOSED:
        raise FeedbackClosed(_("Feedback for this forum has closed."))
    return window


def save_response(
    session: DbSession,
    registration: Registration,
    data: FeedbackInput,
    now: datetime | None = None,
) -> SaveResult:
    """Save the person's feedback on the registration's forum, or change it.

    One response per registration: answering again replaces the earlier answers. Topics
    unchanged since the last save keep their place in faculty's topic groups. Raises
    ``NotAnAttendee``, ``FeedbackClosed`` or ``InvalidFeedback`` (a message per field).
    """
    now = now or utcnow()
    check_can_answer(session, registration, now)
    attended = {item.id: item for item in sessions_attended(session, registration)}
    overall, answers, topics = _validate(data, attended)
    forum = registration.forum
    team_id = team_id_for(session, registration.person_id, forum.program_id)

    response = find_response(session, registration)
    created = response is None
    if response is None:
        response = FeedbackResponse(
            forum_id=forum.id,
            registration_id=registration.id,
            submitted_at=now,
            overall_rating=overall,
        )
        try:
            with session.begin_nested():
                session.add(response)
        except IntegrityError:
            # The same person answered twice at once (a double tap): edit the first answer.
            first = find_response(session, registration)
            if first is None:
                raise
            response, created = first, False
    response.team_id = team_id
    response.anonymous = bool(data.anonymous)
    response.overall_rating = overall
    response.most_useful = (data.most_useful or "").strip()
    response.should_change = (data.should_change or "").strip()
    response.updated_at = now

    existing = {rating.item_id: rating for rating in response.ratings}
    for item_id, (rating, comment) in answers.items():
        row = existing.pop(item_id, None)
        if row is None:
            row = SessionRating(item_id=item_id)
            response.ratings.append(row)
        row.rating = rating
        row.comment = comment
    for row in existing.values():
        response.ratings.remove(row)
    session.flush()
    _save_topics(session, response, registration, topics, team_id)
    return SaveResult(response, created)


def _save_topics(
    session: DbSession,
    response: FeedbackResponse,
    registration: Registration,
    topics: list[str],
    team_id: int | None,
) -> None:
    person_id = None if response.anonymous else registration.person_id
    existing = session.scalars(
        select(TopicSuggestion)
        .where(TopicSuggestion.response_id == response.id)
        .order_by(TopicSuggestion.id)
    ).all()
    by_key: dict[str, TopicSuggestion] = {}
    for earlier in existing:
        by_key.setdefault(topic_key(earlier.text), earlier)
    kept = set()
    added = []
    for text in topics:
        suggestion = by_key.get(topic_key(text))
        if suggestion is None:
            suggestion = TopicSuggestion(
                forum_id=response.forum_id,
                text=text,
                response_id=response.id,
                source="feedback",
            )
            session.add(suggestion)
            added.append(suggestion)
        else:
            suggestion.text = text
            kept.add(suggestion.id)
        suggestion.team_id = team_id
        suggestion.person_id = person_id
    left = set()
    for suggestion in existing:
        if suggestion.id not in kept:
            left.add(suggestion.group_id)
            session.delete(suggestion)
    tidy_after_leaving(session, left)
    # New topics join the group they are most like now; faculty regroup to tidy up.
    place_new(session, response.forum, added)


def response_topics(session: DbSession, response: FeedbackResponse) -> list[str]:
    """The topics given with a response, in the order they were given."""
    return list(
        session.scalars(
            select(TopicSuggestion.text)
            .where(TopicSuggestion.response_id == response.id)
            .order_by(TopicSuggestion.id)
        )
    )


def response_count(session: DbSession, forum: Forum) -> int:
    """How many people answered the forum's feedback."""
    return session.execute(
        select(func.count())
        .select_from(FeedbackResponse)
        .where(FeedbackResponse.forum_id == forum.id)
    ).scalar_one()
