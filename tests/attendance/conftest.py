"""A forum day with a 9:00–12:00 general session, two parallel breakouts after lunch and a
lunch break; credit types; a few people registered for the day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

import pytest

from forumapp.agenda.models import AgendaItem
from forumapp.attendance.models import CreditType, Direction, Rounding, SessionCredit
from forumapp.attendance.scans import door_scan
from forumapp.checkin.scanning import scan
from forumapp.core.clock import local_instant
from forumapp.core.models import Forum, ForumDay
from forumapp.extensions import db
from forumapp.registration.models import Registration

from .. import builders as build

DAY = date(2027, 3, 15)
ZONE = "America/New_York"


def at(hour: int, minute: int = 0, on: date = DAY) -> datetime:
    """A local time of the forum day as a UTC instant."""
    return local_instant(on, time(hour, minute), ZONE)


@dataclass
class World:
    forum: Forum
    day: ForumDay
    general: AgendaItem
    lunch: AgendaItem
    breakout_a: AgendaItem
    breakout_b: AgendaItem
    in_service: CreditType
    nursing: CreditType


@pytest.fixture
def world(app_ctx) -> World:
    return build_world()


def build_world() -> World:
    """The forum day, its sessions and credit types (in the current app context)."""
    forum = build.forum(days=((DAY, "public"),))
    day = forum.days[0]
    general = build.item(day, "Opening plenary", time(9), time(12), kind="general_session")
    lunch = build.item(day, "Lunch", time(12), time(13), kind="break")
    breakout_a = build.item(day, "Naloxone in schools", time(13), time(14, 30))
    breakout_b = build.item(day, "Jail reentry", time(13), time(14, 30))
    in_service = CreditType(
        program=forum.program,
        name="Law enforcement in-service",
        accrediting_body="State Training Standards Commission",
        provider_number="LE-2027-114",
        minutes_per_unit=60,
        rounding=Rounding.DOWN_QUARTER_HOUR.value,
    )
    nursing = CreditType(
        program=forum.program,
        name="Nursing contact hours",
        accrediting_body="State Board of Nursing",
        provider_number="NCH-88",
        minutes_per_unit=60,
        unit_name="contact hours",
        rounding=Rounding.EXACT.value,
        requires_exit=True,
    )
    db.session.add_all([in_service, nursing])
    db.session.flush()
    for item in (general, lunch, breakout_a, breakout_b):
        for credit_type in (in_service, nursing):
            db.session.add(SessionCredit(item_id=item.id, credit_type_id=credit_type.id))
    db.session.flush()
    return World(forum, day, general, lunch, breakout_a, breakout_b, in_service, nursing)


def check_in(world: World, name: str, when: datetime) -> Registration:
    """Register ``name`` for the day and check them in at the entrance at ``when``."""
    registration = build.public_registration(world.forum, name)
    outcome = scan(db.session, build.ticket_code(registration), world.day, None)
    assert outcome.result.ok, outcome.message
    outcome.check_in.checked_in_at = when
    db.session.flush()
    return registration


def scan_at(world: World, registration, item, direction: Direction, when: datetime):
    outcome = door_scan(
        db.session,
        build.ticket_code(registration),
        world.day,
        item,
        direction,
        None,
        scanned_at=when,
    )
    assert outcome.result.ok, outcome.message
    return outcome
