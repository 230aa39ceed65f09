"""SQLite writers queue at a file lock, so a waiting writer starts as soon as the one before it
commits instead of polling the busy database (the door-rush benchmark measures the effect)."""

from __future__ import annotations

import fcntl
import os
import threading

import pytest
import sqlalchemy as sa

from forumapp.core.models import Program
from forumapp.extensions import db


@pytest.fixture
def gate_path(app, db_kind):
    if db_kind != "sqlite":
        pytest.skip("the write gate is SQLite's; PostgreSQL locks rows")
    database = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    return f"{os.path.abspath(database)}-writers.lock"


def gate_is_free(path: str) -> bool:
    """Whether another process or connection could enter the gate right now."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    else:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        return True
    finally:
        os.close(descriptor)


def test_a_write_transaction_holds_the_gate_until_it_commits(app_ctx, gate_path):
    db.session.add(Program(name="Gate program", time_zone="America/New_York"))
    db.session.flush()
    assert not gate_is_free(gate_path)

    db.session.commit()

    assert gate_is_free(gate_path)
    assert db.session.scalar(sa.select(Program.name)) == "Gate program"


def test_a_rolled_back_transaction_opens_the_gate_and_writes_nothing(app_ctx, gate_path):
    db.session.add(Program(name="Never saved", time_zone="America/New_York"))
    db.session.flush()
    assert not gate_is_free(gate_path)

    db.session.rollback()

    assert gate_is_free(gate_path)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Program)) == 0


def test_page_views_read_while_a_writer_holds_the_gate(app, gate_path):
    answers = []

    def view_the_forums():
        answers.append(app.test_client().get("/").status_code)

    with app.app_context():
        db.session.add(Program(name="Busy", time_zone="America/New_York"))
        db.session.flush()  # a writer is in the middle of its transaction
        reader = threading.Thread(target=view_the_forums)
        reader.start()
        reader.join(10)
        assert answers == [200], "a page view queued behind a writer"
        db.session.rollback()


def test_a_writer_waits_at_the_gate_and_then_writes(app, gate_path):
    """Two sessions in two threads: the second one's write goes through once the first ends."""
    first_holds, second_done = threading.Event(), threading.Event()
    errors = []

    def second_writer():
        first_holds.wait()
        try:
            with app.app_context():
                db.session.add(Program(name="Second", time_zone="America/New_York"))
                db.session.commit()
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            second_done.set()

    thread = threading.Thread(target=second_writer)
    thread.start()
    with app.app_context():
        db.session.add(Program(name="First", time_zone="America/New_York"))
        db.session.flush()
        first_holds.set()
        assert not second_done.wait(0.3), "the second writer did not wait for the first"
        db.session.commit()
    assert second_done.wait(10)
    thread.join()
    assert errors == []
    with app.app_context():
        names = db.session.scalars(sa.select(Program.name).order_by(Program.id)).all()
    assert names == ["First", "Second"]
    assert gate_is_free(gate_path)
