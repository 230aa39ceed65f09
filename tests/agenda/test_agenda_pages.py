"""Organizers build a forum's agenda in the web pages."""

import html
from datetime import date

import pytest
import sqlalchemy as sa

from forumapp.agenda.models import AgendaChange, AgendaItem
from forumapp.core.models import Forum, ForumDay, Room
from forumapp.extensions import db

from .. import builders as build
from ..conftest import csrf_token


def _post(client, path, data, token_from=None):
    token = csrf_token(client, token_from or path)
    return client.post(path, data={**data, "csrf_token": token})


@pytest.fixture
def organizer(signed_in):
    return signed_in("organizer")


@pytest.fixture
def forum_with_rooms(app):
    with app.app_context():
        forum = build.forum(status="draft", days=((date(2027, 2, 18), "team"),))
        build.room(forum, "Main Hall", 200)
        build.room(forum, "Room A", 30)
        db.session.commit()
        return forum.id, forum.days[0].id, {r.name: r.id for r in forum.rooms}


def _item_form(**overrides):
    data = {
        "kind": "breakout",
        "title": "Setting goals",
        "description": "",
        "start": "10:30",
        "end": "11:45",
        "room_id": "",
        "capacity": "",
        "status": "scheduled",
    }
    data.update(overrides)
    return data


def test_organizer_creates_a_forum_with_a_day_and_a_room(app, organizer):
    response = _post(
        organizer,
        "/staff/forums/new",
        {
            "number": "6",
            "title": "Forum 6: Next steps",
            "theme": "Sustaining networks",
            "venue_name": "Civic Center",
            "venue_address": "5 Elm St",
            "venue_city": "Wilson",
        },
    )
    assert response.status_code == 302
    agenda_url = response.headers["Location"]
    forum_id = int(agenda_url.split("/")[3])
    response = _post(
        organizer,
        f"/staff/forums/{forum_id}/days/new",
        {
            "date": "2027-09-09",
            "audience": "public",
            "starts_at": "09:00",
            "ends_at": "16:00",
            "capacity": "150",
            "registration_opens_at": "2027-07-01T09:00",
            "registration_closes_at": "2027-09-06T17:00",
        },
    )
    assert response.status_code == 302
    assert (
        _post(
            organizer,
            f"/staff/forums/{forum_id}/rooms/new",
            {"name": "Auditorium", "capacity": "120"},
        ).status_code
        == 302
    )
    page = organizer.get(agenda_url).get_data(as_text=True)
    assert "Forum 6: Next steps" in page and "Draft" in page
    assert "Thursday, September 9, 2027" in page and "Auditorium (120 seats)" in page
    with app.app_context():
        day = db.session.scalar(sa.select(ForumDay))
        # 9:00 in New York in September is 13:00 UTC.
        assert day.registration_opens_at.isoformat() == "2027-07-01T13:00:00+00:00"


