"""The door's busiest requests send a fixed number of queries, however many people match."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from forumapp.core.models import ForumDay
from forumapp.extensions import db

from ..registration.conftest import make_forum
from ..support.queries import statements_compiled, statements_sent
from .people import register_member, register_public


@pytest.fixture
def forum_setup(app):
    with app.app_context():
        setup = make_forum(public_capacity=50)
        db.session.commit()
        return setup


def _lookup_queries(app, client, day_id: int) -> int:
    client.get(f"/door/days/{day_id}/lookup?q=Lee")  # warm up
    with statements_sent(app) as sent:
        response = client.get(f"/door/days/{day_id}/lookup?q=Lee")
    assert response.status_code == 200
    return len(sent)


def test_door_lookup_sends_the_same_queries_for_two_matches_and_for_eight(
    app, signed_in, forum_setup, today_is
):
    today_is(date(2027, 3, 15))  # door staff use the public day's door on that day
    client = signed_in("door")
    day = forum_setup.public_day_id
    for n in range(2):
        register_member(app, forum_setup, f"Kim Lee {n}", "Dare County", [day])
    with_two = _lookup_queries(app, client, day)
    for n in range(2, 8):
        register_member(app, forum_setup, f"Kim Lee {n}", f"Team {n}", [day])

    assert _lookup_queries(app, client, day) == with_two


def test_a_scan_through_the_api_is_one_short_transaction(
    app, client, forum_setup, make_user, today_is, db_kind
):
    people = [register_public(app, forum_setup, f"Ada Lovelace {n}") for n in range(2)]
    email = make_user("door")
    token = app.test_cli_runner().invoke(args=["token", "create", email]).stdout.split()[0]
    headers = {"Authorization": f"Bearer {token}"}
    with app.app_context():
        today_is(db.session.get(ForumDay, forum_setup.public_day_id).date)

    def scan(code: str):  # the door's scan: today, so no day is sent
        body = {"code": code, "request_id": str(uuid.uuid4())}
        return client.post("/api/v1/checkins", json=body, headers=headers)

    assert scan(people[0].code).status_code == 201  # warm up
    with statements_sent(app) as sent, statements_compiled(app) as compiled:
        response = scan(people[1].code)

    assert response.status_code == 201, response.json
    # Token and user; the ticket's time zone, for today; ticket, registration, person, day,
    # seat and teams in one select; the insert (the database refuses a second row, so no
    # savepoint and no prior check). Nothing is read again after the commit.
    assert sent[-1] == "COMMIT", sent
    statements = [s for s in sent if s not in ("BEGIN", "BEGIN IMMEDIATE", "COMMIT")]
    assert len(statements) == 4, sent
    assert statements[-1].startswith("INSERT INTO check_in"), sent
    # Each statement was compiled by the first scan and taken from the cache since: compiling
    # an insert costs more than running it.
    assert compiled == []
    if db_kind == "sqlite":
        # The reads come before the write lock is taken, in one read transaction: other doors
        # wait for the insert alone, not for the token's lookup or the scan's select.
        assert sent[0] == "BEGIN" and sent.count("BEGIN") == 1, sent
        write = sent[len(sent) - 1 - sent[::-1].index("BEGIN IMMEDIATE") :]
        assert write == ["BEGIN IMMEDIATE", statements[-1], "COMMIT"], sent
