"""What the JSON API answers, defined once as pydantic models.

The views build these shapes and send ``answer(shape)``; ``openapi.py`` generates the
document's ``components.schemas`` from them; ``request_shapes.py`` holds the request bodies.
Every object is closed (``extra="forbid"``, so ``additionalProperties: false``): a field added
to a view but not here fails at once. A field that may be left out but is never null is typed
``X | SkipJsonSchema[None] = None`` and left unset: ``answer`` drops unset fields, and the
document lists it as optional, not nullable. Enums are the app's own (``Role``, ``ItemKind``…).
"""

from __future__ import annotations

import enum
import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from flask import jsonify
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema
from pydantic.json_schema import SkipJsonSchema
from typing_extensions import TypeAliasType  # installed with pydantic; in typing from 3.12

from ..agenda.models import ItemKind, ItemStatus, SpeakerKind, SpeakerRole, SpeakerStatus
from ..attendance.presence import Evidence
from ..checkin.outcomes import ScanResult
from ..commitments.models import CommitmentStatus
from ..core.bounds import date_problem
from ..core.models import Audience, ForumStatus, Role, Sector
from ..feedback.models import TopicStatus
from ..messages.models import MessageStatus
from ..registration.models import RegistrationKind, SeatStatus


class Shape(BaseModel):
    """A JSON object of the API: closed, its docstring the document's description."""

    model_config = ConfigDict(extra="forbid")


def answer(shape: Shape, status: int = 200):
    """The shape as a JSON response; fields left unset (optional ones) are left out."""
    return jsonify(shape.model_dump(mode="json", exclude_unset=True)), status


# --- Values used across shapes ----------------------------------------------------------------


_DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def iso_date(value: object) -> date:
    """A date, or a ``YYYY-MM-DD`` string of one between ``MIN_YEAR`` and ``MAX_YEAR``; nothing
    else (no timestamps, no date-times), whatever pydantic's lax mode would take."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _DATE_PATTERN.match(value):
        raise ValueError("not a date like 2027-03-15")
    parsed = date.fromisoformat(value)  # refuses 2027-02-30 and other impossible dates
    if date_problem(parsed):
        raise ValueError(date_problem(parsed))
    return parsed


Id = Annotated[int, Field(ge=1)]
Count = Annotated[int, Field(ge=0)]
IsoDate = Annotated[date, BeforeValidator(iso_date), Field(examples=["2027-02-18"])]
Email = Annotated[str, Field(json_schema_extra={"format": "email"})]
TimeZone = Annotated[str, Field(examples=["America/New_York"])]
Rating = Annotated[float, Field(ge=1, le=5)]

# An offset, never "Z" or none, so clients can show the local wall-clock time as is. The views
# pass aware datetimes already in the program's zone; ``isoformat`` keeps their offset (pydantic's
# own serializer would write "Z" for UTC).
LOCAL_DATE_TIME_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{2}:\d{2}$"
LocalDateTime = TypeAliasType(
    "LocalDateTime",
    Annotated[
        datetime,
        PlainSerializer(datetime.isoformat, return_type=str),
        WithJsonSchema(
            {
                "type": "string",
                "format": "date-time",
                "description": "An instant in the program's time zone, always with its UTC offset.",
                "pattern": LOCAL_DATE_TIME_PATTERN,
                "examples": ["2027-02-18T09:00:00-05:00"],
            }
        ),
    ],
)


# Why a check-in was refused: the scan's refusals (each ``ScanResult`` not ``ok``; a test holds
# the two lists together), and the two the view itself gives. Listed, not computed, so a type
# checker knows the members; no docstring, which the document would show as a description.
class CheckInRefusal(enum.StrEnum):
    NOT_REGISTERED_FOR_DAY = ScanResult.NOT_REGISTERED_FOR_DAY.value
    WAITLISTED = ScanResult.WAITLISTED.value
    CANCELLED = ScanResult.CANCELLED.value
    INVALID = ScanResult.INVALID.value
    REQUEST_ID_REUSED = ScanResult.REQUEST_ID_REUSED.value
    INVALID_REQUEST = "invalid_request"
    NOT_TODAY = "not_today"
    # A presence scan (a session's door, or an exit) of someone never checked in that day.
    NOT_CHECKED_IN = "not_checked_in"
    # An exit of someone whose last scan at that door was an exit already.
    ALREADY_OUT = "already_out"


class Error(Shape):
    """Every error answer of the API has this shape. Refused check-ins also carry `result` and
    `message`."""

    error: str = Field(description="A short, human-readable title.")
    details: Any = Field(description="More about what went wrong; any JSON value or null.")
    result: CheckInRefusal | SkipJsonSchema[None] = Field(
        None, description="Check-in answers only: why the person cannot be checked in."
    )
    message: str | SkipJsonSchema[None] = Field(
        None, description="Check-in answers only: a sentence to show at the door."
    )


class Me(Shape):
    """The staff account a bearer token belongs to."""

    email: Email
    name: str
    role: Role


# --- Forums and agendas -----------------------------------------------------------------------


class Day(Shape):
    """A day of a forum."""

    id: Id
    date: IsoDate
    audience: Audience = Field(description="Team days are listed only for staff.")
    start: LocalDateTime
    end: LocalDateTime
    capacity: Count | None
    seats_left: Count | None = Field(
        description="Free seats on the day; null when it has no limit."
    )


class ProgramRef(Shape):
    """The program a forum belongs to."""

    id: Id
    name: str


class Venue(Shape):
    """Where a forum meets."""

    name: str
    address: str
    city: str


class Forum(Shape):
    """A forum of the program, with its venue and days."""

    id: Id
    number: Annotated[int, Field(ge=1)]
    title: str
    theme: str
    status: ForumStatus = Field(description="Drafts are listed only for staff.")
    program: ProgramRef
    time_zone: TimeZone
    venue: Venue
    days: list[Day] = Field(description="The days the viewer may see, in date order.")
    agenda_url: str = Field(examples=["/api/v1/forums/1/agenda"])


class Forums(Shape):
    """Forums in program and number order."""

    forums: list[Forum]


class SpeakerRef(Shape):
    """A speaker's part in a session. The public sees public speakers only."""

    id: Id
    name: str
    role: SpeakerRole


