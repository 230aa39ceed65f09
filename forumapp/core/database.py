"""Database behaviour forumapp relies on, made the same on SQLite and PostgreSQL.

On SQLite: foreign keys are enforced, readers do not block the writer (WAL), a busy database
is waited for rather than failing, and every transaction that may write starts with
``BEGIN IMMEDIATE``. That last point is what makes capacity checks safe: a writer takes the
write lock before it reads, so two registrations can never both see the last free seat, and
no transaction has to be failed half-way for upgrading a read lock.

Writers queue at a gate before ``BEGIN IMMEDIATE``: an exclusive ``flock`` on a file beside the
database, held until the transaction ends. SQLite makes a writer that finds the database busy
poll, sleeping up to 100 ms between tries, so under a rush (door staff scanning at once) some
writes waited ten times as long as they needed; a writer waiting at the gate instead wakes as
soon as the one before it commits. SQLite's own lock still guards correctness; the gate only
makes the wait short. Reads a request makes before it writes, which decide nothing by
themselves (who is signed in, which ticket was scanned), may come first, outside the gate
(``reading_apart``): seats are still taken by a conditional UPDATE inside it.

On both databases a refusal, and a request's end, keep nothing that was not committed
(``discard``), without a ROLLBACK when nothing was written: psycopg forgets PostgreSQL's
prepared statements on each one.
"""

from __future__ import annotations

import fcntl
import os
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from flask import g, has_app_context, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.pool import Pool
from sqlalchemy.sql.dml import Insert, UpdateBase
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.visitors import InternalTraversal

from ..extensions import DbSession

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_installed = False
_GATE = "forumapp_write_gate"  # key in a DBAPI connection's info: (pid, file descriptor)
_HELD = "forumapp_write_gate_held"
_APART = "forumapp_reading_apart"  # in a connection's info: a read apart left its transaction open
_WROTE = "forumapp_transaction_wrote"  # in a connection's info: its transaction wrote
_READS = frozenset({"SELECT", "BEGIN"})  # the first words of statements that write nothing
_gate_holders = threading.local()  # how many gates this thread holds
# Control characters (tab and line breaks aside) and lone surrogates, as the inside of a regular
# expression's character class (the API's document uses it in patterns too).
UNSTORABLE_CHARACTERS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff"
_UNSTORABLE_TEXT = re.compile(f"[{UNSTORABLE_CHARACTERS}]")


def is_storable_text(text: str) -> bool:
    """False for text with control characters (tab and line breaks aside) or broken Unicode.

    PostgreSQL refuses NUL and no database can store half a surrogate pair, so such text fails
    when it is written or even compared in a query; SQLite would keep the junk. Callers refuse
    it as invalid input, the same on both databases. None of it belongs in anything typed.
    """
    return _UNSTORABLE_TEXT.search(text) is None


def rows_changed(session: DbSession, statement: UpdateBase) -> int:
    """Run an UPDATE or DELETE and return how many rows it changed.

    ``Session.execute`` is typed as returning a plain ``Result``; for these statements it is a
    ``CursorResult``, which carries the row count."""
    return cast(CursorResult[Any], session.execute(statement)).rowcount


def _session_of(session: DbSession):
    """The session itself, behind Flask-SQLAlchemy's scoped session (which does not pass on
    every method)."""
    return session() if callable(session) else session


def commit_keeping_loaded(session: DbSession) -> None:
    """Commit without expiring the objects loaded: for a page that shows what it just wrote
    (certificates issued as they are listed). After a plain commit every object read again is
    reloaded, one query apiece, so a list of 2,000 would cost 4,000 queries."""
    actual = _session_of(session)
    saved = actual.expire_on_commit
    actual.expire_on_commit = False
    try:
        actual.commit()
    finally:
        actual.expire_on_commit = saved


class _OnConflictDoNothing(ClauseElement):
    """``ON CONFLICT [(columns)] DO NOTHING``, which SQLite (3.35 and later) and PostgreSQL
    read alike. Without columns any unique index refuses the row."""

    __visit_name__ = "forumapp_on_conflict_do_nothing"
    # Its columns are its whole SQL, so statements with it are compiled once and cached: the
    # dialects' own ``on_conflict_do_nothing()`` is compiled anew on every run in SQLAlchemy
    # 2.0, which cost more than running the statement.
    _traverse_internals = [("columns", InternalTraversal.dp_string_list)]

    def __init__(self, columns: tuple[str, ...]):
        self.columns = columns


@compiles(_OnConflictDoNothing)
def _render_on_conflict(element: _OnConflictDoNothing, compiler, **kw) -> str:
    quoted = ", ".join(compiler.preparer.quote(column) for column in element.columns)
    return f"ON CONFLICT ({quoted}) DO NOTHING" if quoted else "ON CONFLICT DO NOTHING"


