"""JSON endpoints for feedback: teams, topic suggestions collected outside the form, and the
faculty summary (responses, session averages, topic groups). Staff tokens only; documented in
``openapi.py`` with the rest of the API."""

from __future__ import annotations

import json

from flask import abort, current_app, jsonify, request
from sqlalchemy import select

from ..core.auth import role_required
from ..core.bounds import integer_problem
from ..core.models import Forum, Role, Team
from ..extensions import db
from ..feedback import summary as feedback_summary
from ..feedback.errors import InvalidSuggestions
from ..feedback.suggestions import SuggestionInput, add_suggestions
from ..feedback.topic_groups import FLAG_TEAMS, regroup, topic_groups, ungrouped_count
from . import bp

MAX_SUGGESTIONS_PER_REQUEST = 500
_SUGGESTION_FIELDS = ("text", "team_id")


def _forum_or_404(forum_id: int) -> Forum:
    forum = db.session.get(Forum, forum_id)
    if forum is None:
        abort(404, f"There is no forum with id {forum_id}.")
    return forum


def _invalid(details: dict[str, str]):
    return jsonify(error="The suggestions are not valid", details=details), 422


@bp.route("/teams")
@role_required(*Role)
def teams():
    """The program's community teams, for tagging suggestions with ``team_id``."""
    rows = db.session.execute(select(Team.id, Team.name).order_by(Team.name, Team.id)).all()
    return jsonify(teams=[{"id": team_id, "name": name} for team_id, name in rows])


def _suggestion_inputs(body) -> tuple[list[SuggestionInput], dict[str, str]]:
    """Type-check the body; the service checks the values (team known, text length)."""
    example = 'Send {"suggestions": [{"text": "...", "team_id": 3}]}.'
    if not isinstance(body, dict):
        return [], {"body": f"Send a JSON object. {example}"}
    errors: dict[str, str] = {}
    for unknown in sorted(body.keys() - {"suggestions"}):
        errors[unknown] = "Unknown field. Send only: suggestions."
    items = body.get("suggestions")
    if not isinstance(items, list) or not items:
        errors["suggestions"] = f"Send a list of at least one suggestion. {example}"
        return [], errors
    if len(items) > MAX_SUGGESTIONS_PER_REQUEST:
        errors["suggestions"] = f"Send at most {MAX_SUGGESTIONS_PER_REQUEST} suggestions at once."
        return [], errors
    inputs = []
    for index, item in enumerate(items):
        where = f"suggestions[{index}]"
        if not isinstance(item, dict):
            errors[where] = 'Send each suggestion as an object: {"text": "...", "team_id": 3}.'
            continue
        for unknown in sorted(item.keys() - set(_SUGGESTION_FIELDS)):
            errors[f"{where}.{unknown}"] = "Unknown field. Send only: text, team_id."
        text, team_id = item.get("text"), item.get("team_id")
        if not isinstance(text, str):
            errors[f"{where}.text"] = "Send the suggestion's text as a string."
        if team_id is not None and (
            not isinstance(team_id, int) or isinstance(team_id, bool) or integer_problem(team_id)
        ):
            errors[f"{where}.team_id"] = "Send team_id as a team's id (see /teams) or null."
        inputs.append(SuggestionInput(text, team_id, None, "api"))
    return inputs, errors


@bp.route("/forums/<int:forum_id>/topic-suggestions", methods=["POST"])
@role_required(Role.ORGANIZER, Role.FACULTY)
def create_topic_suggestions(forum_id: int):
    """Add suggestions collected outside the feedback form, then regroup the forum's topics."""
    forum = _forum_or_404(forum_id)
    try:
        body = json.loads(request.get_data(cache=False))
    except (ValueError, RecursionError):
        return _invalid({"body": "The body is not JSON."})
    inputs, errors = _suggestion_inputs(body)
    if errors:
        return _invalid(errors)
    try:
        added = add_suggestions(db.session, forum, inputs)
    except InvalidSuggestions as error:
        db.session.rollback()
        return _invalid(
            {f"suggestions[{index}]": message for index, message in error.errors.items()}
        )
    regroup(db.session, forum)
    ids = [suggestion.id for suggestion in added]
    db.session.commit()
    return jsonify(ids=ids), 201


@bp.route("/forums/<int:forum_id>/feedback/summary")
@role_required(Role.FACULTY, Role.ORGANIZER)
def feedback_summary_json(forum_id: int):
    """Responses, the average overall rating, each session's average and the topic groups."""
    forum = _forum_or_404(forum_id)
    summary = feedback_summary.forum_summary(db.session, forum)
    flag_teams = current_app.config.get("TOPIC_FLAG_TEAMS", FLAG_TEAMS)
    return jsonify(
        forum_id=forum.id,
        responses=summary.overall.total,
        average_overall=_rounded(summary.overall.average),
        sessions=[
            {
                "item_id": row.item.id,
                "title": row.item.title,
                "average": _rounded(row.ratings.average),
                "ratings": row.ratings.total,
            }
            for row in summary.sessions
        ],
        topic_groups=[
            {
                "id": row.group.id,
                "label": row.group.label,
                "suggestion_ids": row.suggestion_ids,
                "suggestions": row.suggestions,
                "teams": row.teams,
                "flagged": row.flagged,
                "status": row.group.status,
            }
            for row in topic_groups(db.session, forum, flag_teams)
        ],
        ungrouped_suggestions=ungrouped_count(db.session, forum),
    )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
