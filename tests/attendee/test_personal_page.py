"""The personal page is built from one read model: every part of it (days and breakouts,
tickets, calendar links, feedback and topics) is gathered before it renders, so rendering sends
no query."""

from __future__ import annotations

import html
from datetime import date

import pytest

from forumapp.attendee import views
from forumapp.attendee.page import personal_page
from forumapp.core.clock import utcnow
from forumapp.core.models import ForumStatus
from forumapp.extensions import db

from ..support.queries import statements_sent

# The forum of the test data is in March 2027; its topics go to the next forum after it.
AFTER_THE_FORUM = date(2027, 3, 20)


@pytest.fixture(autouse=True)
def _after_the_forum(monkeypatch):
    monkeypatch.setattr(views, "_local_today", lambda: AFTER_THE_FORUM)


def _statements_while_rendering(app, client, monkeypatch, path: str) -> tuple[str, list[str]]:
    """The page at ``path``, and the statements sent while its template rendered (after the
    view had built the read model)."""
    real_render = views.render_template
    rendering: dict[str, int] = {}
    with statements_sent(app) as sent:

        def render_and_mark(*args, **kwargs):
            rendering["from"] = len(sent)
            page = real_render(*args, **kwargs)
            rendering["to"] = len(sent)
            return page

        monkeypatch.setattr(views, "render_template", render_and_mark)
        response = client.get(path)
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True)), sent[rendering["from"] : rendering["to"]]


PEOPLE = ["Ana Alvarez", "Ben Brooks", "Cy Carter", "Pat Public", "Nia Noshow"]


@pytest.mark.parametrize("name", PEOPLE)
def test_rendering_the_personal_page_sends_no_query(app, client, monkeypatch, world, name):
    with app.app_context():
        token = world.token(name)
    page, while_rendering = _statements_while_rendering(app, client, monkeypatch, f"/me/{token}")
    assert "Your registrations" in page and "Your ticket" in page
    assert while_rendering == []


@pytest.mark.parametrize("name", PEOPLE)
def test_rendering_the_page_of_a_closed_forum_sends_no_query(app, client, monkeypatch, world, name):
    """A held forum lists the breakouts chosen instead of the form."""
    with app.app_context():
        world.forum().status = ForumStatus.CLOSED
        db.session.commit()
        token = world.token(name)
    page, while_rendering = _statements_while_rendering(app, client, monkeypatch, f"/me/{token}")
    assert "This forum has been held" in page
    assert while_rendering == []


def test_rendering_the_personal_agenda_sends_no_query(app, client, monkeypatch, world):
    with app.app_context():
        token = world.token("Ana Alvarez")
    path = f"/me/{token}/forums/{world.forum_id}"
    page, while_rendering = _statements_while_rendering(app, client, monkeypatch, path)
    assert "Agenda: " in page and "Team day welcome" in page
    assert while_rendering == []


def test_the_page_model_holds_ticket_calendar_and_feedback_after_check_in(app, world):
    """Ana has confirmed seats, was checked in, and her forum's feedback is open."""
    with app.app_context():
        ana = world.person("Ana Alvarez")
        page = personal_page(db.session, ana, now=utcnow(), today=AFTER_THE_FORUM)

        assert page.person == ana
        (section,) = page.sections
        assert section.forum.id == world.forum_id and section.member
        assert [entry.seat.status for entry in section.days] == ["confirmed", "confirmed"]
        assert section.seat_ids == {world.items["Breakout 1"]}
        assert set(section.seats_left) >= {
            world.items["Breakout 1"],
            world.items["Breakout 2"],
        }

        ticket = page.tickets[world.forum_id]
        assert ticket.ready and ticket.code and ticket.registration_id == section.registration.id

        assert page.calendar.webcal_url.startswith("webcal://")
        assert page.calendar.https_url.startswith("http") and "/calendar/" in (
            page.calendar.https_url
        )

        (open_form,) = page.feedback.open_forms
        assert open_form.forum.id == world.forum_id and not open_form.answered
        assert page.feedback.topic_forum is not None
        assert page.managed_teams == []


def test_a_project_manager_s_page_model_lists_their_team(app, world):
    with app.app_context():
        ben = world.person("Ben Brooks")
        page = personal_page(db.session, ben, now=utcnow(), today=AFTER_THE_FORUM)
        assert [team.name for team in page.managed_teams] == ["Buncombe County"]


def test_someone_on_no_team_has_no_topic_form_and_no_team_days(app, world):
    with app.app_context():
        pat = world.person("Pat Public")
        page = personal_page(db.session, pat, now=utcnow(), today=AFTER_THE_FORUM)
        (section,) = page.sections
        assert not section.member and [entry.day.id for entry in section.days] == [
            world.public_day_id
        ]
        assert page.feedback.topic_forum is None and len(page.feedback.open_forms) == 1
        assert page.tickets[world.forum_id].ready
