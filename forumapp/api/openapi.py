"""The OpenAPI 3.1 document of the JSON API: the paths written here, the schemas generated.

``components.schemas`` is pydantic's JSON Schema of the shapes the paths name (``shapes.py``
for answers, ``request_shapes.py`` for request bodies), so a field exists once: where the view
builds or reads it. ``tests/api/test_openapi.py`` keeps the paths honest: every API route must
appear here (and nothing else), and real answers, public and staff, must validate against the
schemas.
"""

from __future__ import annotations

import copy
import re

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, models_json_schema

from . import shapes
from .request_shapes import (
    CheckInRequest,
    CommitmentProgressRequest,
    CommitmentRequest,
    MessageRequest,
    OfflineScanRequest,
    RegistrationRequest,
    RequestShape,
    TopicSuggestionsRequest,
)

REF_TEMPLATE = "#/components/schemas/{model}"


class _DocumentSchemas(GenerateJsonSchema):
    """pydantic's JSON Schema as the document shows it: no titles (a component's name says
    what it is) and no defaults (a field left out of an answer is left out, not defaulted)."""

    def field_title_should_be_set(self, schema) -> bool:
        return False

    def default_schema(self, schema):
        return self.generate_inner(schema["schema"])


def _json(schema: dict | type[BaseModel], description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str, headers: dict | None = None) -> dict:
    return _json(shapes.Error, description) | ({"headers": headers} if headers else {})


def _header(description: str, schema: dict) -> dict:
    return {"description": description, "required": True, "schema": schema}


def _unauthorized(description: str) -> dict:
    scheme = {"type": "string", "examples": ['Bearer realm="forumapp"']}
    return _error(
        description, {"WWW-Authenticate": _header("The scheme to authenticate with.", scheme)}
    )


# Who may call an operation: the document's default (anyone; a token that is sent must be
# valid), anyone whatever the default, or staff with a bearer token.
Security = list[dict[str, list[str]]] | None
PUBLIC: Security = None
ANYONE: Security = [{}]
STAFF: Security = [{"bearer": []}]
_UNAUTHORIZED = {
    "bad token": _unauthorized(
        "A bearer token was sent but is not valid (mistyped, revoked or expired)."
    ),
    "no token": _unauthorized("No token, or a token that is not valid."),
}
# A signed-in browser's session cookie works on the API too, but a write made with it needs the
# CSRF token of the staff pages, like any form; clients use bearer tokens and never see this.
_BODY_ERRORS = {
    "413": _error("The body is larger than the server accepts."),
    "400": _error("A write with a staff sign-in cookie and no CSRF token (use a token)."),
}
_RATE_LIMITED = _error(
    "Too many registrations from this address; wait a minute.",
    {
        "Retry-After": _header(
            "Seconds to wait before trying again.", {"type": "string", "pattern": "^[0-9]+$"}
        )
    },
)


def _operation(
    method_and_path: str,
    operation_id: str,
    summary: str,
    who: list | None,
    answers: dict[int, dict],
    errors: dict[int, str | dict] | None = None,
    *,
    description: str | None = None,
    body: type[RequestShape] | dict | None = None,
    form: dict | None = None,
) -> tuple[str, str, dict]:
    """One operation: ``answers`` maps each success status to its response, ``errors`` each
    error status to its description (or a whole response). A 401 is added (as ``who`` makes
    it), and a 413 and a 400 wherever a body is taken. Shapes stand for their schemas."""
    method, path = method_and_path.split()
    operation: dict = {"operationId": operation_id, "summary": summary}
    if description:
        operation["description"] = description
    if who is not None:
        operation["security"] = who
    if names := re.findall(r"{([^}]+)}", path):
        operation["parameters"] = [_id_parameter(name) for name in names]
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body}},
        }
    if form is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"multipart/form-data": {"schema": form}},
        }
        body = form
    responses = {str(status): response for status, response in answers.items()}
    responses["401"] = _UNAUTHORIZED["no token" if who == STAFF else "bad token"]
    for status, error in (errors or {}).items():
        responses[str(status)] = error if isinstance(error, dict) else _error(error)
    if body is not None:
        for status_code, error in _BODY_ERRORS.items():
            if status_code in responses:  # one status, two causes: say both
                merged = copy.deepcopy(responses[status_code])
                merged["description"] += f" Also: {error['description']}"
                responses[status_code] = merged
            else:
                responses[status_code] = error
    operation["responses"] = responses
    return method, path, operation


