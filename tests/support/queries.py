"""Count the SQL statements the app sends, to show a page or an API call does not send one more
query per row (an N+1) as the data grows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine.default import CACHE_HIT

from forumapp.extensions import db


@contextmanager
def engine_listening(app, **listeners) -> Iterator[None]:
    """Inside the block, the app's engine calls each listener on the event it is named for
    (``before_cursor_execute=...``, ``commit=...``)."""
    with app.app_context():
        engine = db.engine
    for name, listener in listeners.items():
        event.listen(engine, name, listener)
    try:
        yield
    finally:
        for name, listener in listeners.items():
            event.remove(engine, name, listener)


@contextmanager
def statements_sent(app) -> Iterator[list[str]]:
    """Every statement the app's engine sends inside the block (``COMMIT`` included), in order."""
    sent: list[str] = []

    def before_cursor_execute(_conn, _cursor, statement, _parameters, _context, _many):
        sent.append(statement)

    def on_commit(_conn):
        sent.append("COMMIT")

    with engine_listening(app, before_cursor_execute=before_cursor_execute, commit=on_commit):
        yield sent


@contextmanager
def statements_compiled(app) -> Iterator[list[str]]:
    """The statements inside the block that SQLAlchemy compiled anew rather than took from its
    statement cache. SQL sent as plain text (``BEGIN``) is never compiled; savepoints, which
    SQLAlchemy renders afresh each time as two words and a name, are left out."""
    compiled: list[str] = []

    def after_cursor_execute(_conn, _cursor, statement, _parameters, context, _many):
        was_compiled = context is not None and context.compiled is not None
        if was_compiled and context.cache_hit is not CACHE_HIT and "SAVEPOINT" not in statement:
            compiled.append(statement)

    with engine_listening(app, after_cursor_execute=after_cursor_execute):
        yield compiled
