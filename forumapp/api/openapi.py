"""The OpenAPI 3.1 document of the JSON API, written by hand.

``tests/api/test_openapi.py`` keeps it honest: every API route must appear here (and nothing
else), and real responses, public and staff, must validate against these schemas. Object
schemas forbid undocumented properties, so a field added to a view fails the tests until it
is described here.
"""

from __future__ import annotations

import copy
import enum

from ..agenda.models import ItemKind, ItemStatus, SpeakerKind, SpeakerRole, SpeakerStatus
from ..checkin.outcomes import ScanResult
from ..core.database import UNSTORABLE_CHARACTERS
from ..core.models import Audience, ForumStatus, Role
from ..registration.models import RegistrationKind, SeatStatus

# Longest text accepted for the optional fields of a public registration (the view enforces it).
REGISTRATION_TEXT_LIMITS = {
    "organization": 200,
    "community": 200,
    "accessibility_needs": 2000,
    "dietary_needs": 2000,
}

# Longest ticket code and scanner request id a check-in accepts (the view enforces them).
CHECKIN_CODE_MAX_LENGTH = 100
CHECKIN_REQUEST_ID_MAX_LENGTH = 64
_CHECKIN_REFUSALS = [
    ScanResult.INVALID.value,
    ScanResult.NOT_REGISTERED_FOR_DAY.value,
    ScanResult.CANCELLED.value,
    ScanResult.WAITLISTED.value,
    ScanResult.REQUEST_ID_REUSED.value,
    "invalid_request",
    "not_today",
]


def _values(enum_cls: type[enum.Enum]) -> list[str]:
    return [member.value for member in enum_cls]


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def _object(properties: dict, optional: tuple[str, ...] = (), **extra) -> dict:
    """A closed object schema: every property required unless listed in ``optional``."""
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
        **extra,
    }


_ID = {"type": "integer", "minimum": 1}
# Text the API stores: no control characters (tab and line breaks aside), no broken Unicode.
_PRINTABLE = {"pattern": f"^[^{UNSTORABLE_CHARACTERS}]*$"}
_COUNT = {"type": "integer", "minimum": 0}
_DATE = {"type": "string", "format": "date", "examples": ["2027-02-18"]}

