"""The OpenAPI document matches the routes, and real answers match its schemas."""

from __future__ import annotations

import copy
import re

import pytest
from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from forumapp.api import bp
from forumapp.api.openapi import openapi_document
from forumapp.core.clock import utcnow
from forumapp.core.models import ForumDay
from forumapp.extensions import db

from .conftest import PUBLIC_DATE, TEAM_DATE, registration_body

DOCUMENT_URI = "urn:forumapp:api:openapi"
IGNORED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture(scope="module")
def document() -> dict:
    return openapi_document()


def _api_routes(app) -> dict[tuple[str, str], str]:
    """``(openapi path, method) -> endpoint`` for every route of the API blueprint."""
    routes = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] != bp.name:
            continue
        path = rule.rule.removeprefix(bp.url_prefix)
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", path)
        for method in rule.methods - IGNORED_METHODS:
            routes[(path, method.lower())] = rule.endpoint
    return routes


def _documented_operations(document) -> dict[tuple[str, str], dict]:
    return {
        (path, method): operation
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    }


def test_every_api_route_is_documented_and_every_documented_path_exists(app, document):
    assert document["servers"] == [{"url": bp.url_prefix}]
    routes = _api_routes(app)
    documented = _documented_operations(document)
    assert sorted(routes) == sorted(documented)
    for key, endpoint in routes.items():
        assert f"{bp.name}.{documented[key]['operationId']}" == endpoint, key


def test_path_parameters_are_documented_as_integers_or_a_personal_link(document):
    for path, operations in document["paths"].items():
        in_path = set(re.findall(r"{([^}]+)}", path))
        for operation in operations.values():
            parameters = {p["name"]: p for p in operation.get("parameters", [])}
            assert set(parameters) == in_path, path
            for parameter in parameters.values():
                assert parameter["in"] == "path" and parameter["required"] is True
                expected = "string" if parameter["name"] == "token" else "integer"
                assert parameter["schema"]["type"] == expected


def test_schemas_are_valid_json_schema_and_every_reference_resolves(document):
    components = document["components"]["schemas"]
    for name, schema in components.items():
        Draft202012Validator.check_schema(schema)
        if schema.get("type") == "object":
            assert schema["additionalProperties"] is False, name
    text = repr(document)
    for name in re.findall(r"#/components/schemas/(\w+)", text):
        assert name in components, name
    assert {"Forum", "Day", "AgendaItem", "Speaker", "Error"} <= set(components)
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_every_operation_documents_its_error_answers_with_the_error_schema(document):
    for (path, method), operation in _documented_operations(document).items():
        responses = operation["responses"]
        assert {"200", "201", "202"} & set(responses) and "401" in responses, (path, method)
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (path, method, status)


def test_the_document_is_served_as_json(client, document):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.get_json() == document
    assert response.get_json()["openapi"].startswith("3.1")


# --- Real answers against the schemas -------------------------------------------------------


def _pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def _validator(document: dict, path: str, method: str, status: int) -> Draft202012Validator:
    """A validator for the documented JSON body of one answer, refs resolved in the document."""
    assert str(status) in document["paths"][path][method]["responses"], (path, method, status)
    registry = Registry().with_resource(DOCUMENT_URI, DRAFT202012.create_resource(document))
    pointer = _pointer(
        "paths", path, method, "responses", str(status), "content", "application/json", "schema"
    )
    return Draft202012Validator(
        {"$ref": f"{DOCUMENT_URI}#/{pointer}"}, registry=registry, format_checker=FormatChecker()
    )


def _openapi_path(url: str) -> str:
    path = url.removeprefix(bp.url_prefix)
    path = re.sub(r"^/forums/\d+/", "/forums/{forum_id}/", path)
    return re.sub(r"^/speakers/\d+$", "/speakers/{speaker_id}", path)


def _check_headers(document, path: str, method: str, response) -> None:
    """The answer carries every header the document says it always has."""
    documented = document["paths"][path][method]["responses"][str(response.status_code)]
    for name, header in documented.get("headers", {}).items():
        assert not header.get("required") or name in response.headers, (path, method, name)


def _check(client, document, url, headers=None, status=200) -> dict:
    response = client.get(url, headers=headers or {})
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    _validator(document, _openapi_path(url), "get", status).validate(body)
    _check_headers(document, _openapi_path(url), "get", response)
    return body


def _urls(world) -> list[str]:
    return [
        "/api/v1/forums",
        *(
            f"/api/v1/forums/{forum_id}/agenda"
            for forum_id in (world.winter_forum, world.summer_forum, world.draft_forum)
        ),
        *(
            f"/api/v1/speakers/{speaker_id}"
            for speaker_id in (world.ada, world.hidden, world.no_photo)
        ),
    ]


