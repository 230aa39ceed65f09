"""Public registration, "send me my link again", and what a person changes from their personal
page (no account needed): days, breakouts, their link. The page itself is the attendee
feature's; these routes lead back to it."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..agenda.models import AgendaItem
from ..core.actions import carry_out
from ..core.bounds import integer_problem
from ..core.clock import utcnow
from ..core.database import reading_apart
from ..core.emails import InvalidEmail, normalise_email
from ..core.forms import ButtonForm
from ..core.i18n import current_language, format_day, local_text
from ..core.links import person_for_link_or_404, personal_token
from ..core.models import Audience, Forum, ForumStatus
from ..core.rate_limits import personal_link_limit, public_form_limit, send_link_limit
from ..extensions import db
from . import notices, public
from .additions import answers_of, with_questions
from .blueprint import bp
from .breakouts import choose_breakout, drop_breakout, seat_in_slot
from .errors import RegistrationError
from .forms import PublicRegistrationForm, ResendLinkForm, TeamRegistrationForm
from .models import BreakoutPick, DaySeat, ReleasedVia
from .people import person_with_email
from .public import PublicRegistrationInput, register_public, registration_sent_message
from .registering import RegistrationResult, cancel_own_days, get_registration, register_team_member
from .seats import ACTIVE, seats_left, waitlist_position
from .windows import WindowState, is_over_for_attendees, window_state


def _published_forum(forum_id: int) -> Forum:
    forum = db.session.get(Forum, forum_id)
    if forum is None or forum.status == ForumStatus.DRAFT:
        abort(404)
    return forum


def _day_choice(day) -> str:
    """A day on the public form, saying when it is full (so nobody learns it from the email)."""
    if seats_left(day) == 0:
        return _("%(day)s: full, you will join the waitlist", day=format_day(day.date))
    return format_day(day.date)


@bp.route("/forums/<int:forum_id>/register", methods=["GET", "POST"])
@public_form_limit
def public_register(forum_id: int):
    now = utcnow()
    # Read before a registration's writes, as the API does (``register_public`` says why).
    with reading_apart(db.session):
        forum = _published_forum(forum_id)
        public_days = [day for day in forum.days if day.audience == Audience.PUBLIC]
        if not public_days:
            abort(404)
        open_days = [day for day in public_days if window_state(day, now) == WindowState.OPEN]
    form = with_questions(PublicRegistrationForm)()
    form.day_ids.choices = [(day.id, _day_choice(day)) for day in open_days]
    if request.method == "GET" and len(open_days) == 1:
        form.day_ids.data = [open_days[0].id]
    if open_days and form.validate_on_submit():
        data = PublicRegistrationInput(
            name=form.name.data or "",
            email=form.email.data or "",
            day_ids=form.day_ids.data or [],
            organization=form.organization.data or "",
            community=form.community.data or "",
            accessibility_needs=form.accessibility_needs.data or "",
            dietary_needs=form.dietary_needs.data or "",
            consent=form.consent.data,
            # The page's language becomes the person's: their mail is written in it.
            language=current_language(),
            answers=answers_of(form),
        )
        # The same answer whoever owns the email: the result and the personal link go to that
        # inbox only, so typing someone's address shows nothing of theirs.
        if carry_out(lambda: register_public(db.session, forum, data, now), form).ok:
            flash(registration_sent_message(normalise_email(data.email)), "success")
            return redirect(url_for("registration.registration_sent", forum_id=forum_id))
    status = 400 if form.errors else 200
    return render_template(
        "registration/public_form.html",
        forum=forum,
        form=form,
        public_days=public_days,
        open_days=open_days,
        states={day.id: window_state(day, now) for day in public_days},
    ), status


@bp.route("/forums/<int:forum_id>/register/sent")
def registration_sent(forum_id: int):
    """Where the registration form leads: check your inbox."""
    return render_template("registration/registration_sent.html", forum=_published_forum(forum_id))


@bp.route("/forums/<int:forum_id>/register/confirm/<token>", methods=["GET", "POST"])
@public_form_limit
def confirm_public_request(forum_id: int, token: str):
    """The link in the email sent when a known address was registered: shows the request and
    registers it on one button, so only the owner of the inbox changes their registrations."""
    pending = public.pending_request(db.session, forum_id, token)
    if pending is None:
        abort(404)
    form = ButtonForm()
    if form.validate_on_submit():
        outcome = carry_out(lambda: public.confirm_public_request(db.session, pending, utcnow()))
        if outcome.ok:
            result = outcome.value
            lines = _result_lines(result) if result.created else [_("You were already registered.")]
            for line in lines:
                flash(line, "success")
            return redirect(url_for("attendee.personal_page", token=personal_token(pending.person)))
    return render_template(
        "registration/confirm_request.html", pending=pending, form=form
    ), 400 if form.errors else 200


def _result_lines(result: RegistrationResult) -> list[str]:
    lines = []
    for day_result in result.days:
        when = format_day(day_result.day.date)
        if day_result.status == "confirmed":
            lines.append(_("You're registered for %(when)s.", when=when))
        else:
            lines.append(
                _(
                    "%(when)s is full: you're number %(position)s on the waitlist. "
                    "We'll email you if a seat opens up.",
                    when=when,
                    position=day_result.waitlist_position,
                )
            )
    return lines


@bp.route("/link", methods=["GET", "POST"])
@send_link_limit
def resend_link():
    form = ResendLinkForm()
    if form.validate_on_submit():
        try:
            email = normalise_email(form.email.data)
        except InvalidEmail as exc:
            form.email.errors = [
                *form.email.errors,
                _("Check the address: %(problem)s", problem=exc),
            ]
        else:
            person = person_with_email(db.session, email)
            if person is not None:
                notices.send_personal_link(db.session, person)
                db.session.commit()
            # The same answer either way, so the form never reveals who is registered.
            flash(
                _(
                    "If %(email)s is registered, we've sent its personal link. "
                    "Check your inbox (and spam folder) in a few minutes.",
                    email=email,
                ),
                "success",
            )
            return redirect(url_for("registration.resend_link"))
    return render_template("registration/resend_link.html", form=form), (
        400 if form.errors else 200
    )


# --- From the personal page ----------------------------------------------------------------


@bp.route("/me/<token>/new-link", methods=["POST"])
@personal_link_limit
def renew_personal_link(token: str):
    """Replace the personal link (e.g. after it was forwarded): old links stop working and the
    new one goes to the person's email only, never to this browser."""
    person = person_for_link_or_404(token)
    if not ButtonForm().validate_on_submit():
        abort(400)
    notices.renew_personal_link(db.session, person)
    db.session.commit()
    flash(
        _(
            "We've emailed you a new personal link. The old one, including this page's "
            "address, no longer works."
        ),
        "success",
    )
    return redirect(url_for("registration.resend_link"))