_SCHEMAS = {
    "LocalDateTime": {
        "type": "string",
        "format": "date-time",
        "description": "An instant in the program's time zone, always with its UTC offset.",
        # An offset, never "Z" or none, so clients can show the local wall-clock time as is.
        "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{2}:\d{2}$",
        "examples": ["2027-02-18T09:00:00-05:00"],
    },
    "Error": _object(
        {
            "error": {"type": "string", "description": "A short, human-readable title."},
            "details": {"description": "More about what went wrong; any JSON value or null."},
            "result": {
                "type": "string",
                "enum": _CHECKIN_REFUSALS,
                "description": "Check-in answers only: why the person cannot be checked in.",
            },
            "message": {
                "type": "string",
                "description": "Check-in answers only: a sentence to show at the door.",
            },
        },
        optional=("result", "message"),
        description=(
            "Every error answer of the API has this shape. Refused check-ins also carry "
            "`result` and `message`."
        ),
    ),
    "Me": _object(
        {
            "email": {"type": "string", "format": "email"},
            "name": {"type": "string"},
            "role": {"type": "string", "enum": _values(Role)},
        },
        description="The staff account a bearer token belongs to.",
    ),
    "Day": _object(
        {
            "id": _ID,
            "date": _DATE,
            "audience": {
                "type": "string",
                "enum": _values(Audience),
                "description": "Team days are listed only for staff.",
            },
            "start": _ref("LocalDateTime"),
            "end": _ref("LocalDateTime"),
            "capacity": _nullable(_COUNT),
            "seats_left": _nullable(
                _COUNT | {"description": "Free seats on the day; null when it has no limit."}
            ),
        },
        description="A day of a forum.",
    ),
    "Forum": _object(
        {
            "id": _ID,
            "number": {"type": "integer", "minimum": 1},
            "title": {"type": "string"},
            "theme": {"type": "string"},
            "status": {
                "type": "string",
                "enum": _values(ForumStatus),
                "description": "Drafts are listed only for staff.",
            },
            "program": _object({"id": _ID, "name": {"type": "string"}}),
            "time_zone": {"type": "string", "examples": ["America/New_York"]},
            "venue": _object(
                {
                    "name": {"type": "string"},
                    "address": {"type": "string"},
                    "city": {"type": "string"},
                }
            ),
            "days": {
                "type": "array",
                "items": _ref("Day"),
                "description": "The days the viewer may see, in date order.",
            },
            "agenda_url": {"type": "string", "examples": ["/api/v1/forums/1/agenda"]},
        },
        description="A forum of the program, with its venue and days.",
    ),
    "SpeakerRef": _object(
        {
            "id": _ID,
            "name": {"type": "string"},
            "role": {"type": "string", "enum": _values(SpeakerRole)},
        },
        description="A speaker's part in a session. The public sees public speakers only.",
    ),
    "AgendaItem": _object(
        {
            "id": _ID,
            "day_id": _ID,
            "date": _DATE,
            "start": _ref("LocalDateTime"),
            "end": _ref("LocalDateTime"),
            "kind": {"type": "string", "enum": _values(ItemKind)},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "room": _nullable(_object({"id": _ID, "name": {"type": "string"}})),
            "capacity": _nullable(
                _COUNT | {"description": "The session's own capacity, else its room's."}
            ),
            "seats_left": _nullable(
                _COUNT
                | {"description": "Free seats in a breakout; null for other sessions or no limit."}
            ),
            "status": {"type": "string", "enum": _values(ItemStatus)},
            "confidential": {
                "type": "boolean",
                "description": "Confidential sessions are listed only for staff.",
            },
            "speakers": {"type": "array", "items": _ref("SpeakerRef")},
        },
        description="A session on a forum day.",
    ),
    "Agenda": _object(
        {
            "forum_id": _ID,
            "time_zone": {"type": "string", "examples": ["America/New_York"]},
            "items": {
                "type": "array",
                "items": _ref("AgendaItem"),
                "description": "Sessions of the visible days, by day, start time and order.",
            },
        },
    ),
    "SpeakerSession": _object(
        {
            "id": _ID,
            "forum_id": _ID,
            "title": {"type": "string"},
            "start": _ref("LocalDateTime"),
            "end": _ref("LocalDateTime"),
        },
    ),
    "Speaker": _object(
        {
            "id": _ID,
            "name": {"type": "string"},
            "kind": {"type": "string", "enum": _values(SpeakerKind)},
            "title": {"type": "string"},
            "affiliation": {"type": "string"},
            "bio": {"type": "string"},
            "photo_url": _nullable({"type": "string", "examples": ["/speakers/1/photo"]}),
            "sessions": {
                "type": "array",
                "items": _ref("SpeakerSession"),
                "description": "The sessions the viewer may see, across the program's forums.",
            },
            "email": {"type": "string", "description": "Organizers only."},
            "phone": _nullable({"type": "string", "description": "Organizers only."}),
            "status": {
                "type": "string",
                "enum": _values(SpeakerStatus),
                "description": "Organizers only.",
            },
            "staff_notes": {"type": "string", "description": "Organizers only: travel, honoraria."},
        },
        optional=("email", "phone", "status", "staff_notes"),
        description=(
            "A speaker record. Organizer tokens also get email, phone, status and notes; door "
            "and faculty tokens get the public record."
        ),
    ),
    "RegistrationRequest": _object(
        {
            "name": {"type": "string", "minLength": 1, "maxLength": 200} | _PRINTABLE,
            "email": {"type": "string", "format": "email", "maxLength": 254} | _PRINTABLE,
            **{
                name: _nullable({"type": "string", "maxLength": limit} | _PRINTABLE)
                for name, limit in REGISTRATION_TEXT_LIMITS.items()
            },
            "consent": {
                "const": True,
                "description": "Agreement to the privacy note; registration needs it.",
            },
            "days": {
                "type": "array",
                "items": _DATE,
                "minItems": 1,
                "description": "Public days of the forum, by local date.",
            },
        },
        optional=tuple(REGISTRATION_TEXT_LIMITS),
        description="A member of the public registering for public days of a forum.",
    ),
    "RegistrationDay": _object(
        {
            "date": _DATE,
            "status": {"type": "string", "enum": _values(SeatStatus)},
            "waitlist_position": _nullable(
                {"type": "integer", "minimum": 1, "description": "1 is the next to get a seat."}
            ),
        },
        description="A registration's place on one day.",
    ),
    "RegistrationReceived": _object(
        {
            "status": {"type": "string", "const": "received"},
            "email": {"type": "string", "format": "email", "description": "Where we wrote."},
            "message": {"type": "string", "description": "What happens next, for a person."},
        },
        description=(
            "The same answer whether or not the email was known: the outcome (seats, "
            "waitlist places, ticket) and the personal link go to that inbox only."
        ),
    ),
    "StaffRegistration": _object(
        {
            "id": _ID,
            "kind": {"type": "string", "enum": _values(RegistrationKind)},
            "created_at": _ref("LocalDateTime"),
            "person": _object(
                {
                    "id": _ID,
                    "name": {"type": "string"},
                    "email": {"type": "string", "format": "email"},
                    "organization": {"type": "string"},
                }
            ),
            "community": {"type": "string"},
            "days": {
                "type": "array",
                "items": _ref("RegistrationDay"),
                "description": "Every day seat, cancelled ones included, in date order.",
            },
            "picks": {
                "type": "array",
                "items": _object(
                    {
                        "item_id": _ID,
                        "title": {"type": "string"},
                        "status": {"type": "string", "enum": _values(SeatStatus)},
                    }
                ),
                "description": "Breakout picks in agenda order, cancelled ones included.",
            },
        },
        description="A registration as staff see it.",
    ),
    "CheckInRequest": _object(
        {
            "code": {
                "type": "string",
                "minLength": 1,
                "maxLength": CHECKIN_CODE_MAX_LENGTH,
                "description": (
                    "The ticket code as scanned from the QR code or typed: 26 characters; "
                    "case, spaces, dashes and the look-alikes O/I/L are forgiven."
                ),
                "examples": ["7K3MQ4ZP8DXW2N6RTV0B1CHJ9G", "7K3MQ-4ZP8D-XW2N6-RTV0B-1CHJ9-G"],
            },
            "day": _DATE
            | {
                "description": (
                    "The forum day to check in for. Default: today in the program's time zone; "
                    "door staff may name today only. "
                    "When several forums meet that date, the day of the ticket's forum."
                )
            },
            "request_id": {
                "type": "string",
                "minLength": 1,
                "maxLength": CHECKIN_REQUEST_ID_MAX_LENGTH,
                **_PRINTABLE,
                "description": (
                    "The scanner's id for this scan, new for each scan (a UUID). Sending the "
                    "same request again (a retry) returns the first answer and counts once."
                ),
            },
        },
        optional=("day", "request_id"),
        description="A scan at the door.",
    ),
    "CheckInAttendee": _object(
        {
            "name": {"type": "string"},
            "organization": {"type": "string"},
            "teams": {
                "type": "array",
                "items": {"type": "string"},
                "description": "The program's teams the person is on.",
            },
            "accessibility_needs": {
                "type": "string",
                "description": "As the person gave them at registration; empty if none.",
            },
        },
        description="Who the ticket belongs to, for the person at the door.",
    ),
    "CheckedIn": _object(
        {
            "result": {"const": ScanResult.CHECKED_IN.value},
            "message": {"type": "string", "examples": ["Welcome, Ada! Checked in for …"]},
            "attendee": _ref("CheckInAttendee"),
            "day": _DATE,
        },
        description="A new check-in (or the first answer again, for a retried request_id).",
    ),
    "AlreadyCheckedIn": _object(
        {
            "result": {"const": ScanResult.ALREADY_CHECKED_IN.value},
            "message": {"type": "string"},
            "attendee": _ref("CheckInAttendee"),
            "day": _DATE,
            "checked_in_at": _ref("LocalDateTime"),
            "by": _nullable(
                {"type": "string", "description": "The staff member who checked them in."}
            ),
        },
        description="The person was already checked in that day; nothing changed.",
    ),
}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str, headers: dict | None = None) -> dict:
    response = _json(_ref("Error"), description)
    if headers:
        response["headers"] = headers
    return response


