"""Feedback pages: the attendee form (through the personal link), topics from the personal
page, and the staff pages (collecting, the faculty summary, exports, measures across forums)."""

from __future__ import annotations

from flask import (
    Blueprint,
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
from sqlalchemy import func, select

from ..checkin.models import CheckIn
from ..core import audit
from ..core.auth import role_required
from ..core.clock import local_today, to_local, utcnow
from ..core.forms import ButtonForm
from ..core.links import person_for_token
from ..core.models import Forum, ForumStatus, Person, Program, Role, User
from ..core.rate_limits import personal_link_limit
from ..core.templating import format_local_datetime
from ..extensions import db
from ..registration.models import Registration
from . import collection, review, summary
from .charts import RATING_LABELS, Bar, bar_chart, rating_chart
from .collection import FeedbackError, InvalidFeedback, WindowState
from .forms import InvitationForm, ReviewerForm, SummaryForm, WindowForm
from .models import FeedbackResponse, FeedbackWindow

bp = Blueprint("feedback", __name__)

READERS = (Role.FACULTY, Role.ORGANIZER)
ORGANIZERS = (Role.ORGANIZER,)
BLANK_TOPIC_INPUTS = 3


# --- Attendees: the feedback form ------------------------------------------------------------


def _person_or_404(token: str) -> Person:
    person = person_for_token(db.session, token)
    if person is None:
        abort(404)
    return person


def _published_forum(forum_id: int) -> Forum:
    forum = db.session.get(Forum, forum_id)
    if forum is None or forum.status == ForumStatus.DRAFT:
        abort(404)
    return forum


def _registration(person: Person, forum: Forum) -> Registration | None:
    return db.session.scalar(
        select(Registration).where(
            Registration.forum_id == forum.id, Registration.person_id == person.id
        )
    )


def _empty_values() -> dict:
    return {
        "overall_rating": "",
        "ratings": {},
        "comments": {},
        "most_useful": "",
        "should_change": "",
        "topics": [],
        "anonymous": False,
    }


def _saved_values(response: FeedbackResponse) -> dict:
    """The form filled in with a saved response, for editing."""
    return {
        "overall_rating": str(response.overall_rating),
        "ratings": {r.item_id: str(r.rating) if r.rating else "" for r in response.ratings},
        "comments": {r.item_id: r.comment for r in response.ratings},
        "most_useful": response.most_useful,
        "should_change": response.should_change,
        "topics": collection.response_topics(db.session, response),
        "anonymous": response.anonymous,
    }


def _submitted_values(form) -> dict:
    """Everything the person typed, as typed, so an error never loses any of it."""
    values = _empty_values()
    values["overall_rating"] = form.get("overall_rating", "")
    for key, value in form.items():
        kind, _, item_id = key.partition("-")
        if kind in ("rating", "comment") and item_id.isdigit():
            values["ratings" if kind == "rating" else "comments"][int(item_id)] = value
    values["most_useful"] = form.get("most_useful", "")
    values["should_change"] = form.get("should_change", "")
    values["topics"] = form.getlist("topic")
    values["anonymous"] = bool(form.get("anonymous"))
    return values


def _feedback_input(values: dict) -> collection.FeedbackInput:
    item_ids = set(values["ratings"]) | set(values["comments"])
    return collection.FeedbackInput(
        overall_rating=values["overall_rating"],
        sessions={
            item_id: collection.SessionAnswer(
                values["ratings"].get(item_id), values["comments"].get(item_id, "")
            )
            for item_id in item_ids
        },
        most_useful=values["most_useful"],
        should_change=values["should_change"],
        topics=values["topics"],
        anonymous=values["anonymous"],
    )


def _topic_inputs(topics: list[str]) -> list[str]:
    """The topics given so far and three empty boxes: "add another" without any script."""
    inputs = list(topics)
    while inputs and not inputs[-1].strip():
        inputs.pop()
    return inputs + [""] * BLANK_TOPIC_INPUTS


def _error_list(errors: dict[str, str], items) -> list[tuple[str | None, str, str]]:
    """(anchor, what, message) for the error summary at the top of the form."""
    titles = {item.id: item.title for item in items}
    listed = []
    for key, message in errors.items():
        kind, _, rest = key.partition("-")
        if key == "overall_rating":
            listed.append(("overall_rating-1", "Overall rating", message))
        elif kind == "rating" and rest.isdigit():
            title = titles.get(int(rest), "a session")
            listed.append((f"rating-{rest}-none", f"Rating of “{title}”", message))
        elif kind == "comment" and rest.isdigit():
            title = titles.get(int(rest), "a session")
            listed.append((f"comment-{rest}", f"Comment on “{title}”", message))
        elif key in ("most_useful", "should_change"):
            what = "What was most useful" if key == "most_useful" else "What should change"
            listed.append((key, what, message))
        elif kind == "topic" and rest.isdigit():
            listed.append((f"topic-{rest}", f"Topic {int(rest) + 1}", message))
        elif key == "topics":
            listed.append(("topic-0", "Topics", message))
        elif key == "sessions":
            listed.append(("sessions-heading", "Sessions", message))
        else:
            listed.append((None, "Feedback", message))
    return listed


@bp.route("/me/<token>/feedback/<int:forum_id>", methods=["GET", "POST"])
@personal_link_limit
def respond(token: str, forum_id: int):
    """The attendee's feedback form: answer, or change the answer until feedback closes."""
    person = _person_or_404(token)
    forum = _published_forum(forum_id)
    registration = _registration(person, forum)
    if not collection.is_attendee(db.session, registration):
        return render_template(
            "feedback/not_attendee.html", person=person, token=token, forum=forum
        ), 403
    window = collection.feedback_window(db.session, forum)
    response = collection.find_response(db.session, registration)
    items = collection.sessions_attended(db.session, registration)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        values = _submitted_values(request.form)
        if not ButtonForm().validate_on_submit():
            errors = {"form": "The form had expired. Your answers are below: send them again."}
        else:
            try:
                result = collection.save_response(db.session, registration, _feedback_input(values))
            except InvalidFeedback as error:
                db.session.rollback()
                errors = error.errors
            except FeedbackError as error:
                db.session.rollback()
                errors = {"form": f"{error.message} Your answers were not saved."}
                status = 409
            else:
                db.session.commit()
                closes = window.closes_at if window else None
                until = f" You can change it until {_local(closes, forum)}." if closes else ""
                flash(
                    (
                        "Thank you! Your feedback is saved."
                        if result.created
                        else "Your changes are saved."
                    )
                    + until,
                    "success",
                )
                return redirect(url_for("feedback.respond", token=token, forum_id=forum.id))
        status = status if status != 200 else 400 if errors else 200
    else:
        values = _saved_values(response) if response else _empty_values()
    window = collection.feedback_window(db.session, forum)
    return render_template(
        "feedback/respond.html",
        person=person,
        token=token,
        forum=forum,
        window=window,
        state=collection.window_state(window),
        response=response,
        items=items,
        values=values,
        topic_inputs=_topic_inputs(values["topics"]),
        errors=errors,
        error_list=_error_list(errors, items),
        form=ButtonForm(),
        ratings=collection.RATINGS,
        rating_labels=RATING_LABELS,
    ), status


def _local(instant, forum: Forum) -> str:
    return format_local_datetime(instant, forum.program.time_zone)


# --- Attendees: topics between forums --------------------------------------------------------


def _local_today():
    return local_today(current_app.config["PROGRAM_TIME_ZONE"])


@bp.route("/me/<token>/topics", methods=["GET", "POST"])
@personal_link_limit
def suggest_topic(token: str):
    """A team member raises a topic for the next forum between forums."""
    person = _person_or_404(token)
    forum = collection.forum_for_new_topics(db.session, person, _local_today())
    if forum is None:
        abort(404)
    form = ButtonForm()
    text = request.form.get("text", "")
    error = None
    if request.method == "POST":
        if not form.validate_on_submit():
            error = "The form had expired. Your topic is below: send it again."
        else:
            try:
                collection.submit_topic_between_forums(db.session, person, forum, text)
            except InvalidFeedback as exc:
                db.session.rollback()
                error = exc.errors.get("text", exc.message)
            except FeedbackError as exc:
                db.session.rollback()
                return render_template(
                    "feedback/suggest_topic.html",
                    person=person,
                    token=token,
                    forum=forum,
                    form=form,
                    text=text,
                    error=exc.message,
                    mine=[],
                    allowed=False,
                ), 403
            else:
                db.session.commit()
                flash("Thank you! Your topic goes to faculty planning the next forum.", "success")
                return redirect(url_for("registration.personal_page", token=token) + "#topics")
    allowed = collection.team_id_for(db.session, person.id, forum.program_id) is not None
    if not allowed and request.method == "GET":
        abort(404)
    return render_template(
        "feedback/suggest_topic.html",
        person=person,
        token=token,
        forum=forum,
        form=form,
        text=text,
        error=error,
        mine=collection.topics_suggested_by(db.session, person, forum),
        allowed=allowed,
    ), (400 if error else 200)


@bp.app_context_processor
def _personal_page_helpers():
    """``feedback_panel_for(person)``, used by the personal page to offer the feedback forms
    that are open to the person and the topic form (only called where a page asks for it)."""
    return {"feedback_panel_for": _feedback_panel}


def _feedback_panel(person: Person) -> dict:
    now = utcnow()
    live = select(CheckIn.registration_id).where(CheckIn.undone_at.is_(None))
    rows = db.session.execute(
        select(Forum, FeedbackWindow, FeedbackResponse.id)
        .join(Registration, Registration.forum_id == Forum.id)
        .join(FeedbackWindow, FeedbackWindow.forum_id == Forum.id)
        .outerjoin(FeedbackResponse, FeedbackResponse.registration_id == Registration.id)
        .where(Registration.person_id == person.id, Registration.id.in_(live))
        .order_by(Forum.number)
    ).all()
    open_forms = [
        {"forum": forum, "closes_at": window.closes_at, "answered": response_id is not None}
        for forum, window, response_id in rows
        if collection.window_state(window, now) == WindowState.OPEN
    ]
    topic_forum = collection.forum_for_new_topics(db.session, person, _local_today())
    if topic_forum is not None and (
        collection.team_id_for(db.session, person.id, topic_forum.program_id) is None
    ):
        topic_forum = None
    mine = collection.topics_suggested_by(db.session, person, topic_forum) if topic_forum else []
    return {"open_forms": open_forms, "topic_forum": topic_forum, "my_topics": mine}


# --- Staff: helpers ------------------------------------------------------------------------


def _forum_or_404(forum_id: int) -> Forum:
    forum = db.session.get(Forum, forum_id)
    if forum is None:
        abort(404)
    return forum


def topics_page_path(forum: Forum) -> str:
    """The topic page (grouping and promotion), built by the topics feature."""
    return f"{request.script_root}/staff/forums/{forum.id}/topics"


def _filters(forum: Forum) -> summary.SummaryFilter:
    """Team and day from the query string; unknown values are ignored (all teams/days)."""
    team_ids = set(summary.team_names(db.session, forum.program_id))
    day_ids = {day.id for day in forum.days}
    team = request.args.get("team", type=int)
    day = request.args.get("day", type=int)
    return summary.SummaryFilter(
        team_id=team if team in team_ids else None, day_id=day if day in day_ids else None
    )


def _filter_args(filters: summary.SummaryFilter) -> dict[str, int]:
    """The filters as query-string arguments, for links that keep them."""
    return {
        key: value
        for key, value in (("team", filters.team_id), ("day", filters.day_id))
        if value is not None
    }


def _rate_text(rate: summary.ResponseRate) -> str:
    if not rate.attendees:
        return "no attendees"
    return f"{rate.responses} of {rate.attendees} ({rate.rate:.0%})"


def _charts(result: summary.FeedbackSummary) -> dict:
    rates = bar_chart(
        "chart-response-rate",
        "Response rate by team",
        [Bar(row.label, row.rate or 0, _rate_text(row)) for row in result.team_rates],
        ("Team", "Answered"),
        max_value=1,
        summary=f"Overall {_rate_text(result.overall_rate)} of attendees answered.",
    )
    overall = rating_chart("chart-overall", "Overall rating of the forum", result.overall.counts)
    sessions = {
        entry.item.id: rating_chart(
            f"chart-item-{entry.item.id}",
            f"Ratings of “{entry.item.title}”",
            entry.ratings.counts,
        )
        for entry in result.sessions
    }
    return {"rates": rates, "overall": overall, "sessions": sessions}


def _summary_context(forum: Forum, comment_limit: int | None = None) -> dict:
    filters = _filters(forum)
    flag_teams = current_app.config.get("TOPIC_FLAG_TEAMS", summary.MULTI_TEAM)
    result = summary.forum_summary(db.session, forum, filters, flag_teams, comment_limit)
    window = collection.feedback_window(db.session, forum)
    return {
        "forum": forum,
        "summary": result,
        "charts": _charts(result),
        "window": window,
        "state": collection.window_state(window),
        "teams": summary.team_names(db.session, forum.program_id),
        "filters": filters,
        "topics_url": topics_page_path(forum),
        "filter_args": _filter_args(filters),
    }


# --- Staff: overview, summary, report, export ------------------------------------------------


@bp.route("/staff/feedback")
@role_required(*READERS)
def overview():
    forums = db.session.scalars(
        select(Forum).where(Forum.status != ForumStatus.DRAFT).order_by(Forum.number)
    ).all()
    windows = {w.forum_id: w for w in db.session.scalars(select(FeedbackWindow))}
    responses = dict(
        db.session.execute(
            select(FeedbackResponse.forum_id, func.count()).group_by(FeedbackResponse.forum_id)
        ).all()
    )
    attendees = dict(
        db.session.execute(
            select(Registration.forum_id, func.count(func.distinct(Registration.id)))
            .join(CheckIn, CheckIn.registration_id == Registration.id)
            .where(CheckIn.undone_at.is_(None))
            .group_by(Registration.forum_id)
        ).all()
    )
    rows = [
        {
            "forum": forum,
            "window": windows.get(forum.id),
            "state": collection.window_state(windows.get(forum.id)),
            "responses": responses.get(forum.id, 0),
            "attendees": attendees.get(forum.id, 0),
        }
        for forum in forums
    ]
    return render_template("feedback/overview.html", rows=rows)


@bp.route("/staff/forums/<int:forum_id>/feedback")
@role_required(*READERS)
def forum_summary(forum_id: int):
    forum = _forum_or_404(forum_id)
    # The newest comments of each question; the rest are on the comments pages.
    context = _summary_context(forum, comment_limit=summary.COMMENTS_SHOWN)
    may_write = review.may_write_summary(context.get("window"), current_user)
    return render_template(
        "feedback/summary.html", button_form=ButtonForm(), may_write_summary=may_write, **context
    )


@bp.route("/staff/forums/<int:forum_id>/feedback/report")
@role_required(*READERS)
def printable_report(forum_id: int):
    forum = _forum_or_404(forum_id)
    # The printable report is the record: every comment.
    return render_template("feedback/report.html", **_summary_context(forum))


@bp.route("/staff/forums/<int:forum_id>/feedback/comments/<question>")
@role_required(*READERS)
def comments(forum_id: int, question: str):
    """Every answer to one question (a session's comments, "most useful", "should change"),
    a page at a time, narrowed by the summary's team and day filters."""
    forum = _forum_or_404(forum_id)
    filters = _filters(forum)
    # Anything but a page number (``page=abc``) shows the first page.
    page = request.args.get("page", 1, type=int)
    result = summary.comments_page(db.session, forum, filters, question, page)
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
        teams=summary.team_names(db.session, forum.program_id),
        page_url=page_url,
    )


