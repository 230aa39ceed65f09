"""The public home page, the health check and the staff pages of the core area."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from ..extensions import db
from .auth import role_required
from .models import Role, Team, TeamMembership, User

bp = Blueprint("core", __name__)


@bp.route("/")
def home():
    from ..agenda.public_views import current_viewer
    from ..agenda.services import visible_days, visible_forums

    viewer = current_viewer()
    forums = [(forum, visible_days(viewer, forum)) for forum in visible_forums(db.session, viewer)]
    return render_template("core/home.html", forums=forums)


@bp.route("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.route("/staff/")
@role_required(*Role)
def staff_home():
    return render_template("staff/home.html")


@bp.route("/staff/teams")
@role_required(Role.ORGANIZER)
def staff_teams():
    member_counts = dict(
        db.session.execute(
            select(TeamMembership.team_id, func.count()).group_by(TeamMembership.team_id)
        ).all()
    )
    teams = db.session.scalars(
        select(Team)
        .options(selectinload(Team.memberships).selectinload(TeamMembership.person))
        .order_by(Team.name)
    ).all()
    return render_template("staff/teams.html", teams=teams, member_counts=member_counts)


@bp.route("/staff/users")
@role_required(Role.ADMIN)
def staff_users():
    users = db.session.scalars(select(User).order_by(User.role, User.email)).all()
    return render_template("staff/users.html", users=users)
