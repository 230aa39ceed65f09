"""JSON endpoints. They call the same services as the HTML views.

Without a token the API shows what the public site shows; a staff bearer token (or a staff
sign-in cookie) sees drafts, team-only days, confidential sessions and staff-only speaker
fields. Public registration is the one write anyone may make (rate limited per address).
Request bodies are read and answers built with the shapes of ``request_shapes.py`` and
``shapes.py``, from which ``openapi.py`` generates the document's schemas.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, jsonify, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..agenda import visibility as services
from ..agenda.models import AgendaItem, ItemKind, ItemStatus, Speaker, SpeakerKind, SpeakerRole
from ..attendance.models import Direction
from ..attendance.scans import DoorResult, ScanPlaceRefused, presence_scan_at
from ..checkin import qr, tickets
from ..checkin.access import must_be_today
from ..checkin.outcomes import Attendee, ScanOutcome, ScanResult, teams_of
from ..checkin.scanning import NotToday, scan
from ..core import audit
from ..core.actions import carry_out_json
from ..core.auth import role_required
from ..core.clock import local_instant, to_local
from ..core.database import discard, reading_apart
from ..core.emails import normalise_email
from ..core.i18n import current_language
from ..core.models import Audience, Forum, ForumDay, ForumStatus, Role
from ..extensions import db, limiter
from ..materials.services import visible_materials
from ..registration.errors import InvalidRegistration, RegistrationError
from ..registration.models import (
    BreakoutPick,
    DaySeat,
    Registration,
    RegistrationKind,
    SeatStatus,
)
from ..registration.public import (
    PublicRegistrationInput,
    register_public,
    registration_sent_message,
)
from ..registration.seats import seats_left, waitlist_positions_among
from . import bp, shapes
from .materials_views import caller_reader, material_shape
from .openapi import openapi_document
from .request_shapes import BodyRefused, CheckInRequest, RegistrationRequest
from .shapes import answer


@bp.after_request
def _announce_bearer_scheme(response):
    if response.status_code == 401:
        response.headers.setdefault("WWW-Authenticate", 'Bearer realm="forumapp"')
    return response


def _viewer() -> services.Viewer:
    """What the caller may see of agendas: drafts and confidential sessions are for the
    staff who plan forums (organizers, faculty); a door token sees what the public sees."""
    if current_user.is_authenticated and current_user.has_role(Role.ORGANIZER, Role.FACULTY):
        return services.STAFF
    return services.PUBLIC


def _forum_or_none(forum_id: int) -> Forum | None:
    return db.session.get(Forum, forum_id)


def _visible_forum_or_404(
    viewer: services.Viewer, forum_id: int, *, with_days: bool = False
) -> Forum:
    """The forum the viewer may see (``with_days``: its days and program loaded with it)."""
    if with_days:
        forum = Forum.with_days_and_program(db.session, forum_id)
    else:
        forum = _forum_or_none(forum_id)
    # A draft answers exactly like an unknown id, so the public cannot probe for drafts.
    if forum is None or not services.can_see_forum(viewer, forum):
        abort(404, _("There is no forum with id %(id)s.", id=forum_id))
    return forum


def _day_shape(day: ForumDay, time_zone: str) -> shapes.Day:
    return shapes.Day(
        id=day.id,
        date=day.date,
        audience=Audience(day.audience),
        start=to_local(local_instant(day.date, day.starts_at, time_zone), time_zone),
        end=to_local(local_instant(day.date, day.ends_at, time_zone), time_zone),
        capacity=day.capacity,
        seats_left=seats_left(day),
    )


def _forum_shape(viewer: services.Viewer, forum: Forum) -> shapes.Forum:
    time_zone = forum.program.time_zone
    return shapes.Forum(
        id=forum.id,
        number=forum.number,
        title=forum.title,
        theme=forum.theme,
        status=ForumStatus(forum.status),
        program=shapes.ProgramRef(id=forum.program.id, name=forum.program.name),
        time_zone=time_zone,
        venue=shapes.Venue(
            name=forum.venue_name, address=forum.venue_address, city=forum.venue_city
        ),
        days=[_day_shape(day, time_zone) for day in services.visible_days(viewer, forum)],
        agenda_url=url_for("api.forum_agenda", forum_id=forum.id),
    )


def _item_shape(
    viewer: services.Viewer,
    item: AgendaItem,
    day: ForumDay,
    time_zone: str,
    materials: list[shapes.MaterialRef],
) -> shapes.AgendaItem:
    return shapes.AgendaItem(
        id=item.id,
        day_id=day.id,
        date=day.date,
        start=to_local(item.starts_at, time_zone),
        end=to_local(item.ends_at, time_zone),
        kind=ItemKind(item.kind),
        title=item.title,
        description=item.description,
        room=shapes.RoomRef(id=item.room.id, name=item.room.name) if item.room else None,
        capacity=item.effective_capacity,
        # Seats are taken by breakout picks; other sessions have no seat count of their own.
        seats_left=(seats_left(item) if item.kind == ItemKind.BREAKOUT else None),
        status=ItemStatus(item.status),
        confidential=item.confidential,
        speakers=[
            shapes.SpeakerRef(
                id=link.speaker.id, name=link.speaker.name, role=SpeakerRole(link.role)
            )
            for link in item.speaker_links
            if services.can_see_speaker(viewer, link.speaker)
        ],
        materials=materials,
    )


@bp.route("/me")
@role_required(*Role)
def me():
    """Who the bearer token belongs to."""
    return answer(
        shapes.Me(email=current_user.email, name=current_user.name, role=current_user.role)
    )


@bp.route("/forums")
def forums():
    """Forums with the days the viewer may see; drafts and team-only days only for staff."""
    viewer = _viewer()
    visible = services.visible_forums(db.session, viewer)
    return answer(shapes.Forums(forums=[_forum_shape(viewer, forum) for forum in visible]))


@bp.route("/forums/<int:forum_id>/agenda")
def forum_agenda(forum_id: int):
    """The sessions of the forum's days the viewer may see, in agenda order."""
    viewer = _viewer()
    forum = _visible_forum_or_404(viewer, forum_id)
    time_zone = forum.program.time_zone
    materials: dict[int | None, list[shapes.MaterialRef]] = {}
    for material in visible_materials(db.session, forum, caller_reader()):
        materials.setdefault(material.item_id, []).append(material_shape(material))
    return answer(
        shapes.Agenda(
            forum_id=forum.id,
            time_zone=time_zone,
            items=[
                _item_shape(viewer, item, day, time_zone, materials.get(item.id, []))
                for day, items in services.visible_agenda(db.session, viewer, forum)
                for item in items
            ],
        )
    )


