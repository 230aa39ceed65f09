"""A person's mail, calendar invitations, reminders and personal pages speak their language
(``Person.language``): Spanish for a Spanish speaker, with the organizers' Spanish titles where
there are some, English for everyone else, and a form on the personal page to change it."""

from __future__ import annotations

import re
from datetime import time

import sqlalchemy as sa
from ical.calendar_stream import IcsCalendarStream

from forumapp.agenda.models import AgendaItem
from forumapp.calendar.feeds import ensure_feed
from forumapp.core.links import personal_token
from forumapp.core.models import Forum, ForumDay, Person
from forumapp.extensions import db
from forumapp.mail.models import OutboxMessage
from forumapp.messages.audience import Audience
from forumapp.messages.reminders import queue_due_reminders, reminder_time
from forumapp.messages.sending import MessageInput, write_message
from forumapp.registration.breakouts import choose_breakout

from .. import builders as build
from ..calendar.conftest import calendar_mail, invitation_of, only_event, parse
from ..calendar.conftest import setup as setup  # noqa: F401  (fixture)
from ..conftest import csrf_token
from ..feedback.conftest import build_world
from ..registration.conftest import NOW

SPANISH_TITLE = "Foro 1: Pruebas"


def _confirmation(email: str) -> OutboxMessage:
    return db.session.scalar(
        sa.select(OutboxMessage)
        .where(OutboxMessage.kind == "registration", OutboxMessage.to_email == email)
        .order_by(OutboxMessage.id.desc())
    )


def _spanish_forum(forum_id: int) -> Forum:
    forum = db.session.get(Forum, forum_id)
    forum.title_es = SPANISH_TITLE
    db.session.flush()
    return forum


def test_a_spanish_speakers_confirmation_is_in_spanish_and_an_english_speakers_in_english(
    app_ctx, setup
):
    forum = _spanish_forum(setup.forum_id)
    spanish = build.public_registration(forum, "Lucía Pérez", language="es", now=NOW)
    english = build.public_registration(forum, "Ada Lovelace", now=NOW)

    message = _confirmation(spanish.person.email)
    assert message.subject == f"Su inscripción: {SPANISH_TITLE}"
    mail = build.emailed(message)
    assert mail.subject == message.subject  # written again with the body, in its language
    assert "Hola, Lucía Pérez:" in mail.text_body
    assert "Está inscrito para el lunes, 15 de marzo de 2027." in mail.text_body
    assert "Su código de entrada:" in mail.text_body
    assert "Vea su inscripción, cámbiela o cancélela aquí:" in mail.text_body
    assert '<html lang="es">' in mail.html_body
    assert "Este enlace es personal" in mail.html_body
    assert "registered" not in mail.text_body

    message = _confirmation(english.person.email)
    assert message.subject == f"Your registration: {forum.title}"
    mail = build.emailed(message)
    assert "You're registered for Monday, March 15, 2027." in mail.text_body
    assert SPANISH_TITLE not in mail.text_body


def test_a_spanish_speakers_calendar_invitation_has_the_spanish_session_title(app_ctx, setup):
    forum = _spanish_forum(setup.forum_id)
    breakout = db.session.get(AgendaItem, setup.breakout_ids[0])
    breakout.title_es = "Naloxona en las escuelas"
    opening = db.session.get(AgendaItem, setup.opening_id)
    opening.title_es = "Apertura y bienvenida"
    member = build.team_member("Marta Gómez")
    member.language = "es"
    registration = build.team_registration(
        forum, member, day_ids=[setup.public_day_id, setup.team_day_id], now=NOW
    )
    choose_breakout(db.session, registration, breakout, now=NOW)

    messages = calendar_mail(member.email)
    pick = next(m for m in messages if breakout.title_es in m.subject)
    assert pick.subject.startswith("Invitación: Naloxona en las escuelas – ")
    event = only_event(invitation_of(pick))
    assert str(event["SUMMARY"]) == f"Naloxona en las escuelas – {SPANISH_TITLE}"
    assert event["SUMMARY"].params["LANGUAGE"] == "es"
    assert f"Sesión simultánea en {SPANISH_TITLE}" in str(event["DESCRIPTION"])
    assert "Su inscripción y página personal:" in str(event["DESCRIPTION"])
    assert "Hola, Marta Gómez:" in pick.text_body
    (strict,) = IcsCalendarStream.calendar_from_ics(pick.alternatives[0]["content"]).events
    assert strict.summary == f"Naloxona en las escuelas – {SPANISH_TITLE}"

    day = next(m for m in messages if str(setup.public_day_id) in m.about and "day" in m.about)
    description = str(only_event(invitation_of(day))["DESCRIPTION"])
    assert "Apertura y bienvenida" in description
    assert "lunes, 15 de marzo de 2027" in description
    assert "Abierto al público" in description and "Programa:" in description
    IcsCalendarStream.calendar_from_ics(day.alternatives[0]["content"])


