"""Organizers print name badges: a PDF for everyone confirmed on a day, or for chosen people."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from ..core.actions import carry_out
from ..core.auth import role_required
from ..core.bounds import integer_problem
from ..core.erasure import not_erased
from ..core.models import Forum, ForumDay, Person, Role
from ..extensions import db
from ..registration.models import DaySeat, Registration, SeatStatus
from . import badges
from .blueprint import bp


def _forum_or_404(forum_id: int) -> Forum:
    forum = db.session.get(Forum, forum_id)
    if forum is None:
        abort(404)
    return forum


@bp.route("/staff/forums/<int:forum_id>/badges")
@role_required(Role.ORGANIZER)
def badge_form(forum_id: int):
    """Choose whose badges to print: a whole day, or people ticked in the list."""
    forum = _forum_or_404(forum_id)
    confirmed = DaySeat.status == SeatStatus.CONFIRMED.value
    day_counts = db.session.execute(
        select(DaySeat.day_id, func.count())
        .join(ForumDay)
        .join(Registration, Registration.id == DaySeat.registration_id)
        .join(Person, Person.id == Registration.person_id)
        .where(ForumDay.forum_id == forum.id, confirmed, not_erased(Person.email))
        .group_by(DaySeat.day_id)
    )
    per_day = {day_id: count for day_id, count in day_counts}
    people = db.session.execute(
        select(Registration.id, Person.name, Person.organization)
        .join(Person, Person.id == Registration.person_id)
        .where(
            Registration.forum_id == forum.id,
            Registration.id.in_(select(DaySeat.registration_id).where(confirmed)),
            not_erased(Person.email),  # erased people have no ticket, so no badge
        )
        .order_by(Person.name, Registration.id)
    ).all()
    return render_template("checkin/badges.html", forum=forum, per_day=per_day, people=people)


@bp.route("/staff/forums/<int:forum_id>/badges.pdf")
@role_required(Role.ORGANIZER)
def badges_pdf(forum_id: int):
    """Badges as a PDF. ``day_id``: people confirmed that day; ``registration_id`` (repeated):
    only those people; neither: everyone confirmed on any day of the forum."""
    forum = _forum_or_404(forum_id)
    day_id = request.args.get("day_id", type=int)
    if day_id is not None and day_id not in {day.id for day in forum.days}:
        abort(404)
    # A number no 32-bit id column holds is no registration's (the driver would raise on it).
    chosen = [
        number
        for number in request.args.getlist("registration_id", type=int)
        if integer_problem(number) is None
    ]
    if "registration_id" in request.args and not chosen:
        abort(400)
    # Commits the tickets issued for the badges' QR codes, and the audit entry.
    done = carry_out(
        lambda: badges.export_badges(db.session, forum, day_id, chosen, current_user.id)
    )
    pdf = done.value
    if pdf is None:
        flash("Nobody to print: no one with a confirmed seat matches that choice.", "error")
        return redirect(url_for("checkin.badge_form", forum_id=forum.id))
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="forum-{forum.number}-badges.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
