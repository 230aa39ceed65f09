"""Every operation of the JSON API, called anonymously and with each role's token: who may
use it is declared here once, and a new operation fails until it is declared."""

from __future__ import annotations

import re

import pytest

from forumapp.api.openapi import openapi_document
from forumapp.core.models import Role

PUBLIC = "public"
ANY_STAFF = frozenset(Role)

# (method, path in the OpenAPI document) -> PUBLIC, or the roles whose tokens may call it.
# Admins hold every role.
WHO_MAY = {
    ("get", "/me"): ANY_STAFF,
    ("get", "/forums"): PUBLIC,
    ("get", "/forums/{forum_id}/agenda"): PUBLIC,
    ("post", "/forums/{forum_id}/registrations"): PUBLIC,
    ("get", "/forums/{forum_id}/registrations"): {Role.ADMIN, Role.ORGANIZER},
    ("post", "/checkins"): {Role.ADMIN, Role.ORGANIZER, Role.DOOR},
    ("post", "/checkins/batch"): {Role.ADMIN, Role.ORGANIZER, Role.DOOR},
    ("get", "/days/{day_id}/door-snapshot"): {Role.ADMIN, Role.ORGANIZER, Role.DOOR},
    ("get", "/registrations/{registration_id}/ticket.png"): {Role.ADMIN, Role.ORGANIZER, Role.DOOR},
    ("get", "/speakers/{speaker_id}"): PUBLIC,
    ("get", "/openapi.json"): PUBLIC,
    ("get", "/teams"): ANY_STAFF,
    ("post", "/forums/{forum_id}/topic-suggestions"): {Role.ADMIN, Role.ORGANIZER, Role.FACULTY},
    ("get", "/forums/{forum_id}/feedback/summary"): {Role.ADMIN, Role.ORGANIZER, Role.FACULTY},
    ("post", "/forums/{forum_id}/messages"): {Role.ADMIN, Role.ORGANIZER},
    ("get", "/forums/{forum_id}/messages"): {Role.ADMIN, Role.ORGANIZER},
    ("get", "/teams/{team_id}/commitments"): {Role.ADMIN, Role.ORGANIZER, Role.FACULTY},
    ("post", "/teams/{team_id}/commitments"): {Role.ADMIN, Role.ORGANIZER, Role.FACULTY},
    ("patch", "/commitments/{commitment_id}"): {Role.ADMIN, Role.ORGANIZER, Role.FACULTY},
    ("get", "/forums/{forum_id}/commitments"): {Role.ADMIN, Role.ORGANIZER, Role.FACULTY},
    ("get", "/programs/{program_id}/measures"): {Role.ADMIN, Role.ORGANIZER, Role.FACULTY},
    ("get", "/forums/{forum_id}/attendance"): {Role.ADMIN, Role.ORGANIZER},
    ("get", "/forums/{forum_id}/materials"): PUBLIC,
    ("post", "/items/{item_id}/materials"): {Role.ADMIN, Role.ORGANIZER},
    # A personal link in the path is the key: tests/api/test_commitments_api.py.
    ("get", "/me/{token}/teams/{team_id}/commitments"): PUBLIC,
    ("post", "/me/{token}/teams/{team_id}/commitments"): PUBLIC,
    ("patch", "/me/{token}/commitments/{commitment_id}"): PUBLIC,
}


def _operations() -> list[tuple[str, str]]:
    from forumapp import create_app

    with create_app("testing").app_context():
        document = openapi_document()
    return sorted((method, path) for path, ops in document["paths"].items() for method in ops)


def test_every_api_operation_declares_who_may_call_it():
    assert sorted(WHO_MAY) == _operations()


def _call(client, method: str, path: str, headers: dict):
    # Any id will do: the role check comes before the record is looked up.
    url = "/api/v1" + re.sub(r"\{[^}]+\}", "1", path)
    return client.open(url, method=method.upper(), json={}, headers=headers)


@pytest.mark.parametrize("visitor", [None, *Role], ids=lambda v: v or "anonymous")
def test_each_token_reaches_exactly_its_api_operations(app, client, token_for, visitor):
    headers = token_for(visitor) if visitor else {}
    for (method, path), allowed in WHO_MAY.items():
        response = _call(client, method, path, headers)
        where = f"{visitor or 'anonymous'} {method.upper()} {path}: {response.status_code}"
        assert response.status_code < 500, where
        if allowed == PUBLIC:
            assert response.status_code not in (401, 403), where
        elif visitor is None:
            assert response.status_code == 401, where
        elif visitor in allowed:
            assert response.status_code not in (401, 403), where
        else:
            assert response.status_code == 403, where
