"""SQLite writers queue at a file lock, so a waiting writer starts as soon as the one before it
commits instead of polling the busy database (the door-rush benchmark measures the effect);
reads apart (``reading_apart``) read outside it."""

from __future__ import annotations

import fcntl
import os
import threading

import pytest
import sqlalchemy as sa

from forumapp.core.database import reading_apart
from forumapp.core.models import Program
from forumapp.extensions import db

from ..support.queries import engine_listening


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


def _programs_seen() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Program))


def _add_program_elsewhere(app, name: str) -> None:
    """Another writer commits a program, in a thread and a session of its own."""

    committed = []

    def write():
        with app.app_context():
            db.session.add(Program(name=name, time_zone="America/New_York"))
            db.session.commit()
            committed.append(name)

    writer = threading.Thread(target=write)
    writer.start()
    writer.join(10)
    assert committed == [name], "the other writer did not commit"


def test_reads_apart_in_a_row_read_in_one_transaction_outside_the_gate(app, gate_path):
    begun = []
    with (
        app.test_request_context("/api/v1/checkins", method="POST"),
        engine_listening(app, begin=lambda _connection: begun.append(threading.get_ident())),
    ):
        with reading_apart(db.session):
            assert _programs_seen() == 0
        assert gate_is_free(gate_path)
        _add_program_elsewhere(app, "Committed between the reads")
        with reading_apart(db.session):
            # The same read transaction: its snapshot is from before the other commit.
            assert _programs_seen() == 0
        assert gate_is_free(gate_path)
        assert begun.count(threading.get_ident()) == 1  # the other writer began its own
        db.session.remove()


def test_the_first_statement_after_reads_apart_reads_under_the_write_lock(app, gate_path):
    """What a request reads after its reads apart decides its writes (a seat, a status):
    it is read in a writer's transaction, behind the gate, and sees every earlier commit."""
    with app.test_request_context("/register", method="POST"):
        with reading_apart(db.session):
            assert _programs_seen() == 0
        _add_program_elsewhere(app, "Committed before the write")

        assert _programs_seen() == 1
        assert not gate_is_free(gate_path)
        db.session.add(Program(name="Written after", time_zone="America/New_York"))
        db.session.commit()
        assert gate_is_free(gate_path)
        assert _programs_seen() == 2
        db.session.remove()


def test_a_page_view_goes_on_reading_after_reads_apart_without_the_gate(app, gate_path):
    with app.test_request_context("/forums/1", method="GET"):
        with reading_apart(db.session):
            assert _programs_seen() == 0
        _add_program_elsewhere(app, "Committed meanwhile")
        assert _programs_seen() == 0  # the same read transaction goes on
        assert gate_is_free(gate_path)
        db.session.remove()


def test_a_page_view_that_writes_after_reads_apart_writes_in_a_transaction_of_its_own(
    app, gate_path
):
    """A GET recording a token's use: had the write joined the reads' transaction, SQLite
    would refuse it at once once anyone committed since ("database is locked")."""
    _add_program_elsewhere(app, "Before")
    with app.test_request_context("/api/v1/forums", method="GET"):
        with reading_apart(db.session):
            assert _programs_seen() == 1
        _add_program_elsewhere(app, "Committed meanwhile")
        db.session.execute(sa.update(Program).where(Program.name == "Before").values(name="After"))
        db.session.commit()
        db.session.remove()
    with app.app_context():
        assert sorted(db.session.scalars(sa.select(Program.name))) == [
            "After",
            "Committed meanwhile",
        ]


def test_changes_not_flushed_before_a_read_apart_are_written_by_the_request_alone(app, gate_path):
    # A query in a read apart would flush them into the read transaction, outside the gate,
    # and the COMMIT that ends it would keep them even if the request then rolled back.
    with app.test_request_context("/register", method="POST"):
        with reading_apart(db.session):
            assert _programs_seen() == 0
        db.session.add(Program(name="Pending", time_zone="America/New_York"))
        with reading_apart(db.session):
            assert _programs_seen() == 1  # flushed, in the request's writer transaction
            assert not gate_is_free(gate_path)
        db.session.rollback()
        db.session.remove()
    with app.app_context():
        assert _programs_seen() == 0


def test_a_read_apart_inside_another_leaves_the_outer_one_apart(app, gate_path):
    with app.test_request_context("/register", method="POST"):
        with reading_apart(db.session):
            assert _programs_seen() == 0
        with reading_apart(db.session):
            with reading_apart(db.session):
                assert _programs_seen() == 0
            assert _programs_seen() == 0
            assert gate_is_free(gate_path)
        db.session.remove()
