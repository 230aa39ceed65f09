"""A person's tickets, reached from their personal link (/me/<token>/tickets/…).

Only the owner of the token sees a ticket; any other registration id answers 404, exactly like
one that does not exist, so the pages reveal nothing about other people.
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..core.actions import carry_out
from ..core.clock import utcnow
from ..core.database import start_writing
from ..core.forms import ButtonForm
from ..core.i18n import local_text
from ..core.links import person_for_link_or_404
from ..core.rate_limits import personal_link_limit
from ..extensions import db
from ..registration.models import Registration
from ..registration.windows import is_held
from . import qr, tickets
from .blueprint import bp


def _own_registration_or_404(token: str, registration_id: int) -> Registration:
    person = person_for_link_or_404(token)
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.person_id != person.id:
        abort(404)
    return registration


def _code_now(registration: Registration) -> str:
    """The live ticket's code (404 for an erased person, who has none)."""
    if not tickets.holds_ticket(registration):
        abort(404)
    ticket = tickets.live_ticket(db.session, registration)
    if ticket is not None:
        return ticket.code
    start_writing(db.session)  # registrations from before tickets existed get one now
    ticket = tickets.current_ticket(db.session, registration)
    if ticket is None:
        abort(404)
    db.session.commit()
    return ticket.code


def png_response(png: bytes) -> Response:
    response = Response(png, mimetype="image/png")
    # A ticket is personal and a new code replaces it: never keep it in a shared cache.
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/me/<token>/tickets/<int:registration_id>.png")
def ticket_image(token: str, registration_id: int):
    """The ticket's QR code; ``?print=1`` gives the sturdier level Q for paper."""
    registration = _own_registration_or_404(token, registration_id)
    if not tickets.holds_ticket(registration):
        abort(404)
    level = qr.PRINT_LEVEL if request.args.get("print") else qr.SCREEN_LEVEL
    return png_response(qr.qr_png(_code_now(registration), level))


@bp.route("/me/<token>/tickets/<int:registration_id>")
def ticket_page(token: str, registration_id: int):
    """A printable ticket: QR code, code in groups, name, forum, days and venue."""
    registration = _own_registration_or_404(token, registration_id)
    has_seat = tickets.holds_ticket(registration)
    code = _code_now(registration) if has_seat else None
    confirmed_days = sorted(
        (seat.day for seat in registration.seats if seat.status == "confirmed"),
        key=lambda day: day.date,
    )
    return render_template(
        "checkin/ticket.html",
        token=token,
        registration=registration,
        person=registration.person,
        forum=registration.forum,
        has_seat=has_seat,
        grouped_code=tickets.format_code(code) if code else "",
        confirmed_days=confirmed_days,
    )


@bp.route("/me/<token>/tickets/<int:registration_id>/reissue", methods=["POST"])
@personal_link_limit
def reissue(token: str, registration_id: int):
    """A new code for a lost or shared ticket; the old code stops working at the door."""
    registration = _own_registration_or_404(token, registration_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    if not tickets.holds_ticket(registration):
        abort(404)
    if is_held(registration.forum, utcnow()):
        flash(
            _(
                "%(forum)s has been held: its ticket no longer changes.",
                forum=local_text(registration.forum, "title"),
            ),
            "error",
        )
    else:
        carry_out(
            lambda: tickets.reissue_ticket(db.session, registration),
            success=_(
                "You have a new ticket code for %(forum)s. The old one no longer works: use the "
                "new QR code below.",
                forum=local_text(registration.forum, "title"),
            ),
        )
    return redirect(
        url_for("attendee.personal_page", token=token) + f"#forum-{registration.forum_id}"
    )
