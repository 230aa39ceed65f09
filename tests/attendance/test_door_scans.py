"""Entry and exit scans at any session's door and at the day's entrance."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from forumapp.attendance.models import Direction, PresenceScan
from forumapp.attendance.presence import forum_attendance
from forumapp.attendance.scans import DoorResult, door_scan
from forumapp.checkin.breakouts import breakout_door_list
from forumapp.checkin.models import CheckInConflict
from forumapp.checkin.offline import OfflineScan, sync_scan
from forumapp.checkin.outcomes import ScanResult
from forumapp.checkin.scanner_pages import ResultCard
from forumapp.checkin.scanning import scan
from forumapp.checkin.tickets import reissue_ticket
from forumapp.extensions import db

from .. import builders as build
from .conftest import DAY, ZONE, at, check_in


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


def test_a_second_exit_in_a_row_is_said_and_not_recorded(world):
    person = check_in(world, "Katherine Johnson", at(8, 50))
    code = build.ticket_code(person)
    assert _scan(world, code, None, Direction.EXIT).result == DoorResult.LEFT
    assert _scan(world, code, world.general, Direction.EXIT).result == DoorResult.LEFT

    again = _scan(world, code, None, Direction.EXIT)
    again_at_session = _scan(world, code, world.general, Direction.EXIT)

    assert again.result == DoorResult.ALREADY_OUT
    assert again.message == (
        "Katherine Johnson already left the building at 10:00 AM. Nothing more was recorded."
    )
    assert again_at_session.result == DoorResult.ALREADY_OUT
    assert _scans() == 2
    # Back in through the session's door, out again: recorded as ever.
    assert _scan(world, code, world.general).result == DoorResult.ENTERED
    assert _scan(world, code, world.general, Direction.EXIT).result == DoorResult.LEFT


def test_coming_back_in_at_the_entrance_after_leaving_is_a_re_entry(world):
    """Out at lunch, back at the entrance: the door says welcome back and the afternoon
    counts again (a session that runs alone counts the entrance)."""
    person = check_in(world, "Dorothy Vaughan", at(8, 50))
    code = build.ticket_code(person)
    door_scan(db.session, code, world.day, None, Direction.EXIT, None, scanned_at=at(10))

    back = scan(db.session, code, world.day, None, scanned_at=at(11))
    again = scan(db.session, code, world.day, None, scanned_at=at(11, 5))

    assert back.result == ScanResult.ALREADY_CHECKED_IN
    assert back.message == "Welcome back, Dorothy Vaughan! Back in after leaving at 10:00 AM."
    assert again.message.startswith("Dorothy Vaughan was already checked in at 8:50 AM")
    entrance = db.session.execute(
        sa.select(PresenceScan.direction, PresenceScan.scanned_at)
        .where(PresenceScan.item_id.is_(None))
        .order_by(PresenceScan.scanned_at)
    ).all()
    assert [(direction, when) for direction, when in entrance] == [
        ("exit", at(10)),
        ("entry", at(11)),
    ]
    general = forum_attendance(db.session, world.forum, [person.id])[0]
    assert general.item.id == world.general.id
    assert general.presence.minutes == 60 + 60  # 9:00-10:00, then 11:00 to the end at 12:00


def test_a_re_entry_offers_no_undo_and_an_offline_one_is_no_conflict(world):
    """The welcome-back card offers no Undo (it would take back the morning's check-in); a
    return an offline door let through syncs as let in, not as a conflict to look into; and
    an offline scan from before the exit, synced late, records no return."""
    person = check_in(world, "Mary Jackson", at(8, 50))
    code = build.ticket_code(person)
    door_scan(db.session, code, world.day, None, Direction.EXIT, None, scanned_at=at(10))

    stale = sync_scan(
        db.session, OfflineScan(code, DAY, "offline-0001", at(9, 30)), None, ZONE, at(12)
    )
    back = scan(db.session, code, world.day, None, scanned_at=at(11))
    assert ResultCard.of(back).can_undo is False
    door_scan(db.session, code, world.day, None, Direction.EXIT, None, scanned_at=at(11, 30))
    synced = sync_scan(
        db.session, OfflineScan(code, DAY, "offline-0002", at(11, 45)), None, ZONE, at(12)
    )

    assert stale.result == "conflict"  # already in at 9:30, by the morning's check-in
    assert (synced.result, synced.message) == (
        "checked_in",
        "Welcome back, Mary Jackson! Back in after leaving at 11:30 AM.",
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckInConflict)) == 1
    entries = db.session.scalars(
        sa.select(PresenceScan.scanned_at).where(PresenceScan.direction == "entry")
    ).all()
    assert entries == [at(11), at(11, 45)]


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


# --- Through the JSON API ----------------------------------------------------------------------


def _api_world(app):
    from types import SimpleNamespace

    from .conftest import build_world

    with app.app_context():
        world = build_world()
        ada = check_in(world, "Ada Lovelace", at(8, 50))
        ids = SimpleNamespace(
            general=world.general.id,
            lunch=world.lunch.id,
            code=build.ticket_code(ada),
            registration=ada.id,
        )
        db.session.commit()
        db.session.remove()
    return ids


def test_the_api_records_entries_and_exits_at_session_doors_and_the_entrance(
    app, client, token_for
):
    ids = _api_world(app)
    organizer = token_for("organizer")
    url = "/api/v1/checkins"

    entered = client.post(
        url, json={"code": ids.code, "day": "2027-03-15", "session": ids.general}, headers=organizer
    )
    left = client.post(
        url,
        json={"code": ids.code, "day": "2027-03-15", "direction": "exit"},
        headers=organizer,
    )

    assert entered.status_code == 201
    assert entered.get_json()["result"] == "entered"
    assert entered.get_json()["session"] == ids.general
    assert left.status_code == 201
    assert left.get_json() | {"message": ""} == {
        "result": "left",
        "message": "",
        "attendee": {
            "name": "Ada Lovelace",
            "organization": "",
            "teams": [],
            "accessibility_needs": "",
        },
        "day": "2027-03-15",
        "session": None,
        "direction": "exit",
    }
    # The entrance's entry is the check-in, answered as before.
    again = client.post(url, json={"code": ids.code, "day": "2027-03-15"}, headers=organizer)
    assert again.status_code == 200 and again.get_json()["result"] == "already_checked_in"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"session": 999999}, 422, "session"),
        ({"session": "one"}, 422, "session"),
        ({"direction": "sideways"}, 422, "direction"),
    ],
)
def test_the_api_refuses_a_bad_session_or_direction(app, client, token_for, body, status, field):
    ids = _api_world(app)
    response = client.post(
        "/api/v1/checkins", json={"code": ids.code, **body}, headers=token_for("organizer")
    )
    assert response.status_code == status
    assert field in response.get_json()["details"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PresenceScan)) == 0


def test_the_api_refuses_a_meal_and_a_session_of_another_day(app, client, token_for):
    ids = _api_world(app)
    organizer = token_for("organizer")
    for body in ({"session": ids.lunch}, {"session": ids.general, "day": "2027-03-16"}):
        response = client.post(
            "/api/v1/checkins", json={"code": ids.code, **body}, headers=organizer
        )
        assert response.status_code == 422, body


def test_door_staff_scan_session_doors_on_the_day_itself_only(app, client, token_for, today_is):
    ids = _api_world(app)
    door = token_for("door")
    body = {"code": ids.code, "session": ids.general}
    today_is(date(2027, 3, 14))
    refused = client.post("/api/v1/checkins", json=body, headers=door)
    assert refused.status_code == 403 and refused.get_json()["result"] == "not_today"
    today_is(date(2027, 3, 15))
    assert client.post("/api/v1/checkins", json=body, headers=door).status_code == 201
