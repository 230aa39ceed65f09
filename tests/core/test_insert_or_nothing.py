"""``INSERT ... ON CONFLICT DO NOTHING`` as forumapp builds it (``core.database``): a unique
index refuses a second row without an error, and each statement's own conflict target is the
one sent, though statements are compiled once and taken from the cache after."""

from __future__ import annotations

from forumapp.core.database import insert_unless_taken
from forumapp.core.models import Person
from forumapp.extensions import db

from ..support.queries import statements_compiled, statements_sent


def _insert(unique: list[str], name: str, email: str):
    return db.session.scalar(
        insert_unless_taken(db.session, Person, unique, name=name, email=email).returning(Person.id)
    )


def test_a_taken_address_inserts_nothing_and_raises_nothing(app_ctx):
    first = _insert(["email"], "Ada Lovelace", "ada@example.org")
    assert first is not None
    assert _insert(["email"], "Someone Else", "ada@example.org") is None
    db.session.commit()
    people = db.session.scalars(db.select(Person).where(Person.email == "ada@example.org"))
    assert [person.name for person in people] == ["Ada Lovelace"]


def test_each_statement_sends_its_own_conflict_target_and_compiles_once(app, app_ctx):
    _insert(["email"], "Warm Up", "warm@example.org")
    _insert([], "Warm Up Too", "warm2@example.org")
    with statements_sent(app) as sent, statements_compiled(app) as compiled:
        _insert(["email"], "Grace Hopper", "grace@example.org")
        _insert([], "Katherine Johnson", "katherine@example.org")
    inserts = [s for s in sent if s.startswith("INSERT")]
    assert "ON CONFLICT (email) DO NOTHING" in inserts[0], inserts
    assert "ON CONFLICT DO NOTHING" in inserts[1], inserts
    assert compiled == []
