"""An erased person's tickets are voided and no new one is ever issued: not by the API's
ticket image, not for a badge, not when a seat opens for them, and nothing checks them in."""

import io

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from forumapp.api.openapi import openapi_document
from forumapp.checkin import badges, receivers, tickets
from forumapp.checkin.lookup import lookup
from forumapp.checkin.models import Ticket
from forumapp.checkin.scanning import scan
from forumapp.checkin.tickets import reissue_ticket, ticket_for
from forumapp.core.models import Forum, ForumDay
from forumapp.extensions import db
from forumapp.privacy.services import erase_person
from forumapp.registration.models import Registration
from forumapp.registration.registering import cancel_days

from ..checkin.people import register_public
from ..checkin.test_api import conforms
from ..registration.conftest import make_forum


@pytest.fixture
def forum_setup(app):
    """Forum 5: a public day with 2 seats and a team day."""
    with app.app_context():
        setup = make_forum(public_capacity=2)
        db.session.commit()
        return setup


@pytest.fixture
def door(app, make_user) -> dict:
    email = make_user("door")
    result = app.test_cli_runner().invoke(args=["token", "create", email])
    assert result.exit_code == 0, result.output
    return {"Authorization": f"Bearer {result.stdout.strip().splitlines()[0]}"}


def _erase(app, registration_id: int) -> None:
    with app.app_context():
        person = db.session.get(Registration, registration_id).person
        erase_person(db.session, person, actor_id=None)
        db.session.commit()


def _tickets(app, registration_id: int) -> tuple[int, int]:
    """(all tickets, live tickets) of the registration."""
    with app.app_context():
        rows = db.session.scalars(
            sa.select(Ticket).where(Ticket.registration_id == registration_id)
        ).all()
        return len(rows), sum(ticket.voided_at is None for ticket in rows)


def _scan(app, setup, code: str):
    with app.app_context():
        day = db.session.get(ForumDay, setup.public_day_id)
        outcome = scan(db.session, code, day, None)
        db.session.commit()
        return outcome.result.value, outcome.message


def test_the_api_ticket_image_of_an_erased_person_is_410_and_issues_nothing(
    app, client, forum_setup, door
):
    ada = register_public(app, forum_setup, "Ada Lovelace")
    _erase(app, ada.registration_id)
    assert _tickets(app, ada.registration_id) == (1, 0)  # her ticket was voided

    response = client.get(f"/api/v1/registrations/{ada.registration_id}/ticket.png", headers=door)
    assert response.status_code == 410
    assert "erased" in response.get_json()["details"]
    conforms(
        openapi_document(),
        "/registrations/{registration_id}/ticket.png",
        "get",
        410,
        response.get_json(),
    )
    assert _tickets(app, ada.registration_id) == (1, 0)  # and no new one was issued
    # Her old code stays refused at the door.
    result, message = _scan(app, forum_setup, ada.code)
    assert result == "invalid" and "Welcome" not in message
    # and the door's name search does not find her to check in by hand.
    with app.app_context():
        day = db.session.get(ForumDay, forum_setup.public_day_id)
        assert lookup(db.session, day, "Erased") == []
        assert lookup(db.session, day, "erased.invalid") == []


def test_badges_skip_an_erased_person_and_issue_no_ticket(app, forum_setup, signed_in):
    ada = register_public(app, forum_setup, "Ada Lovelace")
    grace = register_public(app, forum_setup, "Grace Hopper")
    _erase(app, ada.registration_id)
    client = signed_in("organizer")
    url = f"/staff/forums/{forum_setup.forum_id}/badges.pdf"

    form = client.get(f"/staff/forums/{forum_setup.forum_id}/badges").get_data(as_text=True)
    assert "Erased person" not in form and "Grace Hopper" in form
    response = client.get(url, query_string={"day_id": forum_setup.public_day_id})
    assert response.status_code == 200
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "Grace Hopper" in text and "Erased person" not in text
    only_her = client.get(url, query_string={"registration_id": ada.registration_id})
    assert only_her.status_code == 302  # "Nobody to print"
    assert _tickets(app, ada.registration_id) == (1, 0)
    assert _tickets(app, grace.registration_id) == (1, 1)
    with app.app_context():
        forum = db.session.get(Forum, forum_setup.forum_id)
        cards = badges.badge_cards(db.session, forum, None, [ada.registration_id])
        db.session.commit()
    assert cards == [] and _tickets(app, ada.registration_id) == (1, 0)


def test_no_ticket_for_an_erased_person_anywhere_tickets_are_issued(app, forum_setup):
    first = register_public(app, forum_setup, "A One")
    register_public(app, forum_setup, "B Two")
    waiting = register_public(app, forum_setup, "C Three")
    assert waiting.code is None
    _erase(app, waiting.registration_id)
    _erase(app, first.registration_id)

    with app.app_context():
        # A seat opens and the erased, waitlisted person gets it: their seat counts, but no
        # ticket comes with it.
        cancel_days(db.session, db.session.get(Registration, first.registration_id))
        db.session.commit()
        held = db.session.get(Registration, waiting.registration_id)
        assert tickets.has_confirmed_seat(held)
        assert tickets.current_ticket(db.session, held) is None
        assert ticket_for(db.session, held) is None
        assert reissue_ticket(db.session, held) is None
        assert receivers.ticket_email_addition(db.session, held) is None
        state = tickets.ticket_state(db.session, held)
        assert not state.ready and state.code is None  # the personal page shows no ticket
        db.session.commit()
    assert _tickets(app, waiting.registration_id) == (0, 0)
