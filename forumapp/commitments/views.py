"""The commitments pages: a team's commitments on the project manager's (or a member's)
personal link, a commitment's progress on its owner's link, and the staff pages of a forum's
commitments for organizers and faculty."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..core.actions import carry_out
from ..core.auth import role_required
from ..core.clock import local_today
from ..core.forms import ButtonForm
from ..core.i18n import local_text, page_speaks_for
from ..core.links import person_for_link_or_404
from ..core.models import Forum, ForumStatus, Person, Role, Team
from ..core.rate_limits import personal_link_limit
from ..extensions import db
from ..feedback.between_forums import forum_for_new_topics
from ..feedback.models import TopicGroup
from .forms import NOBODY, CommitmentForm, MembersMayCommitForm, ProgressForm
from .models import Commitment
from .progress_item import make_progress_item
from .recording import (
    Author,
    CommitmentInput,
    ProgressInput,
    add_commitment,
    forum_commitments,
    linked_team,
    may_record,
    may_update,
    role_on,
    roster_choices,
    set_members_may_commit,
    team_commitments,
    update_progress,
)

bp = Blueprint("commitments", __name__)

STAFF = (Role.ORGANIZER, Role.FACULTY)


def _program_forums(team: Team) -> list[Forum]:
    return list(
        db.session.scalars(
            select(Forum)
            .where(Forum.program_id == team.program_id, Forum.status != ForumStatus.DRAFT)
            .order_by(Forum.number)
        )
    )


def _commitment_form(team: Team, forums: list[Forum], default_forum: Forum | None):
    form = CommitmentForm()
    del form.team_id
    form.forum_id.choices = [(forum.id, local_text(forum, "title")) for forum in forums]
    if default_forum is not None and not form.is_submitted():
        form.forum_id.data = default_forum.id
    form.owner_id.choices = [(NOBODY, _("Nobody named yet"))] + roster_choices(db.session, team)
    form.topic_group_id.choices = _topic_choices(forums)
    return form


def _topic_choices(forums: list[Forum]) -> list[tuple[int, str]]:
    """The topic groups raised after ``forums``, for "came from the topic"."""
    groups = db.session.execute(
        select(TopicGroup.id, TopicGroup.label, Forum.number)
        .join(Forum, Forum.id == TopicGroup.forum_id)
        .where(TopicGroup.forum_id.in_([forum.id for forum in forums]))
        .order_by(Forum.number, TopicGroup.label)
    ).all()
    return [(NOBODY, _("No particular topic"))] + [
        (group_id, _("Forum %(number)s: %(topic)s", number=number, topic=label))
        for group_id, label, number in groups
    ]


def _commitment_input(form: CommitmentForm) -> CommitmentInput:
    return CommitmentInput(
        forum_id=form.forum_id.data,
        text=form.text.data or "",
        owner_id=form.owner_id.data or None,
        due=form.due.data,
        topic_group_id=form.topic_group_id.data or None,
    )


def _team_on_link_or_404(token: str, team_id: int) -> tuple[Person, Team]:
    """The person of the link and a team they are on: anyone else is not found."""
    found = linked_team(db.session, token, team_id)
    if found is None:
        abort(404)
    page_speaks_for(found[0])
    return found


@bp.route("/me/<token>/team/<int:team_id>/commitments", methods=["GET", "POST"])
@personal_link_limit
def team_page(token: str, team_id: int):
    """The team's commitments, forum by forum; the project manager (and members, when the
    manager allows) adds new ones here."""
    person, team = _team_on_link_or_404(token, team_id)
    forums = _program_forums(team)
    today = local_today(team.program.time_zone)
    form = _commitment_form(team, forums, forum_for_new_topics(db.session, person, today))
    allowed = may_record(db.session, person, team)
    if allowed and form.validate_on_submit():
        outcome = carry_out(
            lambda: add_commitment(
                db.session, team, _commitment_input(form), Author(person=person)
            ),
            form,
            success=_("Added. The team will get a note about its commitments after the forum."),
        )
        if outcome.ok:
            return redirect(url_for("commitments.team_page", token=token, team_id=team.id))
    elif form.is_submitted() and not allowed:
        abort(403)
    is_manager = role_on(db.session, person, team) == "project_manager"
    members_form = MembersMayCommitForm(data={"members_may_commit": team.members_may_commit})
    return render_template(
        "commitments/team.html",
        token=token,
        person=person,
        team=team,
        commitments=team_commitments(db.session, team),
        form=form if allowed else None,
        members_form=members_form if is_manager else None,
        may_update=lambda commitment: may_update(db.session, person, commitment),
    ), (400 if form.errors else 200)


@bp.route("/me/<token>/team/<int:team_id>/commitments/members", methods=["POST"])
@personal_link_limit
def members_may_commit(token: str, team_id: int):
    person, team = _team_on_link_or_404(token, team_id)
    form = MembersMayCommitForm()
    if form.validate_on_submit():
        allowed = bool(form.members_may_commit.data)
        carry_out(
            lambda: set_members_may_commit(db.session, team, allowed, person),
            success=(
                _("Every member may now add commitments.")
                if allowed
                else _("Only you add commitments now.")
            ),
        )
    return redirect(url_for("commitments.team_page", token=token, team_id=team.id))


def _progress_form(commitment: Commitment) -> ProgressForm:
    form = ProgressForm()
    if not form.is_submitted():
        form.status.data = commitment.status
        form.progress_note.data = commitment.progress_note
        form.barrier_note.data = commitment.barrier_note
    return form


def _progress_input(form: ProgressForm) -> ProgressInput:
    return ProgressInput(
        status=form.status.data or "",
        progress_note=form.progress_note.data or "",
        barrier_note=form.barrier_note.data or "",
    )


@bp.route("/me/<token>/commitments/<int:commitment_id>", methods=["GET", "POST"])
@personal_link_limit
def progress_page(token: str, commitment_id: int):
    """Where a commitment stands, updated by its owner or the project manager."""
    person = person_for_link_or_404(token)
    commitment = db.session.get(Commitment, commitment_id)
    if commitment is None or not may_update(db.session, person, commitment):
        abort(404)
    form = _progress_form(commitment)
    if form.validate_on_submit():
        outcome = carry_out(
            lambda: update_progress(
                db.session, commitment, _progress_input(form), Author(person=person)
            ),
            form,
            success=_("Saved. Thank you for keeping the team's progress up to date."),
        )
        if outcome.ok:
            return redirect(
                url_for("commitments.team_page", token=token, team_id=commitment.team_id)
            )
    return render_template(
        "commitments/progress.html",
        commitment=commitment,
        form=form,
        back=url_for("commitments.team_page", token=token, team_id=commitment.team_id),
    ), (400 if form.errors else 200)


# --- Staff pages ------------------------------------------------------------------------------


@bp.route("/staff/forums/<int:forum_id>/commitments", methods=["GET", "POST"])
@role_required(*STAFF)
def forum_page(forum_id: int):
    """Every team's commitments made at the forum; staff add one for any team."""
    forum = db.get_or_404(Forum, forum_id)
    teams = list(
        db.session.scalars(
            select(Team).where(Team.program_id == forum.program_id).order_by(Team.name)
        )
    )
    form = CommitmentForm()
    form.team_id.choices = [(team.id, team.name) for team in teams]
    form.forum_id.choices = [(forum.id, forum.title)]
    form.forum_id.data = forum.id
    form.topic_group_id.choices = _topic_choices([forum])
    # One of the listed teams: the posted id is not validated yet (it may be any number).
    chosen = next((team for team in teams if team.id == form.team_id.data), None)
    # Anyone on a roster; the service checks the owner is on the chosen team's.
    form.owner_id.choices = [(NOBODY, _("Nobody named yet"))] + [
        (person_id, f"{name} ({team.name})")
        for team in teams
        for person_id, name in roster_choices(db.session, team)
    ]
    if form.validate_on_submit() and chosen is not None:
        outcome = carry_out(
            lambda: add_commitment(
                db.session, chosen, _commitment_input(form), Author(user_id=current_user.id)
            ),
            form,
            success=f"Added a commitment of {chosen.name}.",
        )
        if outcome.ok:
            return redirect(url_for("commitments.forum_page", forum_id=forum.id))
    return render_template(
        "commitments/forum.html",
        forum=forum,
        commitments=forum_commitments(db.session, forum),
        form=form,
        button_form=ButtonForm(),
    ), (400 if form.errors else 200)


