"""Builders for API tests: a program with public, team-only, confidential and draft content."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

import pytest

from forumapp.agenda.models import AgendaItem, AgendaItemSpeaker, Speaker
from forumapp.core.clock import local_instant
from forumapp.core.models import Forum, ForumDay, Person, Program, Room
from forumapp.extensions import db

ZONE = "America/New_York"

# Text that must never reach the public, in any JSON the API returns.
TEAM_DAY_SESSION = "Team-only strategy lab"
CONFIDENTIAL_SESSION = "Confidential budget huddle"
DRAFT_FORUM = "Unannounced forum in Secretville"
DRAFT_SESSION = "Unannounced draft keynote"
HIDDEN_SPEAKER = "Hidden Helper"
STAFF_NOTES = "Honorarium 500 dollars, arrives by train"
SPEAKER_EMAIL = "ada.public@speakers.example.org"
SPEAKER_PHONE = "+1 919 555 0100"
SECRETS = [
    TEAM_DAY_SESSION,
    CONFIDENTIAL_SESSION,
    DRAFT_FORUM,
    DRAFT_SESSION,
    HIDDEN_SPEAKER,
    STAFF_NOTES,
    SPEAKER_EMAIL,
    SPEAKER_PHONE,
    "2027-02-19",  # the team-only day
]
PUBLIC_DATE = "2027-02-18"  # forum 1's public day
TEAM_DATE = "2027-02-19"  # forum 1's team-only day


def make_program(name: str = "Opioid Response Project", time_zone: str = ZONE) -> Program:
    program = Program(name=name, time_zone=time_zone)
    db.session.add(program)
    return program


def make_forum(
    program: Program, number: int, title: str, days: list[tuple[str, date]], status="published"
) -> Forum:
    """A forum with ``days`` as ``(audience, date)`` pairs."""
    forum = Forum(
        program=program,
        number=number,
        title=title,
        theme=f"Theme of {title}",
        venue_name="Friday Center",
        venue_address="100 Friday Center Dr",
        venue_city="Chapel Hill",
        status=status,
    )
    for audience, day_date in days:
        forum.days.append(ForumDay(date=day_date, audience=audience, capacity=150))
    db.session.add(forum)
    return forum


def make_room(forum: Forum, name: str, capacity: int) -> Room:
    room = Room(forum=forum, name=name, capacity=capacity)
    db.session.add(room)
    return room


def make_item(day: ForumDay, title: str, start: time, end: time, **fields) -> AgendaItem:
    zone = day.forum.program.time_zone
    item = AgendaItem(
        day=day,
        title=title,
        kind=fields.pop("kind", "general_session"),
        starts_at=local_instant(day.date, start, zone),
        ends_at=local_instant(day.date, end, zone),
        **fields,
    )
    db.session.add(item)
    return item


def make_speaker(name: str, email: str, is_public: bool = True, **fields) -> Speaker:
    speaker = Speaker(
        person=Person(name=name, email=email, phone=fields.pop("phone", None)),
        kind=fields.pop("kind", "faculty"),
        is_public=is_public,
        **fields,
    )
    db.session.add(speaker)
    return speaker


def link(item: AgendaItem, speaker: Speaker, role: str = "speaker") -> None:
    db.session.add(AgendaItemSpeaker(item=item, speaker=speaker, role=role))


@dataclass
class World:
    """Ids of the example program's records, for building URLs and checking answers."""

    winter_forum: int
    summer_forum: int
    draft_forum: int
    public_day: int
    team_day: int
    opening: int
    lunch: int
    workshop: int
    confidential: int
    team_lab: int
    summer_plenary: int
    draft_keynote: int
    ada: int
    hidden: int
    no_photo: int


@pytest.fixture
def world(app) -> World:
    """Forum 1 (winter) has a public and a team day; forum 2 is in summer; forum 3 a draft."""
    # Built in its own app context, so requests in the test start with a fresh session.
    with app.app_context():
        return _build_world()


def _build_world() -> World:
    program = make_program()
    winter_days = [("public", date(2027, 2, 18)), ("team", date(2027, 2, 19))]
    winter = make_forum(program, 1, "Forum 1: Building the team", winter_days)
    summer = make_forum(program, 2, "Forum 2: Summer", [("public", date(2027, 6, 10))])
    draft = make_forum(program, 3, DRAFT_FORUM, [("public", date(2027, 9, 9))], "draft")
    ballroom = make_room(winter, "Grand Ballroom", 200)
    room_b = make_room(winter, "Room B", 40)
    public_day, team_day = winter.days

    ada = make_speaker(
        "Ada Public",
        SPEAKER_EMAIL,
        phone=SPEAKER_PHONE,
        title="Professor",
        affiliation="UNC",
        bio="Studies recovery.",
        status="confirmed",
        staff_notes=STAFF_NOTES,
        photo_filename="ada.jpg",
    )
    hidden = make_speaker(
        HIDDEN_SPEAKER, "hidden@speakers.example.org", is_public=False, kind="team_panelist"
    )
    no_photo = make_speaker("Noor Nophoto", "noor@speakers.example.org", kind="outside_expert")

    opening = make_item(
        public_day,
        "Opening general session",
        time(9),
        time(10),
        room=ballroom,
        description="Welcome and goals.",
    )
    link(opening, ada)
    link(opening, hidden, "moderator")
    lunch = make_item(public_day, "Lunch", time(12), time(13), kind="break")
    workshop = make_item(
        public_day,
        "Naloxone workshop",
        time(10, 15),
        time(11, 15),
        kind="breakout",
        room=room_b,
        capacity=25,
    )
    confidential = make_item(
        public_day,
        CONFIDENTIAL_SESSION,
        time(10, 15),
        time(11, 15),
        kind="discussion",
        confidential=True,
    )
    team_lab = make_item(team_day, TEAM_DAY_SESSION, time(9), time(12), kind="discussion")
    link(team_lab, ada, "facilitator")
    summer_plenary = make_item(summer.days[0], "Summer plenary", time(9), time(10, 30))
    link(summer_plenary, no_photo, "panelist")
    draft_keynote = make_item(draft.days[0], DRAFT_SESSION, time(9), time(10))
    link(draft_keynote, ada)
    db.session.commit()
    return World(
        winter_forum=winter.id,
        summer_forum=summer.id,
        draft_forum=draft.id,
        public_day=public_day.id,
        team_day=team_day.id,
        opening=opening.id,
        lunch=lunch.id,
        workshop=workshop.id,
        confidential=confidential.id,
        team_lab=team_lab.id,
        summer_plenary=summer_plenary.id,
        draft_keynote=draft_keynote.id,
        ada=ada.id,
        hidden=hidden.id,
        no_photo=no_photo.id,
    )


@pytest.fixture
def staff_token(token_for) -> str:
    """An organizer's token: organizers see everything the API holds."""
    return token_for("organizer")["Authorization"].removeprefix("Bearer ")


@pytest.fixture
def as_staff(staff_token) -> dict:
    return {"Authorization": f"Bearer {staff_token}"}


def registration_body(name: str = "Ada Lovelace", **fields) -> dict:
    """A valid registration for forum 1's public day; ``fields`` change or add to it."""
    email = name.lower().replace(" ", ".") + "@public.example.org"
    body = {
        "name": name,
        "email": email,
        "organization": "Town of Apex",
        "consent": True,
        "days": [PUBLIC_DATE],
    }
    return body | fields
