""" "Add to calendar" downloads, the public program feed and personal subscription feeds.

Downloads answer only what the visitor may see (the agenda's visibility rules); anything else
is a 404 identical to a missing record. The personal feed is found by its secret token; the
personal page's button replaces that token (the old URL then answers 404).
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, url_for

from ..agenda import visibility as agenda
from ..agenda.models import AgendaItem
from ..agenda.public_views import current_viewer
from ..core.i18n import in_language
from ..core.links import person_for_token
from ..core.models import ForumDay, Program
from ..core.rate_limits import personal_link_limit
from ..extensions import db
from . import events, feeds
from .forms import RenewFeedForm

bp = Blueprint("calendar", __name__)

# Signed-in staff may download drafts, so a download is never kept by a shared cache.
_BY_VIEWER = "private, max-age=300"


def _calendar_response(text: str, filename: str, *, download: bool, cache: str):
    # A text/* mimetype gets "; charset=utf-8" from Werkzeug (which has no ``charset`` setting).
    response = Response(text, mimetype="text/calendar")
    disposition = "attachment" if download else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["Cache-Control"] = cache
    return response


def _visible_day(forum_id: int, day_id: int) -> ForumDay:
    day = db.session.get(ForumDay, day_id)
    if day is None or day.forum_id != forum_id or not agenda.can_see_day(current_viewer(), day):
        abort(404)
    return day


def _visible_item(item_id: int) -> AgendaItem:
    item = db.session.get(AgendaItem, item_id)
    if item is None or not agenda.can_see_item(current_viewer(), item):
        abort(404)
    return item


@bp.route("/forums/<int:forum_id>/days/<int:day_id>.ics")
def day_download(forum_id: int, day_id: int):
    day = _visible_day(forum_id, day_id)
    event = events.day_event(
        db.session, day, current_viewer(), uid=events.public_uid(events.day_key(day.id))
    )
    text = feeds.render_download(event, day.forum)
    return _calendar_response(
        text, f"forum-{day.forum.number}-{day.date}.ics", download=True, cache=_BY_VIEWER
    )


@bp.route("/sessions/<int:item_id>.ics")
def item_download(item_id: int):
    item = _visible_item(item_id)
    event = events.item_event(
        item, current_viewer(), uid=events.public_uid(events.item_key(item.id))
    )
    text = feeds.render_download(event, item.day.forum)
    return _calendar_response(text, f"session-{item.id}.ics", download=True, cache=_BY_VIEWER)


@bp.route("/programs/<int:program_id>/public.ics")
def program_feed(program_id: int):
    program = db.session.get(Program, program_id)
    if program is None:
        abort(404)
    text = feeds.render_feed(feeds.public_program_feed(db.session, program))
    return _calendar_response(
        text, f"program-{program.id}-public.ics", download=False, cache="public, max-age=300"
    )


@bp.route("/calendar/<token>.ics")
def personal_feed(token: str):
    feed = feeds.feed_for_token(db.session, token)
    if feed is None:
        abort(404)
    # A calendar app fetches the feed with no cookie and its own Accept-Language: the feed
    # speaks the language the person chose, as their invitations do.
    with in_language(feed.person.language):
        text = feeds.render_feed(feeds.personal_feed(db.session, feed.person))
    # Someone's schedule, found by a secret: never kept by caches, never indexed.
    response = _calendar_response(text, "my-forums.ics", download=False, cache="private, no-store")
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.route("/me/<token>/calendar-link", methods=["POST"])
@personal_link_limit
def renew_feed(token: str):
    """Replace the person's feed URL; calendars subscribed to the old one stop updating."""
    person = person_for_token(db.session, token)
    if person is None:
        abort(404)
    if not RenewFeedForm().validate_on_submit():
        abort(400)
    feeds.renew_feed(db.session, person)
    db.session.commit()
    flash(
        "Your calendar has a new link. Calendars subscribed to the old link no longer update: "
        "subscribe again with the new one.",
        "success",
    )
    return redirect(url_for("attendee.personal_page", token=token) + "#calendar")


# --- For templates ---------------------------------------------------------------------------


@bp.app_template_global()
def calendar_download_url(target: ForumDay | AgendaItem) -> str | None:
    """The "Add to calendar" link for a day or session, or None when this visitor could not
    download it (e.g. a team-only session on a team member's personal agenda)."""
    viewer = current_viewer()
    if isinstance(target, ForumDay):
        if agenda.can_see_day(viewer, target):
            return url_for("calendar.day_download", forum_id=target.forum_id, day_id=target.id)
    elif agenda.can_see_item(viewer, target):
        return url_for("calendar.item_download", item_id=target.id)
    return None