class InsertOrNothing(Insert):
    """``INSERT ... ON CONFLICT (unique) DO NOTHING`` for a model or table: add ``.values``
    and ``.returning`` as to any insert; no row comes back when a unique index refused it."""

    inherit_cache = True  # what it adds is ``_post_values_clause``, which Insert caches by

    def __init__(self, table, unique: tuple[str, ...] | list[str] = ()):
        super().__init__(table)
        self._post_values_clause = _OnConflictDoNothing(tuple(unique))


def insert_unless_taken(session: DbSession, model: type, unique: list[str], **values):
    """``INSERT ... ON CONFLICT (unique) DO NOTHING`` of ``values`` for ``model`` (an
    ``InsertOrNothing``); add ``.returning(...)``. Flushes first: the statement goes past the
    ORM's autoflush."""
    session.flush()
    return InsertOrNothing(model, unique).values(**values)


def insert_once(session: DbSession, model: type, unique: list[str], **values) -> bool:
    """Insert a row of ``model`` unless one with the same ``unique`` columns exists; True when
    this call inserted it. A mail claimed this way in the transaction that queues it goes
    once, however many workers race for it."""
    # RETURNING, not the row count: psycopg reports -1 for an INSERT's row count.
    inserted = session.scalar(
        insert_unless_taken(session, model, unique, **values).returning(
            model.__table__.c.id  # type: ignore[attr-defined]
        )
    )
    return inserted is not None


def _is_read_only_request() -> bool:
    if has_app_context() and g.get("_reading_apart"):
        return True  # in a request, or in the mail worker rendering a message
    if not has_request_context():
        return False
    return request.method in SAFE_METHODS and not g.get("_writes_on_get")


@contextmanager
def reading_apart(session: DbSession) -> Iterator[None]:
    """Run the reads inside in a read transaction of their own, ended (without expiring what
    they loaded) before the request's writes begin.

    For what a request reads before it writes: the signed-in user, a door scan's lookup, a
    registration's forum. On SQLite a request that may write starts as a writer, behind the
    write gate, so reading there would keep every other writer waiting through the whole of
    the request's own work (parsing, checks, the answer), not just its writes. Only for reads
    whose facts the writes do not need locked: those still decide (a unique index, a
    conditional UPDATE). Reads apart one after another (the token's user, then the scan's
    lookup) share one read transaction: it ends at the first statement outside them, which
    then runs in a writer's transaction as it would have without them (``_before_statement``).
    On PostgreSQL, which has no gate, inside a writer's transaction, and in a session holding
    changes not yet flushed (a query inside would write them), the reads simply join the
    transaction.
    """
    actual = _session_of(session)
    if session.get_bind().dialect.name != "sqlite" or actual.new or actual.dirty or actual.deleted:
        yield
        return
    if actual.in_transaction() and not actual.connection().info.get(_APART):
        yield
        return
    outer = g.get("_reading_apart", False)
    g._reading_apart = True
    try:
        yield
    finally:
        g._reading_apart = outer
    if outer:
        return
    if not actual.in_transaction():
        return
    connection = actual.connection()
    if connection.info.get(_HELD):  # outside a request every transaction is a writer's
        commit_keeping_loaded(session)
    else:
        connection.info[_APART] = True


def start_writing(session: DbSession) -> None:
    """Let a GET request write from here on (e.g. a ticket issued when first shown): end the
    transaction it read in, so the next one starts as a writer's (``BEGIN IMMEDIATE`` behind
    the gate on SQLite). A read transaction that tries to write instead fails when another
    request wrote since it began ("database is locked"). Objects loaded so far are expired."""
    session.rollback()
    if has_request_context():
        g._writes_on_get = True


def install_database_behaviour() -> None:
    """Register the engine events once per process: SQLite's (above) and, on every database,
    the note of whether a transaction wrote, which ``discard`` reads."""
    global _installed
    if _installed:
        return
    _installed = True
    event.listen(Engine, "connect", _on_connect)
    event.listen(Engine, "begin", _on_begin)
    event.listen(Engine, "before_cursor_execute", _before_statement)
    # SQLAlchemy sends these events just before it commits or rolls back: end the transaction
    # there, so the gate opens only once it is over (SQLAlchemy then finds nothing left to do).
    event.listen(Engine, "commit", _on_commit)
    event.listen(Engine, "rollback", _on_rollback)
    event.listen(Pool, "checkin", _on_checkin)
    event.listen(Pool, "close", _on_close)


