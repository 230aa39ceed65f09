"""Count the SQL statements the app sends, to show a page or an API call does not send one more
query per row (an N+1) as the data grows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine.default import CACHE_HIT

from forumapp.extensions import db


@contextmanager
def statements_sent(app) -> Iterator[list[str]]:
    """Every statement the app's engine sends inside the block (``COMMIT`` included), in order."""
    sent: list[str] = []

    def before_cursor_execute(_conn, _cursor, statement, _parameters, _context, _many):
        sent.append(statement)

    def on_commit(_conn):
        sent.append("COMMIT")

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    event.listen(engine, "commit", on_commit)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", before_cursor_execute)
        event.remove(engine, "commit", on_commit)


@contextmanager
def statements_compiled(app) -> Iterator[list[str]]:
    """The statements inside the block that SQLAlchemy compiled anew rather than took from its
    statement cache. SQL sent as plain text (``BEGIN``) is never compiled; savepoints, which
    SQLAlchemy renders afresh each time as two words and a name, are left out."""
    compiled: list[str] = []

    def after_cursor_execute(_conn, _cursor, statement, _parameters, context, _many):
        fresh = context is not None and context.compiled is not None
        if fresh and context.cache_hit is not CACHE_HIT and "SAVEPOINT" not in statement:
            compiled.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "after_cursor_execute", after_cursor_execute)
    try:
        yield compiled
    finally:
        event.remove(engine, "after_cursor_execute", after_cursor_execute)
