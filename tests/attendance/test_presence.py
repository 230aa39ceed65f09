"""Presence in a session is the overlap of a person's time inside with the session's time,
and credited minutes follow each credit type's rules."""

from __future__ import annotations

import sqlalchemy as sa

from forumapp.attendance.models import AttendanceCorrection, Direction, PresenceScan
from forumapp.attendance.presence import credit_units, forum_attendance, rounded_minutes
from forumapp.checkin.breakouts import breakout_scan
from forumapp.checkin.models import BreakoutAttendance
from forumapp.extensions import db
from forumapp.registration.registering import cancel_days

from .. import builders as build
from .conftest import at, check_in, scan_at


def _row(world, registration, item):
    rows = forum_attendance(db.session, world.forum, [registration.id])
    return next((row for row in rows if row.item.id == item.id), None)


def test_in_at_9_05_and_out_at_11_of_a_9_to_12_session_is_115_minutes(world):
    person = check_in(world, "Ada Lovelace", at(8, 50))
    scan_at(world, person, world.general, Direction.ENTRY, at(9, 5))
    scan_at(world, person, world.general, Direction.EXIT, at(11))

    row = _row(world, person, world.general)

    assert row.presence.entered_at == at(9, 5) and row.presence.left_at == at(11)
    assert row.credited == {world.in_service.id: 115, world.nursing.id: 115}
    # Down to the quarter hour: 105 minutes, 1.75 hours.
    assert rounded_minutes(115, world.in_service) == 105
    assert credit_units(115, world.in_service) == 1.75
    assert credit_units(115, world.nursing) == 1.92


def test_no_exit_counts_to_the_sessions_end_unless_no_exit_means_no_credit(world):
    person = check_in(world, "Grace Hopper", at(8, 50))
    scan_at(world, person, world.general, Direction.ENTRY, at(9, 5))

    row = _row(world, person, world.general)

    assert row.credited[world.in_service.id] == 175  # to 12:00
    assert row.credited[world.nursing.id] == 0  # "no exit, no credit"
    assert row.presence.left_at is None


def test_the_entrance_counts_for_a_session_that_runs_alone_but_not_for_parallel_ones(world):
    person = check_in(world, "Alan Turing", at(9, 30))
    scan_at(world, person, None, Direction.EXIT, at(15))  # the entrance in exit mode

    general = _row(world, person, world.general)
    assert general.presence.source == "entrance"
    assert general.credited == {world.in_service.id: 150, world.nursing.id: 150}
    # Two breakouts ran at once: the entrance cannot say which room they sat in.
    assert _row(world, person, world.breakout_a) is None
    assert _row(world, person, world.breakout_b) is None
    # Meals and breaks never count, whatever they carry.
    assert _row(world, person, world.lunch) is None


def test_a_breakouts_own_door_decides_and_an_exit_alone_counts_from_its_start(world):
    person = check_in(world, "Edsger Dijkstra", at(8, 45))
    scan_at(world, person, world.breakout_b, Direction.EXIT, at(14))

    row = _row(world, person, world.breakout_b)

    assert row.credited[world.in_service.id] == 60  # 13:00 to 14:00
    assert _row(world, person, world.breakout_a) is None


def test_leaving_and_coming_back_counts_only_the_time_inside(world):
    person = check_in(world, "Barbara Liskov", at(8, 45))
    for direction, when in (
        (Direction.ENTRY, at(9)),
        (Direction.EXIT, at(10)),
        (Direction.ENTRY, at(10, 30)),
        (Direction.EXIT, at(12, 30)),  # after the session's end: capped at 12:00
    ):
        scan_at(world, person, world.general, direction, when)

    assert _row(world, person, world.general).credited[world.in_service.id] == 150


def test_an_organizers_correction_replaces_the_scans(world):
    person = check_in(world, "Frances Allen", at(8, 45))
    scan_at(world, person, world.general, Direction.ENTRY, at(9))
    db.session.add(
        AttendanceCorrection(
            registration_id=person.id,
            item_id=world.general.id,
            present_from=at(9),
            present_until=at(10),
            reason="Paper sheet: signed out at 10",
        )
    )
    db.session.flush()

    row = _row(world, person, world.general)

    assert row.presence.source == "correction"
    assert row.credited == {world.in_service.id: 60, world.nursing.id: 60}


def test_scanning_out_twice_counts_from_the_first_exit_not_from_the_sessions_start(world):
    """Two door phones scanning the same exit at once both record it (the door refuses a
    second exit only once the first is written)."""
    person = check_in(world, "Margaret Hamilton", at(8, 45))
    scan_at(world, person, world.general, Direction.ENTRY, at(9, 49))
    scan_at(world, person, world.general, Direction.EXIT, at(10, 57))
    db.session.add(
        PresenceScan(
            registration_id=person.id,
            day_id=world.day.id,
            item_id=world.general.id,
            direction=Direction.EXIT.value,
            scanned_at=at(10, 58),
        )
    )
    db.session.flush()

    row = _row(world, person, world.general)

    assert row.presence.entered_at == at(9, 49)
    assert row.credited[world.in_service.id] == 68


def test_a_scan_at_the_breakout_door_counts_as_coming_in(world):
    """The breakout door (``/door/breakouts/<id>``) and the session's door are two ways into
    one room: the attendance page and the breakouts page count the same people."""
    person = check_in(world, "Frances Allen", at(8, 45))
    scanned = at(13, 10)
    breakout_scan(db.session, build.ticket_code(person), world.breakout_a, None)
    db.session.scalars(
        sa.select(BreakoutAttendance).where(BreakoutAttendance.registration_id == person.id)
    ).one().scanned_at = scanned
    db.session.flush()

    row = _row(world, person, world.breakout_a)

    assert row.presence.source == "door" and row.presence.entered_at == scanned
    assert row.credited[world.in_service.id] == 80  # to the breakout's end at 14:30
    assert _row(world, person, world.breakout_b) is None


def test_a_breakout_door_scan_credits_nobody_without_a_confirmed_place_that_day(world):
    """The breakout door lets in anyone holding the forum's ticket (it says what they chose);
    someone who gave up their place that day earns no credit by it, as the session's door,
    which refuses them, would not give any."""
    person = build.public_registration(world.forum, "Gave Up")
    cancel_days(db.session, person)
    breakout_scan(db.session, build.ticket_code(person), world.breakout_a, None)
    db.session.flush()

    assert _row(world, person, world.breakout_a) is None


def test_back_in_through_the_breakout_door_after_leaving_by_its_session_door_counts_again(world):
    person = check_in(world, "Annie Easley", at(8, 45))
    code = build.ticket_code(person)
    breakout_scan(db.session, code, world.breakout_a, None, scanned_at=at(13))
    scan_at(world, person, world.breakout_a, Direction.EXIT, at(13, 30))

    breakout_scan(db.session, code, world.breakout_a, None, scanned_at=at(14))

    row = _row(world, person, world.breakout_a)
    assert row.presence.entered_at == at(13)
    assert row.credited[world.in_service.id] == 30 + 30  # 13:00-13:30, 14:00 to the end
