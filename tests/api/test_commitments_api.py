"""The commitments API: staff list, record and update teams' commitments with the rules of
the pages; every answer has the documented shape and every refusal names its field."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from forumapp.api.openapi import openapi_document
from forumapp.core.models import Team
from forumapp.extensions import db

from .. import builders as build
from .test_openapi import _validator


@pytest.fixture
def world(app):
    with app.app_context():
        forum = build.forum(days=((date(2027, 2, 18), "team"),))
        build.forum(number=2, status="draft", days=((date(2027, 5, 20), "team"),))
        owner = build.team_member("Mo Member", "Dare County")
        outsider = build.team_member("Nell Nash", "Nash County")
        db.session.commit()
        team = db.session.scalar(sa.select(Team.id).filter_by(name="Dare County"))
        return {"forum": forum.id, "team": team, "owner": owner.id, "outsider": outsider.id}


def _check(app, response, path, method):
    with app.app_context():
        document = openapi_document()
    _validator(document, path, method, response.status_code).validate(response.get_json())


def _create(client, world, headers, **fields):
    body = {"forum_id": world["forum"], "text": "Map naloxone boxes", **fields}
    return client.post(f"/api/v1/teams/{world['team']}/commitments", json=body, headers=headers)


def test_a_commitment_is_recorded_listed_and_updated(app, client, world, token_for):
    faculty = token_for("faculty")
    created = _create(client, world, faculty, owner_person_id=world["owner"])
    assert created.status_code == 201, created.get_json()
    _check(app, created, "/teams/{team_id}/commitments", "post")
    commitment = created.get_json()
    assert commitment["status"] == "planned" and commitment["due"] == "2027-05-20"
    assert commitment["owner"]["name"] == "Mo Member"

    patched = client.patch(
        f"/api/v1/commitments/{commitment['id']}",
        json={"status": "partly", "note": "Half the boxes placed"},
        headers=faculty,
    )
    assert patched.status_code == 200
    _check(app, patched, "/commitments/{commitment_id}", "patch")
    assert patched.get_json()["status"] == "partly"
    assert patched.get_json()["progress_note"] == "Half the boxes placed"

    for url, path in (
        (f"/api/v1/teams/{world['team']}/commitments", "/teams/{team_id}/commitments"),
        (f"/api/v1/forums/{world['forum']}/commitments", "/forums/{forum_id}/commitments"),
    ):
        listed = client.get(url, headers=faculty)
        assert listed.status_code == 200
        _check(app, listed, path, "get")
        assert [c["status"] for c in listed.get_json()["commitments"]] == ["partly"]


@pytest.mark.parametrize(
    "fields, status, field",
    [
        ({"text": ""}, 400, "text"),
        ({"due": "2026-01-01"}, 400, "due"),
        ({"owner_person_id": "outsider"}, 400, "owner_id"),
        ({"forum_id": "one"}, 422, "forum_id"),
        ({"due": "soon"}, 422, "due"),
        ({"colour": "red"}, 422, "colour"),
    ],
)
def test_bad_commitments_are_refused_by_field(app, client, world, token_for, fields, status, field):
    if fields.get("owner_person_id") == "outsider":
        fields["owner_person_id"] = world["outsider"]
    response = _create(client, world, token_for("organizer"), **fields)
    assert response.status_code == status, response.get_json()
    assert field in response.get_json()["details"]
    _check(app, response, "/teams/{team_id}/commitments", "post")


def test_an_unknown_status_is_refused(app, client, world, token_for):
    organizer = token_for("organizer")
    commitment = _create(client, world, organizer).get_json()
    response = client.patch(
        f"/api/v1/commitments/{commitment['id']}", json={"status": "finished"}, headers=organizer
    )
    assert response.status_code == 400
    assert "done" in response.get_json()["details"]["status"]


def test_door_staff_may_not_see_commitments(client, world, token_for):
    door = token_for("door")
    assert client.get(f"/api/v1/teams/{world['team']}/commitments", headers=door).status_code == 403
    assert _create(client, world, door).status_code == 403


def test_a_project_manager_uses_the_api_with_their_personal_link(app, client, world):
    from forumapp.core.links import personal_token
    from forumapp.core.models import Person

    with app.app_context():
        manager = build.team_member("Pat Manager", "Dare County", "project_manager")
        db.session.commit()
        pm, owner = personal_token(manager), personal_token(db.session.get(Person, world["owner"]))
        outsider = personal_token(db.session.get(Person, world["outsider"]))
    base = f"/api/v1/me/{pm}/teams/{world['team']}/commitments"
    created = client.post(
        base,
        json={
            "forum_id": world["forum"],
            "text": "Map naloxone boxes",
            "owner_person_id": world["owner"],
        },
    )
    assert created.status_code == 201, created.get_json()
    _check(app, created, "/me/{token}/teams/{team_id}/commitments", "post")
    commitment_id = created.get_json()["id"]
    # A member may not add one (the manager has not allowed it), but the owner updates theirs.
    member_add = client.post(
        f"/api/v1/me/{owner}/teams/{world['team']}/commitments",
        json={"forum_id": world["forum"], "text": "Something else"},
    )
    assert member_add.status_code == 403
    done = client.patch(f"/api/v1/me/{owner}/commitments/{commitment_id}", json={"status": "done"})
    assert done.status_code == 200 and done.get_json()["status"] == "done"
    listed = client.get(base)
    _check(app, listed, "/me/{token}/teams/{team_id}/commitments", "get")
    assert [c["status"] for c in listed.get_json()["commitments"]] == ["done"]
    # Someone on another team, or a forged link, finds nothing.
    assert client.get(f"/api/v1/me/{outsider}/teams/{world['team']}/commitments").status_code == 404
    assert client.get(f"/api/v1/me/forged/teams/{world['team']}/commitments").status_code == 404
    assert (
        client.patch(f"/api/v1/me/{outsider}/commitments/{commitment_id}", json={}).status_code
        == 404
    )


def test_updates_through_a_personal_link_share_its_rate_limit(app, client, world, monkeypatch):
    from forumapp.core.links import personal_token

    monkeypatch.setitem(app.config, "RATELIMIT_PERSONAL_LINK", "2 per minute")
    with app.app_context():
        manager = build.team_member("Pat Manager", "Dare County", "project_manager")
        db.session.commit()
        pm = personal_token(manager)
    created = client.post(
        f"/api/v1/me/{pm}/teams/{world['team']}/commitments",
        json={"forum_id": world["forum"], "text": "Map naloxone boxes"},
    )
    url = f"/api/v1/me/{pm}/commitments/{created.get_json()['id']}"
    assert client.patch(url, json={"status": "in_progress"}).status_code == 200
    assert client.patch(url, json={"status": "done"}).status_code == 429
