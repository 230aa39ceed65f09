"""Attendee pages, through the personal link (no sign-in): the feedback form of a forum and the
form to raise a topic for the next forum between forums. The panel the personal page shows is
``panel.feedback_panel``, which the attendee feature calls."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..core.actions import carry_out
from ..core.clock import local_today
from ..core.forms import ButtonForm
from ..core.i18n import local_text
from ..core.links import person_for_link_or_404
from ..core.models import Forum, ForumStatus, Person
from ..core.rate_limits import personal_link_limit
from ..extensions import db
from ..registration.models import Registration
from . import answering
from .attendance import is_attendee, sessions_attended, team_id_for
from .between_forums import forum_for_new_topics, submit_topic_between_forums, topics_suggested_by
from .blueprint import bp, local_time
from .charts import RATING_LABELS
from .errors import InvalidFeedback
from .models import FeedbackResponse, FeedbackWindow
from .window import feedback_window, window_state

BLANK_TOPIC_INPUTS = 3


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
        "topics": answering.response_topics(db.session, response),
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


def _feedback_input(values: dict) -> answering.FeedbackInput:
    item_ids = set(values["ratings"]) | set(values["comments"])
    return answering.FeedbackInput(
        overall_rating=values["overall_rating"],
        sessions={
            item_id: answering.SessionAnswer(
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
    titles = {item.id: local_text(item, "title") for item in items}
    listed: list[tuple[str | None, str, str]] = []
    for key, message in errors.items():
        kind, _dash, rest = key.partition("-")
        if key == "overall_rating":
            listed.append(("overall_rating-1", _("Overall rating"), message))
        elif kind == "rating" and rest.isdigit():
            title = titles.get(int(rest), _("a session"))
            listed.append((f"rating-{rest}-none", _("Rating of “%(title)s”", title=title), message))
        elif kind == "comment" and rest.isdigit():
            title = titles.get(int(rest), _("a session"))
            listed.append((f"comment-{rest}", _("Comment on “%(title)s”", title=title), message))
        elif key in ("most_useful", "should_change"):
            what = _("What was most useful") if key == "most_useful" else _("What should change")
            listed.append((key, what, message))
        elif kind == "topic" and rest.isdigit():
            listed.append((f"topic-{rest}", _("Topic %(number)s", number=int(rest) + 1), message))
        elif key == "topics":
            listed.append(("topic-0", _("Topics"), message))
        elif key == "sessions":
            listed.append(("sessions-heading", _("Sessions"), message))
        else:
            listed.append((None, _("Feedback"), message))
    return listed


@bp.route("/me/<token>/feedback/<int:forum_id>", methods=["GET", "POST"])
@personal_link_limit
def respond(token: str, forum_id: int):
    """The attendee's feedback form: answer, or change the answer until feedback closes."""
    person = person_for_link_or_404(token)
    forum = _published_forum(forum_id)
    registration = _registration(person, forum)
    if registration is None or not is_attendee(db.session, registration):
        return render_template(
            "feedback/not_attendee.html", person=person, token=token, forum=forum
        ), 403
    window = feedback_window(db.session, forum)
    response = answering.find_response(db.session, registration)
    items = sessions_attended(db.session, registration)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        values = _submitted_values(request.form)
        if not ButtonForm().validate_on_submit():
            errors = {"form": _("The form had expired. Your answers are below: send them again.")}
            status = 400
        else:
            saving = carry_out(
                lambda: answering.save_response(db.session, registration, _feedback_input(values)),
                show_error=False,
            )
            if saving.ok:
                flash(_saved_message(saving.value.created, window, forum), "success")
                return redirect(url_for("feedback.respond", token=token, forum_id=forum.id))
            if isinstance(saving.error, InvalidFeedback):
                # InvalidFeedback keys every message by its form field.
                errors = {str(field): text for field, text in saving.error.errors.items()}
                status = 400
            else:
                not_saved = _("Your answers were not saved.")
                errors = {"form": f"{saving.error.message} {not_saved}"}
                status = 409
    else:
        values = _saved_values(response) if response else _empty_values()
    window = feedback_window(db.session, forum)
    return render_template(
        "feedback/respond.html",
        person=person,
        token=token,
        forum=forum,
        window=window,
        state=window_state(window),
        response=response,
        items=items,
        values=values,
        topic_inputs=_topic_inputs(values["topics"]),
        errors=errors,
        error_list=_error_list(errors, items),
        form=ButtonForm(),
        ratings=answering.RATINGS,
        rating_labels=RATING_LABELS,
    ), status


def _saved_message(created: bool, window: FeedbackWindow | None, forum: Forum) -> str:
    closes = window.closes_at if window else None
    saved = _("Thank you! Your feedback is saved.") if created else _("Your changes are saved.")
    if closes is None:
        return saved
    until = _("You can change it until %(when)s.", when=local_time(closes, forum))
    return f"{saved} {until}"


# --- Topics between forums -------------------------------------------------------------------


def _local_today():
    return local_today(current_app.config["PROGRAM_TIME_ZONE"])


@bp.route("/me/<token>/topics", methods=["GET", "POST"])
@personal_link_limit
def suggest_topic(token: str):
    """A team member raises a topic for the next forum between forums."""
    person = person_for_link_or_404(token)
    forum = forum_for_new_topics(db.session, person, _local_today())
    if forum is None:
        abort(404)
    form = ButtonForm()
    text = request.form.get("text", "")
    error = None

    def topic_page(**context) -> str:
        return render_template(
            "feedback/suggest_topic.html",
            person=person,
            token=token,
            forum=forum,
            form=form,
            text=text,
            **context,
        )

    if request.method == "POST":
        if not form.validate_on_submit():
            error = _("The form had expired. Your topic is below: send it again.")
        else:
            raising = carry_out(
                lambda: submit_topic_between_forums(
                    db.session,
                    person,
                    forum,
                    text,
                    current_app.config["TOPIC_SUGGESTIONS_PER_TEAM_PER_DAY"],
                ),
                show_error=False,
            )
            if raising.ok:
                flash(
                    _("Thank you! Your topic goes to faculty planning the next forum."), "success"
                )
                return redirect(url_for("attendee.personal_page", token=token) + "#topics")
            if not isinstance(raising.error, InvalidFeedback):
                # Not (or no longer) on a team: the form is not for them.
                page = topic_page(error=raising.error.message, mine=[], allowed=False)
                return page, 403
            error = raising.error.errors.get("text", raising.error.message)
    allowed = team_id_for(db.session, person.id, forum.program_id) is not None
    if not allowed and request.method == "GET":
        abort(404)
    page = topic_page(
        error=error, mine=topics_suggested_by(db.session, person, forum), allowed=allowed
    )
    return page, (400 if error else 200)