@bp.route("/staff/forums/<int:forum_id>/commitments/progress-session", methods=["POST"])
@role_required(Role.ORGANIZER)
def progress_session(forum_id: int):
    """Put (or bring up to date) a draft "Team progress" session on the next forum's agenda."""
    forum = db.get_or_404(Forum, forum_id)
    if ButtonForm().validate_on_submit():
        outcome = carry_out(lambda: make_progress_item(db.session, forum))
        if outcome.ok:
            made = outcome.value
            flash(
                (
                    "Added a draft “Team progress” session to "
                    if made.created
                    else "Brought the draft “Team progress” session up to date on "
                )
                + f"{made.item.day.forum.title}'s agenda.",
                "success",
            )
    return redirect(url_for("commitments.forum_page", forum_id=forum.id))


@bp.route("/staff/commitments/<int:commitment_id>", methods=["GET", "POST"])
@role_required(*STAFF)
def staff_progress_page(commitment_id: int):
    commitment = db.get_or_404(Commitment, commitment_id)
    form = _progress_form(commitment)
    if form.validate_on_submit():
        outcome = carry_out(
            lambda: update_progress(
                db.session, commitment, _progress_input(form), Author(user_id=current_user.id)
            ),
            form,
            success="Saved.",
        )
        if outcome.ok:
            return redirect(url_for("commitments.forum_page", forum_id=commitment.forum_id))
    return render_template(
        "commitments/progress.html",
        commitment=commitment,
        form=form,
        back=url_for("commitments.forum_page", forum_id=commitment.forum_id),
    ), (400 if form.errors else 200)
