"""JSON endpoints. They call the same services as the HTML views.

Without a token the API shows what the public site shows; a staff bearer token (or a staff
sign-in cookie) sees drafts, team-only days, confidential sessions and staff-only speaker
fields. Public registration is the one write anyone may make (rate limited per address).
``openapi.py`` documents every route here; its tests keep the two in step.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime

from flask import abort, current_app, jsonify, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..agenda import services
from ..agenda.models import AgendaItem, ItemKind, Speaker
from ..checkin import services as checkin_services
from ..checkin import tickets
from ..core import audit
from ..core.auth import role_required
from ..core.bounds import date_problem
from ..core.clock import local_instant, to_local
from ..core.database import is_storable_text
from ..core.emails import normalise_email
from ..core.models import Forum, ForumDay, Role
from ..extensions import db, limiter
from ..registration.errors import InvalidRegistration, RegistrationError
from ..registration.models import BreakoutPick, DaySeat, Registration
from ..registration.public import (
    PublicRegistrationInput,
    register_public,
    registration_sent_message,
)
from ..registration.seats import seats_left, waitlist_positions_among
from . import bp
from .openapi import (
    CHECKIN_CODE_MAX_LENGTH,
    CHECKIN_REQUEST_ID_MAX_LENGTH,
    REGISTRATION_TEXT_LIMITS,
    openapi_document,
)


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


def _iso(instant: datetime, time_zone: str) -> str:
    """An instant as ISO 8601 in the program's zone, with its UTC offset."""
    return to_local(instant, time_zone).isoformat()


def _forum_or_none(forum_id: int) -> Forum | None:
    return db.session.get(Forum, forum_id)


def _visible_forum_or_404(viewer: services.Viewer, forum_id: int) -> Forum:
    forum = _forum_or_none(forum_id)
    # A draft answers exactly like an unknown id, so the public cannot probe for drafts.
    if forum is None or not services.can_see_forum(viewer, forum):
        abort(404, f"There is no forum with id {forum_id}.")
    return forum


def _day_json(day: ForumDay, time_zone: str) -> dict:
    return {
        "id": day.id,
        "date": day.date.isoformat(),
        "audience": day.audience,
        "start": _iso(local_instant(day.date, day.starts_at, time_zone), time_zone),
        "end": _iso(local_instant(day.date, day.ends_at, time_zone), time_zone),
        "capacity": day.capacity,
        "seats_left": seats_left(day),
    }


def _forum_json(viewer: services.Viewer, forum: Forum) -> dict:
    time_zone = forum.program.time_zone
    return {
        "id": forum.id,
        "number": forum.number,
        "title": forum.title,
        "theme": forum.theme,
        "status": forum.status,
        "program": {"id": forum.program.id, "name": forum.program.name},
        "time_zone": time_zone,
        "venue": {
            "name": forum.venue_name,
            "address": forum.venue_address,
            "city": forum.venue_city,
        },
        "days": [_day_json(day, time_zone) for day in services.visible_days(viewer, forum)],
        "agenda_url": url_for("api.forum_agenda", forum_id=forum.id),
    }


def _item_json(viewer: services.Viewer, item: AgendaItem, day: ForumDay, time_zone: str) -> dict:
    return {
        "id": item.id,
        "day_id": day.id,
        "date": day.date.isoformat(),
        "start": _iso(item.starts_at, time_zone),
        "end": _iso(item.ends_at, time_zone),
        "kind": item.kind,
        "title": item.title,
        "description": item.description,
        "room": {"id": item.room.id, "name": item.room.name} if item.room else None,
        "capacity": item.effective_capacity,
        # Seats are taken by breakout picks; other sessions have no seat count of their own.
        "seats_left": (seats_left(item) if item.kind == ItemKind.BREAKOUT else None),
        "status": item.status,
        "confidential": item.confidential,
        "speakers": [
            {"id": link.speaker.id, "name": link.speaker.name, "role": link.role}
            for link in item.speaker_links
            if services.can_see_speaker(viewer, link.speaker)
        ],
    }


@bp.route("/me")
@role_required(*Role)
def me():
    """Who the bearer token belongs to."""
    return jsonify(email=current_user.email, name=current_user.name, role=current_user.role)


@bp.route("/forums")
def forums():
    """Forums with the days the viewer may see; drafts and team-only days only for staff."""
    viewer = _viewer()
    return jsonify(
        forums=[_forum_json(viewer, forum) for forum in services.visible_forums(db.session, viewer)]
    )


