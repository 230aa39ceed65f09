"""The feedback API: teams, topic suggestions from outside the form, and the faculty summary;
every answer checked against the OpenAPI document."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forumapp.api.openapi import openapi_document
from forumapp.core.models import Forum, Program, Team
from forumapp.extensions import db
from forumapp.feedback import answering
from forumapp.feedback.models import TopicSuggestion

from ..feedback.conftest import answers, build_world
from .test_openapi import _check, _check_post, _request_validator


@pytest.fixture(scope="module")
def document() -> dict:
    return openapi_document()


def _token(app, make_user, role: str) -> dict:
    result = app.test_cli_runner().invoke(args=["token", "create", make_user(role)])
    assert result.exit_code == 0, result.output
    return {"Authorization": f"Bearer {result.stdout.strip().splitlines()[0]}"}


@pytest.fixture
def teams(app, world) -> dict[str, int]:
    with app.app_context():
        program = db.session.scalar(select(Program))
        built = [Team(program=program, name=name) for name in ("Dare County", "Wake County")]
        db.session.add_all(built)
        db.session.commit()
        return {team.name: team.id for team in built}


@pytest.fixture
def organizer(app, make_user) -> dict:
    return _token(app, make_user, "organizer")


def _suggestions_url(world) -> str:
    return f"/api/v1/forums/{world.winter_forum}/topic-suggestions"


def test_any_staff_token_lists_teams(app, client, document, world, teams, make_user):
    door = _token(app, make_user, "door")
    body = _check(client, document, "/api/v1/teams", door)
    assert body == {
        "teams": [
            {"id": teams["Dare County"], "name": "Dare County"},
            {"id": teams["Wake County"], "name": "Wake County"},
        ]
    }
    _check(client, document, "/api/v1/teams", status=401)


def test_posted_suggestions_are_stored_grouped_and_summarised(
    app, client, document, world, teams, organizer, as_staff
):
    body = {
        "suggestions": [
            {"text": "naloxone distribution in jails", "team_id": teams["Dare County"]},
            {"text": "Narcan access for people leaving jail", "team_id": teams["Wake County"]},
            {"text": "Narcan for inmates at release", "team_id": teams["Wake County"]},
            {"text": "drug court in a small county"},
        ]
    }
    _request_validator(document, "/forums/{forum_id}/topic-suggestions", "post").validate(body)
    created = _check_post(client, document, _suggestions_url(world), body, organizer, 201)
    assert len(created["ids"]) == 4
    with app.app_context():
        stored = db.session.scalars(select(TopicSuggestion).order_by(TopicSuggestion.id)).all()
        assert [s.id for s in stored] == created["ids"]
        assert {s.source for s in stored} == {"api"}
        assert all(s.group_id is not None for s in stored)

    # Faculty (the as_staff token) read the summary.
    url = f"/api/v1/forums/{world.winter_forum}/feedback/summary"
    summary = _check(client, document, url, as_staff)
    assert summary["forum_id"] == world.winter_forum
    assert (summary["responses"], summary["average_overall"]) == (0, None)
    assert summary["ungrouped_suggestions"] == 0
    jail, court = summary["topic_groups"]
    assert jail["suggestion_ids"] == created["ids"][:3]
    assert (jail["suggestions"], jail["teams"], jail["flagged"], jail["status"]) == (
        3,
        2,
        True,
        "open",
    )
    assert (court["suggestions"], court["teams"], court["flagged"]) == (1, 0, False)
    workshop = next(s for s in summary["sessions"] if s["item_id"] == world.workshop)
    assert workshop == {
        "item_id": world.workshop,
        "title": "Naloxone workshop",
        "average": None,
        "ratings": 0,
    }


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"suggestions": [{"text": "ok"}, {"text": "x", "team_id": 987654}]}, "suggestions[1]"),
        ({"suggestions": [{"text": "   "}]}, "suggestions[0]"),
        # PostgreSQL refuses NUL; no database stores half a surrogate pair.
        ({"suggestions": [{"text": "ok"}, {"text": "stigma\x00"}]}, "suggestions[1]"),
        ({"suggestions": [{"text": "\ud800"}]}, "suggestions[0]"),
        ({"suggestions": [{"text": 5}]}, "suggestions[0].text"),
        ({"suggestions": [{"text": "x", "team_id": "Wake"}]}, "suggestions[0].team_id"),
        ({"suggestions": [{"text": "x", "who": "Ana"}]}, "suggestions[0].who"),
        ({"suggestions": ["just text"]}, "suggestions[0]"),
        ({"suggestions": []}, "suggestions"),
        ({"topics": []}, "topics"),
        ([], "body"),
    ],
)
def test_bad_suggestions_get_a_422_naming_each_item_and_nothing_is_stored(
    app, client, document, world, teams, organizer, body, where
):
    answer = _check_post(client, document, _suggestions_url(world), body, organizer, 422)
    assert where in answer["details"]
    with app.app_context():
        assert db.session.scalar(select(func.count(TopicSuggestion.id))) == 0


def test_a_body_that_is_not_json_is_a_422(client, document, world, organizer):
    response = client.post(_suggestions_url(world), data="{nope", headers=organizer)
    assert response.status_code == 422
    assert "body" in response.get_json()["details"]


def test_roles_and_unknown_forums(app, client, document, world, make_user, as_staff):
    door = _token(app, make_user, "door")
    body = {"suggestions": [{"text": "stigma"}]}
    _check_post(client, document, _suggestions_url(world), body, door, 403)
    _check_post(client, document, _suggestions_url(world), body, None, 401)
    _check_post(client, document, "/api/v1/forums/987654/topic-suggestions", body, as_staff, 404)
    summary = f"/api/v1/forums/{world.winter_forum}/feedback/summary"
    _check(client, document, summary, door, status=403)
    _check(client, document, summary, status=401)
    _check(client, document, "/api/v1/forums/987654/feedback/summary", as_staff, status=404)


def test_summary_counts_responses_and_averages_ratings(app, client, document, make_user):
    with app.app_context():
        built = build_world()
        opening = built.items["Opening"]
        answering.save_response(
            db.session,
            built.registration("Ana Alvarez"),
            answers(5, {opening: 4}, topics=["Narcan in jails"]),
        )
        answering.save_response(
            db.session, built.registration("Cy Carter"), answers(2, {opening: 3})
        )
        forum_id = db.session.get(Forum, built.forum_id).id
        db.session.commit()
    faculty = _token(app, make_user, "faculty")
    summary = _check(client, document, f"/api/v1/forums/{forum_id}/feedback/summary", faculty)
    assert (summary["responses"], summary["average_overall"]) == (2, 3.5)
    row = next(s for s in summary["sessions"] if s["item_id"] == opening)
    assert (row["average"], row["ratings"]) == (3.5, 2)
    # The form's topic was placed in a group as it came in, without a regroup.
    assert summary["ungrouped_suggestions"] == 0
    assert [group["suggestions"] for group in summary["topic_groups"]] == [1]


def test_adding_suggestions_places_them_without_regrouping_the_rest(
    app, client, document, world, teams, organizer
):
    """Suggestions imported earlier and not regrouped stay ungrouped: the API call placed only
    its own (a regroup would have grouped them all)."""
    with app.app_context():
        forum = db.session.get(Forum, world.winter_forum)
        for text in ("naloxone in jails", "Narcan at jail release"):
            db.session.add(TopicSuggestion(forum_id=forum.id, text=text, source="csv"))
        db.session.commit()
    body = {"suggestions": [{"text": "naloxone for people leaving jail"}]}
    _check_post(client, document, _suggestions_url(world), body, organizer, 201)
    with app.app_context():
        rows = db.session.scalars(select(TopicSuggestion).order_by(TopicSuggestion.id)).all()
        assert [s.group_id is None for s in rows] == [True, True, False]


def test_a_team_past_its_daily_limit_is_refused_and_nothing_is_added(
    app, client, document, world, teams, organizer
):
    app.config["TOPIC_SUGGESTIONS_PER_TEAM_PER_DAY"] = 3
    team = teams["Dare County"]
    body = {"suggestions": [{"text": f"topic {n}", "team_id": team} for n in range(3)]}
    _check_post(client, document, _suggestions_url(world), body, organizer, 201)
    one_more = {"suggestions": [{"text": "stigma", "team_id": team}, {"text": "no team"}]}
    answer = _check_post(client, document, _suggestions_url(world), one_more, organizer, 422)
    assert "today's limit of 3" in answer["details"]["suggestions[0]"]
    with app.app_context():
        assert db.session.scalar(select(func.count(TopicSuggestion.id))) == 3
