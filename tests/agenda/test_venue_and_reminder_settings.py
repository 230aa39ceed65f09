"""Organizers give a forum its parking and accessibility contact (shown wherever the venue
is), and set each day's reminders, change them or turn them off."""

from __future__ import annotations

import html
from datetime import date

import pytest

from forumapp.core.models import Forum, ForumDay
from forumapp.extensions import db

from .. import builders as build
from ..conftest import csrf_token

DAY = date(2027, 9, 9)


def _post(client, path, data):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, path)})


@pytest.fixture
def organizer(signed_in):
    return signed_in("organizer")


@pytest.fixture
def forum_ids(app):
    with app.app_context():
        forum = build.forum(days=((DAY, "public"),))
        db.session.commit()
        return forum.id, forum.days[0].id


def _forum_form(**fields):
    return {
        "number": "1",
        "title": "Forum 1: Testing",
        "venue_name": "Civic Center",
        "venue_address": "1 Main Street",
        "venue_city": "Durham",
    } | fields


def _day_form(**fields):
    return (
        {"date": DAY.isoformat(), "audience": "public", "starts_at": "08:30"}
        | {"ends_at": "16:30"}
        | fields
    )


def test_parking_and_the_accessibility_contact_show_with_the_venue(
    app, client, organizer, forum_ids
):
    forum_id, _day_id = forum_ids
    response = _post(
        organizer,
        f"/staff/forums/{forum_id}/edit",
        _forum_form(
            parking_info="Deck on Church Street; free with your ticket.",
            accessibility_contact="Jordan Reyes, 919-555-0142",
        ),
    )
    assert response.status_code == 302
    page = html.unescape(client.get(f"/forums/{forum_id}").get_data(as_text=True))
    assert "Deck on Church Street; free with your ticket." in page
    assert "Questions about access, seating or an interpreter: Jordan Reyes, 919-555-0142" in page
    assert "https://www.openstreetmap.org/search?query=Civic+Center%2C+1+Main+Street%2C+Durham" in (
        page
    )


def test_parking_text_too_long_is_refused_next_to_its_field(app, organizer, forum_ids):
    forum_id, _day_id = forum_ids
    response = _post(
        organizer, f"/staff/forums/{forum_id}/edit", _forum_form(parking_info="x" * 1001)
    )
    assert response.status_code == 400
    assert 'id="parking_info-error"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Forum, forum_id).parking_info == ""


def test_a_day_has_reminders_seven_and_two_days_before_unless_changed(app, organizer, forum_ids):
    forum_id, day_id = forum_ids
    edit = organizer.get(f"/staff/days/{day_id}/edit").get_data(as_text=True)
    assert 'value="7, 2"' in edit
    assert "Each goes at 9:00 AM local time (America/New_York)" in edit
    new_day = organizer.get(f"/staff/forums/{forum_id}/days/new").get_data(as_text=True)
    assert 'value="7, 2"' in new_day

    saved = _post(organizer, f"/staff/days/{day_id}/edit", _day_form(reminder_days="1, 5"))
    assert saved.status_code == 302
    with app.app_context():
        assert db.session.get(ForumDay, day_id).reminder_offsets == (5, 1)
    assert 'value="5, 1"' in organizer.get(f"/staff/days/{day_id}/edit").get_data(as_text=True)


def test_organizers_turn_a_days_reminders_off(app, organizer, forum_ids):
    _forum_id, day_id = forum_ids
    response = _post(organizer, f"/staff/days/{day_id}/edit", _day_form(reminder_days=""))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(ForumDay, day_id).reminder_offsets == ()


@pytest.mark.parametrize(
    ("written", "words"),
    [
        ("0", "Each reminder goes 1 to 60 days before the day."),
        ("61", "Each reminder goes 1 to 60 days before the day."),
        ("a week", "Write whole numbers of days"),
        ("-2", "Write whole numbers of days"),
        ("7, 2½", "Write whole numbers of days"),
        ("1,2,3,4,5,6", "Send at most 5 reminders."),
    ],
)
def test_reminders_that_cannot_be_are_refused_next_to_the_field(
    app, organizer, forum_ids, written, words
):
    _forum_id, day_id = forum_ids
    response = _post(organizer, f"/staff/days/{day_id}/edit", _day_form(reminder_days=written))
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert 'id="reminder_days-error"' in page and words in page
    with app.app_context():
        assert db.session.get(ForumDay, day_id).reminder_offsets == (7, 2)
