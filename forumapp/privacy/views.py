"""Admin pages: find a person, download everything held about them, erase them."""

from __future__ import annotations

import json
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select

from ..agenda.models import Speaker
from ..agenda.speaker_photos import discard_photo_file
from ..core.actions import carry_out
from ..core.auth import role_required
from ..core.models import Person, Role
from ..extensions import db
from ..mail.models import OutboxMessage
from ..registration.models import Registration
from . import services
from .forms import EraseForm, PeopleSearchForm

bp = Blueprint("privacy", __name__)


@bp.route("/staff/people")
@role_required(Role.ADMIN)
def people():
    form = PeopleSearchForm(formdata=request.args)
    form.validate()
    search = "" if form.q.errors else (form.q.data or "").strip()
    found = services.find_people(db.session, search) if search else []
    return render_template("privacy/people.html", form=form, search=search, found=found)


def _render_person(person: Person, form: EraseForm, status: int = 200):
    registrations = db.session.scalar(
        select(func.count()).select_from(Registration).where(Registration.person_id == person.id)
    )
    messages = db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.person_id == person.id)
    )
    speaker = db.session.scalar(select(Speaker).where(Speaker.person_id == person.id))
    return render_template(
        "privacy/person.html",
        person=person,
        form=form,
        erased=services.is_erased(person),
        registrations=registrations,
        messages=messages,
        speaker=speaker,
        staff_account=services.staff_account_of(db.session, person),
    ), status


@bp.route("/staff/people/<int:person_id>")
@role_required(Role.ADMIN)
def person(person_id: int):
    return _render_person(db.get_or_404(Person, person_id), EraseForm(formdata=None))


@bp.route("/staff/people/<int:person_id>/export.json")
@role_required(Role.ADMIN)
def export(person_id: int):
    person = db.get_or_404(Person, person_id)
    held = services.download_person_export(db.session, person, current_user.id)
    return Response(
        json.dumps(held, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="person-{person.id}.json"',
            "Cache-Control": "no-store",  # personal details
        },
    )


@bp.route("/staff/people/<int:person_id>/erase", methods=["POST"])
@role_required(Role.ADMIN)
def erase(person_id: int):
    person = db.get_or_404(Person, person_id)
    form = EraseForm()
    if services.is_erased(person):
        flash("This person's details were already erased.", "info")
        return redirect(url_for("privacy.person", person_id=person.id))
    if not form.validate_on_submit():
        return _render_person(person, form, 400)
    if form.confirm_email.data.strip().lower() != person.email:
        form.confirm_email.errors.append(
            f"That is not this person's email address. Type {person.email} exactly to erase them."
        )
        return _render_person(person, form, 400)
    erasing = carry_out(lambda: services.erase_person(db.session, person, current_user.id))
    assert erasing.ok, "erase_person refuses nothing: carry_out only commits the erasure"
    report = erasing.value
    for photo in report.photos_to_discard:
        discard_photo_file(Path(current_app.config["SPEAKER_PHOTO_DIR"]), photo)
    flash(
        "Erased. Their seats, check-ins and feedback still count, without their details; "
        "links and tickets sent to them no longer work.",
        "success",
    )
    return redirect(url_for("privacy.person", person_id=person.id))
