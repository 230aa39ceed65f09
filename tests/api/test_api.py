"""The JSON API: what the public sees, what a staff token sees, times, and errors."""

from __future__ import annotations

from datetime import date, time

import pytest

from forumapp.extensions import db

from ..conftest import sign_in
from .conftest import (
    CONFIDENTIAL_SESSION,
    DRAFT_SESSION,
    HIDDEN_SPEAKER,
    SECRETS,
    SPEAKER_EMAIL,
    SPEAKER_PHONE,
    STAFF_NOTES,
    TEAM_DAY_SESSION,
    make_forum,
    make_item,
    make_program,
)


def _get(client, url, headers=None, status=200):
    response = client.get(url, headers=headers or {})
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    return response.get_json()


def _titles(agenda: dict) -> list[str]:
    return [item["title"] for item in agenda["items"]]


def _item(agenda: dict, item_id: int) -> dict:
    return next(item for item in agenda["items"] if item["id"] == item_id)


# --- Forums ---------------------------------------------------------------------------------


def test_public_forum_list_has_no_drafts_and_no_team_days(client, world):
    forums = _get(client, "/api/v1/forums")["forums"]
    assert [f["id"] for f in forums] == [world.winter_forum, world.summer_forum]
    winter = forums[0]
    assert [day["id"] for day in winter["days"]] == [world.public_day]
    assert {day["audience"] for f in forums for day in f["days"]} == {"public"}


def test_forum_entry_has_venue_theme_days_and_agenda_link(client, world):
    winter = _get(client, "/api/v1/forums")["forums"][0]
    assert winter["title"] == "Forum 1: Building the team"
    assert winter["theme"] == "Theme of Forum 1: Building the team"
    assert winter["status"] == "published"
    assert winter["time_zone"] == "America/New_York"
    assert winter["program"]["name"] == "Opioid Response Project"
    assert winter["venue"] == {
        "name": "Friday Center",
        "address": "100 Friday Center Dr",
        "city": "Chapel Hill",
    }
    assert winter["days"] == [
        {
            "id": world.public_day,
            "date": "2027-02-18",
            "audience": "public",
            "start": "2027-02-18T08:30:00-05:00",
            "end": "2027-02-18T16:30:00-05:00",
            "capacity": 150,
            "seats_left": 150,
        }
    ]
    assert winter["agenda_url"] == f"/api/v1/forums/{world.winter_forum}/agenda"
    assert _get(client, winter["agenda_url"])["forum_id"] == world.winter_forum


def test_staff_token_lists_drafts_and_team_days(client, world, as_staff):
    forums = _get(client, "/api/v1/forums", as_staff)["forums"]
    assert [f["id"] for f in forums] == [world.winter_forum, world.summer_forum, world.draft_forum]
    assert forums[2]["status"] == "draft"
    assert [(d["date"], d["audience"]) for d in forums[0]["days"]] == [
        ("2027-02-18", "public"),
        ("2027-02-19", "team"),
    ]


def test_a_published_forum_with_only_team_days_is_listed_without_days(app, client):
    with app.app_context():
        make_forum(make_program(), 1, "Teams only", [("team", date(2027, 3, 1))])
        db.session.commit()
    forums = _get(client, "/api/v1/forums")["forums"]
    assert [(f["title"], f["days"]) for f in forums] == [("Teams only", [])]


# --- Agenda ---------------------------------------------------------------------------------


def test_public_agenda_has_public_sessions_in_agenda_order(client, world):
    agenda = _get(client, f"/api/v1/forums/{world.winter_forum}/agenda")
    assert agenda["forum_id"] == world.winter_forum
    assert agenda["time_zone"] == "America/New_York"
    assert _titles(agenda) == ["Opening general session", "Naloxone workshop", "Lunch"]


def test_public_agenda_lists_only_public_speakers(client, world):
    agenda = _get(client, f"/api/v1/forums/{world.winter_forum}/agenda")
    opening = _item(agenda, world.opening)
    assert opening["speakers"] == [{"id": world.ada, "name": "Ada Public", "role": "speaker"}]


def test_agenda_item_fields(client, world):
    agenda = _get(client, f"/api/v1/forums/{world.winter_forum}/agenda")
    assert _item(agenda, world.opening) == {
        "id": world.opening,
        "day_id": world.public_day,
        "date": "2027-02-18",
        "start": "2027-02-18T09:00:00-05:00",
        "end": "2027-02-18T10:00:00-05:00",
        "kind": "general_session",
        "title": "Opening general session",
        "description": "Welcome and goals.",
        "room": {"id": _item(agenda, world.opening)["room"]["id"], "name": "Grand Ballroom"},
        "capacity": 200,  # the room's, since the session has none of its own
        "seats_left": None,
        "status": "scheduled",
        "confidential": False,
        "speakers": [{"id": world.ada, "name": "Ada Public", "role": "speaker"}],
        "materials": [],
    }
    workshop = _item(agenda, world.workshop)
    assert (workshop["room"]["name"], workshop["capacity"]) == ("Room B", 25)
    lunch = _item(agenda, world.lunch)
    assert (lunch["room"], lunch["capacity"], lunch["kind"]) == (None, None, "break")