def test_forum_form_errors_are_shown_next_to_the_fields(organizer, forum_with_rooms):
    response = _post(
        organizer,
        "/staff/forums/new",
        {"number": "1", "title": "", "venue_name": "X", "venue_address": "Y", "venue_city": "Z"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="title-error"' in page and "Give the forum a title." in page
    response = _post(
        organizer,
        "/staff/forums/new",
        {"number": "1", "title": "Dup", "venue_name": "X", "venue_address": "Y", "venue_city": "Z"},
    )
    assert "Forum 1 already exists" in response.get_data(as_text=True)


def test_day_and_room_validation(organizer, forum_with_rooms):
    forum_id, day_id, rooms = forum_with_rooms
    response = _post(
        organizer,
        f"/staff/forums/{forum_id}/days/new",
        {"date": "2027-02-18", "audience": "team", "starts_at": "09:00", "ends_at": "16:00"},
    )
    assert "already has a day on February 18, 2027" in response.get_data(as_text=True)
    response = _post(
        organizer,
        f"/staff/forums/{forum_id}/days/new",
        {"date": "2027-02-19", "audience": "team", "starts_at": "16:00", "ends_at": "09:00"},
    )
    assert "The day must end after it starts." in response.get_data(as_text=True)
    response = _post(
        organizer, f"/staff/forums/{forum_id}/rooms/new", {"name": "room a", "capacity": "10"}
    )
    assert "already has a room called Room A" in response.get_data(as_text=True)


def test_grid_shows_parallel_breakouts_side_by_side(app, organizer, forum_with_rooms):
    forum_id, day_id, rooms = forum_with_rooms
    for title, room in [("Goals", "Main Hall"), ("Data", "Room A")]:
        response = _post(
            organizer,
            f"/staff/days/{day_id}/items/new",
            _item_form(title=title, room_id=str(rooms[room])),
        )
        assert response.status_code == 302, response.get_data(as_text=True)
    page = organizer.get(f"/staff/forums/{forum_id}/agenda").get_data(as_text=True)
    grid = page[page.index('class="agenda-grid"') :]
    header = grid[: grid.index("</thead>")]
    assert header.index("Main Hall") < header.index("Room A")
    row = grid[grid.index("10:30 AM</th>") :]
    row = row[: row.index("</tr>")]
    assert row.count("<td>") == 2 and row.index("Goals") < row.index("Data")
    assert "No problems found" in page


def test_conflict_is_a_warning_before_saving_and_saves_on_confirmation(
    app, organizer, forum_with_rooms
):
    forum_id, day_id, rooms = forum_with_rooms
    _post(
        organizer,
        f"/staff/days/{day_id}/items/new",
        _item_form(title="First", room_id=str(rooms["Room A"])),
    )
    clash = _item_form(title="Second", room_id=str(rooms["Room A"]), start="11:00", end="12:00")
    response = _post(organizer, f"/staff/days/{day_id}/items/new", clash)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Check before saving" in page and "Room A is booked twice" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AgendaItem)) == 1

    response = _post(organizer, f"/staff/days/{day_id}/items/new", {**clash, "confirm": "y"})
    assert response.status_code == 302
    page = organizer.get(f"/staff/forums/{forum_id}/agenda").get_data(as_text=True)
    assert "Problems (1)" in page and "Room A is booked twice" in page


def test_session_end_before_start_is_explained(organizer, forum_with_rooms):
    forum_id, day_id, rooms = forum_with_rooms
    response = _post(
        organizer, f"/staff/days/{day_id}/items/new", _item_form(start="11:00", end="10:00")
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="end-error"' in page and "must end after it starts" in page


def test_copy_move_reorder_and_delete(app, organizer, forum_with_rooms):
    forum_id, day_id, rooms = forum_with_rooms
    _post(
        organizer,
        f"/staff/days/{day_id}/items/new",
        _item_form(title="Goals", room_id=str(rooms["Room A"])),
    )
    with app.app_context():
        original_id = db.session.scalar(sa.select(AgendaItem.id))
    agenda = f"/staff/forums/{forum_id}/agenda"
    response = _post(organizer, f"/staff/items/{original_id}/copy", {}, token_from=agenda)
    copy_id = int(response.headers["Location"].split("/")[3])
    response = _post(
        organizer,
        f"/staff/items/{copy_id}/move",
        {"start": "13:00", "room_id": str(rooms["Main Hall"])},
    )
    assert response.status_code == 302
    with app.app_context():
        copy = db.session.get(AgendaItem, copy_id)
        assert copy.title == "Goals (copy)" and copy.room.name == "Main Hall"
        assert copy.status == "draft"  # nobody can book it before an organizer schedules it
        assert (copy.ends_at - copy.starts_at).total_seconds() == 75 * 60
    page = organizer.get(agenda).get_data(as_text=True)
    assert "1:00 PM</th>" in page

    # Move it back beside the original: both start at 10:30, the copy listed second.
    _post(
        organizer,
        f"/staff/items/{copy_id}/move",
        {"start": "10:30", "room_id": str(rooms["Main Hall"])},
    )
    _post(organizer, f"/staff/items/{copy_id}/reorder", {"value": "earlier"}, token_from=agenda)
    with app.app_context():
        order = db.session.scalars(
            sa.select(AgendaItem.title).order_by(AgendaItem.starts_at, AgendaItem.position)
        ).all()
    assert order == ["Goals (copy)", "Goals"]

    assert (
        _post(organizer, f"/staff/items/{copy_id}/delete", {}, token_from=agenda).status_code == 302
    )
    with app.app_context():
        assert db.session.scalars(sa.select(AgendaItem.title)).all() == ["Goals"]


def test_changing_a_published_session_records_the_change(app, organizer, forum_with_rooms):
    forum_id, day_id, rooms = forum_with_rooms
    _post(
        organizer,
        f"/staff/days/{day_id}/items/new",
        _item_form(title="Goals", room_id=str(rooms["Room A"])),
    )
    with app.app_context():
        item_id = db.session.scalar(sa.select(AgendaItem.id))
    # While a draft, edits are not recorded: nobody has seen the agenda yet.
    _post(
        organizer,
        f"/staff/items/{item_id}/edit",
        _item_form(title="Goals", room_id=str(rooms["Room A"]), start="10:45", end="12:00"),
    )
    agenda = f"/staff/forums/{forum_id}/agenda"
    _post(organizer, f"/staff/forums/{forum_id}/status", {"value": "published"}, agenda)
    response = _post(
        organizer,
        f"/staff/items/{item_id}/edit",
        _item_form(
            title="Goals",
            room_id=str(rooms["Main Hall"]),
            start="13:00",
            end="14:00",
            status="cancelled",
        ),
    )
    assert response.status_code == 302
    with app.app_context():
        changes = db.session.scalars(sa.select(AgendaChange)).all()
        assert len(changes) == 1
        recorded = changes[0].changes
        assert recorded["room"] == ["Room A", "Main Hall"]
        assert recorded["status"] == ["scheduled", "cancelled"]
        assert recorded["starts_at"] == ["2027-02-18T15:45:00+00:00", "2027-02-18T18:00:00+00:00"]
        assert changes[0].notified_at is None
    page = organizer.get(agenda).get_data(as_text=True)
    assert "Recorded changes" in page and "room Room A → Main Hall" in page
    # A new title is a change too: it is how people recognise the event in their calendar.
    _post(
        organizer,
        f"/staff/items/{item_id}/edit",
        _item_form(
            title="Goals, renamed",
            room_id=str(rooms["Main Hall"]),
            start="13:00",
            end="14:00",
            status="cancelled",
        ),
    )
    with app.app_context():
        latest = db.session.scalars(sa.select(AgendaChange).order_by(AgendaChange.id)).all()[-1]
        assert latest.changes == {"title": ["Goals", "Goals, renamed"]}
    # An edit of the description alone is not.
    _post(
        organizer,
        f"/staff/items/{item_id}/edit",
        _item_form(
            title="Goals, renamed",
            room_id=str(rooms["Main Hall"]),
            start="13:00",
            end="14:00",
            status="cancelled",
            description="Now with a description",
        ),
    )
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AgendaChange)) == 2


def test_adding_a_speaker_to_a_session(app, organizer, forum_with_rooms):
    forum_id, day_id, rooms = forum_with_rooms
    _post(organizer, f"/staff/days/{day_id}/items/new", _item_form(title="Goals"))
    with app.app_context():
        item_id = db.session.scalar(sa.select(AgendaItem.id))
        speaker_id = build.speaker("Renee Castillo").id
        db.session.commit()
    edit = f"/staff/items/{item_id}/edit"
    response = _post(
        organizer,
        f"/staff/items/{item_id}/speakers",
        {"speaker-speaker_id": str(speaker_id), "speaker-role": "facilitator"},
        token_from=edit,
    )
    assert response.status_code == 302
    page = organizer.get(edit).get_data(as_text=True)
    assert "Added Renee Castillo as facilitator" in page
    assert 'Renee Castillo <span class="muted">(facilitator)</span>' in page


def test_faculty_reads_the_agenda_but_cannot_change_it(client, signed_in, forum_with_rooms):
    forum_id, day_id, rooms = forum_with_rooms
    faculty = signed_in("faculty")
    page = faculty.get(f"/staff/forums/{forum_id}/agenda")
    assert page.status_code == 200
    assert "Add a session" not in page.get_data(as_text=True)
    assert faculty.get(f"/staff/days/{day_id}/items/new").status_code == 403


def test_unknown_ids_are_404(organizer):
    assert organizer.get("/staff/forums/999/agenda").status_code == 404
    assert organizer.get("/staff/items/999/edit").status_code == 404


def test_room_choice_must_belong_to_the_forum(app, organizer, forum_with_rooms):
    forum_id, day_id, rooms = forum_with_rooms
    with app.app_context():
        other = build.forum(number=2)
        foreign = build.room(other, "Elsewhere", 10)
        db.session.commit()
        foreign_id = foreign.id
    response = _post(
        organizer, f"/staff/days/{day_id}/items/new", _item_form(room_id=str(foreign_id))
    )
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AgendaItem)) == 0
        assert db.session.get(Room, foreign_id).forum_id != forum_id
        assert db.session.get(Forum, forum_id).status == "draft"


