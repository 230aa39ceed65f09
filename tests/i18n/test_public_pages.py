"""The public site in Spanish: the home, forum and registration pages, the language switch and
how the choice is remembered, organizer-written text with its English fallback, the language
stored on a person who registers, Spanish errors next to the fields and in the public API."""

from __future__ import annotations

import html
import json
import re
from datetime import date, time, timedelta

import pytest

from forumapp.core.clock import utcnow
from forumapp.core.models import Forum, Person
from forumapp.extensions import db
from forumapp.mail.models import OutboxMessage

from .. import builders as build
from ..conftest import csrf_token

SPANISH = {"Accept-Language": "es"}


@pytest.fixture
def forum_id(app):
    """A published forum with a public day (registration open now, by the real clock, as the
    pages read it), a Spanish title and theme, and two sessions: one with a Spanish title."""
    with app.app_context():
        forum = build.forum(number=5, days=((date(2030, 3, 15), "public"),))
        forum.title_es = "Foro 5: Pruebas"
        forum.theme_es = "Trabajar juntos"
        day = forum.days[0]
        day.registration_opens_at = utcnow() - timedelta(days=1)
        day.registration_closes_at = utcnow() + timedelta(days=30)
        day.notes = "Bring a photo ID.\n\nThe east door opens at 8:00."
        build.item(
            day,
            "Opening plenary",
            time(9),
            time(10),
            kind="general_session",
            title_es="Sesión plenaria de apertura",
        )
        build.item(day, "Naloxone in the field", time(10, 30), time(11, 30), kind="panel")
        db.session.commit()
        return forum.id


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _register(client, forum_id: int, query: str = "?lang=es", **overrides):
    path = f"/forums/{forum_id}/register{query}"
    with client.application.app_context():
        day_id = db.session.get(Forum, forum_id).days[0].id
    data = {
        "name": "Rosa Martínez",
        "email": "rosa@public.example.org",
        "day_ids": str(day_id),
        "consent": "y",
        "csrf_token": csrf_token(client, path),
    }
    data.update(overrides)
    return client.post(path, data=data)


def _language_of(app, email: str) -> str:
    with app.app_context():
        return db.session.scalar(db.select(Person.language).where(Person.email == email))


def test_the_home_page_in_spanish(client, forum_id):
    page = _text(client.get("/?lang=es"))
    assert '<html lang="es">' in page
    assert "<h1>Foros de aprendizaje entre pares</h1>" in page
    assert "Foro 5: Pruebas" in page and "Trabajar juntos" in page
    assert "Abierto al público" in page
    assert "viernes, 15 de marzo de 2030" in page


def test_the_switch_links_to_the_other_language_with_hreflang(client, forum_id):
    page = _text(client.get(f"/forums/{forum_id}?lang=es"))
    assert re.search(r'<a href="[^"]*lang=en"[^>]*lang="en" hreflang="en">English</a>', page)
    assert '<span lang="es" aria-current="true">Español</span>' in page
    english = _text(client.get(f"/forums/{forum_id}?lang=en"))
    assert re.search(r'<a href="[^"]*lang=es"[^>]*lang="es" hreflang="es">Español</a>', english)


def test_the_forum_page_in_spanish(client, forum_id):
    page = _text(client.get(f"/forums/{forum_id}?lang=es"))
    assert "<h1>Foro 5: Pruebas</h1>" in page
    assert "<title>Foro 5: Pruebas · forumapp</title>" in page
    assert "Cuándo y dónde" in page
    assert "Inscribirse en el día abierto al público" in page
    assert "Programa: viernes, 15 de marzo de 2030" in page
    assert "Sesión plenaria" in page and "Agregar al calendario" in page


def test_session_titles_in_spanish_where_set_and_marked_english_where_not(client, forum_id):
    page = _text(client.get(f"/forums/{forum_id}?lang=es"))
    assert "Sesión plenaria de apertura" in page and "Opening plenary" not in page
    assert '<span lang="en">Naloxone in the field</span>' in page
    english = _text(client.get(f"/forums/{forum_id}?lang=en"))
    assert "Opening plenary" in english and 'lang="en">Naloxone' not in english


def test_day_notes_show_under_their_day_as_paragraphs_escaped(app, client, forum_id):
    with app.app_context():
        day = db.session.get(Forum, forum_id).days[0]
        day.notes_es = "Traiga una identificación con foto.\n\nLa puerta <este> abre a las 8:00."
        db.session.commit()
    raw = client.get(f"/forums/{forum_id}?lang=es").get_data(as_text=True)
    assert '<p class="preserve-lines">Traiga una identificación con foto.</p>' in raw
    assert "La puerta &lt;este&gt; abre a las 8:00." in raw
    english = client.get(f"/forums/{forum_id}?lang=en").get_data(as_text=True)
    assert '<p class="preserve-lines">The east door opens at 8:00.</p>' in english


def test_day_notes_without_a_spanish_version_are_marked_english(client, forum_id):
    page = _text(client.get(f"/forums/{forum_id}?lang=es"))
    assert re.search(r'<div class="day-notes" lang="en">\s*<p[^>]*>Bring a photo ID.</p>', page)


def test_the_registration_form_in_spanish(client, forum_id):
    page = _text(client.get(f"/forums/{forum_id}/register?lang=es"))
    assert '<html lang="es">' in page
    assert "<h1>Inscríbase en Foro 5: Pruebas</h1>" in page
    assert '<label for="name">Nombre completo</label>' in page
    assert "¿Qué días asistirá?" in page and "viernes, 15 de marzo" in page
    assert "Aviso de privacidad" in page and "Usamos sus datos solo para" in page
    assert 'value="Inscribirme"' in page


