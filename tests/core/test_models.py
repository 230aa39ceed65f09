"""Rules the database itself enforces, whichever code path writes the row."""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from forumapp.agenda.models import AgendaItem
from forumapp.core.emails import InvalidEmail
from forumapp.core.models import Forum, ForumDay, Person, Program, Room
from forumapp.extensions import db


def _forum_day():
    program = Program(name="Test program")
    forum = Forum(
        program=program,
        number=1,
        title="F1",
        venue_name="Hall",
        venue_address="1 Main St",
        venue_city="Durham",
    )
    day = ForumDay(forum=forum, date=date(2027, 3, 4), audience="team")
    room = Room(forum=forum, name="Room A", capacity=30)
    db.session.add_all([program, forum, day, room])
    db.session.commit()
    return day, room


def test_person_email_is_normalised_and_unique_ignoring_case(app_ctx):
    db.session.add(Person(name="Ann", email="  Ann.Lee@Example.ORG "))
    db.session.commit()
    assert db.session.scalar(sa.select(Person.email)) == "ann.lee@example.org"
    db.session.add(Person(name="Ann again", email="ANN.LEE@example.org"))
    with pytest.raises(IntegrityError):
        db.session.commit()


def test_invalid_email_is_refused_with_a_reason(app_ctx):
    with pytest.raises(InvalidEmail, match="@"):
        Person(name="No at sign", email="not-an-address")


def test_database_refuses_a_session_that_ends_before_it_starts(app_ctx):
    day, room = _forum_day()
    start = datetime(2027, 3, 4, 15, tzinfo=UTC)
    db.session.add(
        AgendaItem(
            day=day,
            room=room,
            kind="breakout",
            title="Backwards",
            starts_at=start,
            ends_at=start - timedelta(minutes=30),
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()


def test_database_refuses_unknown_audience_and_nonpositive_capacity(app_ctx):
    day, room = _forum_day()
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE forum_day SET audience = 'everyone'"))
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE room SET capacity = 0"))


def test_instants_come_back_in_utc_whatever_zone_they_were_given_in(app_ctx):
    from zoneinfo import ZoneInfo

    day, room = _forum_day()
    local = datetime(2027, 3, 4, 9, 0, tzinfo=ZoneInfo("America/New_York"))
    item = AgendaItem(
        day=day,
        room=room,
        kind="general_session",
        title="Welcome",
        starts_at=local,
        ends_at=local + timedelta(hours=1),
    )
    db.session.add(item)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(AgendaItem, item.id)
    assert stored.starts_at == datetime(2027, 3, 4, 14, 0, tzinfo=UTC)
    assert stored.starts_at.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(app_ctx):
    day, room = _forum_day()
    db.session.add(
        AgendaItem(
            day=day,
            room=room,
            kind="break",
            title="Lunch",
            starts_at=datetime(2027, 3, 4, 12),
            ends_at=datetime(2027, 3, 4, 13),
        )
    )
    with pytest.raises(sa.exc.StatementError, match="timezone-aware"):
        db.session.commit()
    db.session.rollback()


def test_foreign_keys_are_enforced_and_cascade(app_ctx):
    day, room = _forum_day()
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO room (forum_id, name, capacity) VALUES (9999, 'X', 5)"))
    db.session.delete(day.forum)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Room)) == 0
