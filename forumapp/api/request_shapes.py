"""The request bodies the API takes, defined once as pydantic models, and the sentences it
answers when a body does not fit them.

pydantic checks the types, strictly (a number is not a string, 1 is not true), and the limits
the views have always checked; each shape's ``refusal`` turns pydantic's errors into the
sentence the API gives for that field, so ``details`` say what they always said. Rules about
the values (a real email address, a known team) stay the services'; where the document
states one of them too, ``json_schema_extra=documented(...)`` adds it to the schema and says
so.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Annotated, ClassVar, Literal, TypeVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    ValidationError,
    ValidationInfo,
)
from pydantic.config import JsonDict
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import ErrorDetails, PydanticCustomError

from ..commitments.models import CommitmentStatus
from ..commitments.recording import NOTE_MAX as COMMITMENT_NOTE_MAX
from ..commitments.recording import TEXT_MAX as COMMITMENT_TEXT_MAX
from ..core.bounds import MAX_YEAR, MIN_YEAR, integer_problem
from ..core.database import UNSTORABLE_CHARACTERS, is_storable_text
from ..core.names import NAME_MAX_LENGTH
from ..feedback.suggestions import MAX_TEXT as SUGGESTION_MAX_LENGTH
from ..messages.audience import MAX_VALUES as MESSAGE_AUDIENCE_MAX_VALUES
from ..messages.audience import ROLES as MESSAGE_ROLES
from ..messages.audience import STATUSES as MESSAGE_STATUSES
from ..messages.sending import BODY_MAX, SUBJECT_MAX
from .shapes import IsoDate, Shape

S = TypeVar("S", bound="RequestShape")

# Text the API stores: no control characters (tab and line breaks aside), no broken Unicode.
PRINTABLE_PATTERN = f"^[^{UNSTORABLE_CHARACTERS}]*$"
EMAIL_MAX_LENGTH = 254
CHECKIN_CODE_MAX_LENGTH = 100
CHECKIN_REQUEST_ID_MAX_LENGTH = 64
MAX_SUGGESTIONS_PER_REQUEST = 500


def documented(**keywords: JsonValue) -> JsonDict:
    """``Field(json_schema_extra=...)``: a rule stated in the document without pydantic
    enforcing it: a service checks it (with its own message, next to its own field), or a
    validator here does, in the order the API has always checked."""
    return keywords


def _refuse_unstorable(value: object) -> object:
    # Before pydantic's own checks, so such text is named as such even when it is also too long.
    if isinstance(value, str) and not is_storable_text(value):
        raise PydanticCustomError("unstorable_text", "Text with control characters")
    return value


def _ticket_code(value: object) -> object:
    # Blank first, as the API always has. The length is checked here, not with max_length:
    # pydantic's length check calls a code with half a surrogate pair "not a string", and the
    # scan should rather say such a code is no ticket, as it says of any other.
    if isinstance(value, str) and not value.strip():
        raise PydanticCustomError("blank_text", "Only spaces")
    if isinstance(value, str) and len(value) > CHECKIN_CODE_MAX_LENGTH:
        raise PydanticCustomError(
            "string_too_long", "Too long", {"max_length": CHECKIN_CODE_MAX_LENGTH}
        )
    return value


def _fits_in_32_bits(value: int) -> int:
    if problem := integer_problem(value):
        raise PydanticCustomError("int_out_of_range", problem)
    return value


def _only_true(value: object) -> object:
    # pydantic's Literal[True] takes 1 as well; the API never has.
    if value is not True:
        raise PydanticCustomError("not_true", "Not true")
    return value


StorableText = Annotated[
    str,
    BeforeValidator(_refuse_unstorable),
    Field(json_schema_extra=documented(pattern=PRINTABLE_PATTERN)),
]
TeamId = Annotated[
    int, AfterValidator(_fits_in_32_bits), Field(json_schema_extra=documented(minimum=1))
]


def problem(error: ErrorDetails) -> str:
    """What pydantic found, in the terms of the API's sentences: ``missing`` (absent or null),
    ``unknown`` (a field the shape does not have), ``unstorable``, ``too_long``, ``too_short``
    or ``invalid`` (anything else: a wrong type, a bad value)."""
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown"
    if kind == "missing" or error.get("input", "") is None:
        return "missing"
    return {
        "unstorable_text": "unstorable",
        "string_unicode": "unstorable",
        "string_too_long": "too_long",
        "too_long": "too_long",
        "too_short": "too_short",
    }.get(kind, "invalid")


class BodyRefused(Exception):
    """A body that does not fit its shape; ``details`` maps each field at fault to a sentence."""

    def __init__(self, details: dict[str, str]):
        super().__init__(" ".join(details.values()))
        self.details = details


class RequestShape(Shape):
    """A request body: closed, strictly typed, with the sentences for what does not fit."""

    model_config = ConfigDict(strict=True)  # with Shape's extra="forbid"

    NOT_JSON: ClassVar[str]
    NOT_AN_OBJECT: ClassVar[str]

    @classmethod
    def read(cls: type[S], raw: bytes, **context) -> S:
        """Parse ``raw`` (the request body) as this shape; raises ``BodyRefused``. ``context``
        is handed to validators that need to know more than the body (a forum's days)."""
        # json.loads rather than pydantic's parser: it keeps an escaped half surrogate pair
        # ("\ud800"), which the API names as broken Unicode in its field, not as bad JSON.
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):
            # ValueError covers bad JSON, bad UTF-8 and absurdly long numbers.
            raise BodyRefused({"body": str(cls.NOT_JSON)}) from None
        if not isinstance(body, dict):
            raise BodyRefused({"body": str(cls.NOT_AN_OBJECT)})
        try:
            return cls.model_validate(body, context=context)
        except ValidationError as error:
            raise BodyRefused(cls.refusals(error.errors(include_url=False))) from None

    @classmethod
    def refusals(cls, errors: list[ErrorDetails]) -> dict[str, str]:
        """One sentence per field at fault (the first found), in the shape's field order, then
        unknown fields by name."""
        details: dict[str, str] = {}
        for error in errors:
            if problem(error) == "unknown" and len(error["loc"]) == 1:
                key, message = str(error["loc"][0]), cls.unknown_field()
            else:
                key, message = cls.refusal(error)
            details.setdefault(key, message)
        order = list(cls.model_fields)
        return dict(
            sorted(
                details.items(),
                key=lambda item: (
                    order.index(item[0]) if item[0] in order else len(order),
                    item[0],
                ),
            )
        )

    @classmethod
    def unknown_field(cls) -> str:
        return _("Unknown field. Send only: %(fields)s.", fields=", ".join(cls.model_fields))

    @classmethod
    def refusal(cls, error: ErrorDetails) -> tuple[str, str]:
        """``(field, sentence)`` for one of pydantic's errors about a known field."""
        raise NotImplementedError


