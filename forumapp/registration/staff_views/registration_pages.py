"""One person's registration, by an organizer: registering someone by hand, their page, and
adding or cancelling their days and moving their breakout picks (windows aside, capacity
overridden when the organizer ticks it)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from ...agenda.models import AgendaItem, ItemKind, ItemStatus
from ...core.actions import carry_out
from ...core.auth import role_required
from ...core.forms import ButtonForm
from ...core.models import Audience, Forum, ForumDay, Role
from ...extensions import db
from .. import organizer
from ..blueprint import bp
from ..breakouts import SLOT_KEY, breakout_slots
from ..exports import day_label
from ..models import BreakoutPick, Registration, SeatStatus
from ..organizer import MovedPick
from ..people import is_team_member
from ..registering import RegistrationResult
from ..seats import ACTIVE, waitlist_length, waitlist_position
from ..staff_forms import ManualRegistrationForm, MovePickForm, RegistrationDaysForm

ORGANIZERS = (Role.ORGANIZER,)


def _day_choices(forum: Forum) -> list[tuple[int, str]]:
    return [
        (day.id, f"{day_label(day)} ({'public' if day.is_public else 'teams only'})")
        for day in forum.days
    ]


def _when(day: ForumDay) -> str:
    return f"{day.date:%A, %B} {day.date.day}"


def _flash_result(result: RegistrationResult) -> None:
    """Tell the organizer what happened on each day, waitlists included."""
    registration = result.registration
    assert registration is not None, "an organizer's registration is never pending"
    name = registration.person.name
    seats = {seat.day_id: seat for seat in registration.seats}
    if not result.created:
        flash(f"{name} already held these days; nothing changed.", "info")
    for day_result in result.days:
        when = _when(day_result.day)
        seat = seats.get(day_result.day.id)
        if day_result.status == "confirmed":
            extra = " beyond capacity (override recorded)" if seat and seat.override else ""
            flash(f"{name} is confirmed for {when}{extra}.", "success")
        else:
            flash(
                f"{when} is full: {name} is on the waitlist as number "
                f"{day_result.waitlist_position}. Tick “Override capacity” to give them a "
                "seat anyway.",
                "info",
            )


@bp.route("/staff/forums/<int:forum_id>/registrations/new", methods=["GET", "POST"])
@role_required(*ORGANIZERS)
def register_someone(forum_id: int):
    forum = db.get_or_404(Forum, forum_id)
    form = ManualRegistrationForm()
    form.day_ids.choices = _day_choices(forum)
    if form.validate_on_submit():
        outcome = carry_out(
            lambda: organizer.register_someone(
                db.session,
                forum,
                email=form.email.data or "",
                name=form.name.data or "",
                organization=form.organization.data or "",
                day_ids=form.day_ids.data or [],
                override=form.override.data,
                user_id=current_user.id,
            ),
            form,
        )
        if outcome.ok:
            result = outcome.value
            _flash_result(result)
            registration = result.registration
            assert registration is not None, "an organizer's registration is never pending"
            team_days = [r.day for r in result.days if r.day.audience == Audience.TEAM]
            person = registration.person
            if team_days and not is_team_member(db.session, person, forum):
                flash(
                    f"{person.name} is on no team's roster, yet now has a place on a day for "
                    "the community teams. Add them to a roster if that is right; otherwise "
                    "cancel that day.",
                    "warning",
                )
            return redirect(url_for("registration.registration", registration_id=registration.id))
    return render_template("registration/staff/register.html", forum=forum, form=form), (
        400 if form.errors else 200
    )


def _registration_or_404(registration_id: int) -> Registration:
    return db.get_or_404(
        Registration,
        registration_id,
        options=[
            selectinload(Registration.person),
            selectinload(Registration.seats),
            selectinload(Registration.picks),
        ],
    )


def _slot_forms(registration: Registration) -> list[dict]:
    """Per breakout slot of the forum: its breakouts and a form to move this person's pick."""
    forum = registration.forum
    picks = [p for p in registration.picks if p.status in ACTIVE]
    slots = []
    for day in forum.days:
        for slot in breakout_slots(db.session, forum, day):
            ids = {item.id for item in slot.items}
            current = next((p for p in picks if p.item_id in ids), None)
            form = MovePickForm(prefix=f"slot-{slot.key}", formdata=None)
            form.item_id.choices = [(item.id, _breakout_label(item)) for item in slot.items]
            if current is not None:
                form.item_id.data = current.item_id
            else:
                # Nothing chosen yet: no breakout preselected, so a slip of the button books
                # nobody.
                form.item_id.choices.insert(0, ("", "Choose a breakout…"))
            slots.append(
                {
                    "day": day,
                    "starts_at": slot.starts_at,
                    "key": slot.key,
                    "current": current,
                    "position": waitlist_position(db.session, current)
                    if current is not None
                    else None,
                    "form": form,
                }
            )
    return slots


