"""Faculty and organizers read, edit and promote topic groups in the web pages."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from forumapp.agenda.models import AgendaItem
from forumapp.core.models import Person
from forumapp.extensions import db
from forumapp.feedback import suggestions, topic_groups
from forumapp.feedback.models import TopicGroup, TopicSuggestion

from ..conftest import csrf_token
from .topic_builders import build_topic_world

PERSON_NAME = "Priya Private"


@pytest.fixture
def world(app):
    """Forum 1 with grouped suggestions (one flagged, one written by a named person)."""
    with app.app_context():
        built = build_topic_world()
        person = Person(name=PERSON_NAME, email="priya@county.example.org")
        db.session.add(person)
        db.session.flush()
        teams = built.teams
        suggestions.add_suggestions(
            db.session,
            built.forum(),
            [
                ("naloxone distribution in jails", teams["Buncombe County"], person.id, "feedback"),
                ("Narcan access for people leaving jail", teams["Dare County"], None, "api"),
                ("Narcan for inmates at release", teams["Buncombe County"], None, "csv"),
                ("drug court in a small county", teams["Wake County"], None, "csv"),
            ],
        )
        topic_groups.regroup(db.session, built.forum())
        db.session.commit()
        return built


def _groups(app, world) -> dict[str, int]:
    with app.app_context():
        rows = topic_groups.topic_groups(db.session, world.forum())
        return {("jail" if row.flagged else "court"): row.group.id for row in rows}


def _suggestion_ids(app, group_id: int) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(TopicSuggestion.id)
                .where(TopicSuggestion.group_id == group_id)
                .order_by(TopicSuggestion.id)
            )
        )


def _page(client, world) -> str:
    response = client.get(f"/staff/forums/{world.forum_id}/topics")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _post(client, world, path: str, data: dict):
    token = csrf_token(client, f"/staff/forums/{world.forum_id}/topics")
    return client.post(path, data={**data, "csrf_token": token})


@pytest.mark.parametrize("role", ["faculty", "organizer"])
def test_staff_see_flagged_groups_first_with_teams_and_never_names(signed_in, world, role):
    page = _page(signed_in(role), world)
    assert page.index("Raised by 2 teams") < page.index("Raised by 1 team")
    assert "Several teams: special attention" in page
    assert "Narcan access for people leaving jail" in page
    assert "Buncombe County" in page and "Dare County" in page
    assert PERSON_NAME not in page
    assert "Promote to Forum 2" in page


def test_door_staff_may_not_see_or_change_topics(signed_in, world, app):
    door = signed_in("door")
    group_id = _groups(app, world)["jail"]
    assert door.get(f"/staff/forums/{world.forum_id}/topics").status_code == 403
    token = csrf_token(door, "/")
    for path in [
        f"/staff/topic-groups/{group_id}/rename",
        f"/staff/topic-groups/{group_id}/promote",
        f"/staff/forums/{world.forum_id}/topics/regroup",
    ]:
        assert door.post(path, data={"csrf_token": token}).status_code == 403


def test_rename_split_status_and_merge_through_the_page(signed_in, world, app):
    faculty = signed_in("faculty")
    groups = _groups(app, world)
    jail, court = groups["jail"], groups["court"]
    response = _post(
        faculty,
        world,
        f"/staff/topic-groups/{jail}/rename",
        {f"rename-{jail}-label": "Naloxone at jail release"},
    )
    assert response.status_code == 302
    assert "Naloxone at jail release" in _page(faculty, world)

    moved = _suggestion_ids(app, jail)[-1]
    split = {f"split-{jail}-suggestion_ids": str(moved), f"split-{jail}-label": "Release day"}
    response = _post(faculty, world, f"/staff/topic-groups/{jail}/split", split)
    assert response.status_code == 302
    page = _page(faculty, world)
    assert "Release day" in page and "Moved 1 suggestion" in page

    status = {f"status-{court}-status": "set_aside", f"status-{court}-note": "The state covers it"}
    response = _post(faculty, world, f"/staff/topic-groups/{court}/status", status)
    assert response.status_code == 302
    page = _page(faculty, world)
    assert "Status: Set aside" in page and "The state covers it" in page

    with app.app_context():
        release = db.session.get(TopicSuggestion, moved).group_id
    # Keeping the name of a group nobody ticked would swallow it: refused, nothing merged.
    merge = {"merge-group_ids": [str(release)], "merge-target_id": str(court)}
    _post(faculty, world, f"/staff/forums/{world.forum_id}/topics/merge", merge)
    assert "Keep the name of one of the groups you ticked" in _page(faculty, world)
    with app.app_context():
        assert db.session.get(TopicGroup, release) is not None
    merge = {"merge-group_ids": [str(jail), str(release)], "merge-target_id": str(jail)}
    response = _post(faculty, world, f"/staff/forums/{world.forum_id}/topics/merge", merge)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(TopicGroup, release) is None
    assert len(_suggestion_ids(app, jail)) == 3


def test_a_bad_edit_is_explained(signed_in, world, app):
    faculty = signed_in("faculty")
    jail = _groups(app, world)["jail"]
    response = _post(faculty, world, f"/staff/topic-groups/{jail}/split", {})
    # Back at the group with its edit forms open, beside the message.
    assert response.headers["Location"].endswith(f"?edit={jail}#group-{jail}")
    page = faculty.get(response.headers["Location"]).get_data(as_text=True)
    assert "Tick the suggestions" in page
    assert page.count("<details open>") == 1
    assert page.index(f'id="group-{jail}"') < page.index("<details open>")
    response = _post(
        faculty, world, f"/staff/topic-groups/{jail}/rename", {f"rename-{jail}-label": ""}
    )
    assert response.headers["Location"].endswith(f"?edit={jail}#group-{jail}")


def test_promote_creates_the_draft_session_once_and_the_agenda_shows_where_it_came_from(
    signed_in, world, app
):
    faculty = signed_in("faculty")
    jail = _groups(app, world)["jail"]
    path = f"/staff/topic-groups/{jail}/promote"
    assert _post(faculty, world, path, {f"promote-{jail}-kind": "discussion"}).status_code == 302
    page = _page(faculty, world)
    assert "draft collaborative discussion" in page
    assert "Already on the agenda of Forum 2" in page
    assert _post(faculty, world, path, {f"promote-{jail}-kind": "breakout"}).status_code == 302
    assert "already promoted" in _page(faculty, world)
    with app.app_context():
        assert db.session.scalar(select(func.count(AgendaItem.id))) == 1

    agenda = faculty.get(f"/staff/forums/{world.next_forum_id}/agenda").get_data(as_text=True)
    assert "Proposed from Forum 1 feedback (raised by 2 teams)" in agenda


def test_regroup_button_groups_new_suggestions(signed_in, world, app):
    faculty = signed_in("faculty")
    with app.app_context():
        suggestions.add_suggestions(
            db.session, world.forum(), [("recovery court graduation", None)]
        )
        db.session.commit()
    assert "1 new suggestion is not in a group yet" in _page(faculty, world)
    response = _post(faculty, world, f"/staff/forums/{world.forum_id}/topics/regroup", {})
    assert response.status_code == 302
    page = _page(faculty, world)
    assert "not in a group yet" not in page
    assert "2 suggestions" in page


def _upload(client, world, body: bytes):
    path = f"/staff/forums/{world.forum_id}/topics/import"
    token = csrf_token(client, path)
    return client.post(
        path,
        data={"csrf_token": token, "file": (io.BytesIO(body), "topics.csv")},
        content_type="multipart/form-data",
    )


def test_csv_import_adds_and_groups_suggestions(signed_in, world, app):
    organizer = signed_in("organizer")
    response = _upload(
        organizer, world, b"text,team\nMAT in the detention center,wake\nFTS at bars,\n"
    )
    assert response.status_code == 302
    assert "Imported 2 suggestions" in _page(organizer, world)
    assert topics_count(app) == 6
    page = _page(organizer, world)
    assert page.count("Raised by 3 teams") == 1
    # "FTS at bars" came with no team: its group does not claim "Raised by 0 teams".
    assert "Raised by 0 teams" not in page and "No team named" in page


def test_csv_import_lists_each_bad_line_and_imports_nothing(signed_in, world, app):
    faculty = signed_in("faculty")
    response = _upload(faculty, world, b"text,team\nfine,Wake\n,Dare\nstigma,Nowhere County\n")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nothing was imported: 2 problems" in page
    lines = re.findall(r'<th scope="row">(\d+)</th>', page)
    assert lines == ["3", "4"]
    assert "Nowhere County" in page
    assert topics_count(app) == 4


def topics_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(TopicSuggestion.id)))