# --- Registration -----------------------------------------------------------------------------

DAYS_EXAMPLE = _l('Send days as a list of dates like ["2027-03-15"].')


def text_refusal(field: str, error: ErrorDetails, missing: str | None = None) -> str:
    """The sentence for a text field: ``missing`` when it is required and absent."""
    found = problem(error)
    if found == "missing" and missing:
        return missing
    if found == "unstorable":
        return _("Remove the control characters or broken Unicode from %(field)s.", field=field)
    if found == "too_long":
        return _("Use at most %(max)d characters.", max=error["ctx"]["max_length"])
    return _("Send %(field)s as a string.", field=field)


def _days_of_the_forum(dates: list[date], info: ValidationInfo) -> list[date]:
    """Every date must be one of the forum's days (``context["days_by_date"]``). Only its public
    days (``context["public_dates"]``) are named, so the answer never reveals a team-only day."""
    context: Mapping = info.context or {}
    if "days_by_date" not in context:
        return dates
    unknown = [d.isoformat() for d in dict.fromkeys(dates) if d not in context["days_by_date"]]
    if unknown:
        public = ", ".join(d.isoformat() for d in context["public_dates"]) or _("none")
        raise PydanticCustomError(
            "unknown_day",
            ngettext(
                "%(dates)s is not a day of this forum. Its public days: %(public)s.",
                "%(dates)s are not days of this forum. Its public days: %(public)s.",
                len(unknown),
                dates=", ".join(unknown),
                public=public,
            ),
        )
    return dates


