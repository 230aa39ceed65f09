"""Tickets as people get them: on the personal page, printable, in the confirmation email."""

from __future__ import annotations

import base64
import gc
import html
import re
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from forumapp.checkin import qr, receivers
from forumapp.checkin.models import Ticket
from forumapp.checkin.scanning import scan
from forumapp.checkin.tickets import CODE_LENGTH, format_code, new_code, ticket_for
from forumapp.core.models import ForumDay
from forumapp.extensions import db, mail
from forumapp.mail.models import OutboxMessage
from forumapp.mail.outbox import queue_email
from forumapp.mail.worker import deliver_due
from forumapp.registration.models import Registration
from forumapp.registration.registering import cancel_days

from .. import builders as build
from ..conftest import csrf_token
from ..mail.conftest import SMTPServer
from .people import decode_qr, live_code, register_member, register_public


@pytest.fixture
def inbox(app):
    """A real SMTP server the app delivers to."""
    server = SMTPServer()
    server.start()
    settings = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": server.port, "MAIL_SUPPRESS_SEND": False}
    saved_config = {key: app.config.get(key) for key in settings}
    saved_state = app.extensions["mail"]
    app.config.update(settings)
    app.extensions["mail"] = mail.init_mail(app.config, app.debug, app.testing)
    yield server
    server.stop()
    app.config.update(saved_config)
    app.extensions["mail"] = saved_state


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _scan(app, setup, code: str) -> str:
    with app.app_context():
        day = db.session.get(ForumDay, setup.public_day_id)
        outcome = scan(db.session, code, day, None)
        db.session.commit()
        return outcome.result.value


# --- Who has a ticket ------------------------------------------------------------------------


def test_a_confirmed_registration_has_a_ticket_at_once(app, forum_setup):
    ada = register_public(app, forum_setup, "Ada Lovelace")
    assert ada.code is not None and len(ada.code) == CODE_LENGTH


def test_a_waitlisted_person_gets_a_ticket_when_a_seat_opens(app, client, forum_setup):
    first = register_public(app, forum_setup, "A One")
    register_public(app, forum_setup, "B Two")
    waiting = register_public(app, forum_setup, "C Three")
    assert waiting.code is None
    page = _text(client.get(waiting.page))
    assert "Your ticket appears here when you have a seat." in page
    assert waiting.image not in page
    assert client.get(waiting.image).status_code == 404

    with app.app_context():
        cancel_days(db.session, db.session.get(Registration, first.registration_id))
        db.session.commit()

    code = live_code(app, waiting.registration_id)
    assert code is not None
    page = _text(client.get(waiting.page))
    assert format_code(code) in page and waiting.image in page


# --- The personal page and the ticket image --------------------------------------------------


def test_the_personal_page_shows_the_qr_code_and_the_code_in_groups(app, client, forum_setup):
    ada = register_public(app, forum_setup, "Ada Lovelace")
    page = _text(client.get(ada.page))
    assert "Your ticket" in page
    assert f'src="{ada.image}"' in page and 'alt="QR code of your ticket for' in page
    assert format_code(ada.code) in page  # 5-character groups, to type if need be
    assert format_code(ada.code).count("-") == 5

    image = client.get(ada.image)
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert "no-store" in image.headers["Cache-Control"]
    assert decode_qr(image.data) == (ada.code, "M")


def test_the_qr_code_holds_only_the_code_with_a_quiet_zone(app_ctx):
    code = new_code()
    modules = qr.qr_modules(code, "Q")
    assert len(modules) == 25 + 2 * qr.QUIET_ZONE  # version 2: small and easy to scan
    border = modules[: qr.QUIET_ZONE] + modules[-qr.QUIET_ZONE :]
    assert not any(any(row) for row in border)
    assert not any(any(row[: qr.QUIET_ZONE]) for row in modules)
    assert decode_qr(qr.qr_png(code, "Q")) == (code, "Q")


def test_a_ticket_is_shown_only_to_its_owner(app, client, forum_setup):
    ada = register_public(app, forum_setup, "Ada Lovelace")
    bob = register_public(app, forum_setup, "Bob Byte")
    # Bob's link cannot open Ada's ticket, image or page, nor renew her code.
    assert client.get(f"/me/{bob.token}/tickets/{ada.registration_id}.png").status_code == 404
    assert client.get(f"/me/{bob.token}/tickets/{ada.registration_id}").status_code == 404
    reissue = f"/me/{bob.token}/tickets/{ada.registration_id}/reissue"
    token = csrf_token(client, bob.page)
    assert client.post(reissue, data={"csrf_token": token}).status_code == 404
    assert live_code(app, ada.registration_id) == ada.code
    # A forged or altered personal token opens nothing.
    assert client.get(f"/me/{ada.token}x/tickets/{ada.registration_id}.png").status_code == 404
    assert client.get(f"/me/{ada.token}/tickets/987654.png").status_code == 404
    # Each page shows its owner's code only.
    page = _text(client.get(bob.page))
    assert format_code(bob.code) in page and format_code(ada.code) not in page


