"""A day's door: choosing the day, the scan page, undo, lookup by name and walk-ins.

The scan page works without JavaScript: the form posts and the result is shown after a
redirect. With JavaScript (static/js/door.js) the same endpoint answers JSON, so the phone's
camera, a handheld scanner (which types the code and Enter) and typing all check in without a
page load, and a retried request is counted once (``request_id``).
"""

from __future__ import annotations

from datetime import date

from flask import abort, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..agenda.models import AgendaItem, ItemKind, ItemStatus
from ..core.actions import carry_out
from ..core.auth import role_required
from ..core.clock import local_today
from ..core.forms import ButtonForm
from ..core.models import Forum, ForumDay, ForumStatus
from ..extensions import db
from ..registration.models import Registration, SeatStatus
from ..registration.seats import seats_left, waitlist_position
from . import lookup as door_lookup
from . import walkins
from .access import may_use_door
from .blueprint import DOOR_STAFF, RECENT_LIMIT, bp
from .counts import live_counts
from .forms import LookupForm, ScanForm, WalkInForm, new_request_id
from .models import CheckIn
from .outcomes import ScanResult, date_label
from .scanner_pages import ResultCard, answer_scan, open_door_day_or_abort, scanner_page
from .scanning import check_in_registration, recent_check_ins, scan, undo_check_in


def _door_day_or_404(day_id: int) -> ForumDay:
    """The day, if the signed-in user may use its door (``open_door_day_or_abort``)."""
    return open_door_day_or_abort(db.session.get(ForumDay, day_id))


def _today(day: ForumDay) -> date:
    return local_today(day.forum.program.time_zone)


def _button_or_400() -> None:
    if not ButtonForm().validate_on_submit():
        abort(400)


def _door(day: ForumDay):
    return redirect(url_for("checkin.door_day", day_id=day.id), 303)


# --- Choosing a day --------------------------------------------------------------------------


@bp.route("/door")
@role_required(*DOOR_STAFF)
def door_days():
    days = db.session.scalars(
        select(ForumDay)
        .join(Forum)
        .where(Forum.status != ForumStatus.DRAFT)
        .options(selectinload(ForumDay.forum).selectinload(Forum.program))
        .order_by(ForumDay.date, Forum.number)
    ).all()
    today, upcoming, earlier = [], [], []
    for day in days:
        if not may_use_door(current_user, day):
            continue  # door staff are shown today's days only
        that_day = _today(day)
        if day.date == that_day:
            today.append(day)
        elif day.date > that_day:
            upcoming.append(day)
        else:
            earlier.append(day)
    return render_template(
        "checkin/door_days.html", today=today, upcoming=upcoming, earlier=earlier[::-1][:10]
    )


# --- The scan page ---------------------------------------------------------------------------


def _render_recent(day: ForumDay) -> str:
    return render_template(
        "checkin/_recent.html",
        day=day,
        recent=recent_check_ins(db.session, day, RECENT_LIMIT),
        counts=live_counts(db.session, day),
        button_form=ButtonForm(),
    )


def _render_door_day(day: ForumDay, form: ScanForm, card: ResultCard | None, status: int = 200):
    sessions = db.session.scalars(
        select(AgendaItem)
        .where(
            AgendaItem.day_id == day.id,
            AgendaItem.kind != ItemKind.BREAK,
            AgendaItem.status == ItemStatus.SCHEDULED,
        )
        .options(selectinload(AgendaItem.room))
        .order_by(AgendaItem.starts_at, AgendaItem.title)
    ).all()
    return scanner_page(
        "checkin/door_day.html",
        status,
        day=day,
        form=form,
        card=card,
        lookup_form=LookupForm(formdata=None),
        recent_html=_render_recent(day),
        sessions=sessions,
        is_today=day.date == _today(day),
    )


@bp.route("/door/days/<int:day_id>")
@role_required(*DOOR_STAFF)
def door_day(day_id: int):
    day = _door_day_or_404(day_id)
    form = ScanForm(formdata=None, request_id=new_request_id())
    return _render_door_day(day, form, ResultCard.recall(day.id))