@bp.route("/speakers/<int:speaker_id>")
def speaker(speaker_id: int):
    """A speaker's public record and visible sessions; organizers (who manage speakers, as on
    the staff pages) also get contact details, status and notes."""
    viewer = _viewer()
    record = db.session.get(Speaker, speaker_id)
    if record is None or not services.can_see_speaker(viewer, record):
        abort(404, _("There is no speaker with id %(id)s.", id=speaker_id))
    # Typed Any: unpacked below, these would also be matched against the shape's other fields.
    staff_only: dict[str, Any] = {}
    if current_user.is_authenticated and current_user.has_role(Role.ORGANIZER):
        staff_only = {
            "email": record.person.email,
            "phone": record.person.phone,
            "status": record.status,
            "staff_notes": record.staff_notes,
        }
    return answer(
        shapes.Speaker(
            id=record.id,
            name=record.name,
            kind=SpeakerKind(record.kind),
            title=record.title,
            affiliation=record.affiliation,
            bio=record.bio,
            photo_url=f"/speakers/{record.id}/photo" if record.photo_filename else None,
            sessions=[
                shapes.SpeakerSession(
                    id=item.id,
                    forum_id=item.day.forum_id,
                    title=item.title,
                    start=to_local(item.starts_at, item.day.forum.program.time_zone),
                    end=to_local(item.ends_at, item.day.forum.program.time_zone),
                )
                for item in services.speaker_sessions(db.session, viewer, record)
            ],
            **staff_only,  # left unset for everyone else, so out of the answer
        )
    )


