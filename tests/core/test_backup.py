"""``flask --app forumapp backup PATH``: a consistent copy of a SQLite database taken while the
app keeps writing; on PostgreSQL, the pg_dump command to use instead."""

import sqlite3
import threading
import time

from flask_migrate import upgrade

from forumapp.core.models import Program
from forumapp.extensions import db

from ..conftest import make_test_app

BEFORE = 200
MAX_WRITES = 3000  # the writer's loop is bounded, whatever happens


def _committed_names(path) -> list[str]:
    with sqlite3.connect(path) as connection:
        return [name for (name,) in connection.execute("SELECT name FROM program")]


def test_backup_of_a_sqlite_database_the_app_keeps_writing_to(tmp_path):
    live = tmp_path / "live.sqlite"
    app = make_test_app(f"sqlite:///{live}")
    with app.app_context():
        upgrade()
        db.session.add_all(Program(name=f"Before {n}") for n in range(BEFORE))
        db.session.commit()
        db.session.remove()

    stop, failures, written = threading.Event(), [], []

    def keep_writing():
        with app.app_context():
            try:
                n = 0
                while not stop.is_set() and n < MAX_WRITES:
                    db.session.add(Program(name=f"During {n}"))
                    db.session.commit()
                    n += 1
                written.append(n)
            except Exception as exc:  # reported below, in the test's own thread
                failures.append(exc)
            finally:
                db.session.remove()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        deadline = time.monotonic() + 10
        while len(_committed_names(live)) < BEFORE + 20 and time.monotonic() < deadline:
            time.sleep(0.01)
        target = tmp_path / "backups" / "forumapp-backup.sqlite"
        result = app.test_cli_runner().invoke(args=["backup", str(target)])
    finally:
        stop.set()
        writer.join(timeout=60)
    assert result.exit_code == 0, result.output
    assert str(target) in result.output and "bytes" in result.output
    assert failures == [] and written and written[0] > 20

    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    names = _committed_names(target)
    assert {f"Before {n}" for n in range(BEFORE)} <= set(names)
    # One snapshot: the writes it holds are exactly the first ones, with no gap.
    during = sorted(int(name.split()[1]) for name in names if name.startswith("During"))
    assert during == list(range(len(during))) and len(during) >= 20
    assert not (target.parent / (target.name + "-wal")).exists()
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temporary left
    with app.app_context():
        db.engine.dispose()


def test_backup_refuses_to_overwrite_a_file(tmp_path):
    app = make_test_app(f"sqlite:///{tmp_path / 'live.sqlite'}")
    with app.app_context():
        upgrade()
        db.engine.dispose()
    target = tmp_path / "existing.sqlite"
    target.write_bytes(b"an older backup")
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 1 and "already exists" in result.output
    assert target.read_bytes() == b"an older backup"


def test_an_in_memory_database_has_nothing_to_back_up(tmp_path):
    app = make_test_app("sqlite:///:memory:")
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "copy.sqlite")])
    assert result.exit_code == 1 and "in memory" in result.output


def test_on_postgresql_the_command_prints_pg_dump_without_the_password(tmp_path):
    url = "postgresql://forum:s3cret-pw@db.example.org:5432/forums?sslmode=require"
    app = make_test_app(url.replace("postgresql://", "postgresql+psycopg://"))
    target = tmp_path / "forums.dump"
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 2
    assert (
        f"pg_dump --format=custom --file={target} "
        "'--dbname=postgresql://forum@db.example.org:5432/forums?sslmode=require'"
    ) in result.output
    assert "s3cret" not in result.output
    assert "pg_restore" in result.output
    assert not target.exists()