class RegistrationRequest(RequestShape):
    """A member of the public registering for public days of a forum."""

    # Lazy: the public reads these in the request's language (Accept-Language, ?lang=).
    NOT_JSON: ClassVar[str] = _l("Send the registration as a JSON object; this is not JSON.")
    NOT_AN_OBJECT: ClassVar[str] = _l('Send the registration as a JSON object: {"name": ..., ...}.')
    MISSING: ClassVar[dict[str, str]] = {
        "name": _l("Enter your full name."),
        "email": _l("Enter your email address."),
    }

    # The service checks the name's and the address's values (register_public).
    name: StorableText = Field(json_schema_extra=documented(minLength=1, maxLength=NAME_MAX_LENGTH))
    email: StorableText = Field(
        json_schema_extra=documented(format="email", maxLength=EMAIL_MAX_LENGTH)
    )
    organization: Annotated[StorableText, Field(max_length=200)] | None = None
    community: Annotated[StorableText, Field(max_length=200)] | None = None
    accessibility_needs: Annotated[StorableText, Field(max_length=2000)] | None = None
    dietary_needs: Annotated[StorableText, Field(max_length=2000)] | None = None
    consent: Annotated[Literal[True], BeforeValidator(_only_true)] = Field(
        description="Agreement to the privacy note; registration needs it."
    )
    days: Annotated[list[IsoDate], AfterValidator(_days_of_the_forum)] = Field(
        min_length=1, description="Public days of the forum, by local date."
    )

    @classmethod
    def refusal(cls, error: ErrorDetails) -> tuple[str, str]:
        field = str(error["loc"][0])
        if field == "consent":
            return field, _(
                'Send "consent": true to agree to the privacy note; we cannot register you '
                "without it."
            )
        if field == "days":
            if error["type"] == "unknown_day":
                return field, error["msg"]
            if len(error["loc"]) > 1:  # one of the dates
                return field, f"{_('Write each day as a date like 2027-03-15.')} {DAYS_EXAMPLE}"
            if problem(error) in ("missing", "too_short"):
                return field, f"{_('Choose at least one day.')} {DAYS_EXAMPLE}"
            return field, str(DAYS_EXAMPLE)
        missing = cls.MISSING.get(field)
        return field, text_refusal(field, error, str(missing) if missing else None)


# --- Check-in at the door ---------------------------------------------------------------------


class CheckInRequest(RequestShape):
    """A scan at the door."""

    NOT_JSON: ClassVar[str] = 'Send a JSON object like {"code": "7K3M…"}.'
    NOT_AN_OBJECT: ClassVar[str] = NOT_JSON
    REFUSALS: ClassVar[dict[str, str]] = {
        "code": "Send the scanned or typed ticket code as a string.",
        "day": "Write the day as a date like 2027-03-15, or leave it out for today.",
        "request_id": (
            f"Send request_id as a string of 1 to {CHECKIN_REQUEST_ID_MAX_LENGTH} printable "
            "characters, new for each scan (a UUID is ideal)."
        ),
        "session": "Send session as the id (a whole number) of a session of the agenda.",
        "direction": 'Send direction as "entry" or "exit", or leave it out for entry.',
    }

    # Not checked for control characters: no such code exists, so the scan says "invalid".
    code: Annotated[str, BeforeValidator(_ticket_code)] = Field(
        json_schema_extra=documented(minLength=1, maxLength=CHECKIN_CODE_MAX_LENGTH),
        description=(
            "The ticket code as scanned from the QR code or typed: 26 characters; "
            "case, spaces, dashes and the look-alikes O/I/L are forgiven."
        ),
        examples=["7K3MQ4ZP8DXW2N6RTV0B1CHJ9G", "7K3MQ-4ZP8D-XW2N6-RTV0B-1CHJ9-G"],
    )
    day: IsoDate | SkipJsonSchema[None] = Field(
        None,
        description=(
            "The forum day to check in for. Default: today in the program's time zone; "
            "door staff may name today only. "
            "When several forums meet that date, the day of the ticket's forum."
        ),
    )
    request_id: (
        Annotated[
            StorableText,
            Field(min_length=1, max_length=CHECKIN_REQUEST_ID_MAX_LENGTH),
        ]
        | SkipJsonSchema[None]
    ) = Field(
        None,
        description=(
            "The scanner's id for this scan, new for each scan (a UUID). Sending the "
            "same request again (a retry) returns the first answer and counts once."
        ),
    )
    session: (
        Annotated[int, AfterValidator(_fits_in_32_bits), Field(ge=1)] | SkipJsonSchema[None]
    ) = Field(
        None,
        description=(
            "A session's id: the scan is at that session's door (presence for credit hours). "
            "Without it, the scan is at the day's entrance."
        ),
    )
    direction: Literal["entry", "exit"] | SkipJsonSchema[None] = Field(
        None,
        description=(
            "entry (the default) or exit. An entry at the entrance is the day's check-in, "
            "answered as before; every other scan records presence."
        ),
    )

    @classmethod
    def refusal(cls, error: ErrorDetails) -> tuple[str, str]:
        field = str(error["loc"][0])
        if field == "code" and problem(error) == "too_long":
            return field, f"A ticket code has at most {CHECKIN_CODE_MAX_LENGTH} characters."
        return field, cls.REFUSALS[field]