def _back(token: str, anchor: str = ""):
    return redirect(url_for("attendee.personal_page", token=token) + anchor)


@bp.route("/me/<token>/forums/<int:forum_id>/register", methods=["POST"])
@personal_link_limit
def team_register(token: str, forum_id: int):
    person = person_for_link_or_404(token)
    forum = _published_forum(forum_id)
    form = with_questions(TeamRegistrationForm)()
    form.day_ids.choices = [(day.id, str(day.date)) for day in forum.days]
    if not form.validate_on_submit():
        if form.day_ids.errors or not form.errors:
            flash(_("Choose at least one of the forum's days."), "error")
        # The form is on the personal page, so the messages of the other fields go there.
        for name, errors in form.errors.items():
            if name not in ("day_ids", "csrf_token"):
                for error in errors:
                    flash(error, "error")
        return _back(token, f"#forum-{forum.id}")
    outcome = carry_out(
        lambda: register_team_member(
            db.session,
            forum,
            person,
            form.day_ids.data or [],
            accessibility_needs=form.accessibility_needs.data or "",
            dietary_needs=form.dietary_needs.data or "",
            answers=answers_of(form),
        )
    )
    if outcome.ok:
        for line in _result_lines(outcome.value):
            flash(line, "success")
    return _back(token, f"#forum-{forum.id}")