def test_staff_agenda_has_team_days_confidential_sessions_and_every_speaker(
    client, world, as_staff
):
    agenda = _get(client, f"/api/v1/forums/{world.winter_forum}/agenda", as_staff)
    assert _titles(agenda) == [
        "Opening general session",
        "Naloxone workshop",
        CONFIDENTIAL_SESSION,
        "Lunch",
        TEAM_DAY_SESSION,
    ]
    assert _item(agenda, world.confidential)["confidential"] is True
    assert _item(agenda, world.team_lab)["date"] == "2027-02-19"
    assert [s["name"] for s in _item(agenda, world.opening)["speakers"]] == [
        "Ada Public",
        HIDDEN_SPEAKER,
    ]


def test_staff_token_sees_a_draft_forums_agenda(client, world, as_staff):
    agenda = _get(client, f"/api/v1/forums/{world.draft_forum}/agenda", as_staff)
    assert _titles(agenda) == [DRAFT_SESSION]


def test_draft_forum_is_not_found_for_the_public_exactly_like_an_unknown_id(client, world):
    draft = _get(client, f"/api/v1/forums/{world.draft_forum}/agenda", status=404)
    unknown_id = world.draft_forum + 1000
    unknown = _get(client, f"/api/v1/forums/{unknown_id}/agenda", status=404)
    assert draft == {
        "error": "Page not found",
        "details": f"There is no forum with id {world.draft_forum}.",
    }
    assert unknown == {
        "error": "Page not found",
        "details": f"There is no forum with id {unknown_id}.",
    }


# --- Times ----------------------------------------------------------------------------------


def test_times_carry_the_program_offset_in_winter_and_summer(client, world):
    winter = _get(client, f"/api/v1/forums/{world.winter_forum}/agenda")
    summer = _get(client, f"/api/v1/forums/{world.summer_forum}/agenda")
    assert _item(winter, world.opening)["start"] == "2027-02-18T09:00:00-05:00"
    assert _item(summer, world.summer_plenary)["start"] == "2027-06-10T09:00:00-04:00"
    assert _item(summer, world.summer_plenary)["end"] == "2027-06-10T10:30:00-04:00"


def test_times_are_in_the_programs_own_zone(app, client):
    with app.app_context():
        program = make_program("West coast program", "America/Los_Angeles")
        forum = make_forum(program, 1, "Forum in Oakland", [("public", date(2027, 7, 1))])
        make_item(forum.days[0], "Morning plenary", time(9), time(10))
        db.session.commit()
        forum_id = forum.id
    item = _get(client, f"/api/v1/forums/{forum_id}/agenda")["items"][0]
    assert (item["start"], item["end"]) == (
        "2027-07-01T09:00:00-07:00",
        "2027-07-01T10:00:00-07:00",
    )
    day = _get(client, "/api/v1/forums")["forums"][0]["days"][0]
    assert day["start"] == "2027-07-01T08:30:00-07:00"


# --- Speakers -------------------------------------------------------------------------------


def test_public_speaker_has_public_fields_and_public_sessions_only(client, world):
    speaker = _get(client, f"/api/v1/speakers/{world.ada}")
    assert speaker == {
        "id": world.ada,
        "name": "Ada Public",
        "kind": "faculty",
        "title": "Professor",
        "affiliation": "UNC",
        "bio": "Studies recovery.",
        "photo_url": f"/speakers/{world.ada}/photo",
        "sessions": [
            {
                "id": world.opening,
                "forum_id": world.winter_forum,
                "title": "Opening general session",
                "start": "2027-02-18T09:00:00-05:00",
                "end": "2027-02-18T10:00:00-05:00",
            }
        ],
    }


def test_speaker_without_photo_has_no_photo_url(client, world):
    speaker = _get(client, f"/api/v1/speakers/{world.no_photo}")
    assert speaker["photo_url"] is None
    assert [s["id"] for s in speaker["sessions"]] == [world.summer_plenary]
    assert speaker["sessions"][0]["start"].endswith("-04:00")


def test_staff_token_sees_speaker_contact_notes_status_and_every_session(client, world, as_staff):
    speaker = _get(client, f"/api/v1/speakers/{world.ada}", as_staff)
    assert speaker["email"] == SPEAKER_EMAIL
    assert speaker["phone"] == SPEAKER_PHONE
    assert speaker["status"] == "confirmed"
    assert speaker["staff_notes"] == STAFF_NOTES
    assert [s["title"] for s in speaker["sessions"]] == [
        "Opening general session",
        TEAM_DAY_SESSION,
        DRAFT_SESSION,
    ]


def test_non_public_speaker_is_not_found_for_the_public_but_is_for_staff(client, world, as_staff):
    assert _get(client, f"/api/v1/speakers/{world.hidden}", status=404) == {
        "error": "Page not found",
        "details": f"There is no speaker with id {world.hidden}.",
    }
    assert _get(client, f"/api/v1/speakers/{world.hidden}", as_staff)["name"] == HIDDEN_SPEAKER
    _get(client, "/api/v1/speakers/999999", status=404)


