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


def test_path_parameters_are_documented_as_integers(document):
    for path, operations in document["paths"].items():
        in_path = set(re.findall(r"{([^}]+)}", path))
        for operation in operations.values():
            parameters = {p["name"]: p for p in operation.get("parameters", [])}
            assert set(parameters) == in_path, path
            for parameter in parameters.values():
                assert parameter["in"] == "path" and parameter["required"] is True
                assert parameter["schema"]["type"] == "integer"


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
        assert {"200", "201"} & set(responses) and "401" in responses, (path, method)
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


def _check(client, document, url, headers=None, status=200) -> dict:
    response = client.get(url, headers=headers or {})
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    _validator(document, _openapi_path(url), "get", status).validate(body)
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
