"""Seats and waitlists stay exact under concurrent requests, on SQLite and on PostgreSQL.

Registrations go through the JSON API of a real server process (gunicorn, several workers
and threads) on the test database; cancellations run in threads, each with its own app
context and database session, which is what concurrent requests amount to.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from forumapp.core.models import Forum, ForumDay
from forumapp.extensions import db
from forumapp.mail.models import OutboxMessage
from forumapp.registration.breakouts import choose_breakout
from forumapp.registration.models import DaySeat, Registration
from forumapp.registration.public import register_public
from forumapp.registration.registering import cancel_days, register_team_member
from forumapp.registration.seats import waitlist_position

from .. import builders as build
from ..conftest import PROJECT_DIR

CAPACITY = 10
REQUESTS = 60
SERVER_START_TIMEOUT = 30  # seconds
REQUEST_TIMEOUT = 60


# --- A real server process ------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """A gunicorn process serving the app on the test database, on 127.0.0.1."""

    def __init__(self, database_url: str, log_path: Path):
        self.port = _free_port()
        self.log_path = log_path
        env = os.environ | {
            "FORUMAPP_CONFIG": "testing",
            # TestingConfig reads its database from TEST_DATABASE_URL when it is imported.
            "TEST_DATABASE_URL": database_url,
            "RATELIMIT_PUBLIC_API": "100000 per minute",
        }
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "4",
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--graceful-timeout",
            "2",
            # One import in the master, then forked workers: a quicker start. create_app
            # opens no database connection, so the workers share no connection.
            "--preload",
            "forumapp:create_app('testing')",
        ]
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(
                command, cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def wait_until_healthy(self) -> None:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the server exited with {self.process.returncode}:\n{self.log()}")
            try:
                if self.request("GET", "/healthz", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        pytest.fail(f"the server did not answer /healthz in {SERVER_START_TIMEOUT}s:\n{self.log()}")

    def request(self, method: str, path: str, body=None, timeout=REQUEST_TIMEOUT):
        """``(status, parsed JSON or text)`` for one request on a fresh connection."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            payload = None if body is None else json.dumps(body)
            headers = {"Content-Type": "application/json"} if body is not None else {}
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
            is_json = response.getheader("Content-Type", "").startswith("application/json")
            return response.status, json.loads(text) if is_json else text
        finally:
            connection.close()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


@pytest.fixture(scope="module")
def live_server(app):
    with app.app_context():
        database_url = db.engine.url.render_as_string(hide_password=False)
    with tempfile.TemporaryDirectory(prefix="forumapp-server-") as folder:
        server = LiveServer(database_url, Path(folder) / "gunicorn.log")
        try:
            server.wait_until_healthy()
            yield server
        finally:
            server.stop()


# --- Helpers --------------------------------------------------------------------------------


def _open_forum(app, days=((date(2027, 3, 15), "public"),), capacity=CAPACITY) -> tuple[int, list]:
    """A published forum whose days are open for registration now; (forum id, day ids)."""
    with app.app_context():
        forum = build.forum(number=5, days=days)
        for day in forum.days:
            day.capacity = capacity
        db.session.commit()
        return forum.id, [day.id for day in forum.days]


def _person(n: int) -> dict:
    return {"name": f"Person {n:03d}", "email": f"person{n:03d}@public.example.org"}


def _all_at_once(jobs: list) -> list:
    """Run the callables in threads, released together; their results in order."""
    barrier = threading.Barrier(len(jobs))

    def run(job):
        barrier.wait(timeout=30)
        return job()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(run, jobs))


def _seat_statuses(day_id: int) -> Counter:
    return Counter(db.session.scalars(sa.select(DaySeat.status).where(DaySeat.day_id == day_id)))


def _register(forum_id: int, people: range, day_id: int) -> list[int]:
    """Register people one after another through the service; their registration ids."""
    ids = []
    for n in people:
        ids.append(build.public_registration(forum_id, day_ids=[day_id], **_person(n)).id)
        db.session.commit()
    return ids


def _cancel(app, registration_id: int):
    def job():
        with app.app_context():
            registration = db.session.get(Registration, registration_id)
            cancelled = cancel_days(db.session, registration)
            db.session.commit()
            return cancelled

    return job


# --- Registrations through the server -------------------------------------------------------


