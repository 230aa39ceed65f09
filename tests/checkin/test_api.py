"""Check-in through the JSON API: every result, forged codes, days, retries, roles, the
documented shapes, and one check-in however many doors scan at once."""

from __future__ import annotations

import threading
from datetime import date
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from forumapp.api.openapi import openapi_document
from forumapp.checkin.models import CheckIn
from forumapp.core.clock import to_local, utcnow
from forumapp.core.models import Forum, Person, Team, TeamMembership
from forumapp.extensions import db
from forumapp.registration.models import Registration
from forumapp.registration.registering import cancel_days

from .. import builders as build
from .people import decode_qr, live_code, register_member, register_public

URL = "/api/v1/checkins"
PUBLIC_DAY = "2027-03-15"
TEAM_DAY = "2027-03-16"
DOCUMENT_URI = "urn:forumapp:api:openapi"


@pytest.fixture
def door(token_for) -> dict:
    return token_for("door", "Dana Door")


@pytest.fixture(scope="module")
def document() -> dict:
    return openapi_document()


def conforms(document: dict, path: str, method: str, status: int, body) -> None:
    """The answer's body matches what the OpenAPI document says for that status."""
    responses = document["paths"][path][method]["responses"]
    assert str(status) in responses, (path, method, status)
    registry = Registry().with_resource(DOCUMENT_URI, DRAFT202012.create_resource(document))
    pointer = "/".join(
        part.replace("~", "~0").replace("/", "~1")
        for part in (
            "paths",
            path,
            method,
            "responses",
            str(status),
            "content",
            "application/json",
            "schema",
        )
    )
    Draft202012Validator(
        {"$ref": f"{DOCUMENT_URI}#/{pointer}"}, registry=registry, format_checker=FormatChecker()
    ).validate(body)


@pytest.fixture(autouse=True)
def _doors_open_on_the_day(today_is):
    """Door staff check in on the day itself only, so ``scan(…, day=…)`` makes that day today."""
    global _make_today
    _make_today = today_is
    yield
    _make_today = None


_make_today = None


def scan(client, headers, code, status: int, document=None, **fields) -> dict:
    """POST a check-in on ``fields["day"]``, made today first (see ``_doors_open_on_the_day``)."""
    if "day" in fields:
        _make_today(date.fromisoformat(fields["day"]))
    response = client.post(URL, json={"code": code, **fields}, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    conforms(document or openapi_document(), "/checkins", "post", status, body)
    return body


def count_check_ins(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn))


# --- Results ---------------------------------------------------------------------------------


def test_a_new_check_in_is_201_with_who_it_is(app, client, forum_setup, door):
    with app.app_context():
        team = Team(program=db.session.get(Forum, forum_setup.forum_id).program, name="Wake")
        person = Person(name="Ada Lovelace", email="ada.lovelace@public.example.org")
        db.session.add(TeamMembership(team=team, person=person))
        db.session.commit()
    ada = register_public(
        app,
        forum_setup,
        "Ada Lovelace",
        organization="Town of Apex",
        accessibility_needs="Step-free entrance",
    )
    body = scan(client, door, ada.code, 201, day=PUBLIC_DAY)
    assert body == {
        "result": "checked_in",
        "message": "Welcome, Ada Lovelace! Checked in for Monday, March 15.",
        "attendee": {
            "name": "Ada Lovelace",
            "organization": "Town of Apex",
            "teams": ["Wake"],
            "accessibility_needs": "Step-free entrance",
        },
        "day": PUBLIC_DAY,
    }
    assert count_check_ins(app) == 1


def test_a_check_in_names_every_team_of_the_forums_program_and_no_other(
    app, client, forum_setup, door
):
    from forumapp.core.models import Program

    with app.app_context():
        program = db.session.get(Forum, forum_setup.forum_id).program
        person = Person(name="Ada Lovelace", email="ada.lovelace@public.example.org")
        for team in (
            Team(program=program, name="Wake"),
            Team(program=program, name="Durham"),
            Team(program=Program(name="Another program"), name="Elsewhere"),
        ):
            db.session.add(TeamMembership(team=team, person=person))
        db.session.commit()
    ada = register_public(app, forum_setup, "Ada Lovelace")
    body = scan(client, door, ada.code, 201, day=PUBLIC_DAY)
    assert sorted(body["attendee"]["teams"]) == ["Durham", "Wake"]
    # The second scan takes the full path; it names the same teams.
    again = scan(client, door, ada.code, 200, day=PUBLIC_DAY)
    assert sorted(again["attendee"]["teams"]) == ["Durham", "Wake"]