@bp.route("/staff/forums/<int:forum_id>/feedback/answers.csv")
@role_required(*READERS)
def answers_csv(forum_id: int):
    forum = _forum_or_404(forum_id)
    body = "\ufeff" + summary.answers_csv(db.session, forum, _filters(forum))
    audit.record_download(db.session, current_user.id, "export.feedback_csv", f"forum:{forum.id}")
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="forum-{forum.number}-feedback.csv"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/staff/program/measures")
@role_required(*READERS)
def measures():
    program = db.session.scalar(select(Program).order_by(Program.id))
    if program is None:
        abort(404)
    result = summary.program_measures(db.session, program)
    labels = [f"Forum {m.forum.number}" for m in result.forums]
    charts = {
        "rating": bar_chart(
            "chart-rating-by-forum",
            "Average overall rating by forum (out of 5)",
            [
                Bar(
                    label,
                    m.average_rating or 0,
                    f"{m.average_rating:.1f} ({m.responses} answers)"
                    if m.responses
                    else "no answers",
                )
                for label, m in zip(labels, result.forums, strict=True)
            ],
            ("Forum", "Average rating"),
            max_value=5,
        ),
        "attendance": bar_chart(
            "chart-attendance-by-forum",
            "Attendance by forum (people checked in)",
            [
                Bar(label, m.attendees, str(m.attendees))
                for label, m in zip(labels, result.forums, strict=True)
            ],
            ("Forum", "People checked in"),
        ),
        "topics": bar_chart(
            "chart-topics-by-forum",
            "Topics raised after each forum",
            [
                Bar(
                    label,
                    m.suggestions,
                    f"{m.suggestions} from {m.teams_raising} "
                    + ("team" if m.teams_raising == 1 else "teams"),
                )
                for label, m in zip(labels, result.forums, strict=True)
            ],
            ("Forum", "Topics"),
        ),
    }
    return render_template("feedback/measures.html", measures=result, charts=charts)


