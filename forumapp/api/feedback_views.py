"""JSON endpoints for feedback: teams, topic suggestions collected outside the form, and the
faculty summary (responses, session averages, topic groups). Staff tokens only; the bodies
and answers are the shapes of ``request_shapes.py`` and ``shapes.py``, like the rest of the API."""

from __future__ import annotations

from flask import current_app, jsonify, request
from sqlalchemy import select

from ..core.auth import role_required
from ..core.database import discard
from ..core.models import Forum, Role, Team
from ..extensions import db
from ..feedback import summary as feedback_summary
from ..feedback.errors import InvalidSuggestions
from ..feedback.models import TopicStatus
from ..feedback.suggestions import SuggestionInput, add_suggestions
from ..feedback.topic_groups import FLAG_TEAMS, place_new, topic_groups, ungrouped_count
from . import bp, record_or_404, shapes
from .request_shapes import BodyRefused, TopicSuggestionsRequest
from .shapes import answer


def _invalid(details: dict[str, str]):
    return jsonify(error="The suggestions are not valid", details=details), 422


@bp.route("/teams")
@role_required(*Role)
def teams():
    """The program's community teams, for tagging suggestions with ``team_id``."""
    rows = db.session.execute(select(Team.id, Team.name).order_by(Team.name, Team.id)).all()
    return answer(
        shapes.Teams(teams=[shapes.Team(id=team_id, name=name) for team_id, name in rows])
    )


@bp.route("/forums/<int:forum_id>/topic-suggestions", methods=["POST"])
@role_required(Role.ORGANIZER, Role.FACULTY)
def create_topic_suggestions(forum_id: int):
    """Add suggestions collected outside the feedback form, each placed in the group it is
    most like (no regroup: its cost would grow with the forum's suggestions).
    The body's types are checked here; the service checks the values (team known, text
    length)."""
    forum = record_or_404(Forum, forum_id, "forum")
    try:
        body = TopicSuggestionsRequest.read(request.get_data(cache=False))
    except BodyRefused as refused:
        return _invalid(refused.details)
    inputs = [SuggestionInput(item.text, item.team_id, None, "api") for item in body.suggestions]
    try:
        added = add_suggestions(
            db.session,
            forum,
            inputs,
            daily_limit=current_app.config["TOPIC_SUGGESTIONS_PER_TEAM_PER_DAY"],
        )
    except InvalidSuggestions as error:
        discard(db.session)
        return _invalid(
            {f"suggestions[{index}]": message for index, message in error.errors.items()}
        )
    place_new(db.session, forum, added)
    created = shapes.TopicSuggestionsCreated(ids=[suggestion.id for suggestion in added])
    db.session.commit()
    return answer(created, 201)


@bp.route("/forums/<int:forum_id>/feedback/summary")
@role_required(Role.FACULTY, Role.ORGANIZER)
def feedback_summary_json(forum_id: int):
    """Responses, the average overall rating, each session's average and the topic groups."""
    forum = record_or_404(Forum, forum_id, "forum")
    summary = feedback_summary.forum_summary(db.session, forum)
    flag_teams = current_app.config.get("TOPIC_FLAG_TEAMS", FLAG_TEAMS)
    return answer(
        shapes.FeedbackSummary(
            forum_id=forum.id,
            responses=summary.overall.total,
            average_overall=_rounded(summary.overall.average),
            sessions=[
                shapes.SessionAverage(
                    item_id=row.item.id,
                    title=row.item.title,
                    average=_rounded(row.ratings.average),
                    ratings=row.ratings.total,
                )
                for row in summary.sessions
            ],
            topic_groups=[
                shapes.TopicGroup(
                    id=row.group.id,
                    label=row.group.label,
                    suggestion_ids=row.suggestion_ids,
                    suggestions=row.suggestions,
                    teams=row.teams,
                    flagged=row.flagged,
                    status=TopicStatus(row.group.status),
                )
                for row in topic_groups(db.session, forum, flag_teams)
            ],
            ungrouped_suggestions=ungrouped_count(db.session, forum),
        )
    )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