def test_concurrent_registrations_fill_exactly_the_capacity_and_queue_the_rest(app, live_server):
    forum_id, (day_id,) = _open_forum(app)
    url = f"/api/v1/forums/{forum_id}/registrations"

    def register(n):
        body = _person(n) | {"consent": True, "days": ["2027-03-15"]}
        return lambda: live_server.request("POST", url, body)

    answers = _all_at_once([register(n) for n in range(REQUESTS)])

    assert [status for status, _ in answers] == [202] * REQUESTS, answers
    with app.app_context():
        assert db.session.get(ForumDay, day_id).seats_taken == CAPACITY
        assert _seat_statuses(day_id) == {"confirmed": CAPACITY, "waitlisted": REQUESTS - CAPACITY}
        # The waitlist is one queue with no gaps or ties, each place told by email.
        waiting = db.session.scalars(
            sa.select(DaySeat).where(DaySeat.day_id == day_id, DaySeat.status == "waitlisted")
        ).all()
        positions = sorted(waitlist_position(db.session, seat) for seat in waiting)
        assert positions == list(range(1, REQUESTS - CAPACITY + 1))
        kinds = Counter(db.session.scalars(sa.select(OutboxMessage.kind)))
        assert kinds["registration"] == REQUESTS


def test_the_same_email_sent_concurrently_registers_once(app, live_server):
    forum_id, (day_id,) = _open_forum(app)
    url = f"/api/v1/forums/{forum_id}/registrations"
    body = _person(1) | {"consent": True, "days": ["2027-03-15"]}

    answers = _all_at_once([lambda: live_server.request("POST", url, body)] * 12)

    # One answer for all twelve, whichever created the person.
    assert [answer for answer in answers] == [answers[0]] * 12 and answers[0][0] == 202
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 1
        assert db.session.get(ForumDay, day_id).seats_taken == 1


def test_concurrent_registrations_for_two_days_in_either_order_all_succeed(app, live_server):
    days = ((date(2027, 3, 15), "public"), (date(2027, 3, 16), "public"))
    forum_id, day_ids = _open_forum(app, days, capacity=100)
    url = f"/api/v1/forums/{forum_id}/registrations"

    def register(n):
        dates = ["2027-03-15", "2027-03-16"][:: 1 if n % 2 else -1]
        return lambda: live_server.request(
            "POST", url, _person(n) | {"consent": True, "days": dates}
        )

    answers = _all_at_once([register(n) for n in range(40)])

    assert [status for status, _ in answers] == [202] * 40, answers
    with app.app_context():
        assert [db.session.get(ForumDay, day_id).seats_taken for day_id in day_ids] == [40, 40]


# --- Cancellations and promotion ------------------------------------------------------------


def test_concurrent_cancellations_promote_each_waiting_person_exactly_once(app):
    forum_id, (day_id,) = _open_forum(app)
    with app.app_context():
        confirmed = _register(forum_id, range(CAPACITY), day_id)
        waiting = _register(forum_id, range(100, 100 + CAPACITY), day_id)
        assert _seat_statuses(day_id) == {"confirmed": CAPACITY, "waitlisted": CAPACITY}

    cancelled = _all_at_once([_cancel(app, registration_id) for registration_id in confirmed[:5]])

    assert cancelled == [1] * 5
    with app.app_context():
        assert db.session.get(ForumDay, day_id).seats_taken == CAPACITY
        seats = {
            seat.registration_id: seat
            for seat in db.session.scalars(sa.select(DaySeat).where(DaySeat.day_id == day_id))
        }
        # The first five waiting, in waitlist order, got the seats; the rest moved up.
        assert [seats[r].status for r in waiting[:5]] == ["confirmed"] * 5
        assert [seats[r].status for r in waiting[5:]] == ["waitlisted"] * 5
        assert [waitlist_position(db.session, seats[r]) for r in waiting[5:]] == [
            1,
            2,
            3,
            4,
            5,
        ]
        promoted = db.session.scalars(
            sa.select(OutboxMessage.to_email).where(OutboxMessage.kind == "promotion")
        ).all()
        assert sorted(promoted) == [_person(n)["email"] for n in range(100, 105)]


def test_no_one_waits_while_a_seat_is_free_when_a_cancellation_races_a_registration(app):
    forum_id, (day_id,) = _open_forum(app)
    with app.app_context():
        leaving = _register(forum_id, range(CAPACITY), day_id)[0]
    cancelled, registered = threading.Event(), threading.Event()

    def cancel():
        with app.app_context():
            cancel_days(db.session, db.session.get(Registration, leaving))
            cancelled.set()
            # Stay uncommitted while the other request registers, or as long as it is held up.
            registered.wait(timeout=1)
            db.session.commit()

    def register():
        cancelled.wait(timeout=30)
        with app.app_context():
            forum = db.session.get(Forum, forum_id)
            data = build.public_input([day_id], **_person(200))
            result = register_public(db.session, forum, data)
            db.session.commit()
        registered.set()
        return result.days[0].status

    _, status = _all_at_once([cancel, register])

    # Whichever commits first, the newcomer ends up in the freed seat, not on a waitlist
    # beside an empty chair.
    assert status == "confirmed"
    with app.app_context():
        assert db.session.get(ForumDay, day_id).seats_taken == CAPACITY
        assert _seat_statuses(day_id) == {"confirmed": CAPACITY, "cancelled": 1}


