"""Calendar tests: a published forum with a public and a team day, text that tests escaping,
helpers that parse what the app emits with the icalendar library, and a real SMTP server."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from forumapp.calendar.models import CalendarInvite
from forumapp.calendar.pending import write_pending_invites
from forumapp.core.models import Forum
from forumapp.extensions import db
from forumapp.mail.models import OutboxMessage

from .. import builders as build
from ..mail.conftest import mail_settings, smtp_server  # noqa: F401  (fixtures)
from ..registration.conftest import NOW, make_forum  # noqa: F401

# Commas, semicolons, a newline and non-ASCII: all must survive iCalendar escaping.
TRICKY = "Café, Room 2; Floor 3\nEast wing"
ZONE = "America/New_York"


@dataclass
class Setup:
    forum_id: int
    public_day_id: int
    team_day_id: int
    breakout_ids: list[int]
    room_ids: list[int]
    opening_id: int  # a general session on the public day
    confidential_id: int  # a confidential session on the public day
    lunch_id: int  # a meal on the team day


def make_calendar_forum(public_capacity: int | None = 3, breakout_capacity: int = 2) -> Setup:
    base = make_forum(public_capacity=public_capacity, breakout_capacity=breakout_capacity)
    forum = db.session.get(Forum, base.forum_id)
    forum.venue_name = TRICKY
    public_day, team_day = forum.days
    opening = build.item(
        public_day,
        "Opening, welcome; and goals",
        time(9),
        time(10),
        kind="general_session",
        description=TRICKY,
    )
    confidential = build.item(
        public_day,
        "Team debrief (secret)",
        time(14),
        time(15),
        kind="discussion",
        confidential=True,
    )
    lunch = build.item(team_day, "Lunch", time(12), time(13), kind="break")
    db.session.flush()
    return Setup(
        base.forum_id,
        base.public_day_id,
        base.team_day_id,
        base.breakout_ids,
        base.room_ids,
        opening.id,
        confidential.id,
        lunch.id,
    )


@pytest.fixture
def setup(app):
    with app.app_context():
        built = make_calendar_forum()
        db.session.commit()
        return built


def write_pending() -> None:
    """What the mail worker does first: turn the events requests left pending into mail."""
    while write_pending_invites(db.session):
        pass
    db.session.flush()


def calendar_mail(to_email: str | None = None) -> list[OutboxMessage]:
    """Calendar emails in the outbox once the worker has written them, oldest first (optionally
    to one address)."""
    write_pending()
    query = sa.select(OutboxMessage).where(OutboxMessage.kind.like("calendar%"))
    if to_email is not None:
        query = query.where(OutboxMessage.to_email == to_email)
    return list(db.session.scalars(query.order_by(OutboxMessage.id)))


def parse(text: str | bytes) -> Calendar:
    return Calendar.from_ical(text)


def invitation_of(message: OutboxMessage) -> Calendar:
    """The iTIP object of a queued email, checked to be the same in its MIME part and file."""
    (part,) = message.alternatives
    (attachment,) = message.attachments
    assert attachment["filename"].endswith(".ics")
    assert attachment["content"] == part["content"]
    calendar = parse(part["content"])
    method = str(calendar["METHOD"])
    assert part["content_type"] == f"text/calendar; method={method}; charset=UTF-8"
    return calendar


def only_event(calendar: Calendar):
    (event,) = calendar.walk("VEVENT")
    return event


def invite_of(person_id: int, event_key: str) -> CalendarInvite | None:
    write_pending()
    return db.session.scalar(
        sa.select(CalendarInvite).filter_by(person_id=person_id, event_key=event_key)
    )