def _breakout_label(item: AgendaItem) -> str:
    capacity = item.effective_capacity
    if capacity is None:
        return f"{item.title} ({item.seats_taken} taken)"
    waiting = waitlist_length(db.session, BreakoutPick, item.id)
    full = ", full" if item.seats_taken >= capacity else ""
    wait = f", {waiting} waiting" if waiting else ""
    return f"{item.title} ({item.seats_taken}/{capacity} taken{full}{wait})"


@bp.route("/staff/registrations/<int:registration_id>")
@role_required(*ORGANIZERS)
def registration(registration_id: int):
    registration = _registration_or_404(registration_id)
    forum = registration.forum
    seats = {seat.day_id: seat for seat in registration.seats}
    days = [
        {
            "day": day,
            "seat": seats.get(day.id),
            "position": waitlist_position(db.session, seats[day.id]) if day.id in seats else None,
        }
        for day in forum.days
    ]
    days_form = RegistrationDaysForm(formdata=None)
    days_form.day_ids.choices = _day_choices(forum)
    teams = [
        m.team for m in registration.person.memberships if m.team.program_id == forum.program_id
    ]
    return render_template(
        "registration/staff/registration.html",
        registration=registration,
        person=registration.person,
        forum=forum,
        teams=teams,
        days=days,
        slots=_slot_forms(registration),
        days_form=days_form,
        button_form=ButtonForm(),
    )


def _back_to(registration: Registration, anchor: str = ""):
    return redirect(url_for("registration.registration", registration_id=registration.id) + anchor)


@bp.route("/staff/registrations/<int:registration_id>/days", methods=["POST"])
@role_required(*ORGANIZERS)
def registration_add_days(registration_id: int):
    registration = _registration_or_404(registration_id)
    form = RegistrationDaysForm()
    form.day_ids.choices = _day_choices(registration.forum)
    if not form.validate_on_submit() or not form.day_ids.data:
        flash("Choose at least one of the forum's days.", "error")
        return _back_to(registration, "#days")
    outcome = carry_out(
        lambda: organizer.add_days(
            db.session,
            registration,
            form.day_ids.data,
            override=form.override.data,
            user_id=current_user.id,
        )
    )
    if outcome.ok:
        _flash_result(outcome.value)
    return _back_to(registration, "#days")


@bp.route("/staff/registrations/<int:registration_id>/days/<int:day_id>/cancel", methods=["POST"])
@role_required(*ORGANIZERS)
def registration_cancel_day(registration_id: int, day_id: int):
    registration = _registration_or_404(registration_id)
    day = next((day for day in registration.forum.days if day.id == day_id), None)
    if day is None:
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    outcome = carry_out(
        lambda: organizer.cancel_someones_day(
            db.session, registration, day, user_id=current_user.id
        )
    )
    done = outcome.value
    if done is None:
        return _back_to(registration, "#days")
    name = registration.person.name
    if done.cancelled:
        if done.was_waiting:
            after = "They were on the waitlist; the others waiting moved up one place."
        elif done.promoted:
            after = "The first person waiting got the seat and is told by email."
        elif done.waiting:
            after = "The day is still full (people let in by override), so nobody waiting moved up."
        else:
            after = "Nobody was waiting: one more seat is free."
        flash(
            f"Cancelled {name}'s place on {_when(day)} and their breakouts that day. {after}",
            "success",
        )
    else:
        flash(f"{name} held no place on {_when(day)}; nothing changed.", "info")
    return _back_to(registration, "#days")


@bp.route("/staff/registrations/<int:registration_id>/picks", methods=["POST"])
@role_required(*ORGANIZERS)
def registration_move_pick(registration_id: int):
    registration = _registration_or_404(registration_id)
    slot_key = request.args.get("slot", "")
    if not SLOT_KEY.match(slot_key):
        abort(400)
    form = MovePickForm(prefix=f"slot-{slot_key}")
    form.item_id.choices = [
        (item.id, item.title)
        for day in registration.forum.days
        for item in day.items
        if item.kind == ItemKind.BREAKOUT and item.status == ItemStatus.SCHEDULED
    ]
    if not form.validate_on_submit():
        flash("Choose one of the slot's breakouts.", "error")
        return _back_to(registration, "#breakouts")
    item = db.get_or_404(AgendaItem, form.item_id.data)
    outcome = carry_out(
        lambda: organizer.move_pick(
            db.session,
            registration,
            item,
            override=form.override.data,
            user_id=current_user.id,
        )
    )
    if outcome.ok:
        _flash_move(registration, item, outcome.value)
    return _back_to(registration, "#breakouts")


def _flash_move(registration: Registration, item: AgendaItem, moved: MovedPick) -> None:
    name, pick = registration.person.name, moved.pick
    if moved.unchanged:
        flash(f"{name} already has a seat in “{item.title}”: nothing changed.", "info")
    elif pick.status == SeatStatus.WAITLISTED:
        position = waitlist_position(db.session, pick)
        flash(
            f"“{item.title}” is full: {name} is number {position} on its waitlist. Tick "
            "“Override” to give them a seat anyway.",
            "info",
        )
    elif pick.override:
        flash(f"{name} now has a seat in “{item.title}” (override recorded).", "success")
    else:
        flash(f"{name} now has a seat in “{item.title}”.", "success")