# --- Registration -----------------------------------------------------------------------------

# The services name the days input ``day_ids``; the API takes dates under ``days``.
_API_FIELD_NAMES: dict[str | int, str] = {"day_ids": "days"}
_REGISTRATION_ERROR_TITLES = {
    403: _l("Registration is not allowed"),
    409: _l("Registration is closed"),
    422: _l("The registration is not valid"),
}


def _public_api_limit() -> str:
    return current_app.config["RATELIMIT_PUBLIC_API"]


def _registration_error(error: RegistrationError, from_service=True):
    """``{"error", "details": {field: message}}`` with the error's status; ``forum`` names a
    problem with the forum as a whole."""
    errors = {field or "forum": message for field, message in error.errors.items()}
    names = _API_FIELD_NAMES if from_service else {}
    details = {names.get(name, name): message for name, message in errors.items()}
    status = error.status
    title = str(_REGISTRATION_ERROR_TITLES.get(status, _l("Error")))
    return jsonify(error=title, details=details), status


def _registration_input(forum: Forum) -> PublicRegistrationInput:
    """Read the request body as a ``RegistrationRequest``; raises ``InvalidRegistration``
    naming each field. Rules about the values (a real email address, open days) are the
    service's."""
    days_by_date = {day.date: day.id for day in forum.days}
    try:
        body = RegistrationRequest.read(
            request.get_data(cache=False),
            days_by_date=days_by_date,
            public_dates=[day.date for day in forum.days if day.is_public],
        )
    except BodyRefused as refused:
        raise InvalidRegistration(refused.details) from None
    return PublicRegistrationInput(
        name=body.name,
        email=body.email,
        day_ids=[days_by_date[day] for day in body.days],
        organization=body.organization or "",
        community=body.community or "",
        accessibility_needs=body.accessibility_needs or "",
        dietary_needs=body.dietary_needs or "",
        consent=body.consent,
        # Accept-Language or ?lang= of the request: a new person's mail is written in it.
        language=current_language(),
    )


@bp.route("/forums/<int:forum_id>/registrations", methods=["POST"])
@limiter.limit(_public_api_limit)
def create_registration(forum_id: int):
    """Register a member of the public for public days of a forum, by date.

    202 with the same body whoever owns the email: the outcome goes to that inbox only
    (see ``register_public``).
    """
    with reading_apart(db.session):
        # The days (to read the body's dates) and the program (its time zone, for the windows)
        # come with the forum, in its one query.
        forum = _visible_forum_or_404(services.PUBLIC, forum_id, with_days=True)
        try:
            data = _registration_input(forum)
        except InvalidRegistration as error:
            return _registration_error(error, from_service=False)
    # A double submit of the same new person is absorbed inside the service (savepoints).
    try:
        register_public(db.session, forum, data)
        db.session.commit()
    except RegistrationError as error:
        discard(db.session)
        return _registration_error(error)
    email = normalise_email(data.email)  # valid: the service checked it
    message = registration_sent_message(email)
    return answer(shapes.RegistrationReceived(status="received", email=email, message=message), 202)


@bp.route("/forums/<int:forum_id>/registrations")
@role_required(Role.ORGANIZER)
def forum_registrations(forum_id: int):
    """Every registration of a forum: person, days with waitlist places, breakout picks.

    Organizers only, as on the registrations page, and audited like its CSV download."""
    forum = _forum_or_none(forum_id)
    if forum is None:
        abort(404, f"There is no forum with id {forum_id}.")
    audit.record_download(
        db.session, current_user.id, "export.registrations_api", f"forum:{forum.id}"
    )
    time_zone = forum.program.time_zone
    registrations = db.session.scalars(
        select(Registration)
        .where(Registration.forum_id == forum.id)
        .options(
            selectinload(Registration.person),
            selectinload(Registration.seats).selectinload(DaySeat.day),
            selectinload(Registration.picks).selectinload(BreakoutPick.item),
        )
        .order_by(Registration.created_at, Registration.id)
    ).all()
    # A forum's waitlisted seats all belong to its registrations, so positions need no query.
    positions = waitlist_positions_among(seat for r in registrations for seat in r.seats)
    return answer(
        shapes.StaffRegistrations(
            forum_id=forum.id,
            registrations=[
                _staff_registration(registration, positions, time_zone)
                for registration in registrations
            ],
        )
    )


