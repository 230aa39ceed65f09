"""Organizers change a day's or a session's capacity once people hold seats: never below the
seats taken (a message next to Capacity, nothing changed), and a raise gives the new seats to
the people waiting, in order, each told by email."""

from __future__ import annotations

import html
from datetime import time, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from forumapp.agenda import forums
from forumapp.agenda.errors import AgendaError
from forumapp.agenda.models import AgendaItem
from forumapp.core.models import Forum, ForumDay
from forumapp.extensions import db
from forumapp.mail.models import OutboxMessage
from forumapp.registration.breakouts import choose_breakout
from forumapp.registration.models import BreakoutPick, DaySeat

from .. import builders as build
from ..conftest import csrf_token
from .conftest import NOW


@pytest.fixture
def organizer(signed_in):
    return signed_in("organizer")


def _post(client, path, data):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, path)})


def _day_form(day: ForumDay, capacity: int | None) -> dict:
    return {
        "date": day.date.isoformat(),
        "audience": day.audience,
        "starts_at": "08:30",
        "ends_at": "16:30",
        "capacity": "" if capacity is None else str(capacity),
        "reminder_days": "7, 2",
    }


def _day_input(day: ForumDay, capacity: int | None) -> forums.DayInput:
    """The day as it is, with ``capacity``: what the day form sends."""
    return forums.DayInput(
        date=day.date,
        audience=day.audience,
        starts_at=time(8, 30),
        ends_at=time(16, 30),
        capacity=capacity,
    )


def _item_form(item: AgendaItem, capacity: int | None) -> dict:
    return {
        "kind": item.kind,
        "title": item.title,
        "start": "10:30",
        "end": "11:45",
        "room_id": str(item.room_id),
        "capacity": "" if capacity is None else str(capacity),
        "status": item.status,
    }


def _fill_public_day(setup, names: list[str]) -> None:
    forum = db.session.get(Forum, setup.forum_id)
    for name in names:
        build.public_registration(forum, name, now=NOW)
    db.session.commit()


def _statuses(model, parent_column, parent_id: int) -> list[str]:
    return db.session.scalars(
        sa.select(model.status).where(parent_column == parent_id).order_by(model.id)
    ).all()


def _promotions_to(email: str) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.to_email == email, OutboxMessage.kind == "promotion")
    )


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_a_day_capacity_below_the_seats_taken_is_refused_next_to_the_field(app, organizer, setup):
    with app.app_context():
        _fill_public_day(setup, ["A One", "B Two", "C Three"])
        day = db.session.get(ForumDay, setup.public_day_id)
        form = _day_form(day, 2)

    response = _post(organizer, f"/staff/days/{setup.public_day_id}/edit", form)

    assert response.status_code == 400
    assert "3 people have a seat on this day, so its capacity cannot be lower than 3." in _text(
        response
    )
    with app.app_context():
        assert db.session.get(ForumDay, setup.public_day_id).capacity == 3
    # Down to the seats taken is fine: nobody loses a seat.
    form["capacity"] = "3"
    assert _post(organizer, f"/staff/days/{setup.public_day_id}/edit", form).status_code == 302


def test_a_session_capacity_below_the_seats_taken_is_refused_before_any_warning(
    app, organizer, setup
):
    with app.app_context():
        item = db.session.get(AgendaItem, setup.breakout_ids[0])
        for name in ("M One", "M Two"):
            registration = build.team_registration(setup.forum_id, name, now=NOW)
            choose_breakout(db.session, registration, item, now=NOW)
        db.session.commit()
        form = _item_form(item, 1)

    response = _post(organizer, f"/staff/items/{setup.breakout_ids[0]}/edit", form)

    assert response.status_code == 400
    text = _text(response)
    assert "2 people have a seat in this session, so its capacity cannot be lower than 2." in text
    with app.app_context():
        assert db.session.get(AgendaItem, setup.breakout_ids[0]).capacity == 2


def test_raising_a_day_capacity_gives_the_new_seats_to_the_people_waiting_in_order(
    app, organizer, setup
):
    with app.app_context():
        _fill_public_day(setup, ["A One", "B Two", "C Three", "D Four", "E Five", "F Six"])
        day = db.session.get(ForumDay, setup.public_day_id)
        form = _day_form(day, 5)

    response = _post(organizer, f"/staff/days/{setup.public_day_id}/edit", form)

    assert response.status_code == 302
    page = _text(organizer.get(response.headers["Location"]))
    assert "2 people waiting were given a seat and emailed." in page
    with app.app_context():
        statuses = _statuses(DaySeat, DaySeat.day_id, setup.public_day_id)
        assert statuses == ["confirmed"] * 5 + ["waitlisted"]
        assert db.session.get(ForumDay, setup.public_day_id).seats_taken == 5
        assert _promotions_to(build.email_for("D Four")) == 1
        assert _promotions_to(build.email_for("E Five")) == 1
        assert _promotions_to(build.email_for("F Six")) == 0


def test_removing_a_day_capacity_seats_everyone_waiting(app_ctx, setup):
    _fill_public_day(setup, ["A One", "B Two", "C Three", "D Four", "E Five"])
    day = db.session.get(ForumDay, setup.public_day_id)
    data = _day_input(day, None)

    saved = forums.save_day(db.session, day.forum, data, day)

    assert saved.moved_up == 2
    assert _statuses(DaySeat, DaySeat.day_id, day.id) == ["confirmed"] * 5