def test_the_personal_page_speaks_the_persons_language_and_switches_with_lang(app, client, setup):
    with app.app_context():
        registration = build.public_registration(
            setup.forum_id, "Lucía Pérez", language="es", now=NOW
        )
        db.session.commit()
        token = personal_token(registration.person)

    page = client.get(f"/me/{token}").get_data(as_text=True)
    assert '<html lang="es">' in page
    assert "Sus inscripciones" in page
    assert "Está inscrito." in page
    assert "Idioma de los correos y de sus páginas" in page

    english = client.get(f"/me/{token}?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english
    assert "Your registrations" in english and "You're registered." in english


def test_the_language_form_stores_the_choice(app, client, setup):
    with app.app_context():
        registration = build.public_registration(setup.forum_id, "Ada Lovelace", now=NOW)
        db.session.commit()
        person_id = registration.person_id
        token = personal_token(registration.person)
    path = f"/me/{token}"
    form = client.get(path).get_data(as_text=True)
    assert re.search(r'<input checked[^>]*value="en"', form)

    response = client.post(
        f"{path}/language",
        data={"language": "es", "csrf_token": csrf_token(client, path)},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Guardado: sus correos y páginas estarán en español." in page
    assert "Sus inscripciones" in page
    with app.app_context():
        assert db.session.get(Person, person_id).language == "es"

    refused = client.post(
        f"{path}/language", data={"language": "fr", "csrf_token": csrf_token(client, path)}
    )
    assert refused.status_code == 400
    with app.app_context():
        assert db.session.get(Person, person_id).language == "es"


def test_a_reminder_to_a_spanish_speaker_is_in_spanish(app_ctx, setup):
    forum = _spanish_forum(setup.forum_id)
    forum.parking_info = "Deck on Church Street."
    forum.parking_info_es = "Estacionamiento en la calle Church."
    day = db.session.get(Forum, setup.forum_id).days[0]
    build.item(day, "Opening", time(9), time(10), kind="general_session")
    spanish = build.public_registration(forum, "Lucía Pérez", language="es", now=NOW)
    english = build.public_registration(forum, "Ada Lovelace", now=NOW)
    db.session.commit()

    queue_due_reminders(db.session, reminder_time(day, 7))
    db.session.commit()
    reminders = {
        message.person_id: message
        for message in db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == "day_reminder")
        )
    }
    mail = reminders[spanish.person_id]
    assert mail.subject == f"Dentro de 7 días: {SPANISH_TITLE}, lunes, 15 de marzo de 2027"
    assert "CUÁNDO" in mail.text_body and "DÓNDE" in mail.text_body
    assert "Estacionamiento en la calle Church." in mail.text_body
    assert "NO PUEDO IR: DEJAR MI LUGAR A OTRA PERSONA" in mail.text_body
    assert "No puedo ir: dejar mi lugar a otra persona" in mail.html_body
    assert reminders[english.person_id].subject.startswith("In 7 days: Forum")
    assert "Deck on Church Street." in reminders[english.person_id].text_body