def _staff_registration(
    registration: Registration, positions: dict[int, int], time_zone: str
) -> shapes.StaffRegistration:
    person = registration.person
    return shapes.StaffRegistration(
        id=registration.id,
        kind=RegistrationKind(registration.kind),
        created_at=to_local(registration.created_at, time_zone),
        person=shapes.RegisteredPerson(
            id=person.id, name=person.name, email=person.email, organization=person.organization
        ),
        community=registration.community,
        days=[
            shapes.RegistrationDay(
                date=seat.day.date,
                status=SeatStatus(seat.status),
                waitlist_position=positions.get(seat.id),
            )
            for seat in sorted(registration.seats, key=lambda seat: seat.day.date)
        ],
        picks=[
            shapes.BreakoutPick(
                item_id=pick.item_id, title=pick.item.title, status=SeatStatus(pick.status)
            )
            for pick in sorted(
                registration.picks, key=lambda pick: (pick.item.starts_at, pick.item_id)
            )
        ],
    )


# --- Check-in at the door --------------------------------------------------------------------

_CHECKIN_ERROR_TITLES = {
    403: "Not today's door",
    404: "Not a valid ticket",
    409: "Cannot check in",
    422: "The check-in request is not valid",
}


def _attendee(attendee: Attendee, teams: list[str]) -> shapes.CheckInAttendee:
    return shapes.CheckInAttendee(
        name=attendee.name,
        organization=attendee.organization,
        teams=teams,
        accessibility_needs=attendee.accessibility_needs,
    )


def _checkin_refusal(status: int, result: shapes.CheckInRefusal, message: str, details=None):
    refusal = shapes.Error(
        error=_CHECKIN_ERROR_TITLES[status], details=details, result=result, message=message
    )
    return answer(refusal, status)


@bp.route("/checkins", methods=["POST"])
@role_required(Role.DOOR, Role.ORGANIZER)
def create_checkin():
    """Check in the holder of a scanned or typed ticket code at the door.

    201 for a new check-in (and again for a retried ``request_id``), 200 when already checked in
    that day; refusals carry ``result`` and a ``message`` to show at the door. A request id
    already used with another code or day is refused (409, ``request_id_reused``); door staff
    naming a ``day`` other than today are refused (403, ``not_today``).
    """
    try:
        asked = CheckInRequest.read(request.get_data(cache=False))
    except BodyRefused as refused:
        return _checkin_refusal(
            422, shapes.CheckInRefusal.INVALID_REQUEST, str(refused), refused.details
        )
    code, on_date, request_id = asked.code, asked.day, asked.request_id
    if asked.session is not None or asked.direction == "exit":
        return _presence_scan(asked)
    # Without a day the scan is for today, which anyone at the door may check in for; door
    # staff naming a day may name today only (the scan reads the ticket's time zone).
    today_only = must_be_today(current_user, on_date)
    try:
        return carry_out_json(
            lambda: scan(
                db.session, code, on_date, current_user.id, request_id, today_only=today_only
            ),
            _checkin_answer,
        )
    except NotToday as refused:
        discard(db.session)
        return _checkin_refusal(
            403,
            shapes.CheckInRefusal.NOT_TODAY,
            f"Door staff check people in on the day itself: {refused.on_date:%B} "
            f"{refused.on_date.day} is not today. An organizer can record a check-in for "
            "another day.",
        )