class RoomRef(Shape):
    """The room a session is in."""

    id: Id
    name: str


class MaterialRef(Shape):
    """A file or link of a session or forum, as the caller may see it."""

    id: Id
    session_id: Id | None = Field(description="Null for the forum's own material.")
    title: str
    title_es: str
    kind: Literal["file", "link"]
    url: str = Field(description="The file's download address, or the link.")
    filename: str | None
    content_type: str | None
    size: Count | None
    visibility: Literal["public", "registrants", "teams", "staff"]


class Materials(Shape):
    """Materials in the order organizers set: the forum's own first, then by session time."""

    materials: list[MaterialRef]


class AgendaItem(Shape):
    """A session on a forum day."""

    id: Id
    day_id: Id
    date: IsoDate
    start: LocalDateTime
    end: LocalDateTime
    kind: ItemKind
    title: str
    description: str
    room: RoomRef | None
    capacity: Count | None = Field(description="The session's own capacity, else its room's.")
    seats_left: Count | None = Field(
        description="Free seats in a breakout; null for other sessions or no limit."
    )
    status: ItemStatus
    confidential: bool = Field(description="Confidential sessions are listed only for staff.")
    speakers: list[SpeakerRef]
    materials: list[MaterialRef] = Field(description="The session's materials the caller may see.")


class Agenda(Shape):
    """A forum's agenda."""

    forum_id: Id
    time_zone: TimeZone
    items: list[AgendaItem] = Field(
        description="Sessions of the visible days, by day, start time and order."
    )


class SpeakerSession(Shape):
    """A session a speaker takes part in."""

    id: Id
    forum_id: Id
    title: str
    start: LocalDateTime
    end: LocalDateTime


class Speaker(Shape):
    """A speaker record. Organizer tokens also get email, phone, status and notes; door and
    faculty tokens get the public record."""

    id: Id
    name: str
    kind: SpeakerKind
    title: str
    affiliation: str
    bio: str
    photo_url: str | None = Field(examples=["/speakers/1/photo"])
    sessions: list[SpeakerSession] = Field(
        description="The sessions the viewer may see, across the program's forums."
    )
    # Organizers only: left unset (so out of the answer) for everyone else.
    email: str | SkipJsonSchema[None] = Field(None, description="Organizers only.")
    phone: str | None = Field(None, description="Organizers only.")
    status: SpeakerStatus | SkipJsonSchema[None] = Field(None, description="Organizers only.")
    staff_notes: str | SkipJsonSchema[None] = Field(
        None, description="Organizers only: travel, honoraria."
    )


# --- Registration -----------------------------------------------------------------------------


class RegistrationReceived(Shape):
    """The same answer whether or not the email was known: the outcome (seats, waitlist places,
    ticket) and the personal link go to that inbox only."""

    status: Literal["received"]
    email: Email = Field(description="Where we wrote.")
    message: str = Field(description="What happens next, for a person.")


class RegistrationDay(Shape):
    """A registration's place on one day."""

    date: IsoDate
    status: SeatStatus
    waitlist_position: Annotated[int, Field(ge=1)] | None = Field(
        description="1 is the next to get a seat."
    )