def test_public_answers_match_the_document(client, document, world):
    hidden_from_public = {
        f"/api/v1/forums/{world.draft_forum}/agenda",
        f"/api/v1/speakers/{world.hidden}",
    }
    for url in _urls(world):
        _check(client, document, url, status=404 if url in hidden_from_public else 200)


def test_staff_answers_match_the_document(client, document, world, as_staff):
    for url in _urls(world):
        _check(client, document, url, as_staff)
    _check(client, document, "/api/v1/me", as_staff)


def test_error_answers_match_the_document(client, document, world):
    _check(client, document, "/api/v1/forums/987654/agenda", status=404)
    _check(client, document, "/api/v1/speakers/987654", status=404)
    _check(client, document, "/api/v1/me", status=401)
    bad_token = {"Authorization": "Bearer fa_wrong"}
    for url in ["/api/v1/forums", "/api/v1/openapi.json", *_urls(world)]:
        _check(client, document, url, bad_token, status=401)


def test_public_speaker_answer_has_no_staff_only_fields(client, document, world):
    # The Speaker schema lists staff fields as optional, so it cannot catch this on its own.
    speaker = _check(client, document, f"/api/v1/speakers/{world.ada}")
    staff_only = {"email", "phone", "status", "staff_notes"}
    assert not staff_only & set(speaker)
    assert set(document["components"]["schemas"]["Speaker"]["required"]).isdisjoint(staff_only)


@pytest.mark.parametrize(
    ("url", "where"),
    [
        ("/api/v1/forums", lambda body: body["forums"][0]),
        ("/api/v1/forums", lambda body: body["forums"][0]["days"][0]),
        ("/api/v1/forums", lambda body: body["forums"][0]["venue"]),
        ("agenda", lambda body: body["items"][0]),
        ("agenda", lambda body: body["items"][0]["speakers"][0]),
        ("agenda", lambda body: body["items"][0]["room"]),
        ("speaker", lambda body: body),
        ("speaker", lambda body: body["sessions"][0]),
    ],
)
def test_an_undocumented_field_fails_validation(client, document, world, url, where):
    url = {
        "agenda": f"/api/v1/forums/{world.winter_forum}/agenda",
        "speaker": f"/api/v1/speakers/{world.ada}",
    }.get(url, url)
    body = _check(client, document, url)
    changed = copy.deepcopy(body)
    where(changed)["surprise"] = 1
    with pytest.raises(ValidationError):
        _validator(document, _openapi_path(url), "get", 200).validate(changed)


def test_a_time_without_offset_fails_validation(client, document, world):
    url = f"/api/v1/forums/{world.winter_forum}/agenda"
    body = _check(client, document, url)
    body["items"][0]["start"] = "2027-02-18T14:00:00Z"
    with pytest.raises(ValidationError):
        _validator(document, _openapi_path(url), "get", 200).validate(body)


# --- Registration: requests and answers against the document --------------------------------


def _request_validator(document: dict, path: str, method: str) -> Draft202012Validator:
    registry = Registry().with_resource(DOCUMENT_URI, DRAFT202012.create_resource(document))
    pointer = _pointer(
        "paths", path, method, "requestBody", "content", "application/json", "schema"
    )
    return Draft202012Validator(
        {"$ref": f"{DOCUMENT_URI}#/{pointer}"}, registry=registry, format_checker=FormatChecker()
    )


def _check_post(client, document, url, body, headers=None, status=201) -> dict:
    response = client.post(url, json=body, headers=headers or {})
    assert response.status_code == status, response.get_data(as_text=True)
    answer = response.get_json()
    _validator(document, _openapi_path(url), "post", status).validate(answer)
    _check_headers(document, _openapi_path(url), "post", response)
    return answer


def _registrations_url(world) -> str:
    return f"/api/v1/forums/{world.winter_forum}/registrations"


def test_registration_answers_match_the_document(app, client, document, world, as_staff):
    url = _registrations_url(world)
    with app.app_context():
        db.session.get(ForumDay, world.public_day).capacity = 1
        db.session.commit()
    created = _check_post(client, document, url, registration_body("Ada One"), status=202)
    assert "/me/" not in str(created)
    _check_post(client, document, url, registration_body("Bo Two"), status=202)  # waitlisted
    _check_post(client, document, url, registration_body("Ada One"), status=202)  # known
    _check_post(client, document, url, {"name": 1, "days": "x"}, status=422)
    _check_post(client, document, url, registration_body(days=[TEAM_DATE]), status=403)
    bad_token = {"Authorization": "Bearer fa_wrong"}
    _check_post(client, document, url, registration_body(), bad_token, status=401)
    missing = f"/api/v1/forums/{world.draft_forum}/registrations"
    _check_post(client, document, missing, registration_body(days=["2027-09-09"]), status=404)
    with app.app_context():
        day = db.session.get(ForumDay, world.public_day)
        day.registration_closes_at = utcnow()
        db.session.commit()
    _check_post(client, document, url, registration_body("Cy Late"), status=409)
    assert registration_body()["days"] == [PUBLIC_DATE]

    staff_list = _check(client, document, url, as_staff)
    assert len(staff_list["registrations"]) == 2
    _check(client, document, url, status=401)
    _check(client, document, "/api/v1/forums/987654/registrations", as_staff, status=404)


