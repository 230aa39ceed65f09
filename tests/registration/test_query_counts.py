"""The organizer's registration table (each page of it), breakout table and breakout export
send as many queries for a forum of hundreds as for a handful: no query per person, and no
query per batch of people either (an eager load that fetches related rows 500 at a time would
add one every 500)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from forumapp.core.clock import utcnow
from forumapp.core.models import Person
from forumapp.extensions import db
from forumapp.registration.models import BreakoutPick, DaySeat, Registration

from ..conftest import post_public_registration
from ..support.queries import statements_compiled, statements_sent


@pytest.fixture
def organizer(signed_in):
    return signed_in("organizer")


def _add_registrations(setup, first: int, count: int) -> None:
    """``count`` people registered for both days, each with a breakout pick, written in bulk
    (the pages only read these rows; the services would take minutes for hundreds)."""
    now = utcnow()

    def insert(model, rows):
        return list(
            db.session.scalars(
                sa.insert(model).returning(model.id, sort_by_parameter_order=True), rows
            )
        )

    people = insert(
        Person,
        [
            {"name": f"Person {n:04d}", "email": f"person{n:04d}@public.example.org"}
            for n in range(first, first + count)
        ],
    )
    registrations = insert(
        Registration,
        [
            {
                "forum_id": setup.forum_id,
                "person_id": person_id,
                "kind": "public",
                "created_at": now,
            }
            for person_id in people
        ],
    )
    insert(
        DaySeat,
        [
            {
                "registration_id": registration_id,
                "day_id": day_id,
                "status": "confirmed",
                "created_at": now,
                "status_changed_at": now,
            }
            for registration_id in registrations
            for day_id in (setup.public_day_id, setup.team_day_id)
        ],
    )
    insert(
        BreakoutPick,
        [
            {
                "registration_id": registration_id,
                "item_id": setup.breakout_ids[n % 3],
                "status": "confirmed" if n % 4 else "waitlisted",
                "created_at": now,
                "status_changed_at": now,
            }
            for n, registration_id in enumerate(registrations)
        ],
    )
    db.session.commit()


def _queries(app, client, url: str) -> int:
    with statements_sent(app) as sent:
        response = client.get(url)
        assert response.status_code == 200
        response.get_data()  # an export streams: its queries run as the body is read
    return len(sent)


@pytest.mark.parametrize(
    "page", ["registrations", "registrations?page=2", "breakouts", "breakouts.csv"]
)
def test_the_organizers_tables_send_the_same_queries_for_ten_people_and_for_six_hundred(
    app, organizer, setup, page
):
    url = f"/staff/forums/{setup.forum_id}/{page}"
    with app.app_context():
        _add_registrations(setup, 0, 10)
    few = _queries(app, organizer, url)
    with app.app_context():
        _add_registrations(setup, 10, 590)

    assert _queries(app, organizer, url) == few


def _register_through_the_api(client, setup, email="ada@example.org"):
    body = {"name": "Ada Lovelace", "email": email, "consent": True}
    response = client.post(
        f"/api/v1/forums/{setup.forum_id}/registrations", json=body | {"days": ["2027-03-15"]}
    )
    assert response.status_code == 202, response.json


def _register_through_the_form(client, setup, email="ada@example.org"):
    response = post_public_registration(
        client, setup.forum_id, setup.public_day_id, name="Ada Lovelace", email=email
    )
    assert response.status_code == 302, response.get_data(as_text=True)


@pytest.mark.parametrize("register", [_register_through_the_api, _register_through_the_form])
def test_a_public_registration_takes_the_write_lock_only_for_its_writes(
    app, client, setup, windows_open_now, register
):
    with statements_sent(app) as sent:
        register(client, setup)
    if "BEGIN IMMEDIATE" not in sent:
        pytest.skip("the write lock is SQLite's; PostgreSQL locks rows")
    # The forum, its days, the program and the lookup of the address are read first; other
    # registrations then wait only for this one's writes (the seat is still decided there).
    begin = sent.index("BEGIN IMMEDIATE")
    write = sent[begin : begin + sent[begin:].index("COMMIT") + 1]
    assert write[1].startswith("INSERT INTO person"), sent
    assert not any(s.startswith("SELECT forum") or "FROM person" in s for s in write), sent


def test_a_new_public_registration_is_written_with_its_seat_in_one_flush_on_sqlite(
    app, client, setup, windows_open_now, db_kind
):
    if db_kind != "sqlite":
        pytest.skip("on PostgreSQL the seat's savepoint writes the registration before it")
    _register_through_the_api(client, setup, "first@example.org")
    flushed: list[list[str]] = []

    def before_flush(session, _context, _instances):
        if session.new:
            flushed.append(sorted(type(row).__name__ for row in session.new))

    event.listen(Session, "before_flush", before_flush)
    try:
        _register_through_the_api(client, setup, "second@example.org")
    finally:
        event.remove(Session, "before_flush", before_flush)
    # Each flush is a pass of the unit of work over the session: the registration waits for
    # its seat, and the ticket and calendar note the seat brings go together.
    assert flushed == [["DaySeat", "Registration"], ["PendingInvite", "Ticket"], ["OutboxMessage"]]


@pytest.mark.parametrize("register", [_register_through_the_api, _register_through_the_form])
def test_a_second_public_registration_compiles_no_statement_anew(
    app, client, setup, windows_open_now, register
):
    # Every statement of a registration (the inserts that let the unique address decide among
    # them) is compiled once and then taken from the cache: compiling costs more than running.
    register(client, setup, "first@example.org")
    with statements_compiled(app) as compiled:
        register(client, setup, "second@example.org")
    assert compiled == []


def test_a_new_public_registration_reads_the_forum_and_then_only_writes(
    app, client, setup, windows_open_now
):
    _register_through_the_api(client, setup, "first@example.org")
    with statements_sent(app) as sent:
        _register_through_the_api(client, setup, "second@example.org")
    selects = [s for s in sent if s.lstrip().startswith("SELECT")]
    # The forum with its days and program in one query; the address is not looked up (the
    # person's INSERT says whether it is new), and a new person can have no calendar feed,
    # ticket or confirmation yet, so nothing after is looked up either.
    assert len(selects) == 1, sent
    assert "FROM forum" in selects[0] and "forum_day" in selects[0], selects
    first_write = next(i for i, s in enumerate(sent) if s.startswith("INSERT INTO person"))
    assert not any(s.lstrip().startswith("SELECT") for s in sent[first_write:]), sent
