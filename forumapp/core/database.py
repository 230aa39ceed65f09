"""Database behaviour forumapp relies on, made the same on SQLite and PostgreSQL.

On SQLite: foreign keys are enforced, readers do not block the writer (WAL), a busy database
is waited for rather than failing, and every transaction that may write starts with
``BEGIN IMMEDIATE``. That last point is what makes capacity checks safe: a writer takes the
write lock before it reads, so two registrations can never both see the last free seat, and
no transaction has to be failed half-way for upgrading a read lock.
"""

from __future__ import annotations

import re
import sqlite3

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_installed = False
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


def _is_read_only_request() -> bool:
    return has_request_context() and request.method in SAFE_METHODS


def install_sqlite_behaviour() -> None:
    """Register the engine events once per process."""
    global _installed
    if _installed:
        return
    _installed = True

    @event.listens_for(Engine, "connect")
    def _on_connect(dbapi_connection, _record):
        if not isinstance(dbapi_connection, sqlite3.Connection):
            return
        # Let SQLAlchemy's "begin" event below decide how each transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(Engine, "begin")
    def _on_begin(connection):
        if connection.dialect.name != "sqlite":
            return
        connection.exec_driver_sql("BEGIN" if _is_read_only_request() else "BEGIN IMMEDIATE")


def set_sqlite_foreign_keys(connection, enabled: bool) -> None:
    """Switch foreign-key enforcement on a SQLite connection (outside any transaction).

    Alembic's batch mode rebuilds a table by copying and dropping it; with enforcement on,
    dropping a parent table would cascade-delete its children's rows.
    """
    if connection.dialect.name == "sqlite":
        connection.connection.driver_connection.execute(
            f"PRAGMA foreign_keys = {'ON' if enabled else 'OFF'}"
        )