class OfflineScanRequest(RequestShape):
    """One scan an offline door let through, sent when the network returns."""

    NOT_JSON: ClassVar[str] = (
        'Send a JSON list like [{"code": "7K3M…", "day": "2027-03-15", "request_id": "…", '
        '"scanned_at": "2027-03-15T08:41:07-05:00"}].'
    )
    NOT_AN_OBJECT: ClassVar[str] = NOT_JSON
    REFUSALS: ClassVar[dict[str, str]] = {
        "code": CheckInRequest.REFUSALS["code"],
        "day": "Write the day as a date like 2027-03-15.",
        "request_id": CheckInRequest.REFUSALS["request_id"],
        "scanned_at": (
            "Send scanned_at as the scan's instant with its UTC offset, like "
            "2027-03-15T08:41:07-05:00 or ...Z."
        ),
    }

    code: Annotated[str, BeforeValidator(_ticket_code)] = Field(
        json_schema_extra=documented(minLength=1, maxLength=CHECKIN_CODE_MAX_LENGTH),
        description="The ticket code as scanned or typed.",
    )
    day: IsoDate = Field(description="The forum day the door was checking people in for.")
    request_id: Annotated[
        StorableText, Field(min_length=1, max_length=CHECKIN_REQUEST_ID_MAX_LENGTH)
    ] = Field(description="The id the page gave the scan when it was made; a retry reuses it.")
    scanned_at: Annotated[datetime, BeforeValidator(_scan_instant)] = Field(
        description="When the scan happened, with its UTC offset; stored as the check-in time."
    )

    @classmethod
    def refusal(cls, error: ErrorDetails) -> tuple[str, str]:
        field = str(error["loc"][0])
        return field, cls.REFUSALS.get(field, cls.NOT_JSON)


def _scan_instant(value: object) -> object:
    """``_instant``, within the years the app stores (a year-1 instant cannot move to UTC)."""
    if isinstance(value, str) and (value[:4] < str(MIN_YEAR) or value[:4] > str(MAX_YEAR)):
        raise PydanticCustomError("not_instant", "Not an instant")
    return _instant(value)


def read_offline_scans(raw: bytes, most: int) -> list[OfflineScanRequest]:
    """The scans of a sync: a JSON list of 1 to ``most`` ``OfflineScanRequest`` objects;
    raises ``BodyRefused`` naming each refused item by its position (``"3.code"``)."""
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise BodyRefused({"body": OfflineScanRequest.NOT_JSON}) from None
    if not isinstance(body, list) or not body:
        raise BodyRefused({"body": OfflineScanRequest.NOT_JSON})
    if len(body) > most:
        raise BodyRefused({"body": f"Send at most {most} scans at once; send the rest next."})
    scans, details = [], {}
    for position, item in enumerate(body):
        if not isinstance(item, dict):
            details[str(position)] = OfflineScanRequest.NOT_AN_OBJECT
            continue
        try:
            scans.append(OfflineScanRequest.model_validate(item))
        except ValidationError as error:
            for field, sentence in OfflineScanRequest.refusals(
                error.errors(include_url=False)
            ).items():
                details[f"{position}.{field}"] = sentence
    if details:
        raise BodyRefused(details)
    return scans


# --- Topic suggestions ------------------------------------------------------------------------

SUGGESTIONS_EXAMPLE = 'Send {"suggestions": [{"text": "...", "team_id": 3}]}.'


class TopicSuggestion(RequestShape):
    """A topic suggestion, with the team that raised it."""

    # The service checks the text's value, naming the suggestion (topics.add_suggestions).
    text: str = Field(
        json_schema_extra=documented(
            minLength=1, maxLength=SUGGESTION_MAX_LENGTH, pattern=PRINTABLE_PATTERN
        )
    )
    team_id: TeamId | None = Field(None, description="The team that raised it (see /teams).")