# --- Nothing leaks --------------------------------------------------------------------------


def _public_urls(world) -> list[str]:
    forum_ids = [world.winter_forum, world.summer_forum, world.draft_forum]
    speaker_ids = [world.ada, world.hidden, world.no_photo]
    return [
        "/api/v1/forums",
        *(f"/api/v1/forums/{forum_id}/agenda" for forum_id in forum_ids),
        *(f"/api/v1/speakers/{speaker_id}" for speaker_id in speaker_ids),
        "/api/v1/openapi.json",
    ]


def test_no_public_answer_mentions_anything_team_only_confidential_draft_or_staff(client, world):
    for url in _public_urls(world):
        text = client.get(url).get_data(as_text=True)
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} leaked in {url}"
    ids_of_hidden_items = {world.confidential, world.team_lab, world.draft_keynote}
    for forum_id in (world.winter_forum, world.summer_forum):
        agenda = _get(client, f"/api/v1/forums/{forum_id}/agenda")
        assert not ids_of_hidden_items & {item["id"] for item in agenda["items"]}
        assert all(item["confidential"] is False for item in agenda["items"])


def test_the_secrets_are_really_in_the_staff_answers(client, world, as_staff):
    # Guards the leak test above: the secret texts exist and the staff view shows them.
    text = "".join(
        client.get(url, headers=as_staff).get_data(as_text=True) for url in _public_urls(world)
    )
    for secret in SECRETS:
        assert secret in text


# --- Authentication and errors --------------------------------------------------------------


def test_me_needs_a_token(client, staff_token):
    body = _get(client, "/api/v1/me", status=401)
    assert body["error"] == "Please sign in"
    me = _get(client, "/api/v1/me", {"Authorization": f"Bearer {staff_token}"})
    assert me["role"] == "organizer"


@pytest.mark.parametrize(
    "authorization",
    ["Bearer fa_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz", "fa_token-without-scheme"],
)
def test_a_token_that_does_not_work_is_refused_rather_than_treated_as_public(
    client, world, authorization
):
    response = client.get("/api/v1/forums", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    body = response.get_json()
    assert body["error"] == "Please sign in"
    assert "token" in body["details"]


def test_a_revoked_token_is_refused(app, client, world, staff_token, as_staff):
    from forumapp.core.models import ApiToken
    from forumapp.core.staff import revoke_tokens

    with app.app_context():
        email = db.session.scalar(db.select(ApiToken)).user.email
        revoke_tokens(db.session, email)
        db.session.commit()
    _get(client, "/api/v1/forums", as_staff, status=401)


def test_a_signed_in_staff_browser_sees_the_staff_view(client, world, make_user):
    assert sign_in(client, make_user("organizer")).status_code == 302
    forums = _get(client, "/api/v1/forums")["forums"]
    assert world.draft_forum in [f["id"] for f in forums]


def test_unknown_api_path_and_method_answer_in_json(client):
    missing = _get(client, "/api/v1/nothing-here", status=404)
    assert set(missing) == {"error", "details"}
    response = client.post("/api/v1/forums")
    assert response.status_code == 405
    assert response.get_json()["error"] == "That action is not allowed here"


# --- Least privilege: door and faculty tokens -------------------------------------------------


@pytest.mark.parametrize("role", ["door", "faculty"])
def test_door_and_faculty_tokens_get_a_speakers_public_record_only(client, world, token_for, role):
    speaker = _get(client, f"/api/v1/speakers/{world.ada}", token_for(role))
    assert not {"email", "phone", "status", "staff_notes"} & set(speaker)
    text = str(speaker)
    assert SPEAKER_EMAIL not in text and SPEAKER_PHONE not in text and STAFF_NOTES not in text


def test_a_door_token_sees_forums_and_agendas_as_the_public_does(client, world, token_for):
    door = token_for("door")
    assert _get(client, "/api/v1/forums", door) == _get(client, "/api/v1/forums")
    _get(client, f"/api/v1/forums/{world.draft_forum}/agenda", door, status=404)
    agenda = _get(client, f"/api/v1/forums/{world.winter_forum}/agenda", door)
    assert CONFIDENTIAL_SESSION not in _titles(agenda) and DRAFT_SESSION not in _titles(agenda)


@pytest.mark.parametrize("role", ["door", "faculty"])
def test_only_organizers_list_registrations_with_emails(client, world, token_for, role):
    url = f"/api/v1/forums/{world.winter_forum}/registrations"
    _get(client, url, token_for(role), status=403)


def test_the_registration_list_download_is_audited(app, client, world, as_staff):
    from forumapp.core.audit import AuditEntry

    _get(client, f"/api/v1/forums/{world.winter_forum}/registrations", as_staff)
    with app.app_context():
        entry = db.session.scalar(
            db.select(AuditEntry).filter_by(action="export.registrations_api")
        )
        assert entry is not None and entry.subject == f"forum:{world.winter_forum}"
