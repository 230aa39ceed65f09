"""Staff outbox: what was sent, what waits, what failed and why; failed mail can be retried."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ..core.auth import role_required
from ..core.links import hide_personal_links
from ..core.models import Role
from ..extensions import db
from .forms import RetryForm
from .models import MessageStatus, OutboxMessage
from .outbox import find_messages, preview_of
from .sending import retry_failed
from .worker import install_send_after_request, retry_unwritten, status_counts, writer_backlogs

bp = Blueprint("mail", __name__, url_prefix="/staff/outbox")
# MAIL_SEND_AFTER_REQUEST (development) hooks in with this blueprint, so create_app needs no more.
bp.record_once(lambda state: install_send_after_request(state.app))

PER_PAGE = 50
STATUSES = [status.value for status in MessageStatus]


def _status_filter(value: str | None) -> str | None:
    return value if value in STATUSES else None


@bp.get("")
@role_required(Role.ORGANIZER)
def message_list():
    status = _status_filter(request.args.get("status"))
    page = find_messages(db.session, status, request.args.get("page", 1, type=int), PER_PAGE)

    def page_url(number: int) -> str:
        return url_for("mail.message_list", status=status, page=number)

    return render_template(
        "mail/admin/outbox.html",
        page=page,
        page_url=page_url,
        status=status,
        statuses=STATUSES,
        counts=status_counts(db.session),
        backlogs=writer_backlogs(db.session),
        retry_form=RetryForm(back_to_status=status or ""),
    )


@bp.get("/<int:message_id>")
@role_required(Role.ORGANIZER)
def message_detail(message_id: int):
    message = db.get_or_404(OutboxMessage, message_id)
    content = preview_of(db.session, message)
    return render_template(
        "mail/admin/message.html",
        message=message,
        content=content,
        text_body=hide_personal_links(content.text_body) if content else "",
        retry_form=RetryForm(back_to_status=""),
    )


@bp.post("/<int:message_id>/retry")
@role_required(Role.ORGANIZER)
def retry_message(message_id: int):
    message = db.get_or_404(OutboxMessage, message_id)
    form = RetryForm()
    if not form.validate_on_submit():
        abort(400)
    if retry_failed(db.session, [message.id]):
        db.session.commit()
        flash(f"The message to {message.to_email} is queued to be sent again.", "success")
    else:
        flash(f"The message to {message.to_email} has not failed; nothing to retry.", "info")
    return _back(form)


@bp.post("/retry-failed")
@role_required(Role.ORGANIZER)
def retry_all_failed():
    form = RetryForm()
    if not form.validate_on_submit():
        abort(400)
    count = retry_failed(db.session)
    db.session.commit()
    if count:
        flash(
            f"{count} failed message{'' if count == 1 else 's'} queued to be sent again.", "success"
        )
    else:
        flash("No failed messages to retry.", "info")
    return _back(form)


@bp.post("/retry-unwritten")
@role_required(Role.ORGANIZER)
def retry_all_unwritten():
    form = RetryForm()
    if not form.validate_on_submit():
        abort(400)
    count = retry_unwritten(db.session)
    db.session.commit()
    if count:
        flash(
            f"{count} update{'' if count == 1 else 's'} the worker could not write "
            f"{'is' if count == 1 else 'are'} queued to be tried again.",
            "success",
        )
    else:
        flash("Nothing failed to be written; nothing to retry.", "info")
    return _back(form)


def _back(form: RetryForm):
    status = _status_filter(form.back_to_status.data)
    return redirect(url_for("mail.message_list", status=status))