class TopicSuggestionsRequest(RequestShape):
    """Suggestions collected outside the feedback form (cards, team meetings)."""

    NOT_JSON: ClassVar[str] = "The body is not JSON."
    NOT_AN_OBJECT: ClassVar[str] = f"Send a JSON object. {SUGGESTIONS_EXAMPLE}"
    ITEM_REFUSALS: ClassVar[dict[str, str]] = {
        "text": "Send the suggestion's text as a string.",
        "team_id": "Send team_id as a team's id (see /teams) or null.",
    }

    suggestions: list[TopicSuggestion] = Field(min_length=1, max_length=MAX_SUGGESTIONS_PER_REQUEST)

    @classmethod
    def refusals(cls, errors: list[ErrorDetails]) -> dict[str, str]:
        # A list too long is refused as a whole: its items are not looked at.
        if any(e["loc"] == ("suggestions",) and problem(e) == "too_long" for e in errors):
            errors = [e for e in errors if len(e["loc"]) < 2]
        return super().refusals(errors)

    @classmethod
    def refusal(cls, error: ErrorDetails) -> tuple[str, str]:
        loc = error["loc"]
        if len(loc) == 1:
            if problem(error) == "too_long":
                return "suggestions", (
                    f"Send at most {MAX_SUGGESTIONS_PER_REQUEST} suggestions at once."
                )
            return "suggestions", f"Send a list of at least one suggestion. {SUGGESTIONS_EXAMPLE}"
        where = f"suggestions[{loc[1]}]"
        if len(loc) == 2:
            return where, 'Send each suggestion as an object: {"text": "...", "team_id": 3}.'
        field = str(loc[2])
        message = cls.ITEM_REFUSALS.get(field) or TopicSuggestion.unknown_field()
        return f"{where}.{field}", message


# --- Group messages ---------------------------------------------------------------------------

AUDIENCE_EXAMPLE = 'Send audience as an object like {"days": ["2027-03-15"], "teams": [3]}.'


def _instant(value: object) -> object:
    """An ISO-8601 instant with its offset ("2027-03-01T09:00:00-05:00" or "...Z"), in UTC."""
    if value is None or isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError("not_instant", "Not an instant")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("not_instant", "Not an instant") from None
    if parsed.tzinfo is None:
        raise PydanticCustomError("naive_instant", "No UTC offset")
    return parsed.astimezone(UTC)


AudienceIds = Annotated[
    list[Annotated[int, AfterValidator(_fits_in_32_bits), Field(ge=1)]],
    Field(max_length=MESSAGE_AUDIENCE_MAX_VALUES),
]
AudienceNames = Annotated[list[str], Field(max_length=MESSAGE_AUDIENCE_MAX_VALUES)]


class MessageAudience(RequestShape):
    """Who receives a message: the filters combine with AND, the values of one filter with OR.
    At least one filter is needed; the API never writes to "everyone" by accident."""

    days: Annotated[list[IsoDate], Field(max_length=MESSAGE_AUDIENCE_MAX_VALUES)] = Field(
        default_factory=list, description="Forum days, by local date."
    )
    sessions: AudienceIds = Field(
        default_factory=list,
        description=(
            "Agenda item ids: people with a seat in them (a confirmed breakout pick, or a "
            "confirmed seat on the day of any other session)."
        ),
    )
    teams: AudienceIds = Field(default_factory=list, description="Team ids (see /teams).")
    roles: AudienceNames = Field(
        default_factory=list, json_schema_extra={"items": {"enum": list(MESSAGE_ROLES)}}
    )
    status: AudienceNames = Field(
        default_factory=list,
        json_schema_extra={"items": {"enum": list(MESSAGE_STATUSES)}},
        description=(
            "confirmed / waitlisted (the place; neither: both), checked_in / not_checked_in, "
            "no_feedback. The three kinds combine with AND."
        ),
    )


