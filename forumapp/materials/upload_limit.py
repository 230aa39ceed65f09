"""How large an upload request may be, decided before its body is read
(``core.body_limits.takes_bodies_up_to``)."""

from __future__ import annotations

from flask import current_app, request
from flask_login import current_user

from ..core.database import discard, reading_apart
from ..core.links import person_for_token
from ..extensions import db
from .speaker_page import speaker_of


def staff_upload_body_limit() -> int:
    """The largest request the staff upload endpoints (page and API) take: the upload limit
    for a signed-in caller, the app's usual one for anyone else (``_limit_for``)."""
    return _limit_for(current_user.is_authenticated)


def speaker_upload_body_limit() -> int:
    """The largest request a speaker's upload takes: the upload limit when the URL holds a
    speaker's personal link, the app's usual one for anyone else (``_limit_for``)."""
    with reading_apart(db.session):
        person = person_for_token(db.session, (request.view_args or {}).get("token", ""))
        is_speaker = person is not None and speaker_of(db.session, person) is not None
    return _limit_for(is_speaker)


def _limit_for(may_upload: bool) -> int:
    """A file of ``MATERIALS_MAX_BYTES`` and a megabyte for the form's other fields and the
    multipart framing for a caller who may upload; ``MAX_CONTENT_LENGTH`` for anyone else, so
    that nobody can make the server take in a large body before the request is refused.

    The read transaction the caller's lookup began is ended first: none stays open while a
    large body comes in (over a slow connection, minutes)."""
    discard(db.session)
    if not may_upload:
        return current_app.config["MAX_CONTENT_LENGTH"]
    return current_app.config["MATERIALS_MAX_BYTES"] + 1024 * 1024
