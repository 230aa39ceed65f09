"""The public site: the front page, program and forum pages with the agendas the visitor may see."""

from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user

from ..core.models import Forum, Program
from ..extensions import db
from . import visibility
from .blueprint import bp


def current_viewer() -> visibility.Viewer:
    """Signed-in staff see everything; everyone else sees the public program."""
    return visibility.STAFF if current_user.is_authenticated else visibility.PUBLIC


@bp.route("/")
def home():
    """Every forum the visitor may see, with its days: the site's front page."""
    viewer = current_viewer()
    forums = [
        (forum, visibility.visible_days(viewer, forum))
        for forum in visibility.visible_forums(db.session, viewer)
    ]
    return render_template("agenda/public/home.html", forums=forums)


@bp.route("/programs/<int:program_id>")
def program_page(program_id: int):
    program = db.get_or_404(Program, program_id)
    viewer = current_viewer()
    forums = [
        (forum, visibility.visible_days(viewer, forum))
        for forum in visibility.visible_forums(db.session, viewer)
        if forum.program_id == program.id
    ]
    return render_template(
        "agenda/public/program.html", program=program, forums=forums, viewer=viewer
    )


@bp.route("/forums/<int:forum_id>")
def forum_page(forum_id: int):
    viewer = current_viewer()
    forum = db.session.get(Forum, forum_id)
    # A draft is answered exactly like a missing forum, so its existence does not leak.
    if forum is None or not visibility.can_see_forum(viewer, forum):
        abort(404)
    agenda = visibility.visible_agenda(db.session, viewer, forum)
    speakers = {}
    for _day, items in agenda:
        for item in items:
            for link in item.speaker_links:
                if visibility.can_see_speaker(viewer, link.speaker):
                    speakers[link.speaker.id] = link.speaker
    has_hidden_days = len(agenda) < len(forum.days)
    return render_template(
        "agenda/public/forum.html",
        forum=forum,
        agenda=agenda,
        speakers=sorted(speakers.values(), key=lambda s: s.person.name),
        has_hidden_days=has_hidden_days,
        map_url=forum.map_url,
        viewer=viewer,
    )
