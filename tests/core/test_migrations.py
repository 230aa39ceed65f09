"""The schema exists only through migrations, and the migrations match the models."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from forumapp.core.models import Person
from forumapp.extensions import db
from forumapp.mail.outbox import queue_email_rendered_when_sent
from forumapp.registration.notices import CONFIRMATION_RENDERER

from ..conftest import make_test_app


def test_upgrade_from_empty_creates_every_model_table(app, app_ctx):
    tables = set(sa.inspect(db.engine).get_table_names())
    assert {t.name for t in db.metadata.sorted_tables} <= tables
    assert "alembic_version" in tables


def test_models_and_migrations_agree(app, app_ctx):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_downgrade_to_empty_and_upgrade_again(fresh_database):
    other = make_test_app(fresh_database())
    with other.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert "forum" in sa.inspect(db.engine).get_table_names()
        db.session.remove()
        db.engine.dispose()


def test_downgrading_below_messages_rendered_when_sent_waits_for_the_worker(fresh_database, capsys):
    """The code before that migration cannot write such a message and would send it empty:
    the downgrade refuses while one is pending, and keeps a failed one as never to be sent."""
    other = make_test_app(fresh_database())
    outbox = sa.table(
        "outbox_message",
        *(sa.column(name) for name in ("id", "status", "rendered_by", "last_error")),
    )
    with other.app_context():
        upgrade()
        previous = ScriptDirectory.from_config(other.extensions["migrate"].migrate.get_config())
        below = previous.get_revision("7b1d4e9a2c53").down_revision
        person = Person(name="Ana Pérez", email="ana@example.org")
        db.session.add(person)
        db.session.flush()
        queue_email_rendered_when_sent(
            db.session,
            CONFIRMATION_RENDERER,
            {"registration_id": 1},
            person,
            kind="registration",
            subject="Your registration",
        )
        db.session.commit()
        db.session.remove()

        with pytest.raises(SystemExit):  # Flask-Migrate's answer to the refusal, logged
            downgrade(revision=below)
        assert (
            "1 queued messages are still to be written by the mail worker"
            in capsys.readouterr().err
        )
        assert "rendered_by" in {
            c["name"] for c in sa.inspect(db.engine).get_columns("outbox_message")
        }
        with db.engine.begin() as connection:
            connection.execute(outbox.update().values(status="failed"))
        downgrade(revision=below)

        with db.engine.connect() as connection:
            rows = connection.execute(sa.select(outbox.c.status, outbox.c.last_error)).all()
        assert rows == [("superseded", "not written: forumapp was downgraded before it was sent")]
        db.session.remove()
        db.engine.dispose()
