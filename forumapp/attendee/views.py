"""The attendee feature's one blueprint: the personal page (``/me/<token>``) and a forum's
agenda as the person may see it. What the person changes from the page (days, breakouts,
tickets, links, feedback) is posted to the feature whose rule it is, which leads back here."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template

from ..core.clock import local_today, utcnow
from ..core.forms import ButtonForm
from ..core.links import person_for_link_or_404
from ..core.models import Forum, ForumStatus
from ..extensions import db
from ..registration.additions import with_questions
from ..registration.forms import TeamRegistrationForm
from .page import personal_agenda as agenda_for
from .page import personal_page as page_for

bp = Blueprint("attendee", __name__)


def _local_today():
    """Today in the program's time zone: which forum a topic raised now would be for."""
    return local_today(current_app.config["PROGRAM_TIME_ZONE"])


@bp.route("/me/<token>")
def personal_page(token: str):
    """Everything the person is registered for, their tickets, calendar and feedback."""
    page = page_for(db.session, person_for_link_or_404(token), now=utcnow(), today=_local_today())
    return render_template(
        "attendee/personal_page.html",
        page=page,
        token=token,
        button_form=ButtonForm(),
        team_form=with_questions(TeamRegistrationForm)(),
    )


@bp.route("/me/<token>/forums/<int:forum_id>")
def personal_agenda(token: str, forum_id: int):
    """The forum's agenda as this person may see it: team members see team days too."""
    person = person_for_link_or_404(token)
    forum = db.session.get(Forum, forum_id)
    if forum is None or forum.status == ForumStatus.DRAFT:
        abort(404)
    return render_template(
        "attendee/personal_agenda.html", page=agenda_for(db.session, person, forum), token=token
    )