def test_sessions_and_forums_people_are_in_are_not_deleted_or_hidden(
    app, organizer, forum_with_rooms
):
    forum_id, day_id, _rooms = forum_with_rooms
    _post(organizer, f"/staff/days/{day_id}/items/new", _item_form(title="Goals", capacity="5"))
    with app.app_context():
        item = db.session.scalar(sa.select(AgendaItem))
        item.seats_taken, item_id = 2, item.id  # two people hold seats
        db.session.get(ForumDay, day_id).seats_taken = 2
        db.session.get(Forum, forum_id).status = "published"
        db.session.commit()
    agenda = f"/staff/forums/{forum_id}/agenda"

    response = _post(organizer, f"/staff/items/{item_id}/delete", {}, token_from=agenda)
    page = html.unescape(organizer.get(response.headers["Location"]).get_data(as_text=True))
    assert "2 people have seats in “Goals”: cancel it first" in page
    _post(organizer, f"/staff/forums/{forum_id}/status", {"value": "draft"}, agenda)
    page = html.unescape(organizer.get(agenda).get_data(as_text=True))
    assert "People are registered for Forum 1: Testing: it cannot go back to draft" in page
    with app.app_context():
        assert db.session.get(AgendaItem, item_id) is not None
        assert db.session.get(Forum, forum_id).status == "published"