def _on_connect(dbapi_connection, _record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy's "begin" event decide how each transaction starts.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _on_begin(connection) -> None:
    connection.info[_WROTE] = False
    if connection.dialect.name != "sqlite":
        return
    if _is_read_only_request():
        connection.exec_driver_sql("BEGIN")
        return
    _begin_writing(connection)


def _begin_writing(connection) -> None:
    """Start a writer's transaction on SQLite: through the write gate, then ``BEGIN
    IMMEDIATE``; the gate is left again if the BEGIN fails."""
    _enter_write_gate(connection)
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        _leave_write_gate(connection.info)
        raise


def _before_statement(connection, _cursor, statement: str, *_args) -> None:
    info = connection.info
    after_reads_apart = info.get(_APART) and not g.get("_reading_apart")
    if not after_reads_apart and info.get(_WROTE):
        return
    # Anything but a SELECT may write (SQLite's BEGIN, sent by _on_begin, writes nothing).
    writes = statement.lstrip()[:6].rstrip().upper() not in _READS
    if after_reads_apart:
        _end_reading_apart(connection, writes)
    if writes:
        info[_WROTE] = True


def _end_reading_apart(connection, writes: bool) -> None:
    """End the read transaction reads apart left open, before the first statement outside
    them: a request that may write goes on in a writer's transaction (behind the gate, as
    ``_on_begin`` would have started it), so that what it reads from here on is read under
    the write lock, as ever. A read-only request goes on reading, unless the statement
    writes (a GET recording a token's use): that gets a transaction of its own, as a GET's
    write always had, for a write in the reads' transaction would have to upgrade their older
    snapshot, which SQLite refuses at once ("database is locked") if anyone wrote since."""
    connection.info[_APART] = False
    if _is_read_only_request() and not writes:
        return
    connection.exec_driver_sql("COMMIT")
    _on_begin(connection)  # as any transaction of this request begins


def discard(session: DbSession) -> None:
    """End the session's transaction keeping nothing it wrote: what a refusal does.

    A transaction that wrote (or has changes not yet flushed) is rolled back; one that only
    read is committed instead, which means the same for what it read, because on PostgreSQL
    psycopg forgets the connection's prepared statements on every ROLLBACK: each refused or
    read-only request then made the next few statements on its connection be planned afresh,
    a few milliseconds apiece for the door's joins. After a commit the objects loaded stay
    loaded; after a rollback they are read again when used, as ever.
    """
    actual = _session_of(session)
    if not actual.in_transaction():
        return
    if actual.new or actual.dirty or actual.deleted or actual.connection().info.get(_WROTE, True):
        actual.rollback()
    else:
        commit_keeping_loaded(actual)


def _on_commit(connection) -> None:
    _end_transaction_and_leave_gate(connection, "commit")


def _on_rollback(connection) -> None:
    _end_transaction_and_leave_gate(connection, "rollback")


def _on_checkin(dbapi_connection, record) -> None:
    # A connection given back (or closed after an error) mid-transaction opens its gate.
    record.info.pop(_APART, None)
    if dbapi_connection is not None and record.info.get(_HELD):
        _leave_write_gate(record.info)


def _on_close(_dbapi_connection, record) -> None:
    _leave_write_gate(record.info)
    pid, descriptor = record.info.pop(_GATE, (None, None))
    if pid == os.getpid():
        os.close(descriptor)


def _gate_path(connection) -> str | None:
    database = connection.engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return f"{os.path.abspath(database)}-writers.lock"


def _enter_write_gate(connection) -> None:
    """Wait for this database's write gate (see the module's docstring)."""
    path = _gate_path(connection)
    # A thread that already holds a gate (a second session opened inside a transaction) does
    # not queue behind itself; it waits on SQLite's lock as before.
    if path is None or getattr(_gate_holders, "count", 0) > 0:
        return
    info = connection.info
    pid, descriptor = info.get(_GATE, (None, None))
    if pid != os.getpid():  # opened before a fork: the parent's lock would be shared
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        info[_GATE] = (os.getpid(), descriptor)
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    info[_HELD] = True
    _gate_holders.count = getattr(_gate_holders, "count", 0) + 1


def _end_transaction_and_leave_gate(connection, end: str) -> None:
    connection.info.pop(_APART, None)
    if connection.info.get(_HELD):
        try:
            getattr(connection.connection.dbapi_connection, end)()
        finally:
            _leave_write_gate(connection.info)


def _leave_write_gate(info) -> None:
    if not info.pop(_HELD, False):
        return
    _pid, descriptor = info[_GATE]
    fcntl.flock(descriptor, fcntl.LOCK_UN)
    _gate_holders.count = max(getattr(_gate_holders, "count", 1) - 1, 0)


def set_sqlite_foreign_keys(connection, enabled: bool) -> None:
    """Switch foreign-key enforcement on a SQLite connection (outside any transaction).

    Alembic's batch mode rebuilds a table by copying and dropping it; with enforcement on,
    dropping a parent table would cascade-delete its children's rows.
    """
    if connection.dialect.name == "sqlite":
        connection.connection.driver_connection.execute(
            f"PRAGMA foreign_keys = {'ON' if enabled else 'OFF'}"
        )
