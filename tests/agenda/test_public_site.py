"""The public site shows public days' agendas and never team-only or confidential content."""

from datetime import date, time

import pytest

from forumapp.core.models import Program
from forumapp.extensions import db

from .. import builders as build

SECRETS = ["Team strategy huddle", "Case review: shared clients", "Hidden Panelist"]


@pytest.fixture
def final_forum(app):
    """Forum 5: a public day and a team day, with confidential and team-only material."""
    with app.app_context():
        forum = build.forum(
            number=5,
            days=((date(2028, 3, 15), "public"), (date(2028, 3, 16), "team")),
        )
        public_day, team_day = forum.days
        hall = build.room(forum, "Main Hall", 200)
        welcome = build.item(
            public_day,
            "Welcome to the open day",
            time(9),
            time(10),
            hall,
            kind="general_session",
            description="Why the teams met.",
        )
        build.link(
            welcome,
            build.speaker(
                "Karen Pershing",
                kind="outside_expert",
                affiliation="Metro Drug Coalition",
                bio="Collective impact in practice.",
            ),
        )
        build.item(
            public_day, "Case review: shared clients", time(13), time(14), hall, confidential=True
        )
        huddle = build.item(team_day, "Team strategy huddle", time(9), time(10), hall)
        build.link(huddle, build.speaker("Hidden Panelist", is_public=False))
        db.session.commit()
        return forum.id


def test_public_forum_page_shows_the_public_day(client, final_forum):
    response = client.get(f"/forums/{final_forum}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Welcome to the open day" in page and "Why the teams met." in page
    assert "Wednesday, March 15, 2028" in page and "9:00 AM–10:00 AM" in page
    assert "Karen Pershing" in page and "Collective impact in practice." in page
    assert "Civic Center" in page and "1 Main Street" in page
    assert "openstreetmap.org/search?query=Civic+Center" in page
    assert "Other parts of this forum are for the community teams only" in page


def _program_id(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(Program.id))


def test_public_never_sees_team_days_confidential_sessions_or_hidden_speakers(
    app, client, final_forum
):
    paths = ["/", f"/forums/{final_forum}", f"/programs/{_program_id(app)}"]
    pages = [client.get(path).get_data(as_text=True) for path in paths]
    for page in pages:
        for secret in SECRETS:
            assert secret not in page
        assert "Thursday, March 16, 2028" not in page


def test_staff_see_the_whole_forum(signed_in, final_forum):
    page = signed_in("faculty").get(f"/forums/{final_forum}").get_data(as_text=True)
    for secret in SECRETS:
        assert secret in page
    assert "Confidential" in page


def test_a_team_only_forum_says_so_instead_of_an_empty_when_and_where(app, client):
    with app.app_context():
        forum = build.forum(number=2, days=((date(2027, 6, 10), "team"),))
        db.session.commit()
        forum_id = forum.id
    page = client.get(f"/forums/{forum_id}").get_data(as_text=True)
    assert "This forum is for the community teams only." in page
    assert "June 10" not in page and "Other parts of this forum" not in page


def test_draft_forum_is_answered_like_a_missing_one(app, client):
    with app.app_context():
        draft = build.forum(status="draft", number=2)
        build.item(draft.days[0], "Draft agenda item", time(9), time(10))
        db.session.commit()
        draft_id = draft.id
    hidden = client.get(f"/forums/{draft_id}")
    missing = client.get("/forums/999")
    assert hidden.status_code == missing.status_code == 404
    assert "Draft agenda item" not in hidden.get_data(as_text=True)
    # The same page but for its own address (in the language switch's links).
    assert hidden.get_data(as_text=True).replace(f"/forums/{draft_id}", "/forums/999") == (
        missing.get_data(as_text=True)
    )


def test_program_page_lists_only_announced_forums(app, client, final_forum):
    with app.app_context():
        build.forum(status="draft", number=2)
        db.session.commit()
    page = client.get(f"/programs/{_program_id(app)}").get_data(as_text=True)
    assert "Forum 5: Testing" in page
    assert "Forum 2: Testing" not in page


def test_cancelled_sessions_stay_listed_as_cancelled(app, client, final_forum):
    with app.app_context():
        from forumapp.agenda.models import AgendaItem

        item = db.session.scalar(db.select(AgendaItem).filter_by(title="Welcome to the open day"))
        item.status = "cancelled"
        db.session.commit()
    page = client.get(f"/forums/{final_forum}").get_data(as_text=True)
    assert "Welcome to the open day" in page and "Cancelled" in page
