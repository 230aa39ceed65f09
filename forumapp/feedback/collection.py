"""Collecting feedback: the window, invitations and reminders, responses, and topic suggestions.

Only people who were checked in at a forum may answer, once per forum (a second answer edits the
first until feedback closes), and only about the sessions they could have attended: the general
sessions, discussions and panels of the days they were checked in on, plus their confirmed
breakouts on those days and any breakout they were scanned into. Functions flush; the caller
commits once.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from ..agenda.models import AgendaItem, ItemKind, ItemStatus
from ..checkin.models import BreakoutAttendance, CheckIn
from ..core.actions import DomainError
from ..core.clock import local_instant, utcnow
from ..core.links import absolute_url, personal_token
from ..core.models import Forum, ForumDay, ForumStatus, Person, Team, TeamMembership
from ..mail.outbox import queue_email_to_person, was_sent
from ..registration.models import BreakoutPick, Registration, SeatStatus
from .models import FeedbackResponse, FeedbackWindow, SessionRating, TopicSuggestion

# Kinds of session everyone checked in on the day attended; breakouts are chosen one by one.
SHARED_KINDS = (ItemKind.GENERAL_SESSION.value, ItemKind.DISCUSSION.value, ItemKind.PANEL.value)
RATEABLE_KINDS = (*SHARED_KINDS, ItemKind.BREAKOUT.value)

RATINGS = (1, 2, 3, 4, 5)
MAX_COMMENT = 2000
MAX_ANSWER = 4000
MAX_TOPIC = 300
MAX_TOPICS = 10

INVITATION_KIND = "feedback_invitation"
REMINDER_KIND = "feedback_reminder"


# --- Errors --------------------------------------------------------------------------------


class FeedbackError(DomainError):
    """A feedback action that cannot be carried out (``DomainError``: the message, the input
    at fault and the status an API answers)."""

    status = 422


class InvalidFeedback(FeedbackError):
    """Bad input; ``errors`` maps each form field to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(" ".join(errors.values()), next(iter(errors), None), errors=errors)


class NotAnAttendee(FeedbackError):
    """Only people checked in at the forum may answer."""

    status = 403


class FeedbackClosed(FeedbackError):
    """Feedback is not open (yet, or any more)."""

    status = 409


class NotATeamMember(FeedbackError):
    """Only community team members suggest topics between forums."""

    status = 403


# --- The feedback window -------------------------------------------------------------------


class WindowState(enum.StrEnum):
    NOT_OPEN = "not_open"
    OPEN = "open"
    CLOSED = "closed"


def feedback_window(session, forum: Forum) -> FeedbackWindow | None:
    return session.scalar(select(FeedbackWindow).where(FeedbackWindow.forum_id == forum.id))


def window_state(window: FeedbackWindow | None, now: datetime | None = None) -> WindowState:
    """Whether people may answer now."""
    now = now or utcnow()
    if window is None or window.opened_at is None or now < window.opened_at:
        return WindowState.NOT_OPEN
    if window.closes_at is not None and now >= window.closes_at:
        return WindowState.CLOSED
    return WindowState.OPEN


def window_for_update(session, forum: Forum) -> FeedbackWindow:
    window = feedback_window(session, forum)
    if window is None:
        window = FeedbackWindow(forum_id=forum.id, summary="")
        session.add(window)
    return window


def open_feedback(
    session, forum: Forum, closes_local: datetime | None, now: datetime | None = None
) -> FeedbackWindow:
    """Open the forum's feedback until ``closes_local`` (a wall-clock time in the program's
    zone), or move the closing time of feedback that is open. Reopening closed feedback is
    allowed: answers given before are kept."""
    now = now or utcnow()
    if forum.status == ForumStatus.DRAFT:
        raise FeedbackError("Publish the forum before collecting feedback on it.")
    if closes_local is None:
        raise InvalidFeedback({"closes_at": "Choose when feedback closes."})
    closes_at = local_instant(closes_local.date(), closes_local.time(), forum.program.time_zone)
    if closes_at <= now:
        raise InvalidFeedback({"closes_at": "Choose a closing time in the future."})
    window = window_for_update(session, forum)
    if window_state(window, now) != WindowState.OPEN:
        window.opened_at = now
    window.closes_at = closes_at
    session.flush()
    return window