class RegisteredPerson(Shape):
    """The person a registration is for."""

    id: Id
    name: str
    email: Email
    organization: str


class BreakoutPick(Shape):
    """A breakout a registration picked."""

    item_id: Id
    title: str
    status: SeatStatus


class StaffRegistration(Shape):
    """A registration as staff see it."""

    id: Id
    kind: RegistrationKind
    created_at: LocalDateTime
    person: RegisteredPerson
    community: str
    days: list[RegistrationDay] = Field(
        description="Every day seat, cancelled ones included, in date order."
    )
    picks: list[BreakoutPick] = Field(
        description="Breakout picks in agenda order, cancelled ones included."
    )


class StaffRegistrations(Shape):
    """A forum's registrations."""

    forum_id: Id
    registrations: list[StaffRegistration] = Field(description="In the order people registered.")


# --- Check-in at the door ---------------------------------------------------------------------


class CheckInAttendee(Shape):
    """Who the ticket belongs to, for the person at the door."""

    name: str
    organization: str
    teams: list[str] = Field(description="The program's teams the person is on.")
    accessibility_needs: str = Field(
        description="As the person gave them at registration; empty if none."
    )


class CheckedIn(Shape):
    """A new check-in (or the first answer again, for a retried request_id)."""

    result: Literal[ScanResult.CHECKED_IN]
    message: str = Field(examples=["Welcome, Ada! Checked in for …"])
    attendee: CheckInAttendee
    day: IsoDate


class PresenceRecorded(Shape):
    """An entry or exit recorded at a session's door, or an exit at the day's entrance."""

    result: Literal["entered", "left"]
    message: str
    attendee: CheckInAttendee
    day: IsoDate
    session: Id | None = Field(description="The session's id; null at the day's entrance.")
    direction: Literal["entry", "exit"]


class AlreadyCheckedIn(Shape):
    """The person was already checked in that day; nothing changed."""

    result: Literal[ScanResult.ALREADY_CHECKED_IN]
    message: str
    attendee: CheckInAttendee
    day: IsoDate
    checked_in_at: LocalDateTime
    by: str | None = Field(description="The staff member who checked them in.")


# --- Feedback: teams, topic suggestions, the faculty summary ----------------------------------


class Team(Shape):
    """A community team of the program."""

    id: Id
    name: str = Field(examples=["Wake County"])


class Teams(Shape):
    """The program's teams, by name."""

    teams: list[Team]


class TopicSuggestionsCreated(Shape):
    """The suggestions added."""

    ids: list[Id] = Field(description="The new suggestions' ids, in the order sent.")


class SessionAverage(Shape):
    """A rated session of the forum (meals and cancelled sessions are left out)."""

    item_id: Id
    title: str
    average: Rating | None = Field(description="Null: no ratings.")
    ratings: Count


class TopicGroup(Shape):
    """Suggestions about the same thing, labelled by their key words."""

    id: Id
    label: str = Field(examples=["Jail, naloxone, MOUD"])
    suggestion_ids: list[Id]
    suggestions: Count
    teams: Count = Field(description="Distinct teams that raised it.")
    flagged: bool = Field(description="Raised by several teams (2 by default): special attention.")
    status: TopicStatus


class FeedbackSummary(Shape):
    """A forum's feedback: responses, ratings and topic groups."""

    forum_id: Id
    responses: Count = Field(description="Feedback responses of attendees.")
    average_overall: Rating | None
    sessions: list[SessionAverage]
    topic_groups: list[TopicGroup] = Field(
        description="Flagged groups first, then by teams and suggestions."
    )
    ungrouped_suggestions: Count = Field(
        description="Suggestions not grouped yet (grouped on Regroup or the next POST)."
    )


# --- Group messages ---------------------------------------------------------------------------


class MessageCount(Shape):
    """A dry run: how many people a message would reach, and a few of their first names."""

    recipients: Count
    sample: list[str] = Field(max_length=5, description="First names only, at most 5.")


class MessageWritten(Shape):
    """A message written: queued for everyone now, or scheduled."""

    id: Id
    recipients: Count = Field(description="People who match now (once each).")
    send_at: LocalDateTime


class MessageAudienceAsWritten(Shape):
    """The audience as the message was written; resolved again when a scheduled one goes."""

    days: list[IsoDate]
    sessions: list[Id]
    teams: list[Id]
    roles: list[str]
    status: list[str]


class GroupMessage(Shape):
    """A message to a group, with how many copies wait, went and failed."""

    id: Id
    subject: str
    status: MessageStatus = Field(
        description="scheduled (can be cancelled), queued (every copy is in the outbox), cancelled."
    )
    send_at: LocalDateTime
    created_at: LocalDateTime
    audience: MessageAudienceAsWritten
    recipients: Count
    queued: Count = Field(description="Copies waiting in the outbox.")
    sent: Count
    failed: Count