def _unauthorized(description: str) -> dict:
    return _error(
        description,
        {
            "WWW-Authenticate": {
                "description": "The scheme to authenticate with.",
                "required": True,
                "schema": {"type": "string", "examples": ['Bearer realm="forumapp"']},
            }
        },
    )


_BAD_TOKEN = _unauthorized(
    "A bearer token was sent but is not valid (mistyped, revoked or expired)."
)
_NO_TOKEN = _unauthorized("No token, or a token that is not valid.")
# A signed-in browser's session cookie works on the API too, but a write made with it needs the
# CSRF token of the staff pages, like any form; clients use bearer tokens and never see this.
_NO_CSRF_TOKEN = _error("A write with a staff sign-in cookie and no CSRF token (use a token).")
_TOO_LARGE = _error("The body is larger than the server accepts.")


def _id_parameter(name: str, what: str) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": f"The {what}'s id.",
        "schema": _ID,
    }


_PATHS = {
    "/me": {
        "get": {
            "operationId": "me",
            "summary": "The staff account of the bearer token",
            "security": [{"bearer": []}],
            "responses": {
                "200": _json(_ref("Me"), "The account."),
                "401": _NO_TOKEN,
            },
        }
    },
    "/forums": {
        "get": {
            "operationId": "forums",
            "summary": "Forums with their days",
            "description": "The public sees published and closed forums and their public days.",
            "responses": {
                "200": _json(
                    _object({"forums": {"type": "array", "items": _ref("Forum")}}),
                    "Forums in program and number order.",
                ),
                "401": _BAD_TOKEN,
            },
        }
    },
    "/forums/{forum_id}/agenda": {
        "get": {
            "operationId": "forum_agenda",
            "summary": "A forum's agenda",
            "description": (
                "The public sees the sessions of public days, without confidential sessions "
                "or non-public speakers. A draft forum is not found for the public."
            ),
            "parameters": [_id_parameter("forum_id", "forum")],
            "responses": {
                "200": _json(_ref("Agenda"), "The agenda."),
                "401": _BAD_TOKEN,
                "404": _error("No such forum, or one the viewer may not see."),
            },
        }
    },
    "/forums/{forum_id}/registrations": {
        "post": {
            "operationId": "create_registration",
            "summary": "Register for public days of a forum",
            "description": (
                "Open to anyone, no token needed; rate limited per client address. Days are "
                "given by date; team-only days are refused. The answer never says whether the "
                "email was known, nor carries anyone's registration or personal link: a new "
                "email is registered at once and told the outcome by email; a known one gets "
                "an email asking its owner to confirm (nothing of theirs changes until then), "
                "or its personal link again when those days are already held."
            ),
            "security": [{}],
            "parameters": [_id_parameter("forum_id", "forum")],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("RegistrationRequest")}},
            },
            "responses": {
                "202": _json(_ref("RegistrationReceived"), "Received; the outcome is emailed."),
                "401": _BAD_TOKEN,
                "403": _error("A team-only day, or a forum not open for registration."),
                "404": _error("No such forum, or a draft."),
                "409": _error("Registration for a requested day has not opened or has closed."),
                "422": _error(
                    "The body is not a JSON object of the documented shape, or a value is not "
                    "acceptable; `details` maps each field (or `body`) to a message."
                ),
                "413": _TOO_LARGE,
                "400": _NO_CSRF_TOKEN,
                "429": _error(
                    "Too many registrations from this address; wait a minute.",
                    {
                        "Retry-After": {
                            "description": "Seconds to wait before trying again.",
                            "required": True,
                            "schema": {"type": "string", "pattern": "^[0-9]+$"},
                        }
                    },
                ),
            },
        },
        "get": {
            "operationId": "forum_registrations",
            "summary": "A forum's registrations (organizers; audited)",
            "security": [{"bearer": []}],
            "parameters": [_id_parameter("forum_id", "forum")],
            "responses": {
                "200": _json(
                    _object(
                        {
                            "forum_id": _ID,
                            "registrations": {
                                "type": "array",
                                "items": _ref("StaffRegistration"),
                                "description": "In the order people registered.",
                            },
                        }
                    ),
                    "The registrations.",
                ),
                "401": _NO_TOKEN,
                "403": _error("The token's role may not see registrations."),
                "404": _error("No such forum."),
            },
        },
    },
    "/checkins": {
        "post": {
            "operationId": "create_checkin",
            "summary": "Check someone in at the door (door staff and organizers)",
            "description": (
                "Send the code read from a ticket's QR code, or typed. One person is checked in "
                "at most once per day, whatever the number of doors scanning at once: the "
                "database decides, and the other scans hear `already_checked_in`. Refusals "
                "are errors with `result` and a `message` for the door; for 409 `details` is "
                '`{"attendee": …, "day": …}`, for 422 it maps each field to a message.'
            ),
            "security": [{"bearer": []}],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("CheckInRequest")}},
            },
            "responses": {
                "201": _json(_ref("CheckedIn"), "Checked in now (or a retried request)."),
                "200": _json(_ref("AlreadyCheckedIn"), "Already checked in that day."),
                "401": _NO_TOKEN,
                "403": _error(
                    "The token's role is not door staff, organizer or admin; or, with "
                    "`result: not_today`, door staff named a `day` other than today (only "
                    "organizers and admins record check-ins for other days)."
                ),
                "404": _error(
                    "`result: invalid`: not a ticket code, an unknown (forged or mistyped) "
                    "code, or a code replaced by a newer one."
                ),
                "409": _error(
                    "`result` is `not_registered_for_day` (another day, another forum, or no "
                    "forum that date), `waitlisted` or `cancelled`."
                ),
                "422": _error(
                    "`result: invalid_request`: the body is not a JSON object of the "
                    "documented shape, or `day` is not a date."
                ),
                "413": _TOO_LARGE,
                "400": _NO_CSRF_TOKEN,
            },
        }
    },
    "/registrations/{registration_id}/ticket.png": {
        "get": {
            "operationId": "registration_ticket",
            "summary": "A registration's ticket QR code (door staff and organizers)",
            "security": [{"bearer": []}],
            "parameters": [_id_parameter("registration_id", "registration")],
            "responses": {
                "200": {
                    "description": "A PNG of the ticket's QR code (level M, with quiet zone).",
                    "content": {"image/png": {"schema": {"type": "string"}}},
                },
                "401": _NO_TOKEN,
                "403": _error("The token's role is not door staff, organizer or admin."),
                "404": _error("No such registration."),
                "409": _error("No confirmed seat, so no ticket."),
                "410": _error("The person was erased: no ticket is issued for them again."),
            },
        }
    },
    "/speakers/{speaker_id}": {
        "get": {
            "operationId": "speaker",
            "summary": "A speaker and their sessions",
            "parameters": [_id_parameter("speaker_id", "speaker")],
            "responses": {
                "200": _json(_ref("Speaker"), "The speaker."),
                "401": _BAD_TOKEN,
                "404": _error("No such speaker, or one that is not public."),
            },
        }
    },
    "/openapi.json": {
        "get": {
            "operationId": "openapi",
            "summary": "This document",
            "security": [{}],
            "responses": {
                "200": _json({"type": "object"}, "The OpenAPI 3.1 document."),
                "401": _BAD_TOKEN,
            },
        }
    },
}