@bp.route("/forums/<int:forum_id>/agenda")
def forum_agenda(forum_id: int):
    """The sessions of the forum's days the viewer may see, in agenda order."""
    viewer = _viewer()
    forum = _visible_forum_or_404(viewer, forum_id)
    time_zone = forum.program.time_zone
    return jsonify(
        forum_id=forum.id,
        time_zone=time_zone,
        items=[
            _item_json(viewer, item, day, time_zone)
            for day, items in services.visible_agenda(db.session, viewer, forum)
            for item in items
        ],
    )


@bp.route("/speakers/<int:speaker_id>")
def speaker(speaker_id: int):
    """A speaker's public record and visible sessions; organizers (who manage speakers, as on
    the staff pages) also get contact details, status and notes."""
    viewer = _viewer()
    record = db.session.get(Speaker, speaker_id)
    if record is None or not services.can_see_speaker(viewer, record):
        abort(404, f"There is no speaker with id {speaker_id}.")
    body = {
        "id": record.id,
        "name": record.name,
        "kind": record.kind,
        "title": record.title,
        "affiliation": record.affiliation,
        "bio": record.bio,
        "photo_url": f"/speakers/{record.id}/photo" if record.photo_filename else None,
        "sessions": [
            {
                "id": item.id,
                "forum_id": item.day.forum_id,
                "title": item.title,
                "start": _iso(item.starts_at, item.day.forum.program.time_zone),
                "end": _iso(item.ends_at, item.day.forum.program.time_zone),
            }
            for item in services.speaker_sessions(db.session, viewer, record)
        ],
    }
    if current_user.is_authenticated and current_user.has_role(Role.ORGANIZER):
        body |= {
            "email": record.person.email,
            "phone": record.person.phone,
            "status": record.status,
            "staff_notes": record.staff_notes,
        }
    return jsonify(body)


# --- Registration -----------------------------------------------------------------------------

