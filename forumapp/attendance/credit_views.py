"""The organizers' credit pages: the program's credit types, which sessions of a forum carry
them, and the certificate settings."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user

from ..core.actions import carry_out
from ..core.auth import role_required
from ..core.forms import ButtonForm
from ..core.models import Forum, Program
from ..extensions import db
from . import credit_types
from .blueprint import ORGANIZERS, bp
from .certificates import settings_of
from .credit_forms import CertificateSettingsForm, CreditTypeForm
from .models import CreditType, Rounding, SessionCredit


def _types(program: Program) -> list[CreditType]:
    return list(
        db.session.scalars(
            db.select(CreditType)
            .where(CreditType.program_id == program.id)
            .order_by(CreditType.name)
        )
    )


def _input(form: CreditTypeForm) -> credit_types.CreditTypeInput:
    return credit_types.CreditTypeInput(
        name=form.name.data or "",
        accrediting_body=form.accrediting_body.data or "",
        provider_number=form.provider_number.data or "",
        minutes_per_unit=form.minutes_per_unit.data or 0,
        unit_name=form.unit_name.data or "",
        rounding=Rounding(form.rounding.data),
        requires_exit=bool(form.requires_exit.data),
    )


@bp.route("/staff/programs/<int:program_id>/credit-types", methods=["GET", "POST"])
@role_required(*ORGANIZERS)
def program_credit_types(program_id: int):
    """The program's credit types, and a form to add one."""
    program = db.get_or_404(Program, program_id)
    form = CreditTypeForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            outcome = carry_out(
                lambda: credit_types.save_credit_type(
                    db.session, program, _input(form), current_user.id
                ),
                form,
                success="Credit type saved.",
            )
            if outcome.ok:
                return redirect(url_for("attendance.program_credit_types", program_id=program.id))
        status = 400
    return render_template(
        "attendance/credit_types.html",
        program=program,
        types=_types(program),
        form=form,
        rounding_label=lambda value: Rounding(value).label,
    ), status


@bp.route("/staff/credit-types/<int:credit_type_id>", methods=["GET", "POST"])
@role_required(*ORGANIZERS)
def edit_credit_type(credit_type_id: int):
    credit_type = db.get_or_404(CreditType, credit_type_id)
    form = CreditTypeForm(obj=credit_type if request.method == "GET" else None)
    if request.method == "POST" and form.validate_on_submit():
        outcome = carry_out(
            lambda: credit_types.save_credit_type(
                db.session, credit_type.program, _input(form), current_user.id, credit_type
            ),
            form,
            success="Credit type saved.",
        )
        if outcome.ok:
            return redirect(
                url_for("attendance.program_credit_types", program_id=credit_type.program_id)
            )
    status = 400 if request.method == "POST" else 200
    return render_template(
        "attendance/credit_type_edit.html", credit_type=credit_type, form=form
    ), status


@bp.route("/staff/forums/<int:forum_id>/credit", methods=["GET", "POST"])
@role_required(*ORGANIZERS)
def forum_credit(forum_id: int):
    """A table of the forum's sessions and the program's credit types, to tick."""
    forum = db.get_or_404(Forum, forum_id)
    if request.method == "POST":
        if not ButtonForm().validate_on_submit():
            abort(400)
        chosen = set()
        for value in request.form.getlist("credit"):
            item_id, _, type_id = value.partition(":")
            if not (
                item_id.isascii() and item_id.isdigit() and type_id.isascii() and type_id.isdigit()
            ):
                abort(400)
            chosen.add((int(item_id), int(type_id)))
        outcome = carry_out(
            lambda: credit_types.set_session_credits(db.session, forum, chosen, current_user.id),
            success="Credit saved.",
        )
        if outcome.ok:
            return redirect(url_for("attendance.forum_credit", forum_id=forum.id))
    items = credit_types.creditable_items(db.session, forum)
    carried = set(
        db.session.execute(
            db.select(SessionCredit.item_id, SessionCredit.credit_type_id).where(
                SessionCredit.item_id.in_([item.id for item in items])
            )
        ).tuples()
    )
    return render_template(
        "attendance/forum_credit.html",
        forum=forum,
        items=items,
        types=_types(forum.program),
        carried=carried,
        button_form=ButtonForm(),
    )


@bp.route("/staff/programs/<int:program_id>/certificate-settings", methods=["GET", "POST"])
@role_required(*ORGANIZERS)
def certificate_settings(program_id: int):
    program = db.get_or_404(Program, program_id)
    current = settings_of(db.session, program.id)
    form = CertificateSettingsForm(obj=current if request.method == "GET" else None)
    if request.method == "POST" and form.validate_on_submit():
        upload = form.signature.data
        image = upload.read() if upload and getattr(upload, "filename", "") else None
        outcome = carry_out(
            lambda: credit_types.save_settings(
                db.session,
                program,
                credit_types.SettingsInput(
                    sponsor=form.sponsor.data or "",
                    signer_name=form.signer_name.data or "",
                    signer_title=form.signer_title.data or "",
                    require_feedback=bool(form.require_feedback.data),
                    retention_years=form.retention_years.data
                    if form.retention_years.data is not None
                    else 5,
                    signature=image,
                    remove_signature=bool(form.remove_signature.data),
                ),
                current_user.id,
            ),
            form,
            success="Certificate settings saved.",
        )
        if outcome.ok:
            return redirect(url_for("attendance.certificate_settings", program_id=program.id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "attendance/certificate_settings.html",
        program=program,
        form=form,
        has_signature=current.signature_png is not None,
    ), status
