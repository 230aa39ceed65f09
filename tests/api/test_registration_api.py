"""Registration through the JSON API: public sign-up by date, and the staff list."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from forumapp.agenda.models import AgendaItem
from forumapp.core.clock import utcnow
from forumapp.core.models import Forum, ForumDay, Person
from forumapp.extensions import db
from forumapp.mail.models import OutboxMessage
from forumapp.registration.breakouts import choose_breakout
from forumapp.registration.models import DaySeat, Registration
from forumapp.registration.public import registration_sent_message
from forumapp.registration.seats import waitlist_position

from .. import builders as build
from ..builders import emailed_personal_link
from ..support.queries import statements_sent
from .conftest import PUBLIC_DATE, TEAM_DATE, registration_body


def _url(forum_id: int) -> str:
    return f"/api/v1/forums/{forum_id}/registrations"


def _post(client, world, body, status: int, **kwargs) -> dict:
    response = client.post(_url(world.winter_forum), json=body, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    return response.get_json()


def _change_day(app, day_id: int, **fields) -> None:
    with app.app_context():
        day = db.session.get(ForumDay, day_id)
        for name, value in fields.items():
            setattr(day, name, value)
        db.session.commit()


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- Registering ----------------------------------------------------------------------------


def _days_of(app, email: str) -> list[tuple[str, str, int | None]]:
    """(date, status, waitlist position) of each day ``email`` holds, as their email says."""
    with app.app_context():
        seats = db.session.scalars(
            sa.select(DaySeat)
            .join(Registration)
            .join(Person)
            .where(Person.email == email)
            .order_by(DaySeat.day_id)
        ).all()
        return sorted(
            (s.day.date.isoformat(), s.status, waitlist_position(db.session, s)) for s in seats
        )


def _received(email: str) -> dict:
    return {
        "status": "received",
        "email": email,
        "message": registration_sent_message(email),
    }


def test_a_new_registration_is_confirmed_and_its_personal_link_emailed(app, client, world):
    body = _post(client, world, registration_body(), 202)
    assert body == _received("ada.lovelace@public.example.org")
    assert _days_of(app, "ada.lovelace@public.example.org") == [(PUBLIC_DATE, "confirmed", None)]
    with app.app_context():
        registration = db.session.scalar(sa.select(Registration))
        assert registration.person.organization == "Town of Apex"
        assert db.session.get(ForumDay, world.public_day).seats_taken == 1
        link = emailed_personal_link("ada.lovelace@public.example.org")
    # The personal page the emailed link leads to works.
    assert client.get(link).status_code == 200


def test_registering_the_same_email_again_creates_nothing_and_emails_the_link(app, client, world):
    _post(client, world, registration_body(), 202)
    again = _post(
        client, world, registration_body("Ada L.", email=" ADA.Lovelace@public.example.org"), 202
    )
    assert again == _received("ada.lovelace@public.example.org")
    assert _count(app, Registration) == 1 and _count(app, DaySeat) == 1
    with app.app_context():
        kinds = db.session.scalars(sa.select(OutboxMessage.kind).order_by(OutboxMessage.id)).all()
    # The link goes to the inbox only (beside the calendar invitation, tested in tests/calendar).
    assert [k for k in kinds if not k.startswith("calendar")] == ["registration", "personal_link"]


def test_a_known_person_registering_for_another_forum_is_asked_to_confirm_by_email(
    app, client, world
):
    _post(client, world, registration_body(days=[PUBLIC_DATE]), 202)
    summer = client.post(_url(world.summer_forum), json=registration_body(days=["2027-06-10"]))
    assert summer.status_code == 202 and "/me/" not in summer.get_data(as_text=True)
    # Knowing someone's email is not enough to register them: the owner confirms first.
    assert _days_of(app, "ada.lovelace@public.example.org") == [(PUBLIC_DATE, "confirmed", None)]
    with app.app_context():
        assert (
            db.session.scalar(sa.select(OutboxMessage.kind).order_by(OutboxMessage.id.desc()))
            == "registration_request"
        )


def test_optional_details_are_stored(app, client, world):
    body = registration_body(
        community="Wake County", accessibility_needs="Wheelchair", dietary_needs=None
    )
    _post(client, world, body, 202)
    with app.app_context():
        registration = db.session.scalar(sa.select(Registration))
        assert (registration.community, registration.accessibility_needs) == (
            "Wake County",
            "Wheelchair",
        )
        assert registration.dietary_needs == ""
        assert registration.consented_at is not None


def test_a_full_day_waitlists_in_order(app, client, world):
    _change_day(app, world.public_day, capacity=2)
    for name in ["A One", "B Two", "C Three", "D Four"]:
        _post(client, world, registration_body(name), 202)
    assert _days_of(app, "b.two@public.example.org") == [(PUBLIC_DATE, "confirmed", None)]
    assert _days_of(app, "c.three@public.example.org") == [(PUBLIC_DATE, "waitlisted", 1)]
    assert _days_of(app, "d.four@public.example.org") == [(PUBLIC_DATE, "waitlisted", 2)]
    # Asking again keeps the same place in the queue.
    _post(client, world, registration_body("D Four"), 202)
    assert _days_of(app, "d.four@public.example.org") == [(PUBLIC_DATE, "waitlisted", 2)]


def test_each_day_is_confirmed_or_waitlisted_on_its_own(app, client, world):
    with app.app_context():
        forum = db.session.get(Forum, world.winter_forum)
        forum.days.append(ForumDay(date=forum.days[0].date + timedelta(days=5), audience="public"))
        db.session.commit()
    _change_day(app, world.public_day, capacity=1)
    _post(client, world, registration_body("A One"), 202)
    later = "2027-02-23"
    _post(client, world, registration_body("B Two", days=[later, PUBLIC_DATE]), 202)
    assert _days_of(app, "b.two@public.example.org") == [
        (PUBLIC_DATE, "waitlisted", 1),
        (later, "confirmed", None),
    ]


# --- Refusals -------------------------------------------------------------------------------


def _problems(client, world, body, **kwargs) -> dict:
    answer = _post(client, world, body, 422, **kwargs)
    assert answer["error"] == "The registration is not valid"
    return answer["details"]


def _without(field: str) -> dict:
    body = registration_body()
    del body[field]
    return body


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        (_without("name"), "name", "Enter your full name"),
        (registration_body() | {"name": "   "}, "name", "Enter your full name"),
        (registration_body() | {"name": 42}, "name", "string"),
        (_without("email"), "email", "Enter your email address"),
        (registration_body(email="not-an-email"), "email", "name@example.org"),
        (_without("consent"), "consent", '"consent": true'),
        (registration_body(consent=False), "consent", '"consent": true'),
        (registration_body(consent="yes"), "consent", '"consent": true'),
        (registration_body(days=[]), "days", "Choose at least one day"),
        (_without("days"), "days", "Choose at least one day"),
        (registration_body(days=PUBLIC_DATE), "days", "list of dates"),
        (registration_body(days=["18/02/2027"]), "days", "like 2027-03-15"),
        (registration_body(days=["2027-02-30"]), "days", "like 2027-03-15"),
        (registration_body(days=[12]), "days", "like 2027-03-15"),
        (registration_body(days=["2027-05-01"]), "days", "2027-05-01 is not a day of this forum"),
        (registration_body(organization=["x"]), "organization", "string"),
        (registration_body(community="x" * 201), "community", "at most 200"),
        (registration_body(day_ids=[1]), "day_ids", "Unknown field"),
        # Text no database stores: PostgreSQL refuses NUL, nothing stores half a surrogate.
        (registration_body() | {"name": "Ada\x00"}, "name", "control characters"),
        (registration_body(email="ada\x00@example.org"), "email", "control characters"),
        (registration_body(organization="\ud800"), "organization", "broken Unicode"),
    ],
)
def test_each_invalid_field_is_named_with_a_message(app, client, world, body, field, words):
    details = _problems(client, world, body)
    assert list(details) == [field]
    assert words in details[field]
    assert _count(app, Registration) == 0


def test_an_unknown_date_names_only_public_days(client, world):
    details = _problems(client, world, registration_body(days=["2027-05-01"]))
    assert PUBLIC_DATE in details["days"] and TEAM_DATE not in details["days"]


def test_every_problem_is_reported_at_once(client, world):
    body = {"email": 7, "consent": False, "days": "soon", "extra": 1}
    assert set(_problems(client, world, body)) == {"name", "email", "consent", "days", "extra"}


@pytest.mark.parametrize(
    "raw",
    [b"", b"{not json", b"\xff\xfe", b"[1, 2]", b"null", b'"text"', b"[" * 100_000, b"1" * 5000],
)
def test_a_body_that_is_not_a_json_object_is_refused(client, world, raw):
    details = _problems(client, world, None, data=raw, content_type="application/json")
    assert list(details) == ["body"] and "JSON object" in details["body"]


def test_a_form_post_is_refused_as_not_json(client, world):
    details = _problems(client, world, None, data={"name": "Ada"})
    assert list(details) == ["body"]


def test_a_team_only_day_is_forbidden(app, client, world):
    body = _post(client, world, registration_body(days=[PUBLIC_DATE, TEAM_DATE]), 403)
    assert body["error"] == "Registration is not allowed"
    assert "community teams only" in body["details"]["days"]
    assert _count(app, Registration) == 0


def test_a_closed_window_is_a_conflict(app, client, world):
    _change_day(
        app,
        world.public_day,
        registration_opens_at=utcnow() - timedelta(days=10),
        registration_closes_at=utcnow() - timedelta(minutes=1),
    )
    body = _post(client, world, registration_body(), 409)
    assert body["error"] == "Registration is closed"
    assert "closed on" in body["details"]["days"]
    _change_day(
        app,
        world.public_day,
        registration_opens_at=utcnow() + timedelta(days=1),
        registration_closes_at=None,
    )
    assert "opens on" in _post(client, world, registration_body(), 409)["details"]["days"]
    assert _count(app, Registration) == 0


def test_a_closed_forum_is_not_open_for_registration(app, client, world):
    with app.app_context():
        db.session.get(Forum, world.winter_forum).status = "closed"
        db.session.commit()
    body = _post(client, world, registration_body(), 403)
    assert body["details"] == {"forum": "Registration for this forum is not open."}


def test_draft_and_unknown_forums_are_not_found(client, world):
    for forum_id in (world.draft_forum, world.draft_forum + 1000):
        response = client.post(_url(forum_id), json=registration_body(days=["2027-09-09"]))
        assert response.status_code == 404
        assert response.get_json()["details"] == f"There is no forum with id {forum_id}."


ODD_VALUES = [None, True, 0, -1, 2**70, 1.5, "", " ", "x" * 5000, [], [None], {}, {"a": 1}]


@pytest.mark.parametrize(
    "field",
    [
        "name",
        "email",
        "organization",
        "community",
        "accessibility_needs",
        "dietary_needs",
        "consent",
        "days",
    ],
)
def test_no_value_of_any_field_causes_a_server_error(client, world, field):
    for value in ODD_VALUES:
        response = client.post(
            _url(world.winter_forum), json=registration_body("Odd Values") | {field: value}
        )
        assert response.status_code in (202, 422), (field, value, response.status_code)
        assert response.is_json


def test_an_id_too_large_for_the_database_is_simply_not_found(client, world, as_staff):
    url = _url(2**63)
    assert client.post(url, json=registration_body()).status_code == 404
    assert client.get(url, headers=as_staff).status_code == 404


def test_registration_is_rate_limited_per_address(app, client, world):
    limit = int(app.config["RATELIMIT_PUBLIC_API"].split()[0])
    for n in range(limit):
        client.post(_url(world.winter_forum), json=registration_body(f"Person {n}"))
    response = client.post(_url(world.winter_forum), json=registration_body("One Too Many"))
    assert response.status_code == 429
    assert response.get_json()["error"] == "Too many attempts"


# --- The staff list -------------------------------------------------------------------------


def _register_with_pick(app, world) -> None:
    """Ada registers through the API; Bo is waitlisted; Ada picks the workshop."""
    _change_day(app, world.public_day, capacity=1)
    client = app.test_client()
    _post(client, world, registration_body("Ada Lovelace", community="Wake County"), 202)
    _post(client, world, registration_body("Bo Waits"), 202)
    with app.app_context():
        registration = db.session.scalar(sa.select(Registration).order_by(Registration.id))
        workshop = db.session.get(AgendaItem, world.workshop)
        build.join_team(registration.person, "Wake County")  # breakouts are for team members
        choose_breakout(db.session, registration, workshop)
        db.session.commit()


def test_staff_list_registrations_with_days_and_picks(app, client, world, as_staff):
    _register_with_pick(app, world)
    response = client.get(_url(world.winter_forum), headers=as_staff)
    assert response.status_code == 200
    body = response.get_json()
    assert body["forum_id"] == world.winter_forum
    ada, bo = body["registrations"]
    assert ada["person"] | {"id": 0} == {
        "id": 0,
        "name": "Ada Lovelace",
        "email": "ada.lovelace@public.example.org",
        "organization": "Town of Apex",
    }
    assert (ada["kind"], ada["community"]) == ("public", "Wake County")
    assert ada["created_at"].endswith("-05:00")  # the program's zone in February
    assert ada["days"] == [{"date": PUBLIC_DATE, "status": "confirmed", "waitlist_position": None}]
    assert ada["picks"] == [
        {"item_id": world.workshop, "title": "Naloxone workshop", "status": "confirmed"}
    ]
    assert bo["days"] == [{"date": PUBLIC_DATE, "status": "waitlisted", "waitlist_position": 1}]
    assert bo["picks"] == []


def test_staff_list_of_another_forum_is_empty_and_unknown_forum_is_not_found(
    client, world, as_staff
):
    response = client.get(_url(world.summer_forum), headers=as_staff)
    assert response.get_json() == {"forum_id": world.summer_forum, "registrations": []}
    assert client.get(_url(987654), headers=as_staff).status_code == 404


def test_staff_list_needs_a_token_of_organizer_or_faculty(app, client, world, make_user):
    response = client.get(_url(world.winter_forum))
    assert response.status_code == 401
    assert response.get_json()["error"] == "Please sign in"
    door = make_user("door")
    result = app.test_cli_runner().invoke(args=["token", "create", door])
    token = result.stdout.strip().splitlines()[0]
    response = client.get(_url(world.winter_forum), headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert response.is_json


def test_staff_list_loads_in_a_fixed_number_of_queries(app, client, world, as_staff):
    def queries_for_list() -> int:
        with statements_sent(app) as sent:
            assert client.get(_url(world.winter_forum), headers=as_staff).status_code == 200
        return len(sent)

    _register_with_pick(app, world)
    queries_for_list()  # the first use of a token records it
    with_two = queries_for_list()
    for n in range(8):
        _post(client, world, registration_body(f"More People {n}"), 202)
    assert queries_for_list() == with_two


def test_forums_and_agenda_report_seats_left_as_people_register(app, client, world):
    _change_day(app, world.public_day, capacity=3)

    def public_day_seats():
        forums = client.get("/api/v1/forums").get_json()["forums"]
        return next(d for f in forums for d in f["days"] if d["id"] == world.public_day)[
            "seats_left"
        ]

    def agenda_seats():
        items = client.get(f"/api/v1/forums/{world.winter_forum}/agenda").get_json()["items"]
        return {i["id"]: i["seats_left"] for i in items}

    assert public_day_seats() == 3
    assert agenda_seats()[world.workshop] == 25
    assert agenda_seats()[world.opening] is None  # not a breakout: no seats of its own
    _post(client, world, registration_body("A One"), 202)
    assert public_day_seats() == 2
    with app.app_context():
        registration = db.session.scalar(sa.select(Registration))
        workshop = db.session.get(AgendaItem, world.workshop)
        build.join_team(registration.person, "Wake County")  # breakouts are for team members
        choose_breakout(db.session, registration, workshop)
        db.session.commit()
    assert agenda_seats()[world.workshop] == 24


def test_a_signed_in_browser_cannot_write_to_the_api_without_a_csrf_token(app, signed_in, world):
    browser = signed_in("organizer")
    response = browser.post(
        "/api/v1/checkins", data='{"code": "X"}', headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 400
    assert browser.post("/api/v1/checkins", json={"code": "X"}).status_code == 400
    # A token still works, and a bad token is refused even with a session cookie present.
    assert (
        browser.post(
            "/api/v1/checkins", json={"code": "X"}, headers={"Authorization": "Bearer nope"}
        ).status_code
        == 401
    )
