"""The attendee feature's one blueprint: the personal page (``/me/<token>``) and a forum's
agenda as the person may see it. What the person changes from the page (days, breakouts,
tickets, links, feedback) is posted to the feature whose rule it is, which leads back here."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ..core.clock import local_today, utcnow
from ..core.forms import ButtonForm
from ..core.i18n import in_language
from ..core.links import person_for_link_or_404
from ..core.models import Forum, ForumStatus, Person
from ..core.rate_limits import personal_link_limit
from ..extensions import db
from ..registration.additions import with_questions
from ..registration.forms import TeamRegistrationForm
from ..registration.personal import set_language
from .forms import LanguageForm
from .page import personal_agenda as agenda_for
from .page import personal_page as page_for

bp = Blueprint("attendee", __name__)


def _local_today():
    """Today in the program's time zone: which forum a topic raised now would be for."""
    return local_today(current_app.config["PROGRAM_TIME_ZONE"])


def _render_personal_page(person: Person, token: str, language_form: LanguageForm):
    page = page_for(db.session, person, now=utcnow(), today=_local_today())
    return render_template(
        "attendee/personal_page.html",
        page=page,
        token=token,
        button_form=ButtonForm(),
        team_form=with_questions(TeamRegistrationForm)(),
        language_form=language_form,
    )


@bp.route("/me/<token>")
def personal_page(token: str):
    """Everything the person is registered for, their tickets, calendar and feedback."""
    person = person_for_link_or_404(token)
    return _render_personal_page(person, token, LanguageForm(language=person.language))


@bp.route("/me/<token>/language", methods=["POST"])
@personal_link_limit
def save_language(token: str):
    """Store the language of the person's emails and pages, then show the page in it."""
    person = person_for_link_or_404(token)
    form = LanguageForm()
    if not form.validate_on_submit():
        return _render_personal_page(person, token, form), 400
    set_language(db.session, person, form.language.data)
    db.session.commit()
    # Said in the language just chosen, as the next page will be.
    with in_language(person.language):
        if person.language == "es":
            flash(_("Saved: your emails and pages will be in Spanish."), "success")
        else:
            flash(_("Saved: your emails and pages will be in English."), "success")
    # ``?lang=`` also replaces a language this browser chose before (the cookie).
    return redirect(url_for("attendee.personal_page", token=token, lang=person.language))


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