# --- Feedback: teams, topic suggestions, the faculty summary ---------------------------------

_FEEDBACK_SCHEMAS = {
    "Team": _object(
        {"id": _ID, "name": {"type": "string", "examples": ["Wake County"]}},
        description="A community team of the program.",
    ),
    "TopicSuggestionsRequest": _object(
        {
            "suggestions": {
                "type": "array",
                "minItems": 1,
                "maxItems": 500,
                "items": _object(
                    {
                        "text": {"type": "string", "minLength": 1, "maxLength": 1000} | _PRINTABLE,
                        "team_id": _nullable(
                            _ID | {"description": "The team that raised it (see /teams)."}
                        ),
                    },
                    optional=("team_id",),
                ),
            }
        },
        description="Suggestions collected outside the feedback form (cards, team meetings).",
    ),
    "TopicSuggestionsCreated": _object(
        {
            "ids": {
                "type": "array",
                "items": _ID,
                "description": "The new suggestions' ids, in the order sent.",
            }
        }
    ),
    "SessionAverage": _object(
        {
            "item_id": _ID,
            "title": {"type": "string"},
            "average": _nullable(
                {"type": "number", "minimum": 1, "maximum": 5, "description": "Null: no ratings."}
            ),
            "ratings": _COUNT,
        },
        description="A rated session of the forum (meals and cancelled sessions are left out).",
    ),
    "TopicGroup": _object(
        {
            "id": _ID,
            "label": {"type": "string", "examples": ["Jail, naloxone, MOUD"]},
            "suggestion_ids": {"type": "array", "items": _ID},
            "suggestions": _COUNT,
            "teams": _COUNT | {"description": "Distinct teams that raised it."},
            "flagged": {
                "type": "boolean",
                "description": "Raised by several teams (2 by default): special attention.",
            },
            "status": {"type": "string", "enum": ["open", "addressed", "set_aside"]},
        },
        description="Suggestions about the same thing, labelled by their key words.",
    ),
    "FeedbackSummary": _object(
        {
            "forum_id": _ID,
            "responses": _COUNT | {"description": "Feedback responses of attendees."},
            "average_overall": _nullable({"type": "number", "minimum": 1, "maximum": 5}),
            "sessions": {"type": "array", "items": _ref("SessionAverage")},
            "topic_groups": {
                "type": "array",
                "items": _ref("TopicGroup"),
                "description": "Flagged groups first, then by teams and suggestions.",
            },
            "ungrouped_suggestions": _COUNT
            | {"description": "Suggestions not grouped yet (grouped on Regroup or the next POST)."},
        },
    ),
}


