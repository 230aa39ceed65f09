"""Faculty pages of the feedback: the overview of every forum, a forum's summary (narrowed to
a team or a day), its printable report, every comment on a question, the answers as CSV, the
measures across forums, and the faculty review (the written summary sent to the teams)."""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from ..core.actions import carry_out
from ..core.auth import role_required
from ..core.forms import ButtonForm
from ..core.models import Forum
from ..extensions import db
from . import review, summary
from .answer_scope import SummaryFilter, team_names
from .answers_export import download_answers_csv
from .blueprint import ORGANIZERS, READERS, bp, forum_or_404
from .comments import COMMENTS_SHOWN, comments_page
from .forms import SummaryForm
from .summary_charts import summary_charts
from .window import feedback_window, window_state


def topics_page_path(forum: Forum) -> str:
    """The topic page (grouping and promotion), built by the topics feature."""
    return f"{request.script_root}/staff/forums/{forum.id}/topics"


def _filters(forum: Forum) -> SummaryFilter:
    """Team and day from the query string; unknown values are ignored (all teams/days)."""
    team_ids = set(team_names(db.session, forum.program_id))
    day_ids = {day.id for day in forum.days}
    team = request.args.get("team", type=int)
    day = request.args.get("day", type=int)
    return SummaryFilter(
        team_id=team if team in team_ids else None, day_id=day if day in day_ids else None
    )


def _filter_args(filters: SummaryFilter) -> dict[str, Any]:
    """The filters as query-string arguments (ids), for links that keep them. Typed Any: mypy
    would also match them against url_for's own keyword arguments (``_external: bool``)."""
    return {
        key: value
        for key, value in (("team", filters.team_id), ("day", filters.day_id))
        if value is not None
    }


def _summary_context(forum: Forum, comment_limit: int | None = None) -> dict:
    filters = _filters(forum)
    flag_teams = current_app.config.get("TOPIC_FLAG_TEAMS", summary.MULTI_TEAM)
    result = summary.forum_summary(db.session, forum, filters, flag_teams, comment_limit)
    window = feedback_window(db.session, forum)
    return {
        "forum": forum,
        "summary": result,
        "charts": summary_charts(result),
        "window": window,
        "state": window_state(window),
        "teams": team_names(db.session, forum.program_id),
        "filters": filters,
        "topics_url": topics_page_path(forum),
        "filter_args": _filter_args(filters),
    }


# --- Overview, summary, report, export -------------------------------------------------------


@bp.route("/staff/feedback")
@role_required(*READERS)
def overview():
    return render_template("feedback/overview.html", rows=summary.feedback_overview(db.session))


@bp.route("/staff/forums/<int:forum_id>/feedback")
@role_required(*READERS)
def forum_summary(forum_id: int):
    forum = forum_or_404(forum_id)
    # The newest comments of each question; the rest are on the comments pages.
    context = _summary_context(forum, comment_limit=COMMENTS_SHOWN)
    may_write = review.may_write_summary(context.get("window"), current_user)
    return render_template(
        "feedback/summary.html", button_form=ButtonForm(), may_write_summary=may_write, **context
    )


@bp.route("/staff/forums/<int:forum_id>/feedback/report")
@role_required(*READERS)
def printable_report(forum_id: int):
    forum = forum_or_404(forum_id)
    # The printable report is the record: every comment.
    return render_template("feedback/report.html", **_summary_context(forum))


@bp.route("/staff/forums/<int:forum_id>/feedback/comments/<question>")
@role_required(*READERS)
def comments(forum_id: int, question: str):
    """Every answer to one question (a session's comments, "most useful", "should change"),
    a page at a time, narrowed by the summary's team and day filters."""
    forum = forum_or_404(forum_id)
    filters = _filters(forum)
    # Anything but a page number (``page=abc``) shows the first page.
    page = request.args.get("page", 1, type=int)
    result = comments_page(db.session, forum, filters, question, page)
    if result is None:
        abort(404)
    filter_args = _filter_args(filters)

    def page_url(number: int) -> str:
        return url_for(
            "feedback.comments", forum_id=forum.id, question=question, page=number, **filter_args
        )

    return render_template(
        "feedback/comments.html",
        forum=forum,
        comments=result,
        filters=filters,
        filter_args=filter_args,
        teams=team_names(db.session, forum.program_id),
        page_url=page_url,
    )


@bp.route("/staff/forums/<int:forum_id>/feedback/answers.csv")
@role_required(*READERS)
def answers_csv(forum_id: int):
    forum = forum_or_404(forum_id)
    body = "\ufeff" + download_answers_csv(db.session, forum, _filters(forum), current_user.id)
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="forum-{forum.number}-feedback.csv"',
            "Cache-Control": "no-store",
        },
    )


# --- Faculty review --------------------------------------------------------------------------


def _back_to_review(forum: Forum):
    return redirect(url_for("feedback.forum_summary", forum_id=forum.id) + "#review")


@bp.route("/staff/forums/<int:forum_id>/feedback/review", methods=["GET", "POST"])
@role_required(*READERS)
def edit_review(forum_id: int):
    forum = forum_or_404(forum_id)
    window = feedback_window(db.session, forum)
    if not review.may_write_summary(window, current_user):
        abort(403)
    form = SummaryForm(data={"summary": window.summary if window else ""})
    if form.validate_on_submit():
        saving = carry_out(
            lambda: review.save_summary(db.session, forum, form.summary.data or "", current_user),
            form,
            success="Summary saved.",
        )
        if saving.ok:
            return _back_to_review(forum)
    return render_template("feedback/review_form.html", forum=forum, form=form, window=window), (
        400 if form.errors else 200
    )


@bp.route("/staff/forums/<int:forum_id>/feedback/review/send", methods=["POST"])
@role_required(*ORGANIZERS)
def send_review(forum_id: int):
    forum = forum_or_404(forum_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    sending = carry_out(lambda: review.send_summary_to_teams(db.session, forum))
    if sending.ok:
        flash(f"Summary queued for {len(sending.value)} team members.", "success")
    return _back_to_review(forum)