def _presence_scan(asked: CheckInRequest):
    """A scan at a session's door, or an exit at the entrance (``attendance.scans``)."""
    direction = Direction(asked.direction or "entry")
    try:
        outcome = presence_scan_at(
            db.session,
            asked.code,
            asked.day,
            asked.session,
            direction,
            current_user,
            asked.request_id,
        )
    except ScanPlaceRefused as refused:
        discard(db.session)
        if refused.status == 403:
            return _checkin_refusal(403, shapes.CheckInRefusal.NOT_TODAY, refused.message)
        return _checkin_refusal(
            422, shapes.CheckInRefusal.INVALID_REQUEST, refused.message,
            {refused.field or "body": refused.message},
        )  # fmt: skip
    registration = outcome.registration
    if outcome.result == DoorResult.INVALID:
        discard(db.session)
        return _checkin_refusal(404, shapes.CheckInRefusal.INVALID, outcome.message)
    if not outcome.result.ok or registration is None or outcome.scan is None:
        discard(db.session)
        refusal = shapes.CheckInRefusal(outcome.result.value)
        return _checkin_refusal(409, refusal, outcome.message)
    teams = teams_of(db.session, registration.person_id, registration.forum.program_id)
    recorded = shapes.PresenceRecorded(
        result="entered" if outcome.result == DoorResult.ENTERED else "left",
        message=outcome.message,
        attendee=_attendee(Attendee.of(registration), teams),
        day=outcome.scan.day.date,
        session=outcome.scan.item_id,
        direction=direction.value,
    )
    db.session.commit()
    return answer(recorded, 201)


def _checkin_answer(outcome: ScanOutcome):
    if outcome.result == ScanResult.INVALID:
        return _checkin_refusal(404, shapes.CheckInRefusal.INVALID, outcome.message)
    if not outcome.result.ok:
        attendee = outcome.attendee
        details = {
            "attendee": (
                _attendee(attendee, outcome.teams).model_dump(mode="json") if attendee else None
            ),
            "day": outcome.day_date.isoformat() if outcome.day_date else None,
        }
        refusal = shapes.CheckInRefusal(outcome.result.value)
        return _checkin_refusal(409, refusal, outcome.message, details)
    # A check-in, new or earlier, is always of a registration on a day.
    assert outcome.attendee is not None and outcome.day_date is not None
    if outcome.result == ScanResult.CHECKED_IN:
        welcome = shapes.CheckedIn(
            result=outcome.result,
            message=outcome.message,
            attendee=_attendee(outcome.attendee, outcome.teams),
            day=outcome.day_date,
        )
        return answer(welcome, 201)
    # The other result that is ok; it carries the earlier check-in and its day.
    assert outcome.result == ScanResult.ALREADY_CHECKED_IN
    check_in, day = outcome.check_in, outcome.day
    assert check_in is not None and day is not None
    by = check_in.checked_in_by
    again = shapes.AlreadyCheckedIn(
        result=outcome.result,
        message=outcome.message,
        attendee=_attendee(outcome.attendee, outcome.teams),
        day=outcome.day_date,
        checked_in_at=to_local(check_in.checked_in_at, day.forum.program.time_zone),
        by=(by.name or by.email) if by else None,
    )
    return answer(again, 200)


@bp.route("/registrations/<int:registration_id>/ticket.png")
@role_required(Role.DOOR, Role.ORGANIZER)
def registration_ticket(registration_id: int):
    """The registration's ticket QR code (level M, quiet zone), e.g. to reprint a lost one."""
    registration = db.session.get(Registration, registration_id)
    if registration is None:
        abort(404, f"There is no registration with id {registration_id}.")
    if not tickets.has_confirmed_seat(registration):
        abort(409, f"{registration.person.name} has no confirmed seat, so no ticket yet.")
    ticket = tickets.current_ticket(db.session, registration)
    if ticket is None:
        abort(410, "This person's details were erased: they have no ticket, and none is issued.")
    db.session.commit()
    response = current_app.response_class(qr.qr_png(ticket.code), mimetype="image/png")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document describing this API."""
    return jsonify(openapi_document())
