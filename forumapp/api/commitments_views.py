"""JSON endpoints for teams' commitments between forums: list and add a team's, list a
forum's, update one's progress. Organizer and faculty tokens; the same rules as the pages."""

from __future__ import annotations

from collections.abc import Sequence

from flask import abort, jsonify, request
from flask_login import current_user

from ..commitments.models import Commitment, CommitmentStatus
from ..commitments.recording import (
    Author,
    CommitmentInput,
    ProgressInput,
    add_commitment,
    forum_commitments,
    linked_team,
    may_update,
    team_commitments,
    update_progress,
)
from ..core.actions import carry_out_json
from ..core.auth import role_required
from ..core.clock import to_local
from ..core.links import person_for_token
from ..core.models import Forum, Person, Role, Team
from ..core.rate_limits import personal_link_limit
from ..extensions import db
from . import bp, record_or_404, shapes
from .request_shapes import BodyRefused, CommitmentProgressRequest, CommitmentRequest
from .shapes import answer

STAFF = (Role.ORGANIZER, Role.FACULTY)


def commitment_shape(commitment: Commitment) -> shapes.Commitment:
    owner = commitment.owner
    return shapes.Commitment(
        id=commitment.id,
        team_id=commitment.team_id,
        team=commitment.team.name,
        forum_id=commitment.forum_id,
        text=commitment.text,
        owner=shapes.PersonRef(id=owner.id, name=owner.name) if owner else None,
        due=commitment.due,
        topic_group_id=commitment.topic_group_id,
        status=CommitmentStatus(commitment.status),
        progress_note=commitment.progress_note,
        barrier_note=commitment.barrier_note,
        updated_at=to_local(commitment.updated_at, commitment.forum.program.time_zone),
    )


def _listed(commitments: Sequence[Commitment]):
    return answer(shapes.Commitments(commitments=[commitment_shape(c) for c in commitments]))


def _refused(refused: BodyRefused):
    return jsonify(error="The commitment is not valid", details=refused.details), 422


@bp.route("/teams/<int:team_id>/commitments")
@role_required(*STAFF)
def team_commitments_json(team_id: int):
    """The team's commitments, forum by forum."""
    team = record_or_404(Team, team_id, "team")
    return _listed(team_commitments(db.session, team))


@bp.route("/teams/<int:team_id>/commitments", methods=["POST"])
@role_required(*STAFF)
def create_commitment(team_id: int):
    """Record a commitment of the team; refusals name the field (400)."""
    team = record_or_404(Team, team_id, "team")
    return _create(team, Author(user_id=current_user.id))


def _create(team: Team, author: Author):
    try:
        body = CommitmentRequest.read(request.get_data(cache=False))
    except BodyRefused as refused:
        return _refused(refused)
    data = CommitmentInput(
        forum_id=body.forum_id,
        text=body.text,
        owner_id=body.owner_person_id,
        due=body.due,
        topic_group_id=body.topic_group_id,
    )
    return carry_out_json(
        lambda: add_commitment(db.session, team, data, author),
        lambda commitment: answer(commitment_shape(commitment), 201),
    )


@bp.route("/commitments/<int:commitment_id>", methods=["PATCH"])
@role_required(*STAFF)
def update_commitment(commitment_id: int):
    """Set the status, the progress note or the barrier; what is left out stays."""
    commitment = record_or_404(Commitment, commitment_id, "commitment")
    return _update(commitment, Author(user_id=current_user.id))


def _update(commitment: Commitment, author: Author):
    try:
        body = CommitmentProgressRequest.read(request.get_data(cache=False))
    except BodyRefused as refused:
        return _refused(refused)
    data = ProgressInput(
        status=commitment.status if body.status is None else body.status,
        progress_note=commitment.progress_note if body.note is None else body.note,
        barrier_note=commitment.barrier_note if body.barrier is None else body.barrier,
    )
    return carry_out_json(
        lambda: update_progress(db.session, commitment, data, author),
        lambda updated: answer(commitment_shape(updated)),
    )


@bp.route("/forums/<int:forum_id>/commitments")
@role_required(*STAFF)
def forum_commitments_json(forum_id: int):
    """Every team's commitments made at the forum, team by team."""
    forum = record_or_404(Forum, forum_id, "forum")
    return _listed(forum_commitments(db.session, forum))


# --- The same on a personal link: a project manager's team, an owner's commitment ----------

_NOT_YOURS = "Nothing of yours at this address: check the link."


def _team_on_link(token: str, team_id: int) -> tuple[Person, Team]:
    found = linked_team(db.session, token, team_id)
    if found is None:
        abort(404, _NOT_YOURS)
    return found


@bp.route("/me/<token>/teams/<int:team_id>/commitments")
@personal_link_limit
def linked_team_commitments(token: str, team_id: int):
    """The team's commitments, for someone on its roster, by their personal link."""
    _, team = _team_on_link(token, team_id)
    return _listed(team_commitments(db.session, team))


@bp.route("/me/<token>/teams/<int:team_id>/commitments", methods=["POST"])
@personal_link_limit
def linked_create_commitment(token: str, team_id: int):
    """Record a commitment of the team by the project manager's link (a member's too, when
    the manager allows it; otherwise 403)."""
    person, team = _team_on_link(token, team_id)
    return _create(team, Author(person=person))


@bp.route("/me/<token>/commitments/<int:commitment_id>", methods=["PATCH"])
@personal_link_limit
def linked_update_commitment(token: str, commitment_id: int):
    """Update a commitment by its owner's or the project manager's link."""
    person = person_for_token(db.session, token)
    commitment = db.session.get(Commitment, commitment_id)
    if person is None or commitment is None or not may_update(db.session, person, commitment):
        abort(404, _NOT_YOURS)
    return _update(commitment, Author(person=person))
