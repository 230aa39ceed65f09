"""Organizers' pages for collecting a forum's feedback: open and close the window, assign the
faculty reviewer, email invitations and reminders."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from ..core.actions import carry_out
from ..core.auth import role_required
from ..core.clock import to_local
from ..core.forms import ButtonForm
from ..core.models import Forum, User
from ..extensions import db
from . import invitations, review
from .answering import response_count
from .attendance import attendee_count
from .blueprint import ORGANIZERS, bp, forum_or_404, local_time
from .errors import InvalidFeedback
from .forms import InvitationForm, ReviewerForm, WindowForm
from .models import FeedbackWindow
from .window import (
    WindowState,
    close_feedback,
    feedback_window,
    is_open,
    open_feedback,
    window_state,
)


def _reviewer_form(window: FeedbackWindow | None) -> ReviewerForm:
    form = ReviewerForm(data={"reviewer_id": (window.reviewer_id if window else None) or 0})
    form.reviewer_id.choices = [(0, "Nobody yet")] + [
        (user.id, f"{user.name} ({user.email})" if user.name else user.email)
        for user in review.reviewer_choices(db.session)
    ]
    return form


def _settings_page(forum: Forum, window_form: WindowForm | None = None, status: int = 200):
    window = feedback_window(db.session, forum)
    if window_form is None:
        window_form = WindowForm()
        if window and window.closes_at and window_state(window) == WindowState.OPEN:
            window_form.closes_at.data = to_local(
                window.closes_at, forum.program.time_zone
            ).replace(tzinfo=None)
    return render_template(
        "feedback/settings.html",
        forum=forum,
        window=window,
        state=window_state(window),
        window_form=window_form,
        reviewer_form=_reviewer_form(window),
        invitation_form=InvitationForm(),
        button_form=ButtonForm(),
        attendees=attendee_count(db.session, forum),
        invited=len(invitations.invited_person_ids(db.session, forum)),
        answered=response_count(db.session, forum),
    ), status


@bp.route("/staff/forums/<int:forum_id>/feedback/settings")
@role_required(*ORGANIZERS)
def settings(forum_id: int):
    return _settings_page(forum_or_404(forum_id))


def _back_to_settings(forum: Forum):
    return redirect(url_for("feedback.settings", forum_id=forum.id))


@bp.route("/staff/forums/<int:forum_id>/feedback/settings/window", methods=["POST"])
@role_required(*ORGANIZERS)
def open_window(forum_id: int):
    forum = forum_or_404(forum_id)
    form = WindowForm()
    if form.validate_on_submit():
        was_open = is_open(db.session, forum)
        opening = carry_out(lambda: open_feedback(db.session, forum, form.closes_at.data), form)
        if opening.ok:
            when = local_time(opening.value.closes_at, forum)
            flash(
                f"Closing time moved to {when}."
                if was_open
                else f"Feedback is open until {when}. Now send the invitations.",
                "success",
            )
        # A closing time refused is shown next to its field; any other refusal is flashed.
        if not isinstance(opening.error, InvalidFeedback):
            return _back_to_settings(forum)
    return _settings_page(forum, form, 400)


@bp.route("/staff/forums/<int:forum_id>/feedback/settings/close", methods=["POST"])
@role_required(*ORGANIZERS)
def close_window(forum_id: int):
    forum = forum_or_404(forum_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    carry_out(
        lambda: close_feedback(db.session, forum),
        success="Feedback is closed: answers can no longer be given or changed.",
    )
    return _back_to_settings(forum)


@bp.route("/staff/forums/<int:forum_id>/feedback/settings/reviewer", methods=["POST"])
@role_required(*ORGANIZERS)
def assign_reviewer(forum_id: int):
    forum = forum_or_404(forum_id)
    form = _reviewer_form(feedback_window(db.session, forum))
    if not form.validate_on_submit():
        flash("Choose one of the faculty members listed.", "error")
        return _back_to_settings(forum)
    user = db.session.get(User, form.reviewer_id.data) if form.reviewer_id.data else None
    carry_out(
        lambda: review.assign_reviewer(db.session, forum, user),
        success=f"{user.name or user.email} reviews this forum's feedback."
        if user
        else "No reviewer assigned.",
    )
    return _back_to_settings(forum)


@bp.route("/staff/forums/<int:forum_id>/feedback/settings/invitations", methods=["POST"])
@role_required(*ORGANIZERS)
def send_invitations(forum_id: int):
    forum = forum_or_404(forum_id)
    form = InvitationForm()
    if not form.validate_on_submit():
        abort(400)
    sending = carry_out(
        lambda: invitations.send_invitations(
            db.session, forum, current_user.id, send_again=form.send_again.data
        )
    )
    if sending.ok:
        result = sending.value
        skipped = f" {len(result.skipped)} invited before were skipped." if result.skipped else ""
        flash(f"Invitations queued for {len(result.queued)} attendees.{skipped}", "success")
    return _back_to_settings(forum)


@bp.route("/staff/forums/<int:forum_id>/feedback/settings/reminders", methods=["POST"])
@role_required(*ORGANIZERS)
def send_reminders(forum_id: int):
    forum = forum_or_404(forum_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    sending = carry_out(lambda: invitations.send_reminders(db.session, forum, current_user.id))
    if sending.ok:
        queued = len(sending.value.queued)
        flash(f"Reminders queued for {queued} attendees who have not answered.", "success")
    return _back_to_settings(forum)
