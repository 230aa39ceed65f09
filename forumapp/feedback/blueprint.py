"""The feedback pages' blueprint, shared by the attendee pages (``attendee_views``), the
faculty's summary pages (``summary_views``) and the organizers' collecting pages
(``collecting_views``), with what those pages share."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort

from ..core.i18n import format_local_datetime
from ..core.models import Forum, Role
from ..extensions import db

bp = Blueprint("feedback", __name__)

READERS = (Role.FACULTY, Role.ORGANIZER)
ORGANIZERS = (Role.ORGANIZER,)


def forum_or_404(forum_id: int) -> Forum:
    """The forum, draft or not (staff pages)."""
    forum = db.session.get(Forum, forum_id)
    if forum is None:
        abort(404)
    return forum


def local_time(instant: datetime | None, forum: Forum) -> str:
    """``instant`` as the forum's program shows times."""
    return format_local_datetime(instant, forum.program.time_zone)