# --- Staff: faculty review -----------------------------------------------------------------


@bp.route("/staff/forums/<int:forum_id>/feedback/review", methods=["GET", "POST"])
@role_required(*READERS)
def edit_review(forum_id: int):
    forum = _forum_or_404(forum_id)
    window = collection.feedback_window(db.session, forum)
    if not review.may_write_summary(window, current_user):
        abort(403)
    form = SummaryForm(data={"summary": window.summary if window else ""})
    if form.validate_on_submit():
        try:
            review.save_summary(db.session, forum, form.summary.data or "", current_user)
        except InvalidFeedback as error:
            db.session.rollback()
            form.summary.errors = [*form.summary.errors, error.errors["summary"]]
        else:
            db.session.commit()
            flash("Summary saved.", "success")
            return redirect(url_for("feedback.forum_summary", forum_id=forum.id) + "#review")
    return render_template("feedback/review_form.html", forum=forum, form=form, window=window), (
        400 if form.errors else 200
    )


@bp.route("/staff/forums/<int:forum_id>/feedback/review/send", methods=["POST"])
@role_required(*ORGANIZERS)
def send_review(forum_id: int):
    forum = _forum_or_404(forum_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        people = review.send_summary_to_teams(db.session, forum)
    except FeedbackError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(f"Summary queued for {len(people)} team members.", "success")
    return redirect(url_for("feedback.forum_summary", forum_id=forum.id) + "#review")


# --- Staff: collecting (organizers) ----------------------------------------------------------


def _reviewer_form(window: FeedbackWindow | None) -> ReviewerForm:
    form = ReviewerForm(data={"reviewer_id": (window.reviewer_id if window else None) or 0})
    form.reviewer_id.choices = [(0, "Nobody yet")] + [
        (user.id, f"{user.name} ({user.email})" if user.name else user.email)
        for user in review.reviewer_choices(db.session)
    ]
    return form


def _settings_page(forum: Forum, window_form: WindowForm | None = None, status: int = 200):
    window = collection.feedback_window(db.session, forum)
    if window_form is None:
        window_form = WindowForm()
        if window and window.closes_at and collection.window_state(window) == WindowState.OPEN:
            window_form.closes_at.data = to_local(
                window.closes_at, forum.program.time_zone
            ).replace(tzinfo=None)
    invited = collection.invited_person_ids(db.session, forum)
    answered = db.session.scalar(
        select(func.count())
        .select_from(FeedbackResponse)
        .where(FeedbackResponse.forum_id == forum.id)
    )
    return render_template(
        "feedback/settings.html",
        forum=forum,
        window=window,
        state=collection.window_state(window),
        window_form=window_form,
        reviewer_form=_reviewer_form(window),
        invitation_form=InvitationForm(),
        button_form=ButtonForm(),
        attendees=collection.attendee_count(db.session, forum),
        invited=len(invited),
        answered=answered,
    ), status


@bp.route("/staff/forums/<int:forum_id>/feedback/settings")
@role_required(*ORGANIZERS)
def settings(forum_id: int):
    return _settings_page(_forum_or_404(forum_id))


def _back_to_settings(forum: Forum):
    return redirect(url_for("feedback.settings", forum_id=forum.id))


@bp.route("/staff/forums/<int:forum_id>/feedback/settings/window", methods=["POST"])
@role_required(*ORGANIZERS)
def open_window(forum_id: int):
    forum = _forum_or_404(forum_id)
    form = WindowForm()
    if form.validate_on_submit():
        try:
            was_open = (
                collection.window_state(collection.feedback_window(db.session, forum))
                == WindowState.OPEN
            )
            window = collection.open_feedback(db.session, forum, form.closes_at.data)
        except InvalidFeedback as error:
            db.session.rollback()
            form.closes_at.errors = [*form.closes_at.errors, error.errors.get("closes_at", "")]
        except FeedbackError as error:
            db.session.rollback()
            flash(error.message, "error")
            return _back_to_settings(forum)
        else:
            db.session.commit()
            when = _local(window.closes_at, forum)
            flash(
                f"Closing time moved to {when}."
                if was_open
                else f"Feedback is open until {when}. Now send the invitations.",
                "success",
            )
            return _back_to_settings(forum)
    return _settings_page(forum, form, 400)


@bp.route("/staff/forums/<int:forum_id>/feedback/settings/close", methods=["POST"])
@role_required(*ORGANIZERS)
def close_window(forum_id: int):
    forum = _forum_or_404(forum_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        collection.close_feedback(db.session, forum)
    except FeedbackError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash("Feedback is closed: answers can no longer be given or changed.", "success")
    return _back_to_settings(forum)


@bp.route("/staff/forums/<int:forum_id>/feedback/settings/reviewer", methods=["POST"])
@role_required(*ORGANIZERS)
def assign_reviewer(forum_id: int):
    forum = _forum_or_404(forum_id)
    form = _reviewer_form(collection.feedback_window(db.session, forum))
    if not form.validate_on_submit():
        flash("Choose one of the faculty members listed.", "error")
        return _back_to_settings(forum)
    user = db.session.get(User, form.reviewer_id.data) if form.reviewer_id.data else None
    try:
        review.assign_reviewer(db.session, forum, user)
    except InvalidFeedback as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(
            f"{user.name or user.email} reviews this forum's feedback."
            if user
            else "No reviewer assigned.",
            "success",
        )
    return _back_to_settings(forum)


@bp.route("/staff/forums/<int:forum_id>/feedback/settings/invitations", methods=["POST"])
@role_required(*ORGANIZERS)
def send_invitations(forum_id: int):
    forum = _forum_or_404(forum_id)
    form = InvitationForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        result = collection.send_invitations(db.session, forum, send_again=form.send_again.data)
    except FeedbackError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        audit.record(
            db.session, current_user.id, "invitations.feedback", f"forum:{forum.id}",
            queued=len(result.queued),
        )  # fmt: skip
        db.session.commit()
        skipped = f" {len(result.skipped)} invited before were skipped." if result.skipped else ""
        flash(f"Invitations queued for {len(result.queued)} attendees.{skipped}", "success")
    return _back_to_settings(forum)


@bp.route("/staff/forums/<int:forum_id>/feedback/settings/reminders", methods=["POST"])
@role_required(*ORGANIZERS)
def send_reminders(forum_id: int):
    forum = _forum_or_404(forum_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        result = collection.send_reminders(db.session, forum)
    except FeedbackError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        audit.record(
            db.session, current_user.id, "invitations.feedback_reminder", f"forum:{forum.id}",
            queued=len(result.queued),
        )  # fmt: skip
        db.session.commit()
        flash(
            f"Reminders queued for {len(result.queued)} attendees who have not answered.", "success"
        )
    return _back_to_settings(forum)
