"""The messages API: organizers write to a group of a forum's people (or only count them), and
list what was sent and scheduled with its delivery; every refusal is a 4xx naming the field."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from forumapp.api.openapi import openapi_document
from forumapp.core.clock import utcnow
from forumapp.extensions import db
from forumapp.mail.models import OutboxMessage
from forumapp.messages.models import GroupMessage

from .. import builders as build
from .test_openapi import _validator

DAY = date(2027, 3, 15)
NAMES = ("Ada Lovelace", "Grace Hopper", "Alan Turing", "Edsger Dijkstra", "Barbara Liskov")


@pytest.fixture
def forum_id(app):
    with app.app_context():
        forum = build.forum(days=((DAY, "public"), (DAY + timedelta(days=1), "team")))
        for name in NAMES + ("Donald Knuth",):
            build.public_registration(forum, name)
        build.team_registration(forum, "Tess Team", "Dare County")
        db.session.commit()
        return forum.id


@pytest.fixture
def organizer(token_for):
    return token_for("organizer")


def _body(**fields) -> dict:
    return {
        "subject": "Parking at {forum}",
        "body": "Hello {first_name}, see you on {day}: {personal_link}",
        "audience": {"days": [DAY.isoformat()]},
        **fields,
    }


def _post(client, forum_id, headers, **fields):
    return client.post(f"/api/v1/forums/{forum_id}/messages", json=_body(**fields), headers=headers)


def _copies(app) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.kind == "group_message")
        )


def _documented(app, response, method="post"):
    with app.app_context():
        document = openapi_document()
    path = "/forums/{forum_id}/messages"
    _validator(document, path, method, response.status_code).validate(response.get_json())


def test_a_dry_run_counts_and_names_five_at_most_and_sends_nothing(
    app, client, forum_id, organizer
):
    response = _post(client, forum_id, organizer, dry_run=True)
    assert response.status_code == 200
    assert response.get_json() == {
        "recipients": 6,
        "sample": ["Ada", "Alan", "Barbara", "Donald", "Edsger"],
    }
    _documented(app, response)
    assert _copies(app) == 0


def test_a_message_goes_to_each_person_once_and_is_listed_with_its_delivery(
    app, client, forum_id, organizer
):
    # Matched by day and by role: still one copy each.
    audience = {"days": [DAY.isoformat()], "roles": ["public", "team_member"]}
    response = _post(client, forum_id, organizer, audience=audience)
    assert response.status_code == 201, response.get_json()
    written = response.get_json()
    assert written["recipients"] == 6
    assert written["send_at"].endswith("-04:00") or written["send_at"].endswith("-05:00")
    _documented(app, response)
    assert _copies(app) == 6
    listed = client.get(f"/api/v1/forums/{forum_id}/messages", headers=organizer)
    assert listed.status_code == 200
    _documented(app, listed, "get")
    (message,) = listed.get_json()["messages"]
    assert message["id"] == written["id"]
    assert message["status"] == "queued"
    assert (message["queued"], message["sent"], message["failed"]) == (6, 0, 0)
    assert message["audience"]["roles"] == ["public", "team_member"]


def test_a_scheduled_message_waits_and_is_listed_as_scheduled(app, client, forum_id, organizer):
    send_at = (utcnow() + timedelta(days=2)).replace(microsecond=0)
    response = _post(client, forum_id, organizer, send_at=send_at.isoformat())
    assert response.status_code == 201
    assert response.get_json()["recipients"] == 6
    assert _copies(app) == 0
    (message,) = client.get(f"/api/v1/forums/{forum_id}/messages", headers=organizer).get_json()[
        "messages"
    ]
    assert message["status"] == "scheduled"
    assert message["queued"] == 0


@pytest.mark.parametrize(
    "fields, field, words",
    [
        ({"audience": {}}, "audience", "Choose who receives the message"),
        ({"audience": {"days": []}}, "audience", "Choose who receives the message"),
        (
            {"audience": {"days": [DAY.isoformat()], "roles": ["project_manager"]}},
            "audience",
            "Nobody matches",
        ),
        ({"audience": {"days": ["2027-04-01"]}}, "audience.days", "Not a day of this forum"),
        ({"audience": {"teams": [999]}}, "audience.teams", "There is no team 999"),
        ({"audience": {"roles": ["mayor"]}}, "audience.roles", "Unknown roles: mayor"),
        ({"body": "Hi {name}"}, "body", "Unknown placeholder {name}"),
        ({"subject": "x" * 201}, "subject", "Use at most 200 characters"),
        ({"body": "x" * 10_001}, "body", "Use at most 10000 characters"),
        ({"send_at": "2020-01-01T09:00:00Z"}, "send_at", "Choose a time in the future"),
        ({"send_at": "2099-01-01T09:00:00Z"}, "send_at", "Choose a time within a year"),
    ],
)
def test_what_the_rules_refuse_is_a_400_naming_the_field(
    app, client, forum_id, organizer, fields, field, words
):
    for dry_run in (True, False):
        response = _post(client, forum_id, organizer, dry_run=dry_run, **fields)
        assert response.status_code == 400, response.get_json()
        assert words in response.get_json()["details"][field]
        _documented(app, response)
    assert _copies(app) == 0
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(GroupMessage)) == 0


@pytest.mark.parametrize(
    "fields, field, words",
    [
        ({"subject": None}, "subject", "Send the message's subject"),
        ({"audience": ["2027-03-15"]}, "audience", "Send audience as an object"),
        ({"audience": {"day": ["2027-03-15"]}}, "audience.day", "Unknown field"),
        ({"audience": {"teams": "3"}}, "audience.teams", "list of team ids"),
        ({"audience": {"days": list(range(101))}}, "audience.days", "Choose at most 100"),
        ({"send_at": "2027-03-01T09:00:00"}, "send_at", "Give send_at its UTC offset"),
        ({"send_at": "next week"}, "send_at", "Send send_at as an instant"),
        ({"dry_run": "yes"}, "dry_run", "true or false"),
    ],
)
def test_a_body_of_the_wrong_shape_is_a_422_naming_the_field(
    app, client, forum_id, organizer, fields, field, words
):
    response = _post(client, forum_id, organizer, **fields)
    assert response.status_code == 422, response.get_json()
    assert words in response.get_json()["details"][field]
    _documented(app, response)
    assert _copies(app) == 0


def test_an_unknown_forum_is_a_404(client, organizer):
    assert _post(client, 4242, organizer).status_code == 404
    assert client.get("/api/v1/forums/4242/messages", headers=organizer).status_code == 404


def test_only_organizers_may_write_or_read_messages(app, client, forum_id, token_for):
    for role in ("door", "faculty"):
        headers = token_for(role)
        assert _post(client, forum_id, headers).status_code == 403
        assert client.get(f"/api/v1/forums/{forum_id}/messages", headers=headers).status_code == 403
    assert _copies(app) == 0


def test_sending_is_limited_per_organizer_and_dry_runs_do_not_count(
    app, client, forum_id, organizer, token_for, monkeypatch
):
    monkeypatch.setitem(app.config, "RATELIMIT_GROUP_MESSAGES", "2 per hour")
    for _ in range(3):
        assert _post(client, forum_id, organizer, dry_run=True).status_code == 200
    assert _post(client, forum_id, organizer).status_code == 201
    assert _post(client, forum_id, organizer).status_code == 201
    refused = _post(client, forum_id, organizer)
    assert refused.status_code == 429
    _documented(app, refused)
    # Another organizer has a count of their own.
    assert _post(client, forum_id, token_for("organizer")).status_code == 201
    assert _copies(app) == 18
