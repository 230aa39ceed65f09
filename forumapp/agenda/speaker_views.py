"""Speaker records: staff pages (search, edit, photo, availability, CSV) and public pages."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core.auth import role_required
from ..core.models import Role
from ..extensions import db
from .models import Speaker

bp = Blueprint("speakers", __name__)


@bp.route("/staff/speakers")
@role_required(Role.ORGANIZER)
def staff_list():
    speakers = db.session.scalars(
        select(Speaker).options(selectinload(Speaker.person))
    ).all()
    return render_template("speakers/staff_list.html", speakers=speakers)