def _id_parameter(name: str) -> dict:
    if name == "token":
        return {
            "name": name,
            "in": "path",
            "required": True,
            "description": "The person's personal link: what follows /me/ in it.",
            "schema": {"type": "string", "minLength": 1},
        }
    what = name.removesuffix("_id")
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": f"The {what}'s id.",
        "schema": TypeAdapter(shapes.Id).json_schema(),
    }


_TICKET_PNG = {
    "description": "A PNG of the ticket's QR code (level M, with quiet zone).",
    "content": {"image/png": {"schema": {"type": "string"}}},
}

_OPERATIONS = [
    _operation(
        "get /me",
        "me",
        "The staff account of the bearer token",
        STAFF,
        {200: _json(shapes.Me, "The account.")},
    ),
    _operation(
        "get /forums",
        "forums",
        "Forums with their days",
        PUBLIC,
        {200: _json(shapes.Forums, "Forums in program and number order.")},
        description="The public sees published and closed forums and their public days.",
    ),
    _operation(
        "get /forums/{forum_id}/agenda",
        "forum_agenda",
        "A forum's agenda",
        PUBLIC,
        {200: _json(shapes.Agenda, "The agenda.")},
        {404: "No such forum, or one the viewer may not see."},
        description=(
            "The public sees the sessions of public days, without confidential sessions "
            "or non-public speakers. A draft forum is not found for the public."
        ),
    ),
    _operation(
        "post /forums/{forum_id}/registrations",
        "create_registration",
        "Register for public days of a forum",
        ANYONE,
        {202: _json(shapes.RegistrationReceived, "Received; the outcome is emailed.")},
        {
            403: "A team-only day, or a forum not open for registration.",
            404: "No such forum, or a draft.",
            409: "Registration for a requested day has not opened or has closed.",
            422: (
                "The body is not a JSON object of the documented shape, or a value is not "
                "acceptable; `details` maps each field (or `body`) to a message."
            ),
            429: _RATE_LIMITED,
        },
        description=(
            "Open to anyone, no token needed; rate limited per client address. Days are "
            "given by date; team-only days are refused. The answer never says whether the "
            "email was known, nor carries anyone's registration or personal link: a new "
            "email is registered at once and told the outcome by email; a known one gets "
            "an email asking its owner to confirm (nothing of theirs changes until then), "
            "or its personal link again when those days are already held."
        ),
        body=RegistrationRequest,
    ),
    _operation(
        "get /forums/{forum_id}/registrations",
        "forum_registrations",
        "A forum's registrations (organizers; audited)",
        STAFF,
        {200: _json(shapes.StaffRegistrations, "The registrations.")},
        {403: "The token's role may not see registrations.", 404: "No such forum."},
    ),
    _operation(
        "post /checkins",
        "create_checkin",
        "Check someone in at the door (door staff and organizers)",
        STAFF,
        {
            201: _json(
                {"oneOf": [shapes.CheckedIn, shapes.PresenceRecorded]},
                "Checked in now (or a retried request); with `session` or an exit, the "
                "presence recorded.",
            ),
            200: _json(shapes.AlreadyCheckedIn, "Already checked in that day."),
        },
        {
            403: (
                "The token's role is not door staff, organizer or admin; or, with "
                "`result: not_today`, door staff named a `day` other than today (only "
                "organizers and admins record check-ins for other days)."
            ),
            404: (
                "`result: invalid`: not a ticket code, an unknown (forged or mistyped) "
                "code, or a code replaced by a newer one."
            ),
            409: (
                "`result` is `not_registered_for_day` (another day, another forum, or no "
                "forum that date), `waitlisted` or `cancelled`; for a presence scan also "
                "`not_checked_in` (an exit at the entrance of someone never checked in)."
            ),
            422: (
                "`result: invalid_request`: the body is not a JSON object of the "
                "documented shape, `day` is not a date, or `session` is no session (or not "
                "of that day)."
            ),
        },
        description=(
            "Send the code read from a ticket's QR code, or typed. One person is checked in "
            "at most once per day, whatever the number of doors scanning at once: the "
            "database decides, and the other scans hear `already_checked_in`. Refusals "
            "are errors with `result` and a `message` for the door; for 409 `details` is "
            '`{"attendee": …, "day": …}`, for 422 it maps each field to a message.'
        ),
        body=CheckInRequest,
    ),
    _operation(
        "get /registrations/{registration_id}/ticket.png",
        "registration_ticket",
        "A registration's ticket QR code (door staff and organizers)",
        STAFF,
        {200: _TICKET_PNG},
        {
            403: "The token's role is not door staff, organizer or admin.",
            404: "No such registration.",
            409: "No confirmed seat, so no ticket.",
            410: "The person was erased: no ticket is issued for them again.",
        },
    ),
    _operation(
        "get /speakers/{speaker_id}",
        "speaker",
        "A speaker and their sessions",
        PUBLIC,
        {200: _json(shapes.Speaker, "The speaker.")},
        {404: "No such speaker, or one that is not public."},
    ),
    _operation(
        "get /openapi.json",
        "openapi",
        "This document",
        ANYONE,
        {200: _json({"type": "object"}, "The OpenAPI 3.1 document.")},
    ),
    # --- Feedback: teams, topic suggestions, the faculty summary
    _operation(
        "get /teams",
        "teams",
        "The program's teams (any staff token)",
        STAFF,
        {200: _json(shapes.Teams, "Teams by name.")},
    ),
    _operation(
        "post /forums/{forum_id}/topic-suggestions",
        "create_topic_suggestions",
        "Add topic suggestions raised after a forum (organizers and faculty)",
        STAFF,
        {201: _json(shapes.TopicSuggestionsCreated, "Added.")},
        {
            403: "The token's role is not organizer or faculty.",
            404: "No such forum.",
            422: (
                "Nothing was added. `details` maps `body`, `suggestions`, "
                "`suggestions[i]` or `suggestions[i].field` to a message, e.g. an unknown "
                "team_id."
            ),
        },
        description=(
            "For suggestions collected outside the feedback form. All are checked first: "
            "with one bad item nothing is added. The forum's topics are regrouped after."
        ),
        body=TopicSuggestionsRequest,
    ),
    _operation(
        "get /forums/{forum_id}/feedback/summary",
        "feedback_summary_json",
        "A forum's feedback summary (faculty and organizers)",
        STAFF,
        {200: _json(shapes.FeedbackSummary, "The summary.")},
        {403: "The token's role is not faculty or organizer.", 404: "No such forum."},
    ),
    # --- Group messages
    _operation(
        "post /forums/{forum_id}/messages",
        "create_message",
        "Write to a group of a forum's people, or count them (organizers)",
        STAFF,
        {
            201: _json(shapes.MessageWritten, "Written: queued for everyone now, or scheduled."),
            200: _json(shapes.MessageCount, "A dry run: nothing was written or sent."),
        },
        {
            400: (
                "Nothing was written: an empty audience, one that matches nobody, a value "
                "that is not the forum's (a day, a session, a team), an unknown placeholder, "
                "a subject or body too long, or a send_at in the past or over a year away. "
                "`details` names the field: `audience`, `audience.days`, `subject`, `body`, "
                "`send_at`."
            ),
            403: "The token's role is not organizer.",
            404: "No such forum.",
            422: (
                "The body is not a JSON object of the documented shape; `details` maps each "
                "field (or `body`) to a message."
            ),
            429: _RATE_LIMITED,
        },
        description=(
            "Each person the audience reaches gets their own copy through the outbox, with "
            "the placeholders filled in for them; a person matched several ways gets one. "
            "People who cancelled, and erased people, get none. A message with `send_at` "
            "waits and reaches the people who match when it goes. Messages written (not dry "
            "runs) are limited per organizer, shared with the messages page."
        ),
        body=MessageRequest,
    ),
    _operation(
        "get /programs/{program_id}/measures",
        "program_measures_json",
        "The program's shared measures, forum by forum and team by team (organizers, faculty)",
        STAFF,
        {200: _json(shapes.ProgramMeasures, "The same figures as the measures page.")},
        {403: "The token's role is not organizer or faculty.", 404: "No such program."},
    ),
    # --- The offline door
    _operation(
        "get /days/{day_id}/door-snapshot",
        "door_snapshot",
        "The day's roster for a door that may lose the network (door staff, organizers)",
        STAFF,
        {200: _json(shapes.DoorSnapshot, "Hashed codes and what the door shows of each.")},
        {
            403: "The token's role is not door staff, organizer or admin.",
            404: "No such day, or door staff asking for a day other than today.",
        },
        description=(
            "Codes come only as HMAC-SHA256 under `key`, made for this user and day: the page "
            "hashes what it scans. Refresh it every minute while online."
        ),
    ),
    _operation(
        "post /checkins/batch",
        "sync_checkins",
        "Check in the scans an offline door let through, with their scan times",
        STAFF,
        {200: _json(shapes.SyncedScans, "One answer per scan, in the order sent.")},
        {
            403: "The token's role is not door staff, organizer or admin.",
            422: "The body is not a list of 1 to 200 scans of the documented shape.",
        },
        description=(
            "Idempotent per `request_id`: a retried batch changes nothing. A scan is checked "
            "in at its `scanned_at`; one that can no longer be (the person is in already, "
            "the ticket was replaced, the place cancelled) is answered `conflict` and listed "
            "for organizers on the live check-in page. A `scanned_at` in the future or off "
            "its day is `refused`."
        ),
        body={
            "type": "array",
            "minItems": 1,
            "maxItems": 200,
            "items": OfflineScanRequest,
        },
    ),
    # --- Materials
    _operation(
        "get /forums/{forum_id}/materials",
        "forum_materials_json",
        "A forum's materials the caller may see (public ones without a token)",
        ANYONE,
        {200: _json(shapes.Materials, "The forum's own materials first, then by session.")},
        {404: "No such forum (a draft forum, without a staff token)."},
    ),
    _operation(
        "post /items/{item_id}/materials",
        "create_material",
        "Add a file or a link to a session (organizers)",
        STAFF,
        {201: _json(shapes.MaterialRef, "Added.")},
        {
            400: (
                "Nothing was added: no title, a file and a link or neither, a file that is not "
                "a PDF, image or office document by its content, an empty or oversized file, "
                "or a link that is not http(s); `details` names the field."
            ),
            403: "The token's role is not organizer.",
            404: "No such session.",
        },
        form={
            "type": "object",
            "required": ["title"],
            "properties": {
                "title": {"type": "string", "minLength": 1, "maxLength": 200},
                "title_es": {"type": "string", "maxLength": 200},
                "visibility": {
                    "type": "string",
                    "enum": ["public", "registrants", "teams", "staff"],
                    "default": "public",
                },
                "file": {"type": "string", "format": "binary"},
                "url": {"type": "string", "format": "uri", "maxLength": 2000},
            },
        },
    ),
    # --- Attendance
    _operation(
        "get /forums/{forum_id}/attendance",
        "forum_attendance_json",
        "Each person's presence in each session, with credited minutes by credit type (organizers)",
        STAFF,
        {200: _json(shapes.ForumAttendance, "The same rows as the attendance download.")},
        {403: "The token's role is not organizer.", 404: "No such forum."},
        description="Audited like the attendance download.",
    ),
    # --- Commitments between forums
    _operation(
        "get /teams/{team_id}/commitments",
        "team_commitments_json",
        "A team's commitments, forum by forum (organizers and faculty)",
        STAFF,
        {200: _json(shapes.Commitments, "The commitments.")},
        {403: "The token's role is not organizer or faculty.", 404: "No such team."},
    ),
    _operation(
        "post /teams/{team_id}/commitments",
        "create_commitment",
        "Record a team's commitment (organizers and faculty)",
        STAFF,
        {201: _json(shapes.Commitment, "Recorded, planned.")},
        {
            400: (
                "Nothing was recorded: empty or too long text, an owner not on the team's "
                "roster, a due date before the forum or after the program ends, a forum of "
                "another program or a topic group of another forum; `details` names the field."
            ),
            403: "The token's role is not organizer or faculty.",
            404: "No such team.",
            422: "The body is not a JSON object of the documented shape.",
        },
        body=CommitmentRequest,
    ),
    _operation(
        "patch /commitments/{commitment_id}",
        "update_commitment",
        "Update a commitment's status and notes (organizers and faculty)",
        STAFF,
        {200: _json(shapes.Commitment, "Updated; a dated step is added to its history.")},
        {
            400: "A status not in the list, or a note too long; `details` names the field.",
            403: "The token's role is not organizer or faculty.",
            404: "No such commitment.",
            422: "The body is not a JSON object of the documented shape.",
        },
        body=CommitmentProgressRequest,
    ),
    _operation(
        "get /me/{token}/teams/{team_id}/commitments",
        "linked_team_commitments",
        "A team's commitments, by the personal link of someone on its roster",
        ANYONE,
        {200: _json(shapes.Commitments, "The commitments.")},
        {404: "The link is not valid, or its person is not on that team."},
        description="No token: the personal link (from the person's email) is the key.",
    ),
    _operation(
        "post /me/{token}/teams/{team_id}/commitments",
        "linked_create_commitment",
        "Record a team's commitment by the project manager's personal link",
        ANYONE,
        {201: _json(shapes.Commitment, "Recorded, planned.")},
        {
            400: "Nothing was recorded; `details` names the field, as for staff.",
            403: "A member, while the project manager lets only themselves add commitments.",
            404: "The link is not valid, or its person is not on that team.",
            422: "The body is not a JSON object of the documented shape.",
        },
        body=CommitmentRequest,
    ),
    _operation(
        "patch /me/{token}/commitments/{commitment_id}",
        "linked_update_commitment",
        "Update a commitment by its owner's or the project manager's personal link",
        ANYONE,
        {200: _json(shapes.Commitment, "Updated; a dated step is added to its history.")},
        {
            400: "A status not in the list, or a note too long; `details` names the field.",
            404: "The link is not valid, or its person neither owns it nor manages its team.",
            422: "The body is not a JSON object of the documented shape.",
        },
        body=CommitmentProgressRequest,
    ),
    _operation(
        "get /forums/{forum_id}/commitments",
        "forum_commitments_json",
        "Every team's commitments made at a forum (organizers and faculty)",
        STAFF,
        {200: _json(shapes.Commitments, "Team by team.")},
        {403: "The token's role is not organizer or faculty.", 404: "No such forum."},
    ),
    _operation(
        "get /forums/{forum_id}/messages",
        "list_messages",
        "A forum's group messages with their delivery (organizers)",
        STAFF,
        {200: _json(shapes.GroupMessages, "Newest first.")},
        {403: "The token's role is not organizer.", 404: "No such forum."},
    ),
]