class GroupMessages(Shape):
    """A forum's group messages, newest first."""

    forum_id: Id
    messages: list[GroupMessage]


# --- Commitments ------------------------------------------------------------------------------


class PersonRef(Shape):
    """A person named on a commitment ("Erased person" once erased)."""

    id: Id
    name: str


class Commitment(Shape):
    """What a team committed to do before the next forum, and where it stands."""

    id: Id
    team_id: Id
    team: str
    forum_id: Id
    text: str
    owner: PersonRef | None
    due: IsoDate
    topic_group_id: Id | None
    status: CommitmentStatus
    progress_note: str
    barrier_note: str
    updated_at: LocalDateTime


class Commitments(Shape):
    """Commitments, by forum and team, as recorded."""

    commitments: list[Commitment]


# --- The offline door -------------------------------------------------------------------------


class SnapshotTicket(Shape):
    """A ticket as an offline door judges it: its code only as a keyed hash."""

    hash: str = Field(description="HMAC-SHA256 (hex) of the normalised code under `key`.")
    name: str
    organization: str
    teams: list[str]
    status: Literal["confirmed", "waitlisted", "not_today", "cancelled", "replaced"]
    needs: bool = Field(description="The person gave accessibility needs: look them up.")
    checked_in: bool


class DoorSnapshot(Shape):
    """Everything an offline door needs to judge the day's scans, and nothing more."""

    day_id: Id
    date: IsoDate
    forum: str
    generated_at: datetime
    key: str = Field(description="The HMAC key (base64url, unpadded), for this user and day.")
    tickets: list[SnapshotTicket]


class SyncedScan(Shape):
    """What became of one synced scan."""

    request_id: str
    result: Literal["checked_in", "conflict", "refused"]
    message: str
    conflict: Literal["already_in", "replaced", "no_place", "unknown"] | SkipJsonSchema[None] = None


class SyncedScans(Shape):
    """The answer to each synced scan, in the order sent."""

    results: list[SyncedScan]


# --- Attendance -------------------------------------------------------------------------------


class CreditTypeRef(Shape):
    """A kind of credit a session carries (continuing education, in-service hours)."""

    id: Id
    name: str
    accrediting_body: str
    provider_number: str
    minutes_per_unit: Annotated[int, Field(ge=1)]
    unit_name: str
    requires_exit: bool = Field(description="No exit scan, no credit.")


class SessionPresence(Shape):
    """One person's presence in one session."""

    registration_id: Id
    name: str
    session_id: Id
    session: str
    day: IsoDate
    entry: LocalDateTime | None = Field(description="First moment inside the session.")
    exit: LocalDateTime | None = Field(description="Last exit scan inside it; null if none.")
    evidence: Evidence
    minutes: Count = Field(description="Minutes present, an open entry counted to the end.")
    credited: dict[str, Count] = Field(
        description="Credited minutes by credit type id (as a string key), for the types the "
        "session carries."
    )


class ForumAttendance(Shape):
    """Who was in each session of a forum, for how long, and the credit it earned."""

    forum_id: Id
    credit_types: list[CreditTypeRef]
    attendance: list[SessionPresence]


# --- Shared measures --------------------------------------------------------------------------


class ForumMeasure(Shape):
    """A forum across the teams."""

    forum_id: Id
    number: int
    title: str
    first_day: IsoDate | None
    attendees: Count = Field(description="People checked in, public included.")
    commitments: Count
    done: Count
    partly: Count
    dropped: Count


class TeamForumMeasure(Shape):
    """One team at one forum."""

    team_id: Id
    team: str
    forum_id: Id
    roster: Count
    present: Count = Field(description="People on the roster checked in.")
    share_present: float | None = Field(ge=0, le=1)
    sectors_on_roster: list[Sector]
    sectors_present: list[Sector]
    manager_came: bool
    returning: Count = Field(description="Present, and checked in at an earlier forum.")
    new: Count
    responses: Count
    average_rating: Rating | None
    topics_raised: Count
    topics_addressed: Count
    commitments: Count
    done: Count
    partly: Count
    dropped: Count


class Continuity(Shape):
    forums: int = Field(ge=1, description="Came to this many of the forums…")
    people: Count = Field(description="…this many people.")


class ProgramMeasures(Shape):
    """The program's shared measures, with the same figures as the measures page."""

    program_id: Id
    forums: list[ForumMeasure]
    teams: list[TeamForumMeasure]
    continuity: list[Continuity]
