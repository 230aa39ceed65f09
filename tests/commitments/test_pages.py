"""The commitments pages: a project manager records and updates the team's commitments from
their personal link; members see them and add only when allowed; owners update their own;
staff see and add for every team; anyone else finds nothing."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from forumapp.commitments.models import Commitment
from forumapp.core.links import personal_token
from forumapp.core.models import Forum, Person, Team
from forumapp.extensions import db

from .. import builders as build
from ..conftest import csrf_token


def build_world() -> dict:
    """A held forum and a draft next one; Dare County's project manager and a member, and
    someone of another team: ids and personal-link tokens (in the current app context)."""
    forum = build.forum(days=((date(2027, 2, 18), "team"),))
    build.forum(number=2, status="draft", days=((date(2027, 5, 20), "team"),))
    manager = build.team_member("Pat Manager", "Dare County", "project_manager")
    member = build.team_member("Mo Member", "Dare County")
    outsider = build.team_member("Nell Nash", "Nash County")
    db.session.commit()
    team_id = db.session.scalar(sa.select(Team.id).filter_by(name="Dare County"))
    return {
        "forum": forum.id,
        "team": team_id,
        "manager": personal_token(manager),
        "manager_id": manager.id,
        "member": personal_token(member),
        "member_id": member.id,
        "outsider": personal_token(outsider),
    }


@pytest.fixture
def world(app):
    with app.app_context():
        return build_world()


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def _team_url(world, who="manager") -> str:
    return f"/me/{world[who]}/team/{world['team']}/commitments"


def _add(client, world, who="manager", **fields):
    url = _team_url(world, who)
    data = {
        "csrf_token": csrf_token(client, f"/me/{world[who]}"),
        "forum_id": world["forum"],
        "text": "Convene the jail health working group monthly",
        "owner_id": world["member_id"],
        "due": "",
        **fields,
    }
    return client.post(url, data=data)


def test_the_personal_page_leads_to_the_team_commitments(client, world):
    page = _text(client.get(f"/me/{world['manager']}"))
    assert "Dare County: commitments" in page
    assert f'href="{_team_url(world)}"' in page


def test_a_project_manager_adds_a_commitment_and_sees_it_listed(app, client, world):
    response = _add(client, world)
    assert response.status_code == 302
    page = _text(client.get(response.headers["Location"]))
    assert "Convene the jail health working group monthly" in page
    assert "Planned" in page and "Due Thursday, May 20, 2027" in page
    assert "Owner: Mo Member" in page


def test_bad_input_is_named_next_to_its_field(client, world):
    response = _add(client, world, text="", due="2030-01-01")
    assert response.status_code == 400
    page = _text(response)
    assert "Write what the team commits to do." in page
    with client.application.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Commitment)) == 0


def test_members_see_the_commitments_but_add_only_when_allowed(client, world):
    _add(client, world)
    page = _text(client.get(_team_url(world, "member")))
    assert "Convene the jail health working group monthly" in page
    assert "Add a commitment" not in page
    assert _add(client, world, "member").status_code == 403
    allow = client.post(
        f"{_team_url(world)}/members",
        data={"csrf_token": csrf_token(client, _team_url(world)), "members_may_commit": "y"},
    )
    assert "Every member may now add commitments." in _text(client.get(allow.headers["Location"]))
    assert _add(client, world, "member", text="Map naloxone boxes").status_code == 302


def test_the_owner_updates_progress_from_their_link(client, world):
    _add(client, world)
    member_page = _text(client.get(f"/me/{world['member']}"))
    match = re.search(r'href="(/me/[^"]+/commitments/\d+)"', member_page)
    assert match, "the owner's page links to their commitment"
    url = match.group(1)
    response = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "status": "done",
            "progress_note": "Meeting monthly since March",
            "barrier_note": "",
        },
    )
    assert response.status_code == 302
    page = _text(client.get(response.headers["Location"]))
    assert "Done" in page and "Meeting monthly since March" in page


def test_a_person_on_another_team_finds_nothing(client, world):
    _add(client, world)
    url = f"/me/{world['outsider']}/team/{world['team']}/commitments"
    assert client.get(url).status_code == 404
    with client.application.app_context():
        commitment_id = db.session.scalar(sa.select(Commitment.id))
    assert client.get(f"/me/{world['outsider']}/commitments/{commitment_id}").status_code == 404


def test_staff_see_every_team_and_add_for_one(client, world, signed_in):
    _add(client, world)
    staff = signed_in("faculty")
    url = f"/staff/forums/{world['forum']}/commitments"
    page = _text(staff.get(url))
    assert "Dare County" in page and "Convene the jail health working group monthly" in page
    with client.application.app_context():
        nash = db.session.scalar(sa.select(Team.id).filter_by(name="Nash County"))
    response = staff.post(
        url,
        data={
            "csrf_token": csrf_token(staff, url),
            "team_id": nash,
            "forum_id": world["forum"],
            "text": "Train deputies on naloxone",
            "owner_id": world["member_id"],  # on Dare's roster, not Nash's
            "due": "",
        },
    )
    assert response.status_code == 400
    assert "Choose an owner from the Nash County roster." in _text(response)


def test_staff_posting_a_team_that_is_not_listed_are_told_so_next_to_the_field(
    app, world, signed_in
):
    staff = signed_in("faculty")
    url = f"/staff/forums/{world['forum']}/commitments"
    response = staff.post(
        url,
        data={
            "csrf_token": csrf_token(staff, url),
            "team_id": "9999999999999999999999",  # more than any id column holds
            "forum_id": world["forum"],
            "text": "Train deputies on naloxone",
            "owner_id": "0",
            "due": "",
        },
    )
    page = _text(response)
    assert response.status_code == 400
    assert 'aria-invalid="true"' in page and "Not a valid choice." in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Commitment)) == 0


def test_a_barrier_two_teams_share_is_flagged_for_faculty_and_marked_as_a_barrier(
    app, world, signed_in
):
    from forumapp.commitments.recording import (
        Author,
        CommitmentInput,
        ProgressInput,
        add_commitment,
        update_progress,
    )

    with app.app_context():
        forum = db.session.get(Forum, world["forum"])
        nash_manager = build.team_member("Nia Nash", "Nash County", "project_manager")
        for team_name, manager in (
            ("Dare County", db.session.get(Person, world["manager_id"])),
            ("Nash County", nash_manager),
        ):
            team = db.session.scalar(sa.select(Team).filter_by(name=team_name))
            commitment = add_commitment(
                db.session, team, CommitmentInput(forum.id, "Share overdose data"), Author(manager)
            )
            update_progress(
                db.session,
                commitment,
                ProgressInput("in_progress", "", "No data sharing agreement with the hospital"),
                Author(manager),
            )
        db.session.commit()  # no regroup: each barrier is placed as it is noted
    faculty = signed_in("faculty")
    page = _text(faculty.get(f"/staff/forums/{world['forum']}/topics"))
    assert "Raised by 2 teams" in page and "Several teams: special attention" in page
    assert "2 barriers from teams' commitments" in page


def test_organizers_put_a_team_progress_draft_on_the_next_forum(app, client, world, signed_in):
    _add(client, world)
    organizer = signed_in("organizer")
    url = f"/staff/forums/{world['forum']}/commitments"
    token = csrf_token(organizer, url)
    response = organizer.post(f"{url}/progress-session", data={"csrf_token": token})
    assert "Added a draft “Team progress” session" in _text(
        organizer.get(response.headers["Location"])
    )
    organizer.post(f"{url}/progress-session", data={"csrf_token": token})
    with app.app_context():
        from forumapp.agenda.models import AgendaItem

        (item,) = db.session.scalars(
            sa.select(AgendaItem).where(AgendaItem.title.like("Team progress%"))
        ).all()
        assert item.status == "draft" and item.confidential
        assert item.day.forum.number == 2
        assert "Dare County:\n- Convene the jail health working group monthly (planned)" in (
            item.description
        )


def test_a_commitment_can_say_which_topic_it_came_from(app, client, world):
    from forumapp.feedback.models import TopicGroup

    with app.app_context():
        group = TopicGroup(forum_id=world["forum"], label="Jail health")
        db.session.add(group)
        db.session.commit()
        group_id = group.id
    page = _text(client.get(_team_url(world)))
    assert "Forum 1: Jail health" in page
    assert _add(client, world, topic_group_id=group_id).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(Commitment.topic_group_id)) == group_id
