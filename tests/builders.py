"""The builders of test data: a forum with days, rooms, sessions and speakers; people
registered publicly or as team members, with their tickets; staff users.

Builders go through the real services where there is one (registering, tickets), so they never
make rows the services would refuse. They flush, and never commit: the call site decides.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import date, datetime, time

from forumapp.agenda.models import AgendaItem, AgendaItemSpeaker, Speaker
from forumapp.checkin.tickets import ticket_for
from forumapp.core.clock import local_instant
from forumapp.core.models import (
    Audience,
    Forum,
    ForumDay,
    Person,
    Program,
    Role,
    Room,
    Team,
    TeamMembership,
    User,
)
from forumapp.extensions import db
from forumapp.mail.models import OutboxMessage
from forumapp.mail.outbox import RenderedMessage, rendered_message
from forumapp.registration.models import Registration
from forumapp.registration.public import (
    PendingRequest,
    PublicRegistrationInput,
    confirm_public_request,
    register_public,
)
from forumapp.registration.registering import register_team_member

ZONE = "America/New_York"
PASSWORD = "correct horse battery"  # every staff user's, unless a test says otherwise

# --- The forum and its agenda ----------------------------------------------------------------


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


# --- People ------------------------------------------------------------------------------------


def email_for(name: str, domain: str = "public.example.org") -> str:
    """The address the builders give ``name``: "Ada Lovelace" is ada.lovelace@public.example.org."""
    return name.lower().replace(" ", ".") + "@" + domain


def _forum_of(forum_: Forum | int) -> Forum:
    return forum_ if isinstance(forum_, Forum) else db.session.get(Forum, forum_)


def _day_ids(forum_: Forum, audience: Audience) -> list[int]:
    return [day.id for day in forum_.days if day.audience == audience]


def public_input(
    day_ids: Iterable[int], name: str, email: str | None = None, **fields
) -> PublicRegistrationInput:
    """What ``name`` types on the public form for ``day_ids``, consent given: the email is
    ``email_for(name)`` unless given; ``fields`` are the form's other fields (organization,
    community, accessibility_needs, dietary_needs, consent)."""
    email = email_for(name) if email is None else email
    fields = {"consent": True} | fields
    return PublicRegistrationInput(name=name, email=email, day_ids=list(day_ids), **fields)


def register_as_owner(session, forum, data, now=None):
    """Register ``data`` publicly as the owner of its email would: a known email's request
    is confirmed from the inbox, as its owner does by following the emailed link."""
    result = register_public(session, forum, data, now)
    if not result.pending:
        return result
    person = session.scalar(db.select(Person).where(Person.email == data.email.strip().lower()))
    days = [day for day in forum.days if day.id in data.day_ids]
    request = PendingRequest(forum, person, days, data)
    return confirm_public_request(session, request, now)


def public_registration(
    forum_: Forum | int,
    name: str,
    email: str | None = None,
    *,
    day_ids: Iterable[int] | None = None,
    now: datetime | None = None,
    **fields,
) -> Registration:
    """``name`` registered through ``register_public`` for ``day_ids`` (the forum's public days
    unless given) at ``now`` (the real clock unless given), as the owner of the email does: a
    known email's request is confirmed from the inbox. ``fields`` as for ``public_input``."""
    forum_ = _forum_of(forum_)
    days = _day_ids(forum_, Audience.PUBLIC) if day_ids is None else day_ids
    result = register_as_owner(db.session, forum_, public_input(days, name, email, **fields), now)
    db.session.flush()
    return result.registration


def join_team(person: Person, team: str = "Buncombe County", role: str = "member") -> Person:
    """Put ``person`` on the roster of the team named ``team`` (created, in the first program,
    when there is none) with ``role``, as a roster import does, without its mail."""
    found = db.session.scalar(db.select(Team).filter_by(name=team))
    if found is None:
        found = Team(program=db.session.scalar(db.select(Program)), name=team)
        db.session.add(found)
    db.session.add(TeamMembership(team=found, person=person, role=role))
    db.session.flush()
    return person


def team_member(
    name: str, team: str = "Buncombe County", role: str = "member", email: str | None = None
) -> Person:
    """A new person, ``email_for(name, "county.example.org")`` unless ``email`` is given, on
    ``team``'s roster with ``role`` (see ``join_team``)."""
    person = Person(
        name=name, email=email_for(name, "county.example.org") if email is None else email
    )
    return join_team(person, team, role)


def team_registration(
    forum_: Forum | int,
    member: Person | str,
    team: str = "Buncombe County",
    *,
    day_ids: Iterable[int] | None = None,
    now: datetime | None = None,
    **needs,
) -> Registration:
    """``member`` (a person on a roster, or the name of a new ``team_member`` of ``team``)
    registered through ``register_team_member`` for ``day_ids`` (the forum's team days unless
    given) at ``now``; ``needs`` are accessibility_needs and dietary_needs."""
    forum_ = _forum_of(forum_)
    person = team_member(member, team) if isinstance(member, str) else member
    days = _day_ids(forum_, Audience.TEAM) if day_ids is None else list(day_ids)
    result = register_team_member(db.session, forum_, person, days, now, **needs)
    db.session.flush()
    return result.registration


def ticket_code(registration: Registration) -> str:
    """The code of the registration's live ticket, issued now if it has none."""
    return ticket_for(db.session, registration).code


def staff_user(
    role: str,
    email: str | None = None,
    name: str | None = None,
    password: str = PASSWORD,
    active: bool = True,
) -> User:
    """A staff user with ``role`` (named after it and given a random address unless told)."""
    user = User(
        email=email or f"{role}-{uuid.uuid4().hex[:6]}@staff.example.org",
        role=Role(role).value,
        name=name or role.title(),
        active=active,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


# --- What people receive -------------------------------------------------------------------


def emailed(message: OutboxMessage) -> RenderedMessage:
    """What ``message`` is sent with: its bodies and attachments, rendered now for a message
    the worker renders when it sends it (a registration's confirmation)."""
    rendered = rendered_message(db.session, message)
    assert rendered is not None, f"message {message.id} has nothing left to say"
    return rendered


def emailed_personal_link(email: str) -> str:
    """The path of the personal link in the newest email to ``email``: the only place a
    person ever receives it."""
    messages = db.session.scalars(
        db.select(OutboxMessage)
        .where(OutboxMessage.to_email == email.lower())
        .order_by(OutboxMessage.id.desc())
    )
    for message in messages:
        match = re.search(r"/me/[A-Za-z0-9._-]+", emailed(message).text_body)
        if match:
            return match.group(0)
    raise AssertionError(f"no email to {email} holds a personal link")
