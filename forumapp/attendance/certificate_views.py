"""Certificates: the holder's PDF from their personal link, the public verification page, and
the organizers' list with revocation and the forum's certificates as one PDF or a zip."""

from __future__ import annotations

import io
import zipfile

from flask import Response, abort, redirect, render_template, request, url_for
from flask_login import current_user

from ..core.actions import carry_out
from ..core.auth import role_required
from ..core.database import commit_keeping_loaded, start_writing
from ..core.forms import ButtonForm
from ..core.links import person_for_link_or_404
from ..core.models import Forum
from ..core.rate_limits import limiter
from ..extensions import db
from ..registration.models import Registration
from . import certificates
from .blueprint import ORGANIZERS, bp
from .certificate_pdf import certificates_pdf
from .models import Certificate


def _pdf(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/me/<token>/certificates/<int:registration_id>.pdf")
def certificate_pdf(token: str, registration_id: int):
    """The holder's certificate for one forum, issued (or reissued) as it stands now; 404 when
    they were never checked in, earned no credit, or no day is over yet."""
    person = person_for_link_or_404(token)
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.person_id != person.id:
        abort(404)
    start_writing(db.session)
    registration = db.session.get_one(Registration, registration_id)
    try:
        certificate = certificates.issue_certificate(db.session, registration)
    except certificates.CertificateWithheld:
        abort(404)
    db.session.commit()
    settings = certificates.settings_of(db.session, registration.forum.program_id)
    body = certificates_pdf([(certificate, person.language)], settings.signature_png)
    return _pdf(body, f"certificate-{certificate.code}.pdf")


@bp.route("/verify/<code>")
@limiter.limit("60/minute")
def verify(code: str):
    """Anyone may check a certificate: its holder, forum, hours and whether it stands."""
    certificate = certificates.find_certificate(db.session, code)
    status = 200 if certificate is not None else 404
    response = Response(
        render_template("attendance/verify.html", certificate=certificate, code=code[:40]),
        status=status,
    )
    response.headers["X-Robots-Tag"] = "noindex"
    return response


# --- Organizers ------------------------------------------------------------------------------


PER_PAGE = 100  # people per page of the certificates list


@bp.route("/staff/forums/<int:forum_id>/certificates")
@role_required(*ORGANIZERS)
def forum_certificates(forum_id: int):
    """Everyone checked in, with their certificate (issued now if it was not) or why none."""
    forum = db.get_or_404(Forum, forum_id)
    start_writing(db.session)
    forum = db.session.get_one(Forum, forum_id)
    listed = certificates.certificates_page(
        db.session, forum, request.args.get("page", 1, type=int), PER_PAGE
    )
    commit_keeping_loaded(db.session)

    def page_url(number: int) -> str:
        return url_for("attendance.forum_certificates", forum_id=forum.id, page=number)

    return render_template(
        "attendance/certificates.html",
        forum=forum,
        listed=listed,
        page_url=page_url,
        button_form=ButtonForm(),
        withheld_names={
            certificates.NO_CREDIT: "No credited time",
            certificates.NOT_OVER: "No day is over yet",
            certificates.FEEDBACK_FIRST: "Waiting for their feedback form",
            certificates.NOT_CHECKED_IN: "Never checked in",
        },
    )


def _issued(forum: Forum) -> list[Certificate]:
    start_writing(db.session)
    forum = db.session.get_one(Forum, forum.id)
    listed = certificates.forum_certificates(db.session, forum)
    commit_keeping_loaded(db.session)
    return [entry.certificate for entry in listed if entry.certificate is not None]


@bp.route("/staff/forums/<int:forum_id>/certificates.pdf")
@role_required(*ORGANIZERS)
def all_certificates_pdf(forum_id: int):
    """Every certificate of the forum in one PDF, a page each, in each holder's language."""
    forum = db.get_or_404(Forum, forum_id)
    issued = _issued(forum)
    certificates.record_bulk_download(db.session, forum, current_user.id, "pdf")
    signature = certificates.settings_of(db.session, forum.program_id).signature_png
    body = certificates_pdf([(c, _language(c)) for c in issued], signature)
    return _pdf(body, f"forum-{forum.number}-certificates.pdf")


@bp.route("/staff/forums/<int:forum_id>/certificates.zip")
@role_required(*ORGANIZERS)
def all_certificates_zip(forum_id: int):
    """Every certificate of the forum as its own PDF, in one zip file."""
    forum = db.get_or_404(Forum, forum_id)
    issued = _issued(forum)
    certificates.record_bulk_download(db.session, forum, current_user.id, "zip")
    signature = certificates.settings_of(db.session, forum.program_id).signature_png
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for certificate in issued:
            holder = certificate.content.get("holder", "")
            safe = "".join(c if c.isalnum() else "-" for c in holder).strip("-") or "certificate"
            archive.writestr(
                f"{safe}-{certificate.code}.pdf",
                certificates_pdf([(certificate, _language(certificate))], signature),
            )
    response = Response(out.getvalue(), mimetype="application/zip")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="forum-{forum.number}-certificates.zip"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _language(certificate: Certificate) -> str | None:
    return certificate.person.language if certificate.person else None


@bp.route("/staff/certificates/<int:certificate_id>/revoke", methods=["POST"])
@role_required(*ORGANIZERS)
def revoke(certificate_id: int):
    """Revoke a certificate with the reason; its verification page says so from now on."""
    certificate = db.get_or_404(Certificate, certificate_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    forum_id = certificate.forum_id
    carry_out(
        lambda: certificates.revoke_certificate(
            db.session, certificate, request.form.get("reason", ""), current_user.id
        ),
        success="Certificate revoked.",
    )
    return redirect(url_for("attendance.forum_certificates", forum_id=forum_id))
