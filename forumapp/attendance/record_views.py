"""The organizers' attendance pages: who was in each session and for how long, corrections
from paper sheets, the attendance downloads and the printable sign-in sheets."""

from __future__ import annotations

from flask import Response, abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..agenda.models import AgendaItem
from ..core.actions import carry_out
from ..core.auth import role_required
from ..core.forms import ButtonForm
from ..core.models import Forum, ForumDay
from ..extensions import db
from ..registration.models import Registration
from . import corrections, exports, sign_in_sheets
from .blueprint import ORGANIZERS, bp
from .models import AttendanceCorrection
from .presence import forum_attendance, session_credit_types, session_summaries
from .record_forms import CorrectionForm


def _session_of_forum_or_404(forum_id: int, item_id: int) -> AgendaItem:
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.day.forum_id != forum_id:
        abort(404)
    return item


@bp.route("/staff/forums/<int:forum_id>/attendance")
@role_required(*ORGANIZERS)
def forum_attendance_page(forum_id: int):
    """Each session with how many people were in it, the downloads and the sign-in sheets."""
    forum = db.get_or_404(Forum, forum_id)
    return render_template(
        "attendance/forum_attendance.html",
        forum=forum,
        summaries=session_summaries(db.session, forum),
    )


def _session_page(forum: Forum, item: AgendaItem, form: CorrectionForm, status: int = 200):
    rows = [row for row in forum_attendance(db.session, forum) if row.item.id == item.id]
    corrections_in_force = db.session.scalars(
        select(AttendanceCorrection)
        .where(AttendanceCorrection.item_id == item.id)
        .order_by(AttendanceCorrection.set_at.desc())
    ).all()
    return render_template(
        "attendance/session_attendance.html",
        forum=forum,
        item=item,
        rows=rows,
        corrections=corrections_in_force,
        credit_types=session_credit_types(db.session, [item.id]).get(item.id, []),
        form=form,
        button_form=ButtonForm(),
    ), status


def _correction_form(item: AgendaItem, formdata=None) -> CorrectionForm:
    form = CorrectionForm(formdata=formdata)
    sheet = sign_in_sheets.expected_registrations(db.session, item)
    form.registration_id.choices = [(0, "Choose a person")] + [
        (registration.id, registration.person.name) for registration in sheet
    ]
    return form


@bp.route("/staff/forums/<int:forum_id>/attendance/sessions/<int:item_id>", methods=["GET", "POST"])
@role_required(*ORGANIZERS)
def session_attendance(forum_id: int, item_id: int):
    """Who was in the session, from when to when and on what evidence; a form to correct one
    person's presence (from a paper sheet), with the reason."""
    item = _session_of_forum_or_404(forum_id, item_id)
    forum = item.day.forum
    if request.method == "GET":
        return _session_page(forum, item, _correction_form(item))
    form = _correction_form(item, request.form)
    if not form.validate_on_submit() or not form.registration_id.data:
        if not form.registration_id.data and not form.registration_id.errors:
            form.registration_id.errors = ["Choose the person."]
        return _session_page(forum, item, form, 400)
    registration = db.session.get(Registration, form.registration_id.data)
    if registration is None:
        abort(404)
    outcome = carry_out(
        lambda: corrections.correct_attendance(
            db.session,
            registration,
            item,
            form.present_from.data,
            form.present_until.data,
            form.reason.data or "",
            current_user.id,
        ),
        form,
        success=f"Attendance of {registration.person.name} corrected.",
    )
    if not outcome.ok:
        return _session_page(forum, item, form, 400)
    return redirect(url_for("attendance.session_attendance", forum_id=forum.id, item_id=item.id))


@bp.route("/staff/attendance-corrections/<int:correction_id>/remove", methods=["POST"])
@role_required(*ORGANIZERS)
def remove_correction(correction_id: int):
    """Go back to what the scans say for one person in one session."""
    correction = db.get_or_404(AttendanceCorrection, correction_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    item = correction.item
    carry_out(
        lambda: corrections.remove_correction(db.session, correction, current_user.id),
        success="Correction removed: the scans count again.",
    )
    return redirect(
        url_for("attendance.session_attendance", forum_id=item.day.forum_id, item_id=item.id)
    )


# --- Downloads -------------------------------------------------------------------------------


def _download(body: bytes | str, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/staff/forums/<int:forum_id>/attendance.csv")
@role_required(*ORGANIZERS)
def attendance_csv(forum_id: int):
    forum = db.get_or_404(Forum, forum_id)
    text = "\ufeff" + exports.attendance_csv(db.session, forum, current_user.id)
    return _download(text, "text/csv", f"forum-{forum.number}-attendance.csv")


@bp.route("/staff/forums/<int:forum_id>/attendance.xlsx")
@role_required(*ORGANIZERS)
def attendance_xlsx(forum_id: int):
    forum = db.get_or_404(Forum, forum_id)
    workbook = exports.attendance_xlsx(db.session, forum, current_user.id)
    return _download(workbook, exports.XLSX_MIMETYPE, f"forum-{forum.number}-attendance.xlsx")


@bp.route("/staff/forums/<int:forum_id>/days/<int:day_id>/sign-in-sheet.pdf")
@role_required(*ORGANIZERS)
def day_sign_in_sheet(forum_id: int, day_id: int):
    day = db.session.get(ForumDay, day_id)
    if day is None or day.forum_id != forum_id:
        abort(404)
    pdf = sign_in_sheets.sign_in_sheet_pdf(
        db.session, sign_in_sheets.day_sheet(db.session, day), current_user.id, f"day:{day.id}"
    )
    return _download(pdf, "application/pdf", f"sign-in-{day.date}.pdf")


@bp.route("/staff/forums/<int:forum_id>/attendance/sessions/<int:item_id>/sign-in-sheet.pdf")
@role_required(*ORGANIZERS)
def session_sign_in_sheet(forum_id: int, item_id: int):
    item = _session_of_forum_or_404(forum_id, item_id)
    pdf = sign_in_sheets.sign_in_sheet_pdf(
        db.session,
        sign_in_sheets.session_sheet(db.session, item),
        current_user.id,
        f"item:{item.id}",
    )
    return _download(pdf, "application/pdf", f"sign-in-session-{item.id}.pdf")