def close_feedback(session, forum: Forum, now: datetime | None = None) -> FeedbackWindow:
    """Close feedback now; answers can no longer be given or changed."""
    now = now or utcnow()
    window = feedback_window(session, forum)
    if window_state(window, now) != WindowState.OPEN:
        raise FeedbackClosed("Feedback for this forum is not open.")
    window.closes_at = now
    session.flush()
    return window


# --- Who attended what ---------------------------------------------------------------------


def live_check_ins(forum_id: int, day_id: int | None = None):
    """SQL: ids of registrations with a live check-in on a day of the forum (or on one day)."""
    query = (
        select(CheckIn.registration_id)
        .join(ForumDay, ForumDay.id == CheckIn.day_id)
        .where(ForumDay.forum_id == forum_id, CheckIn.undone_at.is_(None))
    )
    if day_id is not None:
        query = query.where(CheckIn.day_id == day_id)
    return query


def checked_in_day_ids(session, registration: Registration) -> list[int]:
    return list(
        session.scalars(
            select(CheckIn.day_id).where(
                CheckIn.registration_id == registration.id, CheckIn.undone_at.is_(None)
            )
        )
    )


def is_attendee(session, registration: Registration | None) -> bool:
    """True when the registration was checked in on at least one day of its forum."""
    if registration is None:
        return False
    check_ins = live_check_ins(registration.forum_id).where(
        CheckIn.registration_id == registration.id
    )
    return bool(session.scalar(select(exists(check_ins))))


def sessions_attended(session, registration: Registration) -> list[AgendaItem]:
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


def team_id_for(session, person_id: int, program_id: int) -> int | None:
    """The team a person's answers count for: their team in the program (the first, should
    they be on several rosters), or None for a public attendee."""
    return session.scalar(_team_query(person_id, program_id))


def team_of_person(person_id, program_id):
    """SQL (scalar subquery): the team a person counts for; ``person_id`` may be a column."""
    return _team_query(person_id, program_id).scalar_subquery()


def _team_query(person_id, program_id):
    return (
        select(func.min(TeamMembership.team_id))
        .join(Team, Team.id == TeamMembership.team_id)
        .where(TeamMembership.person_id == person_id, Team.program_id == program_id)
    )


# --- Responses -----------------------------------------------------------------------------


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


def find_response(session, registration: Registration) -> FeedbackResponse | None:
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
    return f"Keep {what} to {limit:,} characters or fewer (it has {len(text):,})."


def topic_key(text: str) -> str:
    """Topics that differ only in case or spacing are the same topic."""
    return " ".join(text.split()).casefold()


def _validate(data: FeedbackInput, attended: dict[int, AgendaItem]):
    """Check the answers; returns (overall, {item_id: (rating, comment)}, topics) or raises
    ``InvalidFeedback`` with a message per field."""
    errors: dict[str, str] = {}
    overall = None
    try:
        overall = _rating(data.overall_rating)
    except (TypeError, ValueError):
        errors["overall_rating"] = "Choose an overall rating from 1 (poor) to 5 (excellent)."
    else:
        if overall is None:
            errors["overall_rating"] = "Choose an overall rating from 1 (poor) to 5 (excellent)."
    answers: dict[int, tuple[int | None, str]] = {}
    strangers = []
    for item_id, answer in data.sessions.items():
        comment = (answer.comment or "").strip()
        try:
            rating = _rating(answer.rating)
        except (TypeError, ValueError):
            errors[f"rating-{item_id}"] = "Choose a rating from 1 to 5, or “No answer”."
            continue
        if rating is None and not comment:
            continue
        if item_id not in attended:
            strangers.append(item_id)
            continue
        if len(comment) > MAX_COMMENT:
            errors[f"comment-{item_id}"] = _too_long(comment, MAX_COMMENT, "your comment")
            continue
        answers[item_id] = (rating, comment)
    if strangers:
        errors["sessions"] = (
            "You can rate only the sessions you attended: the general sessions of the days you "
            "were checked in and your breakouts."
        )
    for name in ("most_useful", "should_change"):
        text = (getattr(data, name) or "").strip()
        if len(text) > MAX_ANSWER:
            errors[name] = _too_long(text, MAX_ANSWER, "this answer")
    topics: list[str] = []
    seen = set()
    for index, raw in enumerate(data.topics):
        text = " ".join((raw or "").split())
        if not text:
            continue
        if len(text) > MAX_TOPIC:
            errors[f"topic-{index}"] = (
                f"Keep each topic to {MAX_TOPIC} characters (this one has {len(text)}). "
                "Split it into two topics if needed."
            )
            continue
        if topic_key(text) not in seen:
            seen.add(topic_key(text))
            topics.append(text)
    if len(topics) > MAX_TOPICS:
        errors["topics"] = f"Give at most {MAX_TOPICS} topics; keep the most important ones."
    if errors:
        raise InvalidFeedback(errors)
    return overall, answers, topics