def test_second_scan_says_already_checked_in_with_when_and_by_whom(
    app, client, forum_setup, door, token_for
):
    ada = register_public(app, forum_setup, "Ada Lovelace")
    scan(client, door, ada.code, 201, day=PUBLIC_DAY)
    other_door = token_for("door", "Omar Other")
    again = scan(client, other_door, ada.code, 200, day=PUBLIC_DAY)
    assert again["result"] == "already_checked_in"
    assert again["by"] == "Dana Door"
    assert again["attendee"]["name"] == "Ada Lovelace" and again["day"] == PUBLIC_DAY
    with app.app_context():
        when = db.session.scalar(sa.select(CheckIn.checked_in_at))
        expected = to_local(when, "America/New_York")
    assert again["checked_in_at"] == expected.isoformat()
    assert again["checked_in_at"][-6:] in ("-05:00", "-04:00")
    assert "already checked in at" in again["message"] and "by Dana Door" in again["message"]
    assert count_check_ins(app) == 1


def test_a_retried_request_gets_the_same_201_and_counts_once(app, client, forum_setup, door):
    ada = register_public(app, forum_setup, "Ada Lovelace")
    first = scan(client, door, ada.code, 201, day=PUBLIC_DAY, request_id="door-1-scan-77")
    retry = scan(client, door, ada.code, 201, day=PUBLIC_DAY, request_id="door-1-scan-77")
    assert retry == first
    # Even when the retry arrives after midnight and names no day.
    assert scan(client, door, ada.code, 201, request_id="door-1-scan-77") == first
    assert count_check_ins(app) == 1
    # A new scan of the same ticket is a repeat, not a retry.
    scan(client, door, ada.code, 200, day=PUBLIC_DAY, request_id="door-1-scan-78")


def test_a_request_id_sent_again_with_another_code_is_refused_without_the_first_name(
    app, client, forum_setup, door
):
    ada = register_public(app, forum_setup, "Ada Lovelace")
    grace = register_public(app, forum_setup, "Grace Hopper")
    scan(client, door, ada.code, 201, day=PUBLIC_DAY, request_id="door-1-scan-77")

    for fields in ({"day": PUBLIC_DAY}, {}):
        refused = scan(client, door, grace.code, 409, request_id="door-1-scan-77", **fields)
        assert refused["result"] == "request_id_reused"
        assert "request id" in refused["message"]
        assert "Ada" not in str(refused) and "Grace" not in str(refused)
    # Nor is a made-up code a retry of Ada's scan.
    scan(client, door, "0" * 26, 409, day=PUBLIC_DAY, request_id="door-1-scan-77")
    assert count_check_ins(app) == 1
    # Grace, scanned with a request id of her own, is checked in.
    welcome = scan(client, door, grace.code, 201, day=PUBLIC_DAY, request_id="door-1-scan-78")
    assert welcome["attendee"]["name"] == "Grace Hopper"


def test_a_request_id_sent_again_for_another_day_is_refused(app, client, forum_setup, door):
    ada = register_public(app, forum_setup, "Ada Lovelace")
    scan(client, door, ada.code, 201, day=PUBLIC_DAY, request_id="door-1-scan-77")
    refused = scan(client, door, ada.code, 409, day=TEAM_DAY, request_id="door-1-scan-77")
    assert refused["result"] == "request_id_reused"
    assert count_check_ins(app) == 1


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1999-12-31", "2101-01-01"])
def test_a_day_far_from_now_is_an_invalid_request(app, client, forum_setup, door, day):
    ada = register_public(app, forum_setup, "Ada Lovelace")
    body = scan(client, door, ada.code, 422, day=day)
    assert body["result"] == "invalid_request" and "day" in body["details"]
    assert count_check_ins(app) == 0


@pytest.mark.parametrize(
    "code",
    ["hello", "X" * 26, "0123456789ABCDEFGHJKMNPQR$", "https://evil.example/ticket"],
)
def test_made_up_codes_are_404_invalid(app, client, forum_setup, door, code):
    body = scan(client, door, code, 404, day=PUBLIC_DAY)
    assert body["result"] == "invalid" and body["error"] == "Not a valid ticket"
    assert body["message"]
    assert count_check_ins(app) == 0