_REGISTRATION_FIELDS = ("name", "email", *REGISTRATION_TEXT_LIMITS, "consent", "days")
_DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# The services name the days input ``day_ids``; the API takes dates under ``days``.
_API_FIELD_NAMES = {"day_ids": "days"}
_REGISTRATION_ERROR_TITLES = {
    403: "Registration is not allowed",
    409: "Registration is closed",
    422: "The registration is not valid",
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
    return jsonify(error=_REGISTRATION_ERROR_TITLES.get(status, "Error"), details=details), status


def _invalid(field: str, message: str) -> InvalidRegistration:
    return InvalidRegistration({field: message})


def _request_object() -> dict:
    """The request body as a JSON object; raises ``InvalidRegistration`` for anything else."""
    try:
        body = json.loads(request.get_data(cache=False))
    except (ValueError, RecursionError):
        # ValueError covers bad JSON, bad UTF-8 and absurdly long numbers.
        raise _invalid(
            "body", "Send the registration as a JSON object; this is not JSON."
        ) from None
    if not isinstance(body, dict):
        raise _invalid("body", 'Send the registration as a JSON object: {"name": ..., ...}.')
    return body


def _text(body: dict, name: str, errors: dict, required_message: str | None = None) -> str:
    value = body.get(name)
    if value is None:
        if required_message:
            errors[name] = required_message
        return ""
    if not isinstance(value, str):
        errors[name] = f"Send {name} as a string."
        return ""
    if not is_storable_text(value):
        errors[name] = f"Remove the control characters or broken Unicode from {name}."
        return ""
    limit = REGISTRATION_TEXT_LIMITS.get(name)
    if limit is not None and len(value) > limit:
        errors[name] = f"Use at most {limit} characters."
    return value


def _day_ids(forum: Forum, value, errors: dict) -> list[int]:
    """The forum's day ids for a list of ISO dates; every date must be one of its days."""
    example = 'Send days as a list of dates like ["2027-03-15"].'
    if value is None:
        errors["days"] = f"Choose at least one day. {example}"
        return []
    if not isinstance(value, list):
        errors["days"] = example
        return []
    if not value:
        errors["days"] = f"Choose at least one day. {example}"
        return []
    dates = []
    for item in value:
        try:
            if not isinstance(item, str) or not _DATE_PATTERN.match(item):
                raise ValueError
            dates.append(date.fromisoformat(item))
            if date_problem(dates[-1]):
                raise ValueError
        except ValueError:
            errors["days"] = f"Write each day as a date like 2027-03-15. {example}"
            return []
    by_date = {day.date: day.id for day in forum.days}
    unknown = [d.isoformat() for d in dict.fromkeys(dates) if d not in by_date]
    if unknown:
        # Only the public days are named, so the answer never reveals a team-only day.
        public = ", ".join(d.date.isoformat() for d in forum.days if d.is_public) or "none"
        errors["days"] = (
            f"{', '.join(unknown)} {'is not a day' if len(unknown) == 1 else 'are not days'} "
            f"of this forum. Its public days: {public}."
        )
        return []
    return [by_date[d] for d in dates]


def _registration_input(forum: Forum) -> PublicRegistrationInput:
    """Read and type-check the request body; raises ``InvalidRegistration`` naming each field.

    Rules about the values (a real email address, open days) are the service's.
    """
    body = _request_object()
    errors: dict[str, str] = {}
    name = _text(body, "name", errors, "Enter your full name.")
    email = _text(body, "email", errors, "Enter your email address.")
    optional = {field: _text(body, field, errors) for field in REGISTRATION_TEXT_LIMITS}
    if body.get("consent") is not True:
        errors["consent"] = (
            'Send "consent": true to agree to the privacy note; we cannot register you without it.'
        )
    day_ids = _day_ids(forum, body.get("days"), errors)
    for unknown in body.keys() - set(_REGISTRATION_FIELDS):
        errors[unknown] = f"Unknown field. Send only: {', '.join(_REGISTRATION_FIELDS)}."
    if errors:
        raise InvalidRegistration(dict(sorted(errors.items(), key=lambda e: _field_order(e[0]))))
    return PublicRegistrationInput(
        name=name, email=email, day_ids=day_ids, consent=True, **optional
    )


def _field_order(name: str) -> tuple[int, str]:
    known = _REGISTRATION_FIELDS
    return (known.index(name) if name in known else len(known), name)


@bp.route("/forums/<int:forum_id>/registrations", methods=["POST"])
@limiter.limit(_public_api_limit)
def create_registration(forum_id: int):
    """Register a member of the public for public days of a forum, by date.

    202 with the same body whoever owns the email: the outcome goes to that inbox only
    (see ``register_public``).
    """
    forum = _visible_forum_or_404(services.PUBLIC, forum_id)
    try:
        data = _registration_input(forum)
    except InvalidRegistration as error:
        return _registration_error(error, from_service=False)
    # A double submit of the same new person is absorbed inside the service (savepoints).
    try:
        register_public(db.session, forum, data)
        db.session.commit()
    except RegistrationError as error:
        db.session.rollback()
        return _registration_error(error)
    email = normalise_email(data.email)  # valid: the service checked it
    message = registration_sent_message(email)
    return jsonify(status="received", email=email, message=message), 202


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
    return jsonify(
        forum_id=forum.id,
        registrations=[
            {
                "id": registration.id,
                "kind": registration.kind,
                "created_at": _iso(registration.created_at, time_zone),
                "person": {
                    "id": registration.person.id,
                    "name": registration.person.name,
                    "email": registration.person.email,
                    "organization": registration.person.organization,
                },
                "community": registration.community,
                "days": [
                    {
                        "date": seat.day.date.isoformat(),
                        "status": seat.status,
                        "waitlist_position": positions.get(seat.id),
                    }
                    for seat in sorted(registration.seats, key=lambda seat: seat.day.date)
                ],
                "picks": [
                    {"item_id": pick.item_id, "title": pick.item.title, "status": pick.status}
                    for pick in sorted(
                        registration.picks, key=lambda pick: (pick.item.starts_at, pick.item_id)
                    )
                ],
            }
            for registration in registrations
        ],
    )


# --- Check-in at the door --------------------------------------------------------------------

_CHECKIN_FIELDS = ("code", "day", "request_id")
_CHECKIN_ERROR_TITLES = {
    403: "Not today's door",
    404: "Not a valid ticket",
    409: "Cannot check in",
    422: "The check-in request is not valid",
}


class _InvalidCheckIn(Exception):
    def __init__(self, errors: dict[str, str]):
        super().__init__(" ".join(errors.values()))
        self.errors = errors


def _iso_date(value) -> date | None:
    """A ``YYYY-MM-DD`` string as a date; None for anything else (or an impossible date)."""
    if not isinstance(value, str) or not _DATE_PATTERN.match(value):
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        return None
    return None if date_problem(parsed) else parsed


def _checkin_input() -> tuple[str, date | None, str | None]:
    """The code, day and request id of a check-in; raises ``_InvalidCheckIn`` naming each field."""
    try:
        body = json.loads(request.get_data(cache=False))
    except (ValueError, RecursionError):
        body = None
    if not isinstance(body, dict):
        raise _InvalidCheckIn({"body": 'Send a JSON object like {"code": "7K3M…"}.'})
    errors = {}
    code = body.get("code")
    if not isinstance(code, str) or not code.strip():
        errors["code"] = "Send the scanned or typed ticket code as a string."
    elif len(code) > CHECKIN_CODE_MAX_LENGTH:
        errors["code"] = f"A ticket code has at most {CHECKIN_CODE_MAX_LENGTH} characters."
    day = body.get("day")
    on_date = _iso_date(day)
    if day is not None and on_date is None:
        errors["day"] = "Write the day as a date like 2027-03-15, or leave it out for today."
    request_id = body.get("request_id")
    if request_id is not None and (
        not isinstance(request_id, str)
        or not 1 <= len(request_id) <= CHECKIN_REQUEST_ID_MAX_LENGTH
        or not is_storable_text(request_id)
    ):
        errors["request_id"] = (
            f"Send request_id as a string of 1 to {CHECKIN_REQUEST_ID_MAX_LENGTH} printable "
            "characters, new for each scan (a UUID is ideal)."
        )
    for unknown in sorted(body.keys() - set(_CHECKIN_FIELDS)):
        errors[unknown] = f"Unknown field. Send only: {', '.join(_CHECKIN_FIELDS)}."
    if errors:
        raise _InvalidCheckIn(errors)
    return code, on_date, request_id


def _attendee_json(outcome: checkin_services.ScanOutcome) -> dict:
    attendee = outcome.attendee
    return {
        "name": attendee.name,
        "organization": attendee.organization,
        "teams": outcome.teams,
        "accessibility_needs": attendee.accessibility_needs,
    }


def _checkin_refusal(status: int, result: str, message: str, details=None):
    body = {
        "error": _CHECKIN_ERROR_TITLES[status],
        "details": details,
        "result": result,
        "message": message,
    }
    return jsonify(body), status


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
        code, on_date, request_id = _checkin_input()
    except _InvalidCheckIn as error:
        return _checkin_refusal(422, "invalid_request", error.args[0], error.errors)
    if not checkin_services.may_check_in_on(db.session, current_user, code, on_date):
        return _checkin_refusal(
            403,
            "not_today",
            f"Door staff check people in on the day itself: {on_date:%B} {on_date.day} is not "
            "today. An organizer can record a check-in for another day.",
        )
    outcome = tickets.scan_on_date(db.session, code, on_date, current_user.id, request_id)
    # The answer is built from what the scan loaded, before the commit expires it: reading it
    # again would start a second transaction (on SQLite, a second write lock) per scan.
    answer = _checkin_answer(outcome)
    db.session.commit()
    return answer


def _checkin_answer(outcome: checkin_services.ScanOutcome):
    result = checkin_services.ScanResult
    if outcome.result == result.INVALID:
        return _checkin_refusal(404, outcome.result.value, outcome.message)
    if not outcome.result.ok:
        details = {
            "attendee": _attendee_json(outcome) if outcome.attendee else None,
            "day": outcome.day_date.isoformat() if outcome.day_date else None,
        }
        return _checkin_refusal(409, outcome.result.value, outcome.message, details)
    body = {
        "result": outcome.result.value,
        "message": outcome.message,
        "attendee": _attendee_json(outcome),
        "day": outcome.day_date.isoformat(),
    }
    if outcome.result == result.CHECKED_IN:
        return jsonify(body), 201
    check_in = outcome.check_in
    by = check_in.checked_in_by
    body |= {
        "checked_in_at": _iso(check_in.checked_in_at, outcome.day.forum.program.time_zone),
        "by": (by.name or by.email) if by else None,
    }
    return jsonify(body), 200


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
    response = current_app.response_class(tickets.qr_png(ticket.code), mimetype="image/png")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document describing this API."""
    return jsonify(openapi_document())
