"""The offline door's server side: the roster snapshot (hashed codes, what the door shows) and
the sync of scans made offline: stamped with their scan times, idempotent, conflicts listed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from forumapp.checkin.models import CheckIn, CheckInConflict
from forumapp.checkin.tickets import reissue_ticket
from forumapp.core.clock import local_instant
from forumapp.extensions import db
from forumapp.registration.models import Registration

from ..conftest import csrf_token
from .people import register_member, register_public

DAY = date(2027, 3, 15)
ZONE = "America/New_York"
SNAPSHOT = "/api/v1/days/{}/door-snapshot"
BATCH = "/api/v1/checkins/batch"


def _at(hour: int, minute: int = 0) -> str:
    return local_instant(DAY, time(hour, minute), ZONE).isoformat()


def _scan(code: str, request_id: str, when: str, day: str = "2027-03-15") -> dict:
    return {"code": code, "day": day, "request_id": request_id, "scanned_at": when}


def _sync(client, headers, scans) -> list[dict]:
    response = client.post(BATCH, json=scans, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["results"]


def _check_ins(app) -> list[tuple[int, datetime]]:
    with app.app_context():
        return list(
            db.session.execute(
                sa.select(CheckIn.registration_id, CheckIn.checked_in_at).order_by(CheckIn.id)
            )
        )


def _conflicts(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(CheckInConflict.kind)))


@pytest.fixture
def people(app, forum_setup, today_is):
    """Ada and Grace confirmed on the public day (two seats), Hal waitlisted, Tess on the team
    day only."""
    ada = register_public(app, forum_setup, "Ada Lovelace", accessibility_needs="Step-free")
    grace = register_public(app, forum_setup, "Grace Hopper")
    hal = register_public(app, forum_setup, "Hal Waiting")
    tess = register_member(
        app, forum_setup, "Tess Team", "Buncombe County", [forum_setup.team_day_id]
    )
    today_is(DAY)
    return ada, grace, hal, tess


def test_the_snapshot_holds_keyed_hashes_never_codes_and_what_the_door_shows(
    app, client, forum_setup, people, token_for
):
    ada, grace, hal, tess = people
    headers = token_for("organizer")
    client.post(BATCH, json=[_scan(grace.code, "g-1", _at(8, 40))], headers=headers)

    response = client.get(SNAPSHOT.format(forum_setup.public_day_id), headers=headers)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    body = response.get_json()
    text = json.dumps(body)
    for person in (ada, grace, tess):
        assert person.code not in text
    key = base64.urlsafe_b64decode(body["key"] + "=" * (-len(body["key"]) % 4))
    by_hash = {ticket["hash"]: ticket for ticket in body["tickets"]}

    def entry(person):
        return by_hash[hmac.new(key, person.code.encode(), hashlib.sha256).hexdigest()]

    assert entry(ada) == {
        "hash": entry(ada)["hash"],
        "name": "Ada Lovelace",
        "organization": "",
        "teams": [],
        "status": "confirmed",
        "needs": True,
        "checked_in": False,
    }
    assert entry(grace)["checked_in"] is True
    # Hal is waitlisted: a waitlisted seat holds no ticket, so the door has no code of his.
    assert "Hal Waiting" not in text
    assert entry(tess)["status"] == "not_today" and entry(tess)["teams"] == ["Buncombe County"]


def test_door_staff_get_todays_snapshot_only_with_a_key_of_their_own(
    app, client, forum_setup, people, token_for, today_is
):
    door = token_for("door")
    other_door = token_for("door")
    path = SNAPSHOT.format(forum_setup.public_day_id)
    today_is(DAY + timedelta(days=1))
    assert client.get(path, headers=door).status_code == 404  # not the day
    today_is(DAY)
    mine, theirs = (client.get(path, headers=h).get_json() for h in (door, other_door))
    assert mine["key"] != theirs["key"]
    assert {t["hash"] for t in mine["tickets"]}.isdisjoint({t["hash"] for t in theirs["tickets"]})
    assert client.get(path, headers=token_for("faculty")).status_code == 403


def test_scans_made_offline_are_checked_in_at_their_scan_times_and_a_retry_changes_nothing(
    app, client, forum_setup, people, token_for
):
    ada, grace, *_ = people
    headers = token_for("organizer")
    batch = [_scan(ada.code, "a-1", _at(8, 41)), _scan(grace.code, "g-1", _at(8, 43))]

    first = _sync(client, headers, batch)
    again = _sync(client, headers, batch)

    assert [r["result"] for r in first] == ["checked_in", "checked_in"], first
    assert again == first
    stamps = [at for _, at in _check_ins(app)]
    assert stamps == [local_instant(DAY, time(8, 41), ZONE), local_instant(DAY, time(8, 43), ZONE)]


def test_two_devices_letting_the_same_person_in_give_one_check_in_and_one_conflict(
    app, client, forum_setup, people, token_for
):
    ada, *_ = people
    phone_a, phone_b = token_for("organizer", "Olga Door"), token_for("organizer", "Omar Door")

    _sync(client, phone_a, [_scan(ada.code, "phone-a-1", _at(8, 41))])
    (second,) = _sync(client, phone_b, [_scan(ada.code, "phone-b-7", _at(8, 45))])

    assert second["result"] == "conflict" and second["conflict"] == "already_in"
    assert len(_check_ins(app)) == 1 and _conflicts(app) == ["already_in"]


def test_a_ticket_replaced_after_the_snapshot_is_a_conflict_not_a_check_in(
    app, client, forum_setup, people, token_for
):
    ada, *_ = people
    with app.app_context():
        reissue_ticket(db.session, db.session.get(Registration, ada.registration_id))
        db.session.commit()

    (result,) = _sync(client, token_for("organizer"), [_scan(ada.code, "a-1", _at(9))])

    assert result["result"] == "conflict" and result["conflict"] == "replaced"
    assert _check_ins(app) == [] and _conflicts(app) == ["replaced"]


def test_the_live_check_in_page_lists_conflicts_with_who_scanned_and_when(
    app, client, forum_setup, people, token_for, signed_in
):
    ada, _grace, _hal, tess = people
    headers = token_for("organizer", "Olga Door")
    _sync(
        client, headers, [_scan(ada.code, "a-1", _at(8, 41)), _scan(tess.code, "t-1", _at(8, 50))]
    )
    _sync(client, token_for("organizer", "Omar Door"), [_scan(ada.code, "b-1", _at(8, 55))])

    signed_in("organizer")
    page = client.get(f"/staff/forums/{forum_setup.forum_id}/checkin").get_data(as_text=True)

    assert "Conflicts from offline doors (2)" in page
    assert "Omar Door" in page and "8:55 AM" in page and "Ada Lovelace" in page
    assert "Tess Team is not registered for Monday, March 15" in page


@pytest.mark.parametrize(
    ("when", "day", "said"),
    [
        ("future", "2027-03-15", "in the future"),
        ("2027-03-14T23:59:00-04:00", "2027-03-15", "not on the day"),
    ],
)
def test_a_scan_time_in_the_future_or_off_its_day_is_refused(
    app, client, forum_setup, people, token_for, when, day, said
):
    ada, *_ = people
    if when == "future":
        when = local_instant(DAY, time(13), ZONE).isoformat()  # an hour after "now"
    (result,) = _sync(client, token_for("organizer"), [_scan(ada.code, "a-1", when, day)])
    assert result["result"] == "refused" and said in result["message"]
    assert _check_ins(app) == []


def test_a_sync_is_bounded_and_a_malformed_one_names_each_fault(client, forum_setup, token_for):
    headers = token_for("organizer")
    many = [_scan("7K3MQ4ZP8DXW2N6RTV0B1CHJ9G", f"r-{n}", _at(9)) for n in range(201)]
    assert client.post(BATCH, json=many, headers=headers).status_code == 422
    response = client.post(
        BATCH,
        json=[{"code": 5, "day": "2027-03-15", "request_id": "r", "scanned_at": "9am"}],
        headers=headers,
    )
    assert response.status_code == 422
    assert set(response.get_json()["details"]) == {"0.code", "0.scanned_at"}
    assert client.post(BATCH, data="{}", headers=headers).status_code == 422


def test_the_door_page_may_sync_with_its_session_and_csrf_token(
    app, client, forum_setup, people, signed_in
):
    ada, *_ = people
    signed_in("organizer")
    scans = [_scan(ada.code, "a-1", _at(9))]
    assert client.post(BATCH, json=scans).status_code == 400  # no CSRF token
    token = csrf_token(client, f"/door/days/{forum_setup.public_day_id}")
    response = client.post(BATCH, json=scans, headers={"X-CSRFToken": token})
    assert response.get_json()["results"][0]["result"] == "checked_in"


def test_two_concurrent_syncs_of_the_same_codes_check_each_person_in_once(
    app, forum_setup, token_for, today_is
):
    people = [register_public(app, forum_setup, f"Person {n}") for n in range(2)]
    today_is(DAY)
    phones = [token_for("organizer", f"Phone {n}") for n in range(2)]
    batches = [
        [_scan(person.code, f"phone-{phone}-{n}", _at(9, n)) for n, person in enumerate(people)]
        for phone in range(2)
    ]
    barrier = threading.Barrier(2)
    answers: list = []

    def sync(phone: int) -> None:
        client = app.test_client()
        barrier.wait()
        answers.append(client.post(BATCH, json=batches[phone], headers=phones[phone]).status_code)

    threads = [threading.Thread(target=sync, args=(phone,)) for phone in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert answers == [200, 200]
    assert sorted(reg for reg, _ in _check_ins(app)) == sorted(p.registration_id for p in people)
    assert sorted(_conflicts(app)) == ["already_in", "already_in"]
