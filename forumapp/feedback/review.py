"""Faculty review of a forum's feedback: the assigned reviewer, their summary of what the
program heard and will do next, and sending that summary to the community teams."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from ..core.clock import utcnow
from ..core.i18n import local_text
from ..core.models import Forum, Person, Role, Team, TeamMembership, User
from ..extensions import DbSession
from ..mail.outbox import queue_email_to_person
from ..registration.notices import personal_link
from .errors import FeedbackError, InvalidFeedback
from .models import FeedbackWindow
from .window import feedback_window, window_for_update

MAX_SUMMARY = 5000
SUMMARY_KIND = "feedback_summary"


def reviewer_choices(session: DbSession) -> list[User]:
    """Staff who can be assigned to review feedback: active faculty accounts."""
    return list(
        session.scalars(
            select(User)
            .where(User.role == Role.FACULTY, User.active.is_(True))
            .order_by(User.name, User.email)
        )
    )


def assign_reviewer(session: DbSession, forum: Forum, user: User | None) -> FeedbackWindow:
    """Make ``user`` (a faculty member) the forum's feedback reviewer; None removes them."""
    if user is not None and (user.role != Role.FACULTY or not user.active):
        raise InvalidFeedback({"reviewer_id": "Choose an active faculty member."})
    window = window_for_update(session, forum)
    window.reviewer_id = user.id if user is not None else None
    session.flush()
    return window


class NotTheReviewer(FeedbackError):
    """A faculty member who is not the forum's assigned reviewer tried to write its summary."""

    status = 403


def may_write_summary(window: FeedbackWindow | None, user: User) -> bool:
    """Organizers and admins may always write a forum's summary (and reassign it); faculty
    only as the assigned reviewer, or any faculty member while nobody is assigned."""
    if user.has_role(Role.ORGANIZER):
        return True
    if not user.has_role(Role.FACULTY):
        return False
    return window is None or window.reviewer_id is None or window.reviewer_id == user.id


def save_summary(session: DbSession, forum: Forum, text: str, author: User) -> FeedbackWindow:
    """Save the faculty summary of the forum's feedback, written by ``author``.

    Raises ``InvalidFeedback``, or ``NotTheReviewer`` when ``may_write_summary`` says no.
    """
    if not may_write_summary(feedback_window(session, forum), author):
        raise NotTheReviewer(
            "Only the forum's assigned reviewer (or an organizer) can write its summary."
        )
    text = (text or "").strip()
    if len(text) > MAX_SUMMARY:
        raise InvalidFeedback(
            {"summary": f"Keep the summary to {MAX_SUMMARY:,} characters (it has {len(text):,})."}
        )
    window = window_for_update(session, forum)
    window.summary = text
    session.flush()
    return window


def team_members(session: DbSession, forum: Forum) -> list[Person]:
    """Everyone on a roster of the forum's program's teams, each once."""
    return list(
        session.scalars(
            select(Person)
            .where(
                Person.id.in_(
                    select(TeamMembership.person_id)
                    .join(Team, Team.id == TeamMembership.team_id)
                    .where(Team.program_id == forum.program_id)
                )
            )
            .order_by(Person.name, Person.id)
        )
    )


def send_summary_to_teams(
    session: DbSession, forum: Forum, now: datetime | None = None
) -> list[Person]:
    """Queue the faculty summary to every team member (through the outbox); returns them.

    Part of the program's continuous communication: each email also carries the person's
    link, where they can raise topics for the next forum. Raises ``FeedbackError`` when there
    is no summary yet.
    """
    window = feedback_window(session, forum)
    if window is None or not window.summary.strip():
        raise FeedbackError("Write the summary before sending it to the teams.")
    people = team_members(session, forum)
    for person in people:
        queue_email_to_person(
            session,
            "feedback/email/feedback_summary",
            person,
            kind=SUMMARY_KIND,
            subject=lambda: _(
                "What we heard at %(forum)s, and what comes next",
                forum=local_text(forum, "title"),
            ),
            forum=forum,
            program=forum.program,
            summary=window.summary,
            link=personal_link(person),
        )
    window.summary_sent_at = now or utcnow()
    session.flush()
    return people


def sent_summary(session: DbSession, forum: Forum) -> FeedbackWindow | None:
    """The forum's feedback window once its faculty summary went to the teams (``summary``
    and ``summary_sent_at`` are then what was sent), or None before (or for an empty one):
    what the resources page and the packet may show."""
    window = feedback_window(session, forum)
    if window is None or window.summary_sent_at is None or not window.summary.strip():
        return None
    return window
