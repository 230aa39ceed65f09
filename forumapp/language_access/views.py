"""The organizers' queue of a forum's language requests (English, as all staff pages)."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user

from ..core.actions import carry_out
from ..core.auth import role_required
from ..core.clock import local_today, utcnow
from ..core.models import Forum, Role
from ..extensions import db
from . import services
from .forms import LanguageRequestForm
from .models import LanguageRequest

bp = Blueprint("language_access", __name__)

ORGANIZERS = (Role.ORGANIZER,)


def _form_for(language_request: LanguageRequest, owners, formdata=None) -> LanguageRequestForm:
    # One form per request on the page: the prefix keeps their ids and names apart.
    form = LanguageRequestForm(
        formdata=formdata,
        prefix=f"request-{language_request.id}",
        obj=None if formdata else language_request,
    )
    form.owner_id.choices = [(0, "Nobody yet")] + [
        (user.id, user.name or user.email) for user in owners
    ]
    if formdata is None:
        form.owner_id.data = language_request.owner_id or 0
    return form


def _queue_page(forum: Forum, failed: LanguageRequestForm | None = None, failed_id=None):
    owners = services.possible_owners(db.session)
    entries = services.forum_requests(db.session, forum)
    forms = {
        entry.request.id: failed
        if failed is not None and entry.request.id == failed_id
        else _form_for(entry.request, owners)
        for entry in entries
    }
    return render_template(
        "language_access/queue.html",
        forum=forum,
        entries=entries,
        forms=forms,
        tallies=services.day_tallies(db.session, forum),
        today=local_today(forum.program.time_zone, utcnow()),
        need_names=services.needs_of,
        status_names=services.STATUS_NAMES,
    ), 400 if failed is not None else 200


@bp.route("/staff/forums/<int:forum_id>/language-requests")
@role_required(*ORGANIZERS)
def queue(forum_id: int):
    """Every request of the forum with its days, languages, status and owner."""
    return _queue_page(db.get_or_404(Forum, forum_id))


@bp.route("/staff/language-requests/<int:request_id>", methods=["POST"])
@role_required(*ORGANIZERS)
def update(request_id: int):
    """Change a request's status, owner or note; back to the queue at that request."""
    language_request = db.get_or_404(LanguageRequest, request_id)
    forum = language_request.registration.forum
    owners = services.possible_owners(db.session)
    form = _form_for(language_request, owners, formdata=request.form)
    if form.validate_on_submit():
        outcome = carry_out(
            lambda: services.update_request(
                db.session,
                language_request,
                status=form.status.data,
                owner_id=form.owner_id.data or None,
                staff_note=form.staff_note.data or "",
                acting_user_id=current_user.id,
            ),
            form,
            success=f"Saved the request of {language_request.registration.person.name}.",
        )
        if outcome.ok:
            return redirect(
                url_for("language_access.queue", forum_id=forum.id)
                + f"#request-{language_request.id}"
            )
    if not form.errors:
        abort(400)
    return _queue_page(forum, form, language_request.id)