def test_staff_registration_list_for_a_door_token_is_a_documented_403(
    app, client, document, world, make_user
):
    result = app.test_cli_runner().invoke(args=["token", "create", make_user("door")])
    door = {"Authorization": f"Bearer {result.stdout.strip().splitlines()[0]}"}
    _check(client, document, _registrations_url(world), door, status=403)


def test_too_many_registrations_is_a_documented_429(app, client, document, world):
    url = _registrations_url(world)
    limit = int(app.config["RATELIMIT_PUBLIC_API"].split()[0])
    for n in range(limit):
        client.post(url, json=registration_body(f"Person {n}"))
    _check_post(client, document, url, registration_body("One More"), status=429)


def test_the_request_schema_accepts_what_the_api_accepts_and_refuses_the_rest(document):
    validator = _request_validator(document, "/forums/{forum_id}/registrations", "post")
    accepted = [
        registration_body(),
        registration_body(community="Wake", accessibility_needs=None, dietary_needs="Vegan"),
        {"name": "Ada", "email": "ada@example.org", "consent": True, "days": ["2027-02-18"]},
    ]
    for body in accepted:
        validator.validate(body)
    refused = [
        registration_body(consent=False),
        registration_body(days=[]),
        registration_body(days="2027-02-18"),
        registration_body(days=["18/02/2027"]),
        registration_body(day_ids=[1]),
        registration_body() | {"name": 42},
        registration_body() | {"name": "Ada\x00"},
        registration_body(organization="Town\x0bof Apex"),
        {k: v for k, v in registration_body().items() if k != "email"},
    ]
    for body in refused:
        with pytest.raises(ValidationError):
            validator.validate(body)


def test_a_body_too_large_is_a_documented_413_wherever_a_body_is_taken(
    app, client, document, world, make_user, monkeypatch
):
    result = app.test_cli_runner().invoke(args=["token", "create", make_user("organizer")])
    organizer = {"Authorization": f"Bearer {result.stdout.strip().splitlines()[0]}"}
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    monkeypatch.setitem(app.config, "MATERIALS_MAX_BYTES", 1000)  # an upload's limit: 1 MB more
    over_upload_limit = b" " * (1024 * 1024 + 2001)
    taking_a_body = [
        (path, method)
        for (path, method), operation in _documented_operations(document).items()
        if "requestBody" in operation
    ]
    assert len(taking_a_body) == 10
    for path, method in taking_a_body:
        url = bp.url_prefix + re.sub(r"{[^}]+}", str(world.winter_forum), path)
        response = client.open(
            url,
            method=method,
            data=over_upload_limit if path.endswith("/materials") else b" " * 2000,
            content_type="application/json",
            headers=organizer,
        )
        assert response.status_code == 413, (path, response.get_data(as_text=True))
        _validator(document, path, method, 413).validate(response.get_json())


def test_every_401_says_how_to_authenticate(document):
    for (path, method), operation in _documented_operations(document).items():
        headers = operation["responses"]["401"].get("headers", {})
        assert headers.get("WWW-Authenticate", {}).get("required"), (path, method)


def test_a_signed_in_browser_writing_without_a_csrf_token_gets_a_documented_400(
    document, world, signed_in
):
    browser = signed_in("organizer")
    for (path, method), operation in _documented_operations(document).items():
        if "requestBody" not in operation:
            continue
        url = bp.url_prefix + re.sub(r"{[^}]+}", str(world.winter_forum), path)
        response = browser.open(url, method=method, json={})
        assert response.status_code == 400, (path, response.get_data(as_text=True))
        _validator(document, path, method, 400).validate(response.get_json())


def test_a_registration_answer_carrying_anything_of_a_person_fails_validation(document):
    validator = _validator(document, "/forums/{forum_id}/registrations", "post", 202)
    received = {"status": "received", "email": "a@example.org", "message": "Thank you."}
    validator.validate(received)
    for extra in ({"id": 1}, {"manage_url": "http://x.example/me/t"}, {"waitlist_position": 2}):
        with pytest.raises(ValidationError):
            validator.validate(received | extra)
