"""A Spanish-speaking resident registers for the public day on a phone, by the Spanish labels,
and everything sent to them afterwards is Spanish: the confirmation and the invitation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar
from playwright.sync_api import expect

from forumapp.core.clock import utcnow
from forumapp.core.models import Forum, ForumDay, Person
from forumapp.extensions import db
from forumapp.mail.worker import deliver_due

from ..registration.conftest import make_forum
from .conftest import fits_without_sideways_scrolling

EMAIL = "lucia.moreno@public.example.org"


@pytest.fixture
def spanish_forum(app):
    with app.app_context():
        setup = make_forum(public_capacity=50)
        forum = db.session.get(Forum, setup.forum_id)
        forum.title_es = "Foro 5: Sostener el trabajo"
        public_day = db.session.get(ForumDay, setup.public_day_id)
        public_day.notes_es = "Se ofrece almuerzo."
        for day in forum.days:
            day.registration_opens_at = utcnow() - timedelta(days=1)
            day.registration_closes_at = utcnow() + timedelta(days=30)
        db.session.commit()
        return setup


def _calendar_part(message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return part.get_content()
    raise AssertionError("the invitation has no text/calendar part")


def test_a_spanish_speaker_registers_on_a_phone_and_hears_back_in_spanish(
    app, browser, live_server, spanish_forum, smtp_server
):
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        base_url=live_server,
        is_mobile=True,
        locale="es-MX",  # the phone's language: Accept-Language es-MX
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(f"/forums/{spanish_forum.forum_id}")
        expect(page.locator("html")).to_have_attribute("lang", "es")
        expect(page.get_by_role("heading", level=1)).to_have_text("Foro 5: Sostener el trabajo")
        expect(page.get_by_text("Se ofrece almuerzo.")).to_be_visible()
        page.get_by_role("link", name="Inscribirse en el día abierto al público").click()
        assert fits_without_sideways_scrolling(page)

        page.get_by_label("Nombre completo").fill("Lucía Moreno")
        page.get_by_label("Correo electrónico").fill(EMAIL)
        page.get_by_label("Organización (opcional)").fill("Iglesia San Juan")
        page.get_by_role("button", name="Inscribirme").click()
        expect(page.get_by_role("alert")).to_contain_text("Revise este dato")
        page.get_by_label("Acepto el aviso de privacidad de arriba").check()
        page.get_by_role("button", name="Inscribirme").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Revise su correo")
        assert fits_without_sideways_scrolling(page)
    finally:
        context.close()

    with app.app_context():
        person = db.session.scalar(db.select(Person).where(Person.email == EMAIL))
        assert person.language == "es"
        report = deliver_due(db.session)
        assert report.failed == 0
    received = [r.message for r in smtp_server.wait_for(2)]
    subjects = [str(message["Subject"]) for message in received]
    confirmation = next(m for m in received if "text/calendar" not in _types(m))
    body = confirmation.get_body(("plain",)).get_content()
    # The day and the forum in Spanish, and not the English wording.
    assert "lunes, 15 de marzo de 2027" in body, body
    assert "Foro 5: Sostener el trabajo" in body
    assert "Your registration" not in body and "personal link" not in body
    assert any("Foro 5" in subject for subject in subjects), subjects

    invitation = next(m for m in received if "text/calendar" in _types(m))
    ics = _calendar_part(invitation)
    (event,) = Calendar.from_ical(ics).walk("VEVENT")
    assert "Foro 5: Sostener el trabajo" in str(event["SUMMARY"])
    # A second, strict parser reads the same file (it raises on anything invalid).
    (strict_event,) = IcsCalendarStream.calendar_from_ics(ics).events
    assert "Foro 5: Sostener el trabajo" in strict_event.summary


def _types(message) -> list[str]:
    return [part.get_content_type() for part in message.walk()]
