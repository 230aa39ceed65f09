"""Entry and exit scans at any session's door and at the day's entrance."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from forumapp.attendance.models import Direction, PresenceScan
from forumapp.attendance.scans import DoorResult, door_scan
from forumapp.checkin.breakouts import breakout_door_list
from forumapp.checkin.tickets import reissue_ticket
from forumapp.extensions import db

from .. import builders as build
from .conftest import at, check_in


def _scan(world, code, item, direction=Direction.ENTRY, request_id=None):
    return door_scan(db.session, code, world.day, item, direction, None, request_id, at(10))


def _scans() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(PresenceScan))


def test_a_general_sessions_door_says_welcome_and_goodbye(world):
    person = check_in(world, "Ada Lovelace", at(8, 50))
    code = build.ticket_code(person)

    entered = _scan(world, code, world.general)
    left = _scan(world, code, world.general, Direction.EXIT)

    assert entered.result == DoorResult.ENTERED
    assert entered.message == "Welcome, Ada Lovelace: in “Opening plenary” at 10:00 AM."
    assert left.result == DoorResult.LEFT
    assert left.message == "Ada Lovelace left “Opening plenary” at 10:00 AM."
    assert _scans() == 2


def test_a_breakouts_entry_still_says_what_they_chose_and_counts_at_its_door(world):
    person = check_in(world, "Grace Hopper", at(8, 50))

    outcome = _scan(world, build.ticket_code(person), world.breakout_a)

    assert outcome.message == "Grace Hopper did not choose a breakout at this time."
    assert breakout_door_list(db.session, world.breakout_a, 10).scanned_total == 1


def test_the_entrance_in_exit_mode_needs_a_check_in_first(world):
    person = build.public_registration(world.forum, "Alan Turing")

    outcome = _scan(world, build.ticket_code(person), None, Direction.EXIT)

    assert outcome.result == DoorResult.NOT_CHECKED_IN
    assert "never checked in" in outcome.message
    assert _scans() == 0


def test_unknown_replaced_and_other_forum_codes_record_nothing(world):
    person = check_in(world, "Edsger Dijkstra", at(8, 50))
    old_code = build.ticket_code(person)
    reissue_ticket(db.session, person)
    other_forum = build.forum(days=((date(2027, 5, 1), "public"),), number=2)
    stranger = build.public_registration(other_forum, "Someone Else")

    for code, said in (
        ("NOT-A-CODE", "Unknown code"),
        (old_code, "replaced by a newer one"),
        (build.ticket_code(stranger), "ticket is for another forum"),
    ):
        outcome = _scan(world, code, world.general)
        assert outcome.result == DoorResult.INVALID and said in outcome.message
    assert _scans() == 0


def test_a_retried_request_records_once_and_a_reused_id_is_refused(world):
    person = check_in(world, "Barbara Liskov", at(8, 50))
    code = build.ticket_code(person)

    first = _scan(world, code, world.general, request_id="r-1")
    again = _scan(world, code, world.general, request_id="r-1")
    other = _scan(world, code, world.general, Direction.EXIT, request_id="r-1")

    assert first.result == again.result == DoorResult.ENTERED
    assert other.result == DoorResult.REQUEST_ID_REUSED
    assert _scans() == 1
