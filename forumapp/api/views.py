"""JSON endpoints. They call the same services as the HTML views.

Without a token the API shows what the public site shows; a staff bearer token (or a staff
sign-in cookie) sees drafts, team-only days, confidential sessions and staff-only speaker
fields. ``openapi.py`` documents every route here; its tests keep the two in step.
"""

from __future__ import annotations

from datetime import datetime

from flask import abort, jsonify, request, url_for
from flask_login import current_user

from ..agenda import services
from ..agenda.models import AgendaItem, Speaker
from ..core.auth import role_required
from ..core.clock import local_instant, to_local
from ..core.models import Forum, ForumDay, Role
from ..extensions import db
from . import bp
from .openapi import openapi_document


@bp.before_request
def _refuse_unusable_tokens():
    # A client that sends a token which is wrong, revoked or belongs to a deactivated account
    # must hear so, rather than silently getting the public view and missing data.
    if "Authorization" in request.headers and not current_user.is_authenticated:
        abort(401, "The bearer token is not valid: it may be mistyped, revoked or expired.")


@bp.after_request
def _announce_bearer_scheme(response):
    if response.status_code == 401:
        response.headers.setdefault("WWW-Authenticate", 'Bearer realm="forumapp"')
    return response


def _viewer() -> services.Viewer:
    return services.STAFF if current_user.is_authenticated else services.PUBLIC


def _iso(instant: datetime, time_zone: str) -> str:
    """An instant as ISO 8601 in the program's zone, with its UTC offset."""
    return to_local(instant, time_zone).isoformat()


def _visible_forum_or_404(viewer: services.Viewer, forum_id: int) -> Forum:
    forum = db.session.get(Forum, forum_id)
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
        "seats_left": None,  # arrives with registration
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
        "seats_left": None,  # arrives with registration
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
    """A speaker's public record and visible sessions; staff also get contact and notes."""
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
    if viewer.is_staff:
        body |= {
            "email": record.person.email,
            "phone": record.person.phone,
            "status": record.status,
            "staff_notes": record.staff_notes,
        }
    return jsonify(body)


@bp.route("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document describing this API."""
    return jsonify(openapi_document())