def test_people_swapping_breakouts_at_the_same_moment_never_deadlock(app):
    from forumapp.agenda.models import AgendaItem

    from .conftest import make_forum

    with app.app_context():
        setup = make_forum(breakout_capacity=10)
        for day_id in (setup.public_day_id, setup.team_day_id):
            day = db.session.get(ForumDay, day_id)
            day.registration_opens_at = day.registration_closes_at = None
        forum = db.session.get(Forum, setup.forum_id)
        first, second = setup.breakout_ids[:2]  # parallel breakouts in one time slot
        registrations = {}
        for n, item_id in enumerate([first, second] * 4):
            person = build.team_member(f"Member {n}", team=f"Team {n}")
            registration = register_team_member(
                db.session, forum, person, [setup.team_day_id]
            ).registration
            choose_breakout(db.session, registration, db.session.get(AgendaItem, item_id))
            registrations[registration.id] = item_id
        db.session.commit()

    def switch(registration_id: int, item_id: int):
        def job():
            with app.app_context():
                registration = db.session.get(Registration, registration_id)
                item = db.session.get(AgendaItem, item_id)
                choose_breakout(db.session, registration, item)
                db.session.commit()

        return job

    for _round in range(5):
        # Everyone moves to the other breakout of the slot at once, in both directions.
        registrations = {r: second if item == first else first for r, item in registrations.items()}
        _all_at_once([switch(r, item) for r, item in registrations.items()])

    with app.app_context():
        for item_id in (first, second):
            item = db.session.get(AgendaItem, item_id)
            assert item.seats_taken == 4


def test_the_same_seat_cancelled_twice_at_once_gives_its_seat_back_once(app):
    forum_id, (day_id,) = _open_forum(app, capacity=2)
    with app.app_context():
        first, _second = _register(forum_id, range(2), day_id)
        waiting = _register(forum_id, range(100, 103), day_id)

    cancelled = _all_at_once([_cancel(app, first) for _ in range(4)])

    assert sorted(cancelled) == [0, 0, 0, 1]
    with app.app_context():
        assert db.session.get(ForumDay, day_id).seats_taken == 2
        assert _seat_statuses(day_id) == {"confirmed": 2, "waitlisted": 2, "cancelled": 1}
        statuses = [
            db.session.scalar(sa.select(DaySeat.status).where(DaySeat.registration_id == r))
            for r in waiting
        ]
        assert statuses == ["confirmed", "waitlisted", "waitlisted"]


def test_a_double_submit_of_the_same_new_person_registers_once_without_an_error(app):
    forum_id, (day_id,) = _open_forum(app)

    def submit():
        with app.app_context():
            forum = db.session.get(Forum, forum_id)
            data = build.public_input([day_id], **_person(7))
            result = register_public(db.session, forum, data)
            db.session.commit()
            return result.registration.id

    ids = _all_at_once([submit, submit, submit])

    assert len(set(ids)) == 1
    with app.app_context():
        assert _seat_statuses(day_id) == {"confirmed": 1}
        assert db.session.get(ForumDay, day_id).seats_taken == 1


# --- Rosters --------------------------------------------------------------------------------


def test_ten_simultaneous_roster_adds_of_one_email_add_once_and_call_the_rest_duplicates(app):
    from forumapp.core.models import Program, Team, TeamMembership
    from forumapp.registration import rosters

    with app.app_context():
        team = Team(program=Program(name="Concurrent program"), name="Hyde County")
        db.session.add(team)
        db.session.commit()
        team_id = team.id

    def add():
        with app.app_context():
            try:
                team = db.session.get(Team, team_id)
                rosters.add_roster_member(db.session, team, "Nia New", "nia@hyde.example.org")
                db.session.commit()
                return "added"
            except rosters.RosterError as error:
                db.session.rollback()
                return error.message

    outcomes = _all_at_once([add] * 10)

    assert (
        sorted(outcomes)
        == ["added"] + ["nia@hyde.example.org is already on the Hyde County roster."] * 9
    )
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(TeamMembership)) == 1