def test_an_altered_code_is_404_invalid(app, client, forum_setup, door):
    ada = register_public(app, forum_setup, "Ada Lovelace")
    altered = ada.code[:-1] + ("0" if ada.code[-1] != "0" else "1")
    body = scan(client, door, altered, 404, day=PUBLIC_DAY)
    assert body["result"] == "invalid" and "Unknown code" in body["message"]


def test_a_typed_code_with_dashes_lower_case_and_look_alikes_works(app, client, forum_setup, door):
    ada = register_public(app, forum_setup, "Ada Lovelace")
    typed = " " + ada.code[:13].lower().replace("0", "o") + "-" + ada.code[13:] + " "
    scan(client, door, typed, 201, day=PUBLIC_DAY)


def test_a_replaced_code_is_404_and_says_so(app, client, forum_setup, door):
    ada = register_public(app, forum_setup, "Ada Lovelace")
    with app.app_context():
        from forumapp.checkin.tickets import reissue_ticket

        reissue_ticket(db.session, db.session.get(Registration, ada.registration_id))
        db.session.commit()
    body = scan(client, door, ada.code, 404, day=PUBLIC_DAY)
    assert body["result"] == "invalid" and "replaced by a newer one" in body["message"]
    scan(client, door, live_code(app, ada.registration_id), 201, day=PUBLIC_DAY)


def test_waitlisted_and_cancelled_people_are_409(app, client, forum_setup, door):
    register_public(app, forum_setup, "A One")
    cancelled = register_public(app, forum_setup, "B Two")
    waiting = register_public(app, forum_setup, "C Three")
    with app.app_context():
        from forumapp.checkin.tickets import ticket_for

        registration_ = db.session.get(Registration, waiting.registration_id)
        waiting_code = ticket_for(db.session, registration_).code  # as if printed
        db.session.commit()
    body = scan(client, door, waiting_code, 409, day=PUBLIC_DAY)
    assert body["result"] == "waitlisted" and "number 1 on the waitlist" in body["message"]
    assert body["details"]["attendee"]["name"] == "C Three"
    assert body["details"]["day"] == PUBLIC_DAY

    with app.app_context():
        cancel_days(db.session, db.session.get(Registration, cancelled.registration_id))
        db.session.commit()
    body = scan(client, door, cancelled.code, 409, day=PUBLIC_DAY)
    assert body["result"] == "cancelled" and body["error"] == "Cannot check in"
    # The cancellation gave the waiting person the seat.
    scan(client, door, waiting_code, 201, day=PUBLIC_DAY)


# --- Days ------------------------------------------------------------------------------------


def test_each_day_is_its_own_check_in(app, client, forum_setup, door):
    tia = register_member(
        app, forum_setup, "Tia Member", "Buncombe County", [forum_setup.team_day_id]
    )
    body = scan(client, door, tia.code, 409, day=PUBLIC_DAY)
    assert body["result"] == "not_registered_for_day"
    assert "registered for Tuesday, March 16" in body["message"]
    scan(client, door, tia.code, 201, day=TEAM_DAY)
    register_member(app, forum_setup, "Tia Member", "Buncombe County", [forum_setup.public_day_id])
    scan(client, door, tia.code, 201, day=PUBLIC_DAY)
    scan(client, door, tia.code, 200, day=TEAM_DAY)
    assert count_check_ins(app) == 2


def test_a_date_without_a_forum_is_409(app, client, forum_setup, door):
    ada = register_public(app, forum_setup, "Ada Lovelace")
    body = scan(client, door, ada.code, 409, day="2027-03-20")
    assert body["result"] == "not_registered_for_day"
    assert "No forum meets on Saturday, March 20, 2027" in body["message"]
    # A made-up code on such a date is still just invalid.
    assert scan(client, door, "X" * 26, 404, day="2027-03-20")["result"] == "invalid"


def test_two_forums_on_one_date_each_ticket_goes_to_its_own_forum(app, client, forum_setup, door):
    with app.app_context():
        other = build.forum(number=6, days=((date(2027, 3, 15), "public"),))
        db.session.commit()
        other_setup = SimpleNamespace(forum_id=other.id, public_day_id=other.days[0].id)
    ada = register_public(app, forum_setup, "Ada Lovelace")
    olu = register_public(app, other_setup, "Olu Other")
    scan(client, door, ada.code, 201, day=PUBLIC_DAY)
    scan(client, door, olu.code, 201, day=PUBLIC_DAY)
    with app.app_context():
        days = dict(db.session.execute(sa.select(CheckIn.registration_id, CheckIn.day_id)).all())
    assert days == {
        ada.registration_id: forum_setup.public_day_id,
        olu.registration_id: other_setup.public_day_id,
    }


