"""From the registration form to the inbox: an invitation, then an update after an organizer's
edit, delivered over SMTP to a real (local) server and read as a mail client would."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forumapp.core.clock import to_local, utcnow
from forumapp.core.links import personal_token
from forumapp.core.models import ForumDay
from forumapp.extensions import db
from forumapp.mail.worker import deliver_due

from .. import builders as build
from ..conftest import csrf_token, sign_in
from .conftest import TRICKY, ZONE, only_event, parse


@pytest.fixture(autouse=True)
def _registration_open_now(app, setup):
    """The shared set-up uses a fixed clock; the pages use the real one."""
    with app.app_context():
        for day in db.session.scalars(sa.select(ForumDay)):
            day.registration_opens_at = utcnow() - timedelta(days=1)
            day.registration_closes_at = utcnow() + timedelta(days=30)
        db.session.commit()


def _deliver(app, smtp_server, expected: int):
    with app.app_context():
        report = deliver_due(db.session)
    assert report.failed == 0
    return smtp_server.wait_for(expected)


def _itip(email):
    """The invitation as a mail client finds it: the text/calendar alternative and the file."""
    assert email.get_content_type() == "multipart/mixed"
    alternative, attachment = email.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    kinds = [part.get_content_type() for part in alternative.iter_parts()]
    assert kinds == ["text/plain", "text/html", "text/calendar"]
    calendar_part = list(alternative.iter_parts())[2]
    method = calendar_part.get_param("method")
    assert calendar_part.get_content_charset() == "utf-8"
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename().endswith(".ics")
    assert attachment.get_content_type() == "application/ics"
    text = calendar_part.get_content()
    assert parse(attachment.get_content()).to_ical() == parse(text).to_ical()
    calendar = parse(text)
    assert str(calendar["METHOD"]) == method
    body = email.get_body(("plain",)).get_content()
    return calendar, body


def _staff_client(app, make_user):
    staff = app.test_client()
    assert sign_in(staff, make_user("organizer")).status_code == 302
    return staff


def test_a_public_registration_and_a_day_time_change_arrive_as_invitation_and_update(
    app, client, setup, smtp_server, make_user
):
    path = f"/forums/{setup.forum_id}/register"
    response = client.post(
        path,
        data={
            "name": "Zoë O'Brien",
            "email": "zoe@public.example.org",
            "day_ids": str(setup.public_day_id),
            "consent": "y",
            "csrf_token": csrf_token(client, path),
        },
    )
    assert response.status_code == 302

    received = _deliver(app, smtp_server, 2)
    (invitation,) = [r.message for r in received if r.message["Subject"].startswith("Invitation")]
    assert invitation["To"] == "Zoë O'Brien <zoe@public.example.org>"
    calendar, body = _itip(invitation)
    assert str(calendar["METHOD"]) == "REQUEST"
    first = only_event(calendar)
    assert first["SEQUENCE"] == 0
    assert str(first["LOCATION"]) == f"{TRICKY}, 1 Main Street, Durham"
    assert first["DTSTART"].params["TZID"] == ZONE
    assert "Monday, March 15, 2027, 8:30 AM–4:30 PM (EDT)" in body
    assert "Café, Room 2; Floor 3" in body

    staff = _staff_client(app, make_user)
    edit = f"/staff/days/{setup.public_day_id}/edit"
    response = staff.post(
        edit,
        data={
            "date": "2027-03-15",
            "audience": "public",
            "starts_at": "09:15",
            "ends_at": "17:00",
            "capacity": "3",
            "csrf_token": csrf_token(staff, edit),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)

    received = _deliver(app, smtp_server, 3)
    update = received[-1].message
    assert update["Subject"].startswith("Updated: ")
    calendar, body = _itip(update)
    event = only_event(calendar)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == str(first["UID"])
    assert event["SEQUENCE"] == first["SEQUENCE"] + 1
    start = to_local(event["DTSTART"].dt, ZONE)
    assert (start.hour, start.minute) == (9, 15)
    assert "9:15 AM–5:00 PM" in body


def test_a_team_members_breakout_moved_by_an_organizer_arrives_as_an_update(
    app, client, setup, smtp_server, make_user
):
    with app.app_context():
        person = build.team_member("Maya Brooks")
        db.session.commit()
        token = personal_token(person)
        breakout = setup.breakout_ids[0]
    page = f"/me/{token}"
    response = client.post(
        f"{page}/forums/{setup.forum_id}/register",
        data={
            "day_ids": str(setup.team_day_id),
            "csrf_token": csrf_token(client, page),
        },
    )
    assert response.status_code == 302
    form = client.get(page).get_data(as_text=True)
    slot = re.search(rf'name="(slot-[^"]+)" value="{breakout}"', form).group(1)
    choice = {slot: str(breakout), "csrf_token": csrf_token(client, page)}
    response = client.post(f"{page}/forums/{setup.forum_id}/breakouts", data=choice)
    assert response.status_code == 302

    received = _deliver(app, smtp_server, 3)
    invitations = [r.message for r in received if r.message["Subject"].startswith("Invitation")]
    assert len(invitations) == 2  # the day and the breakout, separately
    first = only_event(_itip(invitations[-1])[0])
    assert str(first["UID"]).startswith(f"item-{breakout}-person-")

    staff = _staff_client(app, make_user)
    move = f"/staff/items/{breakout}/move"
    response = staff.post(
        move,
        data={
            "start": "15:00",
            "room_id": str(setup.room_ids[1]),
            "confirm": "y",
            "csrf_token": csrf_token(staff, move),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)

    received = _deliver(app, smtp_server, 4)
    calendar, body = _itip(received[-1].message)
    event = only_event(calendar)
    assert str(event["UID"]) == str(first["UID"])
    assert event["SEQUENCE"] == first["SEQUENCE"] + 1
    start = to_local(event["DTSTART"].dt, ZONE)
    assert (start.hour, start.minute) == (15, 0)
    assert str(event["LOCATION"]).startswith("Room B, ")
    assert "Time: was 10:30 AM–11:45 AM, now 3:00 PM–4:15 PM" in body