def test_a_taken_forum_number_is_reported_with_the_forms_other_problems(app, organizer):
    with app.app_context():
        build.forum(number=4)
        db.session.commit()
    response = _post(
        organizer,
        "/staff/forums/new",
        {
            "number": "4",
            "title": "Forum 4 again",
            "theme": "",
            "venue_name": "Civic Center",
            "venue_address": "",
            "venue_city": "Wilson",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Forum 4 already exists in this program." in page
    assert "Give the venue&#39;s street address." in page


# --- Numbers and dates out of range ----------------------------------------------------------


def _day_form(**overrides):
    data = {"date": "2027-02-19", "audience": "team", "starts_at": "09:00", "ends_at": "16:00"}
    return data | overrides


@pytest.mark.parametrize("capacity", ["99999999999", "2147483648", "١٢", "1_000"])
def test_a_day_capacity_a_database_cannot_hold_is_refused_next_to_the_field(
    app, organizer, forum_with_rooms, capacity
):
    forum_id, *_ = forum_with_rooms
    response = _post(organizer, f"/staff/forums/{forum_id}/days/new", _day_form(capacity=capacity))
    page = response.get_data(as_text=True)
    assert response.status_code == 400, page
    assert 'id="capacity-error"' in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ForumDay)) == 1


def test_a_session_capacity_above_the_32_bit_range_is_refused(app, organizer, forum_with_rooms):
    _, day_id, _ = forum_with_rooms
    response = _post(
        organizer, f"/staff/days/{day_id}/items/new", _item_form(capacity="3000000000")
    )
    assert response.status_code == 400
    assert "That number is too large." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AgendaItem)) == 0


@pytest.mark.parametrize(
    "fields",
    [
        {"date": "9999-12-31"},
        {"date": "1999-12-31"},
        {"registration_closes_at": "9999-12-31T23:59"},
    ],
)
def test_a_day_dated_far_from_now_is_refused_and_the_agenda_still_shows(
    app, client, organizer, forum_with_rooms, fields
):
    forum_id, *_ = forum_with_rooms
    response = _post(organizer, f"/staff/forums/{forum_id}/days/new", _day_form(**fields))
    page = response.get_data(as_text=True)
    assert response.status_code == 400, page
    assert "Enter a date between the years 2000 and 2100." in page
    assert organizer.get(f"/staff/forums/{forum_id}/agenda").status_code == 200
    assert client.get("/api/v1/forums").status_code in (200, 401)


@pytest.mark.parametrize("written", ["99999999999999999999", "{}", "{}٣", "０{}", "²"])
def test_an_id_in_an_address_in_other_digits_or_too_large_is_not_found(
    organizer, forum_with_rooms, written
):
    forum_id, *_ = forum_with_rooms
    # "١" is an Arabic-Indic one, "٣" three and "０" a full-width zero: none is an id.
    arabic = str(forum_id).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert organizer.get(f"/staff/forums/{forum_id}/agenda").status_code == 200
    response = organizer.get(f"/staff/forums/{written.format(arabic)}/agenda")
    assert response.status_code == 404