def test_the_day_defaults_to_today_in_the_programs_time_zone(app, client, door):
    today = to_local(utcnow(), "America/New_York").date()
    with app.app_context():
        forum = build.forum(number=7, days=((today, "public"),))
        db.session.commit()
        setup = SimpleNamespace(forum_id=forum.id, public_day_id=forum.days[0].id)
    ada = register_public(app, setup, "Ada Today", now=utcnow())
    body = scan(client, door, ada.code, 201)
    assert body["day"] == today.isoformat()


# --- Malformed requests ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("not json", "body"),
        ([], "body"),
        ({}, "code"),
        ({"code": ""}, "code"),
        ({"code": 42}, "code"),
        ({"code": "A" * 101}, "code"),
        ({"code": "ABC", "day": "15/03/2027"}, "day"),
        ({"code": "ABC", "day": "2027-02-30"}, "day"),
        ({"code": "ABC", "day": 20270315}, "day"),
        ({"code": "ABC", "request_id": ""}, "request_id"),
        ({"code": "ABC", "request_id": "x" * 65}, "request_id"),
        # PostgreSQL refuses NUL even in a lookup; no database stores half a surrogate pair.
        ({"code": "ABC", "request_id": "scan\x00"}, "request_id"),
        ({"code": "ABC", "request_id": "\ud800"}, "request_id"),
        ({"code": "ABC", "door": 3}, "door"),
    ],
)
def test_malformed_requests_are_422_naming_the_field(app, client, door, body, field, document):
    kwargs = (
        {"data": body, "content_type": "application/json"} if body == "not json" else {"json": body}
    )
    response = client.post(URL, headers=door, **kwargs)
    assert response.status_code == 422, response.get_data(as_text=True)
    answer = response.get_json()
    conforms(document, "/checkins", "post", 422, answer)
    assert answer["result"] == "invalid_request" and answer["message"]
    assert list(answer["details"]) == [field]


def test_the_request_schema_accepts_what_the_api_accepts(document):
    registry = Registry().with_resource(DOCUMENT_URI, DRAFT202012.create_resource(document))
    validator = Draft202012Validator(
        {"$ref": f"{DOCUMENT_URI}#/components/schemas/CheckInRequest"},
        registry=registry,
        format_checker=FormatChecker(),
    )
    validator.validate({"code": "7K3MQ4ZP8DXW2N6RTV0B1CHJ9G"})
    validator.validate({"code": "7k3mq-4zp8d", "day": PUBLIC_DAY, "request_id": "a1"})
    refused = [
        {},
        {"code": 1},
        {"code": "A", "day": "15/03/2027"},
        {"code": "A", "x": 1},
        {"code": "A", "request_id": "scan\x00"},
    ]
    for body in refused:
        assert not validator.is_valid(body), body


# --- Roles -----------------------------------------------------------------------------------


def test_only_door_staff_organizers_and_admins_may_check_in(
    app, client, forum_setup, token_for, document
):
    ada = register_public(app, forum_setup, "Ada Lovelace")
    no_token = client.post(URL, json={"code": ada.code, "day": PUBLIC_DAY})
    assert no_token.status_code == 401
    conforms(document, "/checkins", "post", 401, no_token.get_json())
    faculty = client.post(URL, json={"code": ada.code}, headers=token_for("faculty"))
    assert faculty.status_code == 403
    conforms(document, "/checkins", "post", 403, faculty.get_json())
    scan(client, token_for("organizer"), ada.code, 201, day=PUBLIC_DAY)
    scan(client, token_for("admin"), ada.code, 200, day=PUBLIC_DAY)
    assert count_check_ins(app) == 1