_FEEDBACK_PATHS = {
    "/teams": {
        "get": {
            "operationId": "teams",
            "summary": "The program's teams (any staff token)",
            "security": [{"bearer": []}],
            "responses": {
                "200": _json(
                    _object({"teams": {"type": "array", "items": _ref("Team")}}),
                    "Teams by name.",
                ),
                "401": _NO_TOKEN,
            },
        }
    },
    "/forums/{forum_id}/topic-suggestions": {
        "post": {
            "operationId": "create_topic_suggestions",
            "summary": "Add topic suggestions raised after a forum (organizers and faculty)",
            "description": (
                "For suggestions collected outside the feedback form. All are checked first: "
                "with one bad item nothing is added. The forum's topics are regrouped after."
            ),
            "security": [{"bearer": []}],
            "parameters": [_id_parameter("forum_id", "forum")],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("TopicSuggestionsRequest")}},
            },
            "responses": {
                "201": _json(_ref("TopicSuggestionsCreated"), "Added."),
                "401": _NO_TOKEN,
                "403": _error("The token's role is not organizer or faculty."),
                "404": _error("No such forum."),
                "422": _error(
                    "Nothing was added. `details` maps `body`, `suggestions`, "
                    "`suggestions[i]` or `suggestions[i].field` to a message, e.g. an unknown "
                    "team_id."
                ),
                "413": _TOO_LARGE,
                "400": _NO_CSRF_TOKEN,
            },
        }
    },
    "/forums/{forum_id}/feedback/summary": {
        "get": {
            "operationId": "feedback_summary_json",
            "summary": "A forum's feedback summary (faculty and organizers)",
            "security": [{"bearer": []}],
            "parameters": [_id_parameter("forum_id", "forum")],
            "responses": {
                "200": _json(_ref("FeedbackSummary"), "The summary."),
                "401": _NO_TOKEN,
                "403": _error("The token's role is not faculty or organizer."),
                "404": _error("No such forum."),
            },
        }
    },
}
_SCHEMAS.update(_FEEDBACK_SCHEMAS)
_PATHS.update(_FEEDBACK_PATHS)

_DOCUMENT = {
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
    "paths": _PATHS,
    "components": {
        "schemas": _SCHEMAS,
        "securitySchemes": {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "A staff API token, e.g. `fa_...`.",
            }
        },
    },
}


def openapi_document() -> dict:
    """The OpenAPI document as a fresh dict (callers may change their copy)."""
    return copy.deepcopy(_DOCUMENT)
