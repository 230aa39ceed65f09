"""The organizers' messages page: write to a group of a forum's people, preview whom it reaches
and one person's copy, send now or later, and cancel what has not gone yet."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from ..agenda.models import AgendaItem, ItemKind
from ..core.actions import DomainError, carry_out
from ..core.auth import role_required
from ..core.clock import local_instant
from ..core.forms import ButtonForm, show_errors
from ..core.i18n import format_local_datetime
from ..core.models import Forum, ForumDay, Role, Team
from ..core.rate_limits import count_as_sent, group_message_limit
from ..extensions import db
from .audience import Audience, describe_audience
from .forms import MessageForm
from .models import GroupMessage, MessageStatus
from .placeholders import PLACEHOLDERS
from .sending import (
    CONFIRM_ABOVE,
    MessageInput,
    Preview,
    cancel_message,
    forum_messages,
    preview,
    write_message,
)

bp = Blueprint("messages", __name__)


def _form(forum: Forum) -> MessageForm:
    form = MessageForm()
    sessions = db.session.scalars(
        select(AgendaItem)
        .join(ForumDay, ForumDay.id == AgendaItem.day_id)
        .where(ForumDay.forum_id == forum.id, AgendaItem.kind != ItemKind.BREAK.value)
        .order_by(AgendaItem.starts_at, AgendaItem.position, AgendaItem.id)
    ).all()
    teams = db.session.scalars(select(Team).order_by(Team.name, Team.id)).all()
    form.offer_choices(forum, list(sessions), list(teams))
    return form


def _page(
    forum: Forum,
    form: MessageForm,
    shown: Preview | None = None,
    audience_error: str | None = None,
    status: int = 200,
):
    return render_template(
        "messages/messages.html",
        forum=forum,
        form=form,
        shown=shown,
        audience_error=audience_error,
        confirm_above=CONFIRM_ABOVE,
        placeholders=PLACEHOLDERS,
        messages=[
            (counts, describe_audience(db.session, Audience.from_json(counts.message.audience)))
            for counts in forum_messages(db.session, forum)
        ],
        button_form=ButtonForm(),
    ), status


@bp.route("/staff/forums/<int:forum_id>/messages")
@role_required(Role.ORGANIZER)
def messages_page(forum_id: int):
    forum = db.get_or_404(Forum, forum_id)
    return _page(forum, _form(forum))


def _send_at(form: MessageForm, forum: Forum) -> datetime | None:
    written = form.send_at.data
    if written is None:
        return None
    return local_instant(written.date(), written.time(), forum.program.time_zone)


def _show_refusal(form: MessageForm, error: DomainError) -> str | None:
    """Put each message next to its field; returns the one about the audience as a whole,
    which the page shows at the top of the audience's choices."""
    by_field: dict[str | int | None, str] = {}
    audience_error = None
    for field, message in error.errors.items():
        name = str(field or "").removeprefix("audience.")
        if name == "audience":
            audience_error = message
        else:
            by_field[name] = message
    show_errors(form, by_field)
    return audience_error


@bp.route("/staff/forums/<int:forum_id>/messages", methods=["POST"])
@role_required(Role.ORGANIZER)
@group_message_limit
def write(forum_id: int):
    """Preview (the first press), then send: a send goes out only when it reaches the number
    of people the preview showed, and, above ``CONFIRM_ABOVE`` people, once confirmed."""
    forum = db.get_or_404(Forum, forum_id)
    form = _form(forum)
    if not form.validate_on_submit():
        return _page(forum, form, status=400)
    data = MessageInput(
        subject=form.subject.data or "",
        body=form.body.data or "",
        audience=form.audience(),
        send_at=_send_at(form, forum),
    )
    looked = carry_out(lambda: preview(db.session, forum, data), show_error=False)
    if not looked.ok:
        return _page(forum, form, audience_error=_show_refusal(form, looked.error), status=400)
    shown = looked.value
    previewed = form.previewed.data
    form.previewed.data = str(shown.recipients)
    if not form.send.data:
        return _page(forum, form, shown)
    if previewed != str(shown.recipients):
        form.confirm.errors = [
            f"This now reaches {shown.recipients} people: check the preview and send again."
        ]
        return _page(forum, form, shown, status=409)
    if shown.recipients > CONFIRM_ABOVE and not form.confirm.data:
        form.confirm.errors = [f"Tick this box to send to all {shown.recipients} people."]
        return _page(forum, form, shown, status=400)
    written = carry_out(
        lambda: write_message(db.session, forum, data, current_user.id), show_error=False
    )
    if not written.ok:
        return _page(forum, form, audience_error=_show_refusal(form, written.error), status=400)
    count_as_sent()
    message = written.value
    if message.status == MessageStatus.SCHEDULED:
        when = format_local_datetime(message.send_at, forum.program.time_zone)
        flash(
            f"Scheduled for {when}, to the {message.recipients} people who match now "
            "(counted again when it goes).",
            "success",
        )
    else:
        flash(f"Sent to {message.recipients} people: their copies are in the outbox.", "success")
    return redirect(url_for("messages.messages_page", forum_id=forum.id), 303)


@bp.route("/staff/forums/<int:forum_id>/messages/<int:message_id>/cancel", methods=["POST"])
@role_required(Role.ORGANIZER)
def cancel(forum_id: int, message_id: int):
    message = db.session.get(GroupMessage, message_id)
    if message is None or message.forum_id != forum_id:
        abort(404)
    if ButtonForm().validate_on_submit():
        carry_out(
            lambda: cancel_message(db.session, message, current_user.id),
            success=f"Cancelled: “{message.subject}” will not be sent.",
        )
    return redirect(url_for("messages.messages_page", forum_id=forum_id), 303)