def _replace_shapes(node, replace):
    """``node`` (a part of the document) with ``replace(shape)`` for every shape class in it."""
    if isinstance(node, dict):
        return {key: _replace_shapes(value, replace) for key, value in node.items()}
    if isinstance(node, list):
        return [_replace_shapes(value, replace) for value in node]
    if isinstance(node, type) and issubclass(node, shapes.Shape):
        return replace(node)
    return node


def _with_schemas(paths: dict) -> tuple[dict, dict]:
    """``paths`` with every shape class replaced by its ``$ref``, and the generated schemas of
    those shapes (and of every shape and enum they use), by name."""
    used: dict[type[shapes.Shape], None] = {}
    _replace_shapes(paths, lambda shape: used.setdefault(shape))
    # Request bodies as pydantic reads them, answers as it writes them.
    refs, generated = models_json_schema(
        [(s, "validation" if issubclass(s, RequestShape) else "serialization") for s in used],
        ref_template=REF_TEMPLATE,
        schema_generator=_DocumentSchemas,
    )
    by_shape = {shape: ref for (shape, _mode), ref in refs.items()}
    schemas = generated["$defs"]
    for schema in schemas.values():
        schema.pop("title", None)
        if "description" in schema:  # a docstring, wrapped for the code's line length
            schema["description"] = " ".join(schema["description"].split())
    return _replace_shapes(paths, by_shape.__getitem__), dict(sorted(schemas.items()))


def _build_document() -> dict:
    paths: dict = {}
    for method, path, operation in _OPERATIONS:
        paths.setdefault(path, {})[method] = operation
    paths, schemas = _with_schemas(paths)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "forumapp API",
            "version": "1",
            "description": (
                "JSON API of the forum program. Without a token it shows what the public site "
                "shows, and anyone may register for public days; a staff token "
                "(`flask --app forumapp token create EMAIL`) sent as "
                "`Authorization: Bearer <token>` sees everything. Times are ISO 8601 in the "
                "program's time zone with their UTC offset. Errors are "
                '`{"error": "...", "details": ...}`.'
            ),
        },
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "servers": [{"url": "/api/v1"}],
        # Anonymous access is allowed unless an operation says otherwise.
        "security": [{}, {"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A staff API token, e.g. `fa_...`.",
                }
            },
        },
    }


_DOCUMENT = _build_document()


def openapi_document() -> dict:
    """The OpenAPI document as a fresh dict (callers may change their copy)."""
    return copy.deepcopy(_DOCUMENT)