class MessageRequest(RequestShape):
    """A message to a group of a forum's people, sent now, later, or only counted."""

    NOT_JSON: ClassVar[str] = "Send the message as a JSON object; this is not JSON."
    NOT_AN_OBJECT: ClassVar[str] = (
        'Send a JSON object like {"subject": "...", "body": "...", "audience": {...}}.'
    )
    REFUSALS: ClassVar[dict[str, str]] = {
        "audience": AUDIENCE_EXAMPLE,
        "send_at": (
            "Send send_at as an instant with its UTC offset, like 2027-03-01T09:00:00-05:00, "
            "or null to send now."
        ),
        "dry_run": "Send dry_run as true or false.",
    }
    AUDIENCE_REFUSALS: ClassVar[dict[str, str]] = {
        "days": 'Send days as a list of dates like ["2027-03-15"].',
        "sessions": "Send sessions as a list of agenda item ids.",
        "teams": "Send teams as a list of team ids (see /teams).",
        "roles": f"Send roles as a list of: {', '.join(MESSAGE_ROLES)}.",
        "status": f"Send status as a list of: {', '.join(MESSAGE_STATUSES)}.",
    }

    # The service checks the values (length, placeholders, the audience's days and teams).
    subject: StorableText = Field(json_schema_extra={"minLength": 1, "maxLength": SUBJECT_MAX})
    body: StorableText = Field(
        json_schema_extra={"minLength": 1, "maxLength": BODY_MAX},
        description=(
            "Plain text. Placeholders: {first_name}, {forum}, {day}, {personal_link}, "
            "{ticket_link}; write {{ and }} for braces."
        ),
    )
    audience: MessageAudience
    send_at: Annotated[datetime | None, BeforeValidator(_instant)] = Field(
        None,
        description="When to send it: within a year; null or absent: now.",
    )
    dry_run: bool = Field(False, description="Only count the recipients; nothing is sent.")

    @classmethod
    def refusal(cls, error: ErrorDetails) -> tuple[str, str]:
        loc = error["loc"]
        field = str(loc[0])
        if field == "audience" and len(loc) > 1:
            name = str(loc[1])
            where = f"audience.{name}"
            if name not in cls.AUDIENCE_REFUSALS:
                return where, MessageAudience.unknown_field()
            if problem(error) == "too_long" and len(loc) == 2:
                return where, f"Choose at most {MESSAGE_AUDIENCE_MAX_VALUES} values."
            return where, cls.AUDIENCE_REFUSALS[name]
        if field == "send_at" and error["type"] == "naive_instant":
            return field, (
                "Give send_at its UTC offset, like 2027-03-01T09:00:00-05:00 or ...Z: "
                "without one the time is ambiguous."
            )
        if field in cls.REFUSALS:
            return field, cls.REFUSALS[field]
        return field, text_refusal(field, error, f"Send the message's {field}.")


# --- Commitments ------------------------------------------------------------------------------


class CommitmentRequest(RequestShape):
    """A commitment a team makes at a forum, to do before the next one."""

    NOT_JSON: ClassVar[str] = "Send the commitment as a JSON object; this is not JSON."
    NOT_AN_OBJECT: ClassVar[str] = 'Send a JSON object like {"forum_id": 1, "text": "..."}.'
    REFUSALS: ClassVar[dict[str, str]] = {
        "forum_id": "Send forum_id as the id of the forum the commitment was made at.",
        "owner_person_id": "Send owner_person_id as the id of someone on the team's roster.",
        "due": "Write due as a date like 2027-05-20, or leave it out for the next forum.",
        "topic_group_id": "Send topic_group_id as a topic group's id, or leave it out.",
    }

    forum_id: TeamId
    # The service checks the text's value (not empty, its length).
    text: StorableText = Field(json_schema_extra={"minLength": 1, "maxLength": COMMITMENT_TEXT_MAX})
    owner_person_id: TeamId | None = None
    due: IsoDate | None = Field(None, description="Default: the next forum's first day.")
    topic_group_id: TeamId | None = None

    @classmethod
    def refusal(cls, error: ErrorDetails) -> tuple[str, str]:
        field = str(error["loc"][0])
        if field in cls.REFUSALS:
            return field, cls.REFUSALS[field]
        return field, text_refusal(field, error, "Write what the team commits to do.")


class CommitmentProgressRequest(RequestShape):
    """Where a commitment stands; what is left out stays as it was."""

    NOT_JSON: ClassVar[str] = "Send the update as a JSON object; this is not JSON."
    NOT_AN_OBJECT: ClassVar[str] = 'Send a JSON object like {"status": "done", "note": "..."}.'

    status: str | None = Field(
        None, json_schema_extra={"enum": [status.value for status in CommitmentStatus]}
    )
    note: Annotated[StorableText, Field(max_length=COMMITMENT_NOTE_MAX)] | None = Field(
        None, description="Progress so far."
    )
    barrier: Annotated[StorableText, Field(max_length=COMMITMENT_NOTE_MAX)] | None = Field(
        None, description="What stands in the way; it joins the topics for the next forum."
    )

    @classmethod
    def refusal(cls, error: ErrorDetails) -> tuple[str, str]:
        field = str(error["loc"][0])
        if field == "status":
            return field, "Send status as one of: " + ", ".join(s.value for s in CommitmentStatus)
        return field, text_refusal(field, error)