def test_the_printable_ticket_has_name_code_days_and_a_sturdier_qr(app, client, forum_setup):
    ada = register_public(app, forum_setup, "Ada Lovelace", organization="Town of Apex")
    response = client.get(f"/me/{ada.token}/tickets/{ada.registration_id}")
    assert response.status_code == 200
    page = _text(response)
    assert "Ada Lovelace" in page and "Town of Apex" in page
    assert format_code(ada.code) in page
    assert "Monday, March 15, 2027" in page
    assert "css/ticket.css" in page  # its print style hides the links
    printed = client.get(f"{ada.image}?print=1")
    assert decode_qr(printed.data) == (ada.code, "Q")


def test_a_new_code_voids_the_old_one(app, client, forum_setup):
    ada = register_public(app, forum_setup, "Ada Lovelace")
    reissue = f"/me/{ada.token}/tickets/{ada.registration_id}/reissue"
    assert client.post(reissue).status_code == 400  # no CSRF token: nothing happens
    assert live_code(app, ada.registration_id) == ada.code
    # Asked first: the button that replaces the code is inside the question.
    page = _text(client.get(ada.page))
    assert re.search(
        r'<details class="confirm-step">\s*<summary>Get a new ticket code.*?</summary>.*?'
        r"A new code makes the old one stop working\..*?Yes, give me a new code",
        page,
        re.S,
    )

    response = client.post(reissue, data={"csrf_token": csrf_token(client, ada.page)})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{ada.page}#forum-{forum_setup.forum_id}")
    new = live_code(app, ada.registration_id)
    assert new != ada.code
    page = _text(client.get(ada.page))
    assert "The old one no longer works" in page
    assert format_code(new) in page and format_code(ada.code) not in page
    assert decode_qr(client.get(ada.image).data)[0] == new

    assert _scan(app, forum_setup, ada.code) == "invalid"
    assert _scan(app, forum_setup, new) == "checked_in"


def test_a_ticket_issued_on_first_view_is_kept(app, client, forum_setup):
    """Registrations from before tickets existed get one when first shown, and keep it."""
    ada = register_public(app, forum_setup, "Ada Lovelace")
    with app.app_context():
        db.session.execute(sa.delete(Ticket))
        db.session.commit()
    first = decode_qr(client.get(ada.image).data)[0]
    assert decode_qr(client.get(ada.image).data)[0] == first
    assert live_code(app, ada.registration_id) == first


def test_tickets_issued_by_images_loading_at_once_all_show(app, forum_setup):
    """A personal page loads its QR images in parallel; each may issue a ticket at once."""
    people = [register_public(app, forum_setup, name) for name in ("Ada Lovelace", "Bo Diaz")]
    for _round in range(3):
        with app.app_context():
            db.session.execute(sa.delete(Ticket))
            db.session.commit()
        urls = [url for person in people for url in (person.image, person.image + "?print=1")]
        start = threading.Barrier(len(urls))

        def load(url, start=start):
            client = app.test_client()
            start.wait()
            return client.get(url).status_code

        with ThreadPoolExecutor(len(urls)) as pool:
            statuses = list(pool.map(load, urls))

        assert statuses == [200] * len(urls)
        with app.app_context():
            live = db.session.scalars(sa.select(Ticket).where(Ticket.voided_at.is_(None))).all()
        assert sorted(ticket.registration_id for ticket in live) == sorted(
            person.registration_id for person in people
        )


# --- The confirmation email ------------------------------------------------------------------


def _confirmations(app, inbox) -> dict:
    """Deliver the outbox; the registration confirmations received, by recipient."""
    with app.app_context():
        report = deliver_due(db.session)
        assert report.failed == 0
    received = inbox.wait_for(report.sent)
    return {
        r.rcpt_tos[0]: r.message
        for r in received
        if r.message["Subject"].startswith("Your registration")  # calendar invitations aside
    }


def test_the_confirmation_email_carries_the_ticket_as_an_inline_image(app, forum_setup, inbox):
    ada = register_public(app, forum_setup, "Ada Lovelace")
    email = _confirmations(app, inbox)["ada.lovelace@public.example.org"]

    assert email.get_content_type() == "multipart/alternative"
    text, related = email.iter_parts()
    assert format_code(ada.code) in text.get_content()
    assert related.get_content_type() == "multipart/related"
    html_part, image = related.iter_parts()
    assert '<img src="cid:ticket"' in html_part.get_content()
    assert format_code(ada.code) in html_part.get_content()
    assert image.get_content_type() == "image/png"
    assert image["Content-ID"] == "<ticket>"
    assert image.get_content_disposition() == "inline"
    assert decode_qr(image.get_content()) == (ada.code, "M")


