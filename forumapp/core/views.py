"""The health check and the staff pages of the core area."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from flask import current_app, jsonify, render_template, request, url_for
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from ..extensions import db
from .audit import AuditFilter, entry_labels, find_entries, readable_details
from .auth import role_required
from .blueprint import bp
from .clock import local_instant
from .forms import AuditFilterForm
from .models import Role, Team, TeamMembership, User


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
    return render_template("core/staff/home.html")


@bp.route("/staff/teams")
@role_required(Role.ORGANIZER)
def staff_teams():
    member_counts = {
        team_id: count
        for team_id, count in db.session.execute(
            select(TeamMembership.team_id, func.count()).group_by(TeamMembership.team_id)
        )
    }
    teams = db.session.scalars(
        select(Team)
        .options(selectinload(Team.memberships).selectinload(TeamMembership.person))
        .order_by(Team.name)
    ).all()
    return render_template("core/staff/teams.html", teams=teams, member_counts=member_counts)


@bp.route("/staff/users")
@role_required(Role.ADMIN)
def staff_users():
    users = db.session.scalars(select(User).order_by(User.role, User.email)).all()
    return render_template("core/staff/users.html", users=users)


@bp.route("/staff/audit")
@role_required(Role.ADMIN)
def audit_log():
    """Sensitive staff actions, newest first, filtered by action, person and dates."""
    users = db.session.scalars(select(User).order_by(User.email)).all()
    form = AuditFilterForm(formdata=request.args)
    form.user_id.choices = [("", "Anyone")] + [(str(user.id), user.email) for user in users]
    form.validate()
    zone = current_app.config["PROGRAM_TIME_ZONE"]
    since, until, user_id = form.clean("since"), form.clean("until"), form.clean("user_id")
    wanted = AuditFilter(
        action=form.clean("action"),
        user_id=int(user_id) if user_id else None,
        since=local_instant(since, time(0), zone) if since else None,
        until=local_instant(until + timedelta(days=1), time(0), zone) if until else None,
    )
    page = find_entries(db.session, wanted, page=request.args.get("page", 1, type=int))
    # Typed Any: mypy matches the unpacked filters against url_for's own keyword arguments too
    # (``_external: bool``), which they never name.
    filters: dict[str, Any] = {
        key: value for key, value in request.args.items() if key != "page" and value
    }

    def page_url(number: int) -> str:
        return url_for("core.audit_log", **filters, page=number)

    return render_template(
        "core/staff/audit.html",
        form=form,
        page=page,
        subjects=entry_labels(db.session, page.items),
        readable_details=readable_details,
        page_url=page_url,
        is_filtered=bool(filters),
    ), (400 if form.errors else 200)
