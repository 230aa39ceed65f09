"""Asking for an interpreter or translated materials when registering, and the tally of
what was asked for on each day."""

from __future__ import annotations

import html

import pytest
import sqlalchemy as sa

from forumapp.core.links import personal_token
from forumapp.core.models import Forum
from forumapp.extensions import db
from forumapp.language_access.models import LanguageRequest
from forumapp.language_access.services import day_tallies, request_of
from forumapp.registration.registering import cancel_own_days

from .. import builders as build
from ..conftest import csrf_token, post_public_registration
from .conftest import answers


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _register(client, days, **overrides):
    typed = {"name": "Rosa Díaz", "email": "rosa@public.example.org"}
    return post_public_registration(client, days.forum_id, days.near_day_id, **(typed | overrides))


def _requests(app) -> list[LanguageRequest]:
    with app.app_context():
        found = db.session.scalars(sa.select(LanguageRequest)).all()
        for request in found:
            db.session.expunge(request)
        return found


def test_the_public_form_asks_about_interpreters_with_labels(client, days):
    page = _text(client.get(f"/forums/{days.forum_id}/register"))
    assert "Do you need an interpreter or translated materials?" in page
    for label in ("Spanish interpreter", "ASL (American Sign Language) interpreter"):
        assert label in page
    assert '<label for="language_other">Which other language?</label>' in page


def test_the_question_is_in_spanish_on_a_spanish_page(client, days):
    page = _text(client.get(f"/forums/{days.forum_id}/register?lang=es"))
    assert "¿Necesita un intérprete o materiales traducidos?" in page
    assert "Intérprete de español" in page


def test_registering_with_spanish_and_asl_stores_the_request(app, client, days):
    response = _register(client, days, language_needs=["spanish_interpreter", "asl_interpreter"])
    assert response.status_code == 302
    (request,) = _requests(app)
    assert request.spanish_interpreter and request.asl_interpreter
    assert not request.spanish_materials and request.status == "requested"


def test_registering_without_asking_stores_no_request(app, client, days):
    assert _register(client, days).status_code == 302
    assert _requests(app) == []


def test_other_without_a_language_gets_a_message_next_to_the_field(app, client, days):
    response = _register(client, days, language_needs=["other"])
    page = _text(response)
    assert response.status_code == 400
    assert 'id="language_other-error"' in page
    assert "Tell us which other language you need." in page
    assert _requests(app) == []


def test_a_too_long_other_language_gets_a_message_in_spanish_too(app, client, days):
    response = _register(
        client, days, language_needs=["other"], language_other="x" * 201, lang="es"
    )
    assert response.status_code == 400
    assert "Use at most 200 characters for the other language; this has 201." in _text(response)
    spanish = client.post(
        f"/forums/{days.forum_id}/register?lang=es",
        data={
            "name": "Rosa Díaz",
            "email": "rosa@public.example.org",
            "day_ids": str(days.near_day_id),
            "consent": "y",
            "language_needs": "other",
            "language_other": "x" * 201,
            "csrf_token": csrf_token(client, f"/forums/{days.forum_id}/register?lang=es"),
        },
    )
    assert "Use como máximo 200 caracteres para el otro idioma; este tiene 201." in _text(spanish)
    assert _requests(app) == []


def test_a_known_email_keeps_its_answers_until_the_owner_confirms(app, days):
    with app.app_context():
        forum = db.session.get(Forum, days.forum_id)
        build.public_registration(forum, "Rosa Díaz", day_ids=[days.near_day_id])
        # Registering again for another day asks the owner to confirm, from their inbox.
        registration = build.public_registration(
            forum,
            "Rosa Díaz",
            day_ids=[days.far_day_id],
            answers=answers("spanish_materials", "other", other="Mixteco"),
        )
        request = request_of(db.session, registration)
        assert request.spanish_materials and request.other_language == "Mixteco"


def test_a_team_member_asks_on_the_personal_page(app, client, days):
    with app.app_context():
        member = build.team_member("Tia Member")
        db.session.commit()
        link = "/me/" + personal_token(member)
    page = _text(client.get(link))
    assert f'id="language_needs-0-{days.forum_id}"' in page
    response = client.post(
        f"{link}/forums/{days.forum_id}/register",
        data={
            "day_ids": str(days.team_day_id),
            "language_needs": "asl_interpreter",
            "csrf_token": csrf_token(client, link),
        },
    )
    assert response.status_code == 302
    (request,) = _requests(app)
    assert request.asl_interpreter


def test_a_team_member_who_names_no_other_language_is_told_so(app, client, days):
    with app.app_context():
        member = build.team_member("Tia Member")
        db.session.commit()
        link = "/me/" + personal_token(member)
    client.post(
        f"{link}/forums/{days.forum_id}/register",
        data={
            "day_ids": str(days.team_day_id),
            "language_needs": "other",
            "csrf_token": csrf_token(client, link),
        },
    )
    page = _text(client.get(link))
    assert "Tell us which other language you need." in page
    assert "Choose at least one of the forum's days." not in page
    assert _requests(app) == []


def test_the_tally_counts_the_registrations_that_asked_per_day_and_language(app, days):
    with app.app_context():
        forum = db.session.get(Forum, days.forum_id)
        both = [days.near_day_id, days.far_day_id]
        build.public_registration(
            forum, "Ana One", day_ids=both, answers=answers("spanish_interpreter")
        )
        build.public_registration(
            forum,
            "Ben Two",
            day_ids=[days.near_day_id],
            answers=answers("spanish_interpreter", "asl_interpreter"),
        )
        gone = build.public_registration(
            forum,
            "Cy Three",
            day_ids=both,
            answers=answers("spanish_materials", "other", other="Hmong"),
        )
        build.public_registration(forum, "Di Four", day_ids=both)  # asked for nothing
        cancel_own_days(db.session, gone, [days.near_day_id])  # not coming on the near day
        build.team_registration(forum, "Tia Member", answers=answers("asl_interpreter"))
        tallies = {tally.day.id: tally for tally in day_tallies(db.session, forum)}

    near, far, team = (tallies[i] for i in (days.near_day_id, days.far_day_id, days.team_day_id))
    assert (near.spanish_interpreter, near.asl_interpreter, near.spanish_materials, near.other) == (
        2,
        1,
        0,
        0,
    )
    assert (far.spanish_interpreter, far.asl_interpreter, far.spanish_materials, far.other) == (
        1,
        0,
        1,
        1,
    )
    assert (team.asl_interpreter, team.requests) == (1, 1)
    assert (near.requests, far.requests) == (2, 2)


@pytest.fixture
def organizer(signed_in):
    return signed_in("organizer")


def test_the_registrations_page_shows_the_tally_and_links_to_the_queue(app, organizer, days):
    with app.app_context():
        forum = db.session.get(Forum, days.forum_id)
        build.public_registration(
            forum, "Ana One", day_ids=[days.near_day_id], answers=answers("spanish_interpreter")
        )
        db.session.commit()
    page = _text(organizer.get(f"/staff/forums/{days.forum_id}/registrations"))
    assert "Interpreters and translated materials" in page
    assert "Interpreters must be booked 10 days before each day" in page
    assert f'href="/staff/forums/{days.forum_id}/language-requests"' in page
    row = page.split("Language requests for each day")[1].split("</tbody>")[0]
    assert "<td>1</td>" in row