def check_can_answer(
    session, registration: Registration | None, now: datetime | None = None
) -> FeedbackWindow:
    """The open window, when this registration may answer now; raises ``NotAnAttendee`` or
    ``FeedbackClosed`` otherwise."""
    if not is_attendee(session, registration):
        raise NotAnAttendee(
            "Feedback is for people who attended the forum, and our records do not show you "
            "checked in."
        )
    window = feedback_window(session, registration.forum)
    state = window_state(window, now)
    if state == WindowState.NOT_OPEN:
        raise FeedbackClosed("Feedback for this forum is not open yet.")
    if state == WindowState.CLOSED:
        raise FeedbackClosed("Feedback for this forum has closed.")
    return window


def save_response(
    session, registration: Registration, data: FeedbackInput, now: datetime | None = None
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
    if created:
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
            response = find_response(session, registration)
            created = False
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


def _save_topics(session, response, registration, topics: list[str], team_id) -> None:
    person_id = None if response.anonymous else registration.person_id
    existing = session.scalars(
        select(TopicSuggestion)
        .where(TopicSuggestion.response_id == response.id)
        .order_by(TopicSuggestion.id)
    ).all()
    by_key = {}
    for suggestion in existing:
        by_key.setdefault(topic_key(suggestion.text), suggestion)
    kept = set()
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
        else:
            suggestion.text = text
            kept.add(suggestion.id)
        suggestion.team_id = team_id
        suggestion.person_id = person_id
    for suggestion in existing:
        if suggestion.id not in kept:
            session.delete(suggestion)
    session.flush()


def response_topics(session, response: FeedbackResponse) -> list[str]:
    return list(
        session.scalars(
            select(TopicSuggestion.text)
            .where(TopicSuggestion.response_id == response.id)
            .order_by(TopicSuggestion.id)
        )
    )


# --- Topics between forums -----------------------------------------------------------------


def forum_for_new_topics(session, person: Person, today) -> Forum | None:
    """The forum a team member's topic raised today belongs to: the latest forum of their
    program that has begun (its topics shape the next one). None for people on no team, or
    before the first forum."""
    program_ids = (
        select(Team.program_id).join(TeamMembership).where(TeamMembership.person_id == person.id)
    )
    first_day = (
        select(func.min(ForumDay.date)).where(ForumDay.forum_id == Forum.id).scalar_subquery()
    )
    return session.scalar(
        select(Forum)
        .where(
            Forum.program_id.in_(program_ids),
            Forum.status != ForumStatus.DRAFT,
            first_day <= today,
        )
        .order_by(first_day.desc(), Forum.number.desc())
        .limit(1)
    )


def submit_topic_between_forums(
    session, person: Person, forum: Forum, text: str
) -> TopicSuggestion:
    """Record a topic a team member (or project manager) raises between forums, counted for
    their team. Raises ``NotATeamMember`` or ``InvalidFeedback`` ({"text": message})."""
    team_id = team_id_for(session, person.id, forum.program_id)
    if team_id is None:
        raise NotATeamMember("Only members of a community team can suggest topics here.")
    text = " ".join((text or "").split())
    if not text:
        raise InvalidFeedback({"text": "Write the topic or issue in a few words."})
    if len(text) > MAX_TOPIC:
        raise InvalidFeedback(
            {"text": f"Keep the topic to {MAX_TOPIC} characters (it has {len(text)})."}
        )
    suggestion = TopicSuggestion(
        forum_id=forum.id,
        text=text,
        team_id=team_id,
        person_id=person.id,
        source="personal_page",
    )
    session.add(suggestion)
    session.flush()
    return suggestion


def topics_suggested_by(session, person: Person, forum: Forum) -> list[TopicSuggestion]:
    """Topics the person raised from their personal page after ``forum``."""
    return list(
        session.scalars(
            select(TopicSuggestion)
            .where(
                TopicSuggestion.forum_id == forum.id,
                TopicSuggestion.person_id == person.id,
                TopicSuggestion.source == "personal_page",
            )
            .order_by(TopicSuggestion.created_at, TopicSuggestion.id)
        )
    )


# --- Invitations and reminders -------------------------------------------------------------


def feedback_link(person: Person, forum: Forum) -> str:
    """The person's own link to the forum's feedback form (no sign-in needed)."""
    return absolute_url("feedback.respond", token=personal_token(person), forum_id=forum.id)


def invitation_subject(forum: Forum) -> str:
    return f"Your feedback on {forum.title}"


@dataclass
class MailingResult:
    queued: list[Person] = field(default_factory=list)
    skipped: list[Person] = field(default_factory=list)


def _attendees(session, forum: Forum, without_response: bool = False) -> list[Person]:
    query = (
        select(Person)
        .join(Registration, Registration.person_id == Person.id)
        .where(Registration.forum_id == forum.id, Registration.id.in_(live_check_ins(forum.id)))
        .order_by(Person.name, Person.id)
    )
    if without_response:
        query = query.where(~exists().where(FeedbackResponse.registration_id == Registration.id))
    return list(session.scalars(query))


def attendee_count(session, forum: Forum) -> int:
    """How many people were checked in on at least one day of the forum."""
    attendees = live_check_ins(forum.id).distinct().subquery()
    return session.scalar(select(func.count()).select_from(attendees))


def invited_person_ids(session, forum: Forum) -> set[int]:
    """People already sent (or with a queued) invitation to this forum's feedback."""
    return was_sent(session, INVITATION_KIND, forum.ref)


def _require_open(session, forum: Forum, now) -> FeedbackWindow:
    window = feedback_window(session, forum)
    if window_state(window, now) != WindowState.OPEN:
        raise FeedbackClosed("Open feedback before emailing attendees.")
    return window


def send_invitations(
    session, forum: Forum, send_again: bool = False, now: datetime | None = None
) -> MailingResult:
    """Queue an email with a personal feedback link for every checked-in attendee. People
    invited before are skipped unless ``send_again``. Raises ``FeedbackClosed`` unless
    feedback is open."""
    window = _require_open(session, forum, now or utcnow())
    already = set() if send_again else invited_person_ids(session, forum)
    result = MailingResult()
    for person in _attendees(session, forum):
        if person.id in already:
            result.skipped.append(person)
            continue
        _queue(
            session,
            "feedback_invitation",
            INVITATION_KIND,
            invitation_subject(forum),
            person,
            forum,
            window,
        )
        result.queued.append(person)
    return result


def send_reminders(session, forum: Forum, now: datetime | None = None) -> MailingResult:
    """Queue a reminder for every checked-in attendee who has not answered yet."""
    window = _require_open(session, forum, now or utcnow())
    result = MailingResult()
    for person in _attendees(session, forum, without_response=True):
        _queue(
            session,
            "feedback_reminder",
            REMINDER_KIND,
            f"Reminder: your feedback on {forum.title}",
            person,
            forum,
            window,
        )
        result.queued.append(person)
    return result


def _queue(session, template, kind, subject, person, forum, window) -> None:
    queue_email_to_person(
        session,
        template,
        person,
        kind=kind,
        subject=subject,
        about=forum.ref,
        forum=forum,
        program=forum.program,
        closes_at=window.closes_at,
        link=feedback_link(person, forum),
    )
