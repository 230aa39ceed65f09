"""Small builders for test data: a forum with days, rooms, sessions and speakers."""

from __future__ import annotations

from datetime import date, time

from forumapp.agenda.models import AgendaItem, AgendaItemSpeaker, Speaker
from forumapp.core.clock import local_instant
from forumapp.core.models import Forum, ForumDay, Person, Program, Room
from forumapp.extensions import db

ZONE = "America/New_York"


def forum(
    status: str = "published",
    days: tuple[tuple[date, str], ...] = ((date(2027, 2, 18), "team"),),
    number: int = 1,
    program: Program | None = None,
) -> Forum:
    """A forum with the given days (date, audience), days 8:30-16:30 local."""
    program = program or db.session.query(Program).first() or Program(name="Test program")
    built = Forum(
        program=program,
        number=number,
        title=f"Forum {number}: Testing",
        theme="Working together",
        venue_name="Civic Center",
        venue_address="1 Main Street",
        venue_city="Durham",
        status=status,
        days=[
            ForumDay(date=d, audience=a, starts_at=time(8, 30), ends_at=time(16, 30))
            for d, a in days
        ],
    )
    db.session.add(built)
    db.session.flush()
    return built


def room(forum_: Forum, name: str = "Room A", capacity: int = 30) -> Room:
    built = Room(forum=forum_, name=name, capacity=capacity)
    db.session.add(built)
    db.session.flush()
    return built


def item(
    day: ForumDay,
    title: str,
    start: time,
    end: time,
    room_: Room | None = None,
    kind: str = "breakout",
    **fields,
) -> AgendaItem:
    built = AgendaItem(
        day=day,
        title=title,
        kind=kind,
        room=room_,
        starts_at=local_instant(day.date, start, ZONE),
        ends_at=local_instant(day.date, end, ZONE),
        **fields,
    )
    db.session.add(built)
    db.session.flush()
    return built


def speaker(name: str, is_public: bool = True, kind: str = "faculty", **fields) -> Speaker:
    email = name.lower().replace(" ", ".").replace("'", "") + "@speakers.example.org"
    built = Speaker(
        person=Person(name=name, email=email, phone="919-555-0100"),
        kind=kind,
        is_public=is_public,
        **fields,
    )
    db.session.add(built)
    db.session.flush()
    return built


def link(item_: AgendaItem, speaker_: Speaker, role: str = "speaker") -> AgendaItemSpeaker:
    built = AgendaItemSpeaker(item=item_, speaker=speaker_, role=role)
    db.session.add(built)
    db.session.flush()
    return built


def emailed_personal_link(email: str) -> str:
    """The path of the personal link in the newest email to ``email``: the only place a
    person ever receives it."""
    import re

    from sqlalchemy import select

    from forumapp.mail.models import OutboxMessage

    bodies = db.session.scalars(
        select(OutboxMessage.text_body)
        .where(OutboxMessage.to_email == email.lower())
        .order_by(OutboxMessage.id.desc())
    )
    for body in bodies:
        match = re.search(r"/me/[A-Za-z0-9._-]+", body)
        if match:
            return match.group(0)
    raise AssertionError(f"no email to {email} holds a personal link")


def register_as_owner(session, forum, data, now=None):
    """Register ``data`` publicly as the owner of its email would: a known email's request
    is confirmed from the inbox, as its owner does by following the emailed link."""
    from forumapp.registration.public import PendingRequest, confirm_public_request, register_public

    result = register_public(session, forum, data, now)
    if not result.pending:
        return result
    person = session.scalar(db.select(Person).where(Person.email == data.email.strip().lower()))
    days = [day for day in forum.days if day.id in data.day_ids]
    request = PendingRequest(forum, person, days, data)
    return confirm_public_request(session, request, now)