@bp.route("/door/days/<int:day_id>/recent")
@role_required(*DOOR_STAFF)
def door_recent(day_id: int):
    """The day's count and latest check-ins as the door page shows them, for the offline door
    to bring the page up to date once its queued scans are synced."""
    day = _door_day_or_404(day_id)
    return jsonify(recent_html=_render_recent(day))


@bp.route("/door/days/<int:day_id>/scan", methods=["POST"])
@role_required(*DOOR_STAFF)
def door_scan(day_id: int):
    """Check in the holder of a scanned or typed code: JSON in and out, or a posted form."""
    day = _door_day_or_404(day_id)
    return answer_scan(
        lambda form: _render_door_day(day, form, None, 400),
        lambda code, request_id: ResultCard.of(
            scan(db.session, code, day, current_user.id, request_id)
        ),
        day.id,
        lambda: _render_recent(day),
        url_for("checkin.door_day", day_id=day.id),
    )


@bp.route("/door/check-ins/<int:check_in_id>/undo", methods=["POST"])
@role_required(*DOOR_STAFF)
def undo(check_in_id: int):
    check_in = db.get_or_404(CheckIn, check_in_id)
    if not may_use_door(current_user, check_in.day):
        abort(404)
    _button_or_400()
    carry_out(
        lambda: undo_check_in(db.session, check_in, current_user.id),
        success=f"Check-in undone for {check_in.registration.person.name} on "
        f"{date_label(check_in.day.date)}. Their ticket can be scanned again.",
    )
    return _door(check_in.day)


# --- Lookup and walk-ins ---------------------------------------------------------------------


def _seat_label(row: door_lookup.LookupRow) -> str:
    if row.seat is None:
        return "Not registered for this day"
    if row.seat.status == SeatStatus.WAITLISTED:
        return f"Waitlisted (number {waitlist_position(db.session, row.seat)})"
    labels: dict[str, str] = {SeatStatus.CONFIRMED: "Confirmed", SeatStatus.CANCELLED: "Cancelled"}
    return labels[row.seat.status]


@bp.route("/door/days/<int:day_id>/lookup")
@role_required(*DOOR_STAFF)
def lookup(day_id: int):
    day = _door_day_or_404(day_id)
    form = LookupForm(request.args)
    rows = None
    if "q" in request.args and form.validate():
        rows = door_lookup.lookup(db.session, day, form.q.data)
    return render_template(
        "checkin/lookup.html",
        day=day,
        form=form,
        rows=rows,
        seat_label=_seat_label,
        button_form=ButtonForm(),
    )


@bp.route("/door/days/<int:day_id>/registrations/<int:registration_id>/check-in", methods=["POST"])
@role_required(*DOOR_STAFF)
def check_in_from_lookup(day_id: int, registration_id: int):
    day = _door_day_or_404(day_id)
    registration = db.get_or_404(Registration, registration_id)
    _button_or_400()
    done = carry_out(
        lambda: check_in_registration(
            db.session, registration, day, current_user.id, method="lookup"
        )
    )
    # A check-in is never refused by a DomainError: every refusal is a result on the card.
    assert done.ok
    ResultCard.of(done.value).remember(day.id)
    return _door(day)


@bp.route("/door/days/<int:day_id>/walk-in", methods=["GET", "POST"])
@role_required(*DOOR_STAFF)
def walk_in(day_id: int):
    day = _door_day_or_404(day_id)
    form = WalkInForm()
    card = None
    if day.is_public and form.validate_on_submit():
        # A mistake is shown on its field; a refusal of the day (team only) is flashed. A field
        # left out of the post counts as empty, as on a form sent blank.
        done = carry_out(
            lambda: walkins.walk_in(
                db.session,
                day,
                form.name.data or "",
                form.email.data or "",
                form.organization.data or "",
                current_user.id,
                override=form.override.data,
            ),
            form=form,
        )
        if done.ok:
            card = ResultCard.of(done.value)
            if done.value.result != ScanResult.WAITLISTED:
                card.remember(day.id)
                return _door(day)
            # The day is full: keep the details on the form so one tick lets them in.
    status = 400 if form.errors else 200
    return render_template(
        "checkin/walk_in.html", day=day, form=form, card=card, seats_left=seats_left(day)
    ), status