def test_the_email_and_its_ticket_image_are_drawn_by_the_mail_worker_not_in_the_registration(
    app, forum_setup
):
    ada = register_public(app, forum_setup, "Ada Lovelace")
    with app.app_context():
        confirmation = db.session.scalar(
            sa.select(OutboxMessage).where(OutboxMessage.kind == "registration")
        )
        # Nothing was rendered inside the request: neither the bodies nor the PNG.
        assert confirmation.text_body == "" and confirmation.html_body is None
        assert confirmation.attachments == []
        [image] = build.emailed(confirmation).attachments
        assert image["rendered_by"] == receivers.EMAIL_QR_RENDERER
        assert image["arguments"] == {"code": ada.code}
        assert "content_base64" not in image


def test_writing_the_confirmation_issues_no_ticket(app, forum_setup):
    """The worker writes a confirmation in a transaction that only reads (on SQLite outside
    the write gate): a registration older than tickets, confirmed but without one, is
    written to without a ticket (its ticket page issues one, as before)."""
    register_public(app, forum_setup, "Ada Lovelace")
    with app.app_context():
        db.session.execute(sa.delete(Ticket))  # as before tickets existed
        db.session.commit()
        confirmation = db.session.scalar(
            sa.select(OutboxMessage).where(OutboxMessage.kind == "registration")
        )

        written = build.emailed(confirmation)

        assert "Your ticket code" not in written.text_body and written.attachments == []
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0


def test_a_session_lets_go_of_the_tickets_it_saw_once_its_transaction_ends(app, forum_setup):
    """The mail worker keeps one session for as long as it runs (reminders issue tickets):
    the tickets a transaction looked at must not stay held for ever after it."""
    register_public(app, forum_setup, "Ada Lovelace")
    with app.app_context():
        registration = db.session.scalar(sa.select(Registration))
        seen = weakref.ref(ticket_for(db.session, registration))
        db.session.commit()
        del registration
        gc.collect()
        assert seen() is None


def test_a_waitlisted_person_gets_no_ticket_in_the_email(app, forum_setup, inbox):
    register_public(app, forum_setup, "A One")
    register_public(app, forum_setup, "B Two")
    register_public(app, forum_setup, "C Three")
    waiting = _confirmations(app, inbox)["c.three@public.example.org"]
    assert waiting.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in waiting.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    assert "cid:ticket" not in waiting.as_string()


def test_a_team_member_gets_the_ticket_in_the_email_too(app, forum_setup, inbox):
    tia = register_member(
        app, forum_setup, "Tia Member", "Buncombe County", [forum_setup.team_day_id]
    )
    email = _confirmations(app, inbox)["tia.member@county.example.org"]
    image = next(part for part in email.walk() if part.get_content_type() == "image/png")
    assert decode_qr(image.get_content())[0] == tia.code


def test_inline_images_sit_beside_the_html_and_files_stay_attachments(app_ctx, inbox):
    png = qr.qr_png(new_code())
    queue_email(
        db.session,
        to_email="ana@example.org",
        subject="Both kinds",
        text_body="Hello",
        html_body='<p>Hello <img src="cid:logo" alt=""></p>',
        attachments=[
            {"filename": "notes.txt", "content_type": "text/plain", "content": "Turn left."},
            {
                "filename": "logo.png",
                "content_type": "image/png",
                "content_base64": base64.b64encode(png).decode(),
                "content_id": "logo",
            },
            {
                "filename": "map.png",
                "content_type": "image/png",
                "content_base64": base64.b64encode(png).decode(),
            },
        ],
    )
    db.session.commit()
    assert deliver_due(db.session).sent == 1
    email = inbox.wait_for(1)[0].message
    assert email.get_content_type() == "multipart/mixed"
    alternative, notes, image_file = email.iter_parts()
    text, related = alternative.iter_parts()
    assert [p.get_content_type() for p in related.iter_parts()] == ["text/html", "image/png"]
    assert list(related.iter_parts())[1].get_content() == png
    assert (notes.get_filename(), notes.get_content_disposition()) == ("notes.txt", "attachment")
    assert notes.get_content().replace("\r\n", "\n") == "Turn left.\n"
    assert (image_file.get_filename(), image_file.get_content_disposition()) == (
        "map.png",
        "attachment",
    )
    assert image_file.get_content() == png