@bp.route("/me/<token>/seats/<int:seat_id>/cancel", methods=["GET", "POST"])
@personal_link_limit
def cancel_seat(token: str, seat_id: int):
    """Asks first (a place given up goes to the next person waiting), then cancels. Reached
    from the personal page, or with ``?via=reminder`` from a reminder's "I can't come" link,
    which the measures count. A second time it says the place is given up already."""
    person = person_for_link_or_404(token)
    seat = db.session.get(DaySeat, seat_id)
    if seat is None or seat.registration.person_id != person.id:
        abort(404)
    released_via = ReleasedVia.REMINDER if request.args.get("via") == "reminder" else None
    if request.method == "GET":
        picks = [
            pick.item
            for pick in seat.registration.picks
            if pick.status in ACTIVE and pick.item.day_id == seat.day_id
        ]
        over = is_over_for_attendees(seat.day, utcnow())
        return render_template(
            "registration/cancel_seat.html",
            token=token,
            seat=seat,
            picks=picks,
            over=over,
            from_reminder=released_via is not None,
            button_form=ButtonForm(),
        )
    if not ButtonForm().validate_on_submit():
        abort(400)
    when = format_day(seat.day.date)
    outcome = carry_out(
        lambda: cancel_own_days(
            db.session, seat.registration, [seat.day_id], released_via=released_via
        )
    )
    if outcome.ok and outcome.value and released_via:
        flash(
            _(
                "Done: your seat on %(when)s is free for someone else. Thank you for telling us.",
                when=when,
            ),
            "success",
        )
    elif outcome.ok and outcome.value:
        flash(_("Cancelled your place on %(when)s.", when=when), "success")
    elif outcome.ok:
        flash(
            _("Your place on %(when)s was already given up: nothing more to do.", when=when),
            "info",
        )
    return _back(token)


@bp.route("/me/<token>/forums/<int:forum_id>/breakouts", methods=["POST"])
@personal_link_limit
def save_breakouts(token: str, forum_id: int):
    """Save one pick per slot. Fields are ``slot-<slot key>`` = item id (or empty)."""
    person = person_for_link_or_404(token)
    forum = _published_forum(forum_id)
    registration = get_registration(db.session, forum, person)
    if registration is None or not ButtonForm().validate_on_submit():
        abort(400)
    chosen = []
    for key, value in request.form.items():
        if key.startswith("slot-") and value:
            # An item id: ASCII digits ("²".isdigit() is true, int() refuses it) within what a
            # 32-bit id column holds (the driver would raise on more).
            if not (value.isascii() and value.isdigit()) or integer_problem(int(value)):
                abort(400)
            chosen.append(int(value))
    messages = []
    for item_id in chosen:
        item = db.session.get(AgendaItem, item_id)
        if item is None:
            abort(400)
        try:
            with db.session.begin_nested():
                pick = choose_breakout(db.session, registration, item, join_waitlist=True)
        except RegistrationError as error:
            messages.append((error.message, "error"))
            continue
        if pick.status == "waitlisted":
            position = waitlist_position(db.session, pick)
            seat = seat_in_slot(registration, item)
            full = _(
                "“%(title)s” is full: you're number %(position)s on its waitlist. When a seat "
                "opens you get it at once and we email you.",
                title=local_text(item, "title"),
                position=position,
            )
            if seat:
                keep = _(
                    "You keep your seat in “%(title)s” until then.",
                    title=local_text(seat.item, "title"),
                )
                full = f"{full} {keep}"
            messages.append((full, "info"))
    db.session.commit()
    for message, category in messages:
        flash(message, category)
    if not any(category == "error" for _, category in messages):
        flash(_("Your breakout choices are saved."), "success")
    return _back(token, f"#forum-{forum.id}")


@bp.route("/me/<token>/picks/<int:pick_id>/drop", methods=["POST"])
@personal_link_limit
def drop_pick(token: str, pick_id: int):
    person = person_for_link_or_404(token)
    pick = db.session.get(BreakoutPick, pick_id)
    if pick is None or pick.registration.person_id != person.id:
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    carry_out(
        lambda: drop_breakout(db.session, pick.registration, pick),
        success=_("You're no longer down for “%(title)s”.", title=local_text(pick.item, "title")),
    )
    return _back(token)