def test_the_feedback_form_is_in_spanish_for_a_spanish_speaker(app, client):
    with app.app_context():
        world = build_world()
        person = world.person("Ana Alvarez")
        person.language = "es"
        db.session.commit()
        token, forum_id = world.token("Ana Alvarez"), world.forum_id
        outsider = world.token("Nia Noshow")

    path = f"/me/{token}/feedback/{forum_id}"
    page = client.get(path).get_data(as_text=True)
    assert "En general, ¿cómo calificaría el foro?" in page
    assert "Las sesiones a las que asistió" in page
    assert "Excelente" in page and "Sin respuesta" in page
    assert "Enviar mis respuestas" in page

    refused = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert refused.status_code == 400
    assert "Elija una calificación general del 1 (mala) al 5 (excelente)." in refused.get_data(
        as_text=True
    )

    english = client.get(f"{path}?lang=en").get_data(as_text=True)
    assert "Overall, how would you rate the forum?" in english

    not_there = client.get(f"/me/{outsider}/feedback/{forum_id}?lang=es")
    assert not_there.status_code == 403
    assert "La encuesta de opinión es para quienes asistieron" in not_there.get_data(as_text=True)


def test_a_group_messages_placeholders_speak_each_recipients_language(app_ctx, setup):
    forum = _spanish_forum(setup.forum_id)
    spanish = build.public_registration(forum, "Lucía Pérez", language="es", now=NOW)
    english = build.public_registration(forum, "Ada Lovelace", now=NOW)
    message = write_message(
        db.session,
        forum,
        MessageInput(
            subject="{forum}",
            body="See you on {day} at {forum}.",
            audience=Audience(days=(db.session.get(ForumDay, setup.public_day_id).date,)),
        ),
        user_id=None,
        now=NOW,
    )

    copies = {
        copy.to_email: copy
        for copy in db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.about == message.ref)
        )
    }
    # The organizer's own words stay as written; the values filled in follow the person.
    assert copies[spanish.person.email].subject == SPANISH_TITLE
    assert copies[spanish.person.email].text_body == (
        f"See you on lunes, 15 de marzo de 2027 at {SPANISH_TITLE}."
    )
    assert copies[english.person.email].subject == forum.title
    assert copies[english.person.email].text_body == (
        f"See you on Monday, March 15, 2027 at {forum.title}."
    )


def test_a_session_download_speaks_the_pages_language(app, client, setup):
    with app.app_context():
        _spanish_forum(setup.forum_id)
        db.session.get(AgendaItem, setup.opening_id).title_es = "Apertura y bienvenida"
        db.session.commit()
    path = f"/sessions/{setup.opening_id}.ics"

    spanish = only_event(parse(client.get(f"{path}?lang=es").get_data()))
    english = only_event(parse(client.get(f"{path}?lang=en").get_data()))

    assert str(spanish["SUMMARY"]) == f"Apertura y bienvenida – {SPANISH_TITLE}"
    assert spanish["SUMMARY"].params["LANGUAGE"] == "es"
    assert "Dónde:" in str(spanish["DESCRIPTION"])
    assert str(english["SUMMARY"]).startswith("Opening, welcome; and goals – ")
    assert "Where:" in str(english["DESCRIPTION"])


def test_the_personal_feed_speaks_the_persons_language_whatever_the_calendar_app_asks(
    app, client, setup
):
    with app.app_context():
        forum = _spanish_forum(setup.forum_id)
        db.session.get(AgendaItem, setup.opening_id).title_es = "Apertura y bienvenida"
        person = build.public_registration(forum, "Lucía Pérez", language="es", now=NOW).person
        db.session.commit()
        feed_path = f"/calendar/{ensure_feed(db.session, person).token}.ics"
        db.session.commit()

    response = client.get(feed_path, headers={"Accept-Language": "en-US,en;q=0.9"})

    (event,) = parse(response.get_data()).walk("VEVENT")
    assert str(event["SUMMARY"]) == SPANISH_TITLE
    assert event["SUMMARY"].params["LANGUAGE"] == "es"
    assert "Abierto al público" in str(event["DESCRIPTION"])
    assert "lunes, 15 de marzo de 2027" in str(event["DESCRIPTION"])
    IcsCalendarStream.calendar_from_ics(response.get_data(as_text=True))
