"""Organizer pages: forums, days, rooms and the agenda grid with its problems panel."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core.auth import role_required
from ..core.models import Forum, Role
from ..extensions import db

bp = Blueprint("agenda", __name__, url_prefix="/staff")


@bp.route("/forums")
@role_required(Role.ORGANIZER, Role.FACULTY)
def forum_list():
    forums = db.session.scalars(
        select(Forum)
        .options(selectinload(Forum.days), selectinload(Forum.rooms))
        .order_by(Forum.program_id, Forum.number)
    ).all()
    return render_template("agenda/forum_list.html", forums=forums)