def test_door_staff_check_in_on_the_day_itself_and_organizers_on_any_day(
    app, client, forum_setup, door, token_for, today_is, document
):
    ada = register_public(app, forum_setup, "Ada Lovelace")
    today_is(date(2027, 3, 14))  # the eve of the public day
    for day in (PUBLIC_DAY, "2027-03-01"):
        response = client.post(URL, json={"code": ada.code, "day": day}, headers=door)
        assert response.status_code == 403, response.get_json()
        body = response.get_json()
        assert body["result"] == "not_today" and "is not today" in body["message"]
        assert "Ada" not in str(body)  # the refusal tells nothing about the ticket's holder
        conforms(document, "/checkins", "post", 403, body)
    assert count_check_ins(app) == 0
    # Without a day, the door means today, when she has no seat.
    scan(client, door, ada.code, 409)
    # An organizer records the check-in for another day, to correct the record.
    organizer = token_for("organizer")
    response = client.post(URL, json={"code": ada.code, "day": PUBLIC_DAY}, headers=organizer)
    assert response.status_code == 201 and count_check_ins(app) == 1


# --- The ticket image, for staff ---------------------------------------------------------------


def test_staff_can_fetch_a_seated_registrations_ticket_image(
    app, client, forum_setup, door, token_for, document
):
    ada = register_public(app, forum_setup, "Ada Lovelace")
    register_public(app, forum_setup, "B Two")
    waiting = register_public(app, forum_setup, "C Three")
    url = f"/api/v1/registrations/{ada.registration_id}/ticket.png"
    image = client.get(url, headers=door)
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert decode_qr(image.data) == (ada.code, "M")
    path = "/registrations/{registration_id}/ticket.png"
    for url_, headers, status in [
        (f"/api/v1/registrations/{waiting.registration_id}/ticket.png", door, 409),
        ("/api/v1/registrations/987654/ticket.png", door, 404),
        (url, token_for("faculty"), 403),
        (url, {}, 401),
    ]:
        response = client.get(url_, headers=headers)
        assert response.status_code == status, url_
        conforms(document, path, "get", status, response.get_json())


# --- From the QR code on the phone to the door ------------------------------------------------


def test_the_qr_code_the_app_serves_checks_in_through_the_api(app, client, forum_setup, door):
    ada = register_public(app, forum_setup, "Ada Lovelace")
    page = client.get(ada.page).get_data(as_text=True)
    assert ada.image in page
    text, level = decode_qr(client.get(ada.image).data)  # what the door's camera reads
    assert level == "M"
    body = scan(client, door, text, 201, day=PUBLIC_DAY, request_id="phone-scan-1")
    assert body["attendee"]["name"] == "Ada Lovelace"
    assert scan(client, door, text, 200, day=PUBLIC_DAY)["result"] == "already_checked_in"


# --- Two doors at once -----------------------------------------------------------------------


def _scan_at_once(app, headers: dict, bodies: list[dict]) -> list[tuple[int, dict]]:
    """POST every body at the same moment from its own thread and test client."""
    barrier = threading.Barrier(len(bodies))
    answers: list[tuple[int, dict] | BaseException] = [None] * len(bodies)

    def door(index: int) -> None:
        client = app.test_client()
        try:
            barrier.wait(timeout=30)
            response = client.post(URL, json=bodies[index], headers=headers)
            answers[index] = (response.status_code, response.get_json())
        except BaseException as exc:  # reported below, in the test's thread
            answers[index] = exc

    threads = [threading.Thread(target=door, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for answer in answers:
        if isinstance(answer, BaseException):
            raise answer
    return answers


DOORS = 8


def test_the_same_ticket_scanned_at_eight_doors_at_once_checks_in_exactly_once(
    app, forum_setup, door, document, today_is
):
    ada = register_public(app, forum_setup, "Ada Lovelace")
    today_is(date.fromisoformat(PUBLIC_DAY))
    bodies = [
        {"code": ada.code, "day": PUBLIC_DAY, "request_id": f"door-{n}"} for n in range(DOORS)
    ]
    answers = _scan_at_once(app, door, bodies)
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * (DOORS - 1) + [201], answers
    for status, body in answers:
        conforms(document, "/checkins", "post", status, body)
        if status == 200:
            assert body["result"] == "already_checked_in" and body["by"] == "Dana Door"
    assert count_check_ins(app) == 1


def test_one_scan_retried_many_times_at_once_is_one_check_in(app, forum_setup, door, today_is):
    ada = register_public(app, forum_setup, "Ada Lovelace")
    today_is(date.fromisoformat(PUBLIC_DAY))
    body = {"code": ada.code, "day": PUBLIC_DAY, "request_id": "flaky-network-1"}
    answers = _scan_at_once(app, door, [body] * DOORS)
    assert [status for status, _ in answers] == [201] * DOORS
    assert all(answer == answers[0][1] for _, answer in answers)
    assert count_check_ins(app) == 1
