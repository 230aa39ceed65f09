"""The feedback panel of an attendee's personal page: the feedback forms open to them and the
form to raise a topic for the next forum. Plain values, so any page can show it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..checkin.models import CheckIn
from ..core.clock import utcnow
from ..core.models import Forum, Person
from ..extensions import DbSession
from ..registration.models import Registration
from .between_forums import topic_forum_for, topics_suggested_by
from .models import FeedbackResponse, FeedbackWindow, TopicSuggestion
from .window import WindowState, window_state


@dataclass(frozen=True)
class OpenFeedbackForm:
    """A forum whose feedback the person may give (or change) now; ``closes_at`` is shown in
    ``time_zone``, the forum's program's."""

    forum: Forum
    closes_at: datetime | None
    answered: bool
    time_zone: str


@dataclass(frozen=True)
class FeedbackPanel:
    """What the personal page offers: ``open_forms``, and ``topic_forum`` (None: no topic
    form) with the topics the person raised since it (``my_topics``)."""

    open_forms: list[OpenFeedbackForm] = field(default_factory=list)
    topic_forum: Forum | None = None
    my_topics: list[TopicSuggestion] = field(default_factory=list)


def feedback_panel(
    session: DbSession, person: Person, today: date, now: datetime | None = None
) -> FeedbackPanel:
    """The feedback panel of ``person`` on ``today`` (the program's local date): the forms of
    the forums they were checked in at whose feedback is open ``now``, in forum order, and the
    topic form when they are on a team."""
    now = now or utcnow()
    live = select(CheckIn.registration_id).where(CheckIn.undone_at.is_(None))
    rows = session.execute(
        select(Forum, FeedbackWindow, FeedbackResponse.id)
        .join(Registration, Registration.forum_id == Forum.id)
        .join(FeedbackWindow, FeedbackWindow.forum_id == Forum.id)
        .outerjoin(FeedbackResponse, FeedbackResponse.registration_id == Registration.id)
        .where(Registration.person_id == person.id, Registration.id.in_(live))
        .order_by(Forum.number)
        .options(joinedload(Forum.program))
    ).all()
    open_forms = [
        OpenFeedbackForm(forum, window.closes_at, response_id is not None, forum.program.time_zone)
        for forum, window, response_id in rows
        if window_state(window, now) == WindowState.OPEN
    ]
    topic_forum = topic_forum_for(session, person, today)
    mine = topics_suggested_by(session, person, topic_forum) if topic_forum else []
    return FeedbackPanel(open_forms, topic_forum, mine)
