"""Organizers write a Spanish version beside the English; the agenda's problems panel lists
a published public day's sessions that still lack a Spanish title."""

from __future__ import annotations

from datetime import date, time

from forumapp.agenda.conflicts import ConflictKind, find_conflicts
from forumapp.agenda.models import AgendaItem, Speaker
from forumapp.core.models import Forum, ForumDay
from forumapp.extensions import db

from .. import builders as build
from ..conftest import csrf_token

PUBLIC_DAY = date(2027, 5, 12)
TEAM_DAY = date(2027, 5, 13)


def _two_day_forum(status="published"):
    forum = build.forum(status=status, days=((PUBLIC_DAY, "public"), (TEAM_DAY, "team")))
    public, team = forum.days
    welcome = build.item(public, "Welcome", time(9), time(10), kind="general_session")
    build.item(team, "Team planning", time(9), time(10))
    return forum, welcome


def _spanish_problems(forum):
    return [c for c in find_conflicts(db.session, forum) if c.kind == ConflictKind.NO_SPANISH_TITLE]


def test_a_public_session_without_a_spanish_title_is_a_problem_of_its_day(app_ctx):
    forum, welcome = _two_day_forum()
    build.item(forum.days[0], "Naloxone in every glovebox", time(10), time(11))
    problems = _spanish_problems(forum)
    assert len(problems) == 1  # the team-only day needs none
    assert "2 public sessions on Wednesday, May 12 have no Spanish title" in problems[0].message
    assert "“Welcome”" in problems[0].message
    assert welcome.id in problems[0].item_ids


def test_the_problem_goes_once_every_public_session_has_a_spanish_title(app_ctx):
    forum, welcome = _two_day_forum()
    welcome.title_es = "Bienvenida"
    # Drafts, cancelled and confidential sessions are not shown to the public.
    build.item(forum.days[0], "Draft idea", time(11), time(12), status="draft")
    build.item(forum.days[0], "Dropped", time(12), time(13), status="cancelled")
    build.item(forum.days[0], "Team debrief", time(13), time(14), confidential=True)
    db.session.flush()
    assert _spanish_problems(forum) == []


def test_a_draft_forum_is_not_yet_asked_for_spanish(app_ctx):
    forum, _welcome = _two_day_forum(status="draft")
    assert _spanish_problems(forum) == []


def test_the_problems_panel_shows_the_missing_spanish_title(app, signed_in):
    with app.app_context():
        forum, _welcome = _two_day_forum()
        db.session.commit()
        forum_id = forum.id
    client = signed_in("organizer")
    page = client.get(f"/staff/forums/{forum_id}/agenda").get_data(as_text=True)
    assert 'data-kind="no_spanish_title"' in page
    assert "has no Spanish title: “Welcome”" in page


def test_organizers_save_spanish_versions_of_the_forum_day_session_and_bio(app, signed_in):
    with app.app_context():
        forum, welcome = _two_day_forum()
        speaker = build.speaker("Rosa Delgado")
        db.session.commit()
        forum_id, day_id, item_id, speaker_id = (
            forum.id,
            forum.days[0].id,
            welcome.id,
            speaker.id,
        )
    client = signed_in("organizer")
    edit_forum = f"/staff/forums/{forum_id}/edit"
    response = client.post(
        edit_forum,
        data={
            "csrf_token": csrf_token(client, edit_forum),
            "number": "1",
            "title": "Forum 1: Testing",
            "title_es": "Foro 1: Pruebas",
            "theme": "Working together",
            "theme_es": "Trabajar juntos",
            "venue_name": "Civic Center",
            "venue_address": "1 Main Street",
            "venue_city": "Durham",
            "parking_info": "Free lot behind the building.",
            "parking_info_es": "Estacionamiento gratuito detrás del edificio.",
            "privacy_note": "We keep your details for this program only.",
            "privacy_note_es": "Usamos sus datos solo para este programa.",
            "confirmation_text": "Bring a photo ID.",
            "confirmation_text_es": "Traiga una identificación con foto.",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    edit_day = f"/staff/days/{day_id}/edit"
    page = client.get(edit_day).get_data(as_text=True)
    assert 'name="notes_es"' in page and 'lang="es"' in page
    response = client.post(
        edit_day,
        data={
            "csrf_token": csrf_token(client, edit_day),
            "date": PUBLIC_DAY.isoformat(),
            "audience": "public",
            "starts_at": "08:30",
            "ends_at": "16:30",
            "reminder_days": "7, 2",
            "notes": "Lunch is provided.",
            "notes_es": "Se ofrece almuerzo.",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    edit_item = f"/staff/items/{item_id}/edit"
    response = client.post(
        edit_item,
        data={
            "csrf_token": csrf_token(client, edit_item),
            "kind": "general_session",
            "title": "Welcome",
            "title_es": "Bienvenida",
            "description": "Opening remarks.",
            "description_es": "Palabras de apertura.",
            "start": "09:00",
            "end": "10:00",
            "room_id": "None",
            "status": "scheduled",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    edit_speaker = f"/staff/speakers/{speaker_id}/edit"
    form_page = client.get(edit_speaker).get_data(as_text=True)
    assert 'name="bio_es"' in form_page
    with app.app_context():
        forum = db.session.get(Forum, forum_id)
        assert (forum.title_es, forum.theme_es, forum.parking_info_es) == (
            "Foro 1: Pruebas",
            "Trabajar juntos",
            "Estacionamiento gratuito detrás del edificio.",
        )
        assert forum.privacy_note_es == "Usamos sus datos solo para este programa."
        assert forum.confirmation_text_es == "Traiga una identificación con foto."
        assert db.session.get(ForumDay, day_id).notes_es == "Se ofrece almuerzo."
        item = db.session.get(AgendaItem, item_id)
        assert (item.title_es, item.description_es) == ("Bienvenida", "Palabras de apertura.")
        assert db.session.get(Speaker, speaker_id) is not None
    page = client.get(f"/staff/forums/{forum_id}/agenda").get_data(as_text=True)
    assert 'data-kind="no_spanish_title"' not in page


def test_a_spanish_team_members_commitments_page_is_in_spanish(app, client):
    from forumapp.core.links import personal_token

    with app.app_context():
        build.forum(days=((TEAM_DAY, "team"),))
        member = build.team_member("Marisol Vega", "Buncombe County")
        member.language = "es"
        db.session.commit()
        path = f"/me/{personal_token(member)}/team/{member.memberships[0].team_id}/commitments"
    page = client.get(path).get_data(as_text=True)
    assert '<html lang="es">' in page
    assert "a qué nos comprometimos" in page
    assert "Todavía no hay compromisos." in page
    english = client.get(path + "?lang=en").get_data(as_text=True)
    assert "what we committed to do" in english