def test_raising_a_breakout_capacity_seats_the_people_waiting_for_it(app, organizer, setup):
    with app.app_context():
        item = db.session.get(AgendaItem, setup.breakout_ids[0])
        for name in ("M One", "M Two", "M Three"):
            registration = build.team_registration(setup.forum_id, name, now=NOW)
            choose_breakout(db.session, registration, item, join_waitlist=True, now=NOW)
        db.session.commit()
        form = _item_form(item, 3)

    response = _post(organizer, f"/staff/items/{setup.breakout_ids[0]}/edit", form)

    assert response.status_code == 302
    assert "1 person waiting was given a seat and emailed." in _text(
        organizer.get(response.headers["Location"])
    )
    with app.app_context():
        picks = _statuses(BreakoutPick, BreakoutPick.item_id, setup.breakout_ids[0])
        assert picks == ["confirmed"] * 3
        assert _promotions_to(build.email_for("M Three", "county.example.org")) == 1


def test_seats_taken_meanwhile_refuse_the_lower_capacity_with_the_same_message(app_ctx, setup):
    """The count read before the edit may be stale (on PostgreSQL a registration can take a
    seat in between): the database's check refuses the capacity, and the organizer gets the
    message rather than an error page."""
    _fill_public_day(setup, ["A One", "B Two", "C Three"])
    day = db.session.get(ForumDay, setup.public_day_id)
    set_committed_value(day, "seats_taken", 1)  # what this request read before the others
    data = _day_input(day, 2)

    with pytest.raises(AgendaError, match="3 people have a seat on this day"):
        forums.save_day(db.session, day.forum, data, day)

    db.session.commit()
    assert db.session.get(ForumDay, setup.public_day_id).capacity == 3


def test_raising_a_capacity_after_the_day_moves_nobody_up(app_ctx, setup, today_is):
    """An organizer setting the record straight once the day is over: nobody is told a seat
    opened for a day gone by."""
    _fill_public_day(setup, ["A One", "B Two", "C Three", "D Four"])
    day = db.session.get(ForumDay, setup.public_day_id)
    today_is(day.date + timedelta(days=1))
    data = _day_input(day, 10)

    saved = forums.save_day(db.session, day.forum, data, day)

    assert saved.moved_up == 0
    assert _statuses(DaySeat, DaySeat.day_id, day.id) == ["confirmed"] * 3 + ["waitlisted"]
    assert _promotions_to(build.email_for("D Four")) == 0


def _breakout_in_a_room_of_two(setup, waiting: int) -> AgendaItem:
    """Breakout 1 with no capacity of its own in a room of two seats: full, and ``waiting``
    more people on its waitlist."""
    item = db.session.get(AgendaItem, setup.breakout_ids[0])
    item.capacity = None
    item.room.capacity = 2
    for number in range(2 + waiting):
        registration = build.team_registration(setup.forum_id, f"M {number}", now=NOW)
        choose_breakout(db.session, registration, item, join_waitlist=True, now=NOW)
    db.session.flush()
    return item


def _item_input(item: AgendaItem, capacity: int | None, status: str = "scheduled"):
    from forumapp.agenda.items import ItemInput

    return ItemInput(
        kind=item.kind,
        title=item.title,
        start=time(10, 30),
        end=time(11, 45),
        room_id=item.room_id,
        capacity=capacity,
        status=status,
    )


def test_a_session_holding_its_rooms_seats_counts_them_when_its_capacity_changes(app_ctx, setup):
    from forumapp.agenda.items import update_item

    item = _breakout_in_a_room_of_two(setup, waiting=3)
    assert (
        _statuses(BreakoutPick, BreakoutPick.item_id, item.id)
        == ["confirmed"] * 2 + ["waitlisted"] * 3
    )

    assert update_item(db.session, item, _item_input(item, 4)) == 2  # 2 seats more than the room

    with pytest.raises(AgendaError, match="4 people have a seat in this session"):
        update_item(db.session, item, _item_input(item, None))  # back to the room's two


def test_a_rooms_seats_raised_seat_the_people_waiting_and_never_go_below_those_taken(
    app_ctx, setup
):
    item = _breakout_in_a_room_of_two(setup, waiting=1)
    room = item.room

    with pytest.raises(AgendaError, match="2 people have a seat in “Breakout 1”, held in this"):
        forums.save_room(db.session, room.forum, room.name, 1, room)

    forums.save_room(db.session, room.forum, room.name, 3, room)
    assert _statuses(BreakoutPick, BreakoutPick.item_id, item.id) == ["confirmed"] * 3


def test_a_session_cancelled_as_its_capacity_goes_up_seats_nobody(app_ctx, setup):
    from forumapp.agenda.items import update_item

    item = _breakout_in_a_room_of_two(setup, waiting=1)

    assert update_item(db.session, item, _item_input(item, 10, status="cancelled")) == 0
    assert _statuses(BreakoutPick, BreakoutPick.item_id, item.id)[-1] == "waitlisted"
    assert _promotions_to(build.email_for("M 2", "county.example.org")) == 0


def test_a_closed_forums_capacity_raise_moves_nobody_up(app_ctx, setup):
    _fill_public_day(setup, ["A One", "B Two", "C Three", "D Four"])
    day = db.session.get(ForumDay, setup.public_day_id)
    day.forum.status = "closed"

    assert forums.save_day(db.session, day.forum, _day_input(day, 10), day).moved_up == 0
    assert _statuses(DaySeat, DaySeat.day_id, day.id)[-1] == "waitlisted"