def test_the_forums_own_privacy_note_replaces_the_standard_words(app, client, forum_id):
    with app.app_context():
        forum = db.session.get(Forum, forum_id)
        forum.privacy_note = "The county keeps sign-in sheets for three years."
        db.session.commit()
    page = _text(client.get(f"/forums/{forum_id}/register?lang=es"))
    assert '<div lang="en">The county keeps sign-in sheets for three years.</div>' in page
    assert "Usamos sus datos solo para" not in page


def test_lang_in_the_address_is_remembered_in_a_cookie(client, forum_id):
    response = client.get("/?lang=es")
    assert "lang=es" in response.headers["Set-Cookie"]
    following = _text(client.get(f"/forums/{forum_id}"))
    assert '<html lang="es">' in following and "Cuándo y dónde" in following


def test_a_first_visit_follows_accept_language(client, forum_id):
    page = _text(client.get(f"/forums/{forum_id}", headers={"Accept-Language": "es-MX,es;q=0.9"}))
    assert '<html lang="es">' in page and "Cuándo y dónde" in page
    english = _text(client.get(f"/forums/{forum_id}", headers={"Accept-Language": "en-US"}))
    assert '<html lang="en">' in english and "When and where" in english


def test_registering_on_the_spanish_form_stores_spanish(app, client, forum_id):
    response = _register(client, forum_id)
    assert response.status_code == 302
    sent = _text(client.get(response.headers["Location"]))
    assert "<h1>Revise su correo</h1>" in sent and "Gracias. Enviamos a" in sent
    assert _language_of(app, "rosa@public.example.org") == "es"


def test_registering_on_the_english_form_stores_english(app, client, forum_id):
    assert _register(client, forum_id, query="").status_code == 302
    assert _language_of(app, "rosa@public.example.org") == "en"


def test_a_known_person_who_confirms_a_spanish_request_is_written_to_in_spanish(
    app, client, forum_id
):
    with app.app_context():
        db.session.add(Person(name="Rosa Martínez", email="rosa@public.example.org"))
        db.session.commit()
    assert _register(client, forum_id).status_code == 302
    # Nothing changes on a stranger's word: only the inbox's owner, confirming, makes it so.
    assert _language_of(app, "rosa@public.example.org") == "en"
    with app.app_context():
        body = db.session.scalars(
            db.select(OutboxMessage.text_body).order_by(OutboxMessage.id.desc())
        ).first()
    confirm = re.search(r"/forums/\d+/register/confirm/[A-Za-z0-9._-]+", body).group(0)
    page = client.get(confirm)
    assert "Sí, inscribirme" in _text(page)
    client.post(confirm, data={"csrf_token": csrf_token(client, confirm)})
    assert _language_of(app, "rosa@public.example.org") == "es"


def test_the_confirmation_text_shows_after_registering(app, client, forum_id):
    with app.app_context():
        forum = db.session.get(Forum, forum_id)
        forum.confirmation_text = "Park in deck B."
        forum.confirmation_text_es = "Estacione en el edificio B."
        db.session.commit()
    response = _register(client, forum_id)
    assert "Estacione en el edificio B." in _text(client.get(response.headers["Location"]))


def test_a_spanish_error_next_to_its_field(client, forum_id):
    response = _register(client, forum_id, consent="", name="")
    assert response.status_code == 400
    page = _text(response)
    assert re.search(
        r'id="consent-error"><span class="visually-hidden">Error:</span> '
        r"Marque la casilla para aceptar el aviso de privacidad",
        page,
    )
    assert re.search(r'id="name-error">.*Escriba su nombre completo.', page)
    assert "Revise estos datos" in page


def test_a_too_long_answer_is_named_in_spanish(client, forum_id):
    page = _text(_register(client, forum_id, organization="x" * 201))
    assert "Use como máximo 200 caracteres en «organización»; este tiene 201." in page


def test_a_missing_page_in_spanish(client):
    response = client.get("/forums/99999?lang=es")
    assert response.status_code == 404
    page = _text(response)
    assert "<h1>No se encontró la página</h1>" in page and "Código de error 404" in page


def test_the_public_api_answers_in_spanish(client, forum_id):
    missing = client.get("/api/v1/forums/99999/agenda", headers=SPANISH)
    assert missing.status_code == 404
    assert missing.get_json() == {
        "error": "No se encontró la página",
        "details": "No hay ningún foro con el id 99999.",
    }
    refused = client.post(
        f"/api/v1/forums/{forum_id}/registrations",
        data=json.dumps({"name": "Rosa", "email": "rosa@public.example.org", "days": []}),
        content_type="application/json",
        headers=SPANISH,
    )
    assert refused.status_code == 422
    answer = refused.get_json()
    assert answer["error"] == "La inscripción no es válida"
    assert answer["details"]["consent"].startswith('Envíe "consent": true')
    assert answer["details"]["days"].startswith("Elija al menos un día.")


def test_the_public_api_stores_the_requests_language(app, client, forum_id):
    response = client.post(
        f"/api/v1/forums/{forum_id}/registrations?lang=es",
        data=json.dumps(
            {
                "name": "Rosa Martínez",
                "email": "rosa@public.example.org",
                "days": ["2030-03-15"],
                "consent": True,
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 202
    assert response.get_json()["message"].startswith("Gracias. Enviamos a rosa@public.example.org")
    assert _language_of(app, "rosa@public.example.org") == "es"
