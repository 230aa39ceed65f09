"""How a request's transaction ends: one that only read is committed (the same as a rollback
for what it read, but PostgreSQL's driver keeps its prepared statements), one that wrote and
was not committed is rolled back, so nothing half-done is kept."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import abort

from forumapp.core.models import Program
from forumapp.extensions import db

from ..conftest import make_test_app
from ..registration.conftest import make_forum
from ..support.queries import engine_listening


@pytest.fixture
def endings(app):
    """How each transaction on the app's engine ended, in order ("commit" or "rollback")."""
    ended: list[str] = []

    def on_commit(_conn):
        ended.append("commit")

    def on_rollback(_conn):
        ended.append("rollback")

    with engine_listening(app, commit=on_commit, rollback=on_rollback):
        yield ended


@pytest.fixture
def half_done(app):
    """A client of the app on the same database, with routes that write a program and then
    end the request without committing."""
    other = make_test_app(app.config["SQLALCHEMY_DATABASE_URI"])

    def write_then_refuse():
        db.session.add(Program(name="Half done", time_zone="America/New_York"))
        db.session.flush()
        abort(409)

    def write_with_core_then_refuse():
        db.session.execute(
            sa.insert(Program).values(name="Half done by Core", time_zone="America/New_York")
        )
        abort(409)

    def add_without_flush():
        db.session.add(Program(name="Never flushed", time_zone="America/New_York"))
        return "added"

    other.add_url_rule("/test/write-then-refuse", view_func=write_then_refuse)
    other.add_url_rule("/test/core-write-then-refuse", view_func=write_with_core_then_refuse)
    other.add_url_rule("/test/add-without-flush", view_func=add_without_flush)
    return other.test_client()


def _programs(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Program.name)))


def test_a_page_that_only_reads_ends_its_transaction_with_a_commit(app, client, endings):
    assert client.get("/api/v1/forums").status_code == 200
    assert endings == ["commit"]


def test_a_refused_api_call_that_only_read_ends_with_a_commit(app, client, make_user, endings):
    email = make_user("door")
    token = app.test_cli_runner().invoke(args=["token", "create", email]).stdout.split()[0]
    endings.clear()
    response = client.post(
        "/api/v1/checkins",
        data='{"code": "ABC',
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert "rollback" not in endings


def test_a_registration_the_rules_refused_ends_with_a_commit(app, client, endings):
    with app.app_context():
        forum_id = make_forum().forum_id
        db.session.commit()
    endings.clear()
    body = {"name": "Ada Lovelace", "email": "not-an-address", "consent": True}
    response = client.post(
        f"/api/v1/forums/{forum_id}/registrations", json=body | {"days": ["2027-03-15"]}
    )
    assert response.status_code == 422
    assert "email" in response.json["details"]
    assert endings == ["commit"]


@pytest.mark.parametrize(
    "path", ["/test/write-then-refuse", "/test/core-write-then-refuse", "/test/add-without-flush"]
)
def test_a_request_that_wrote_without_committing_keeps_nothing(app, half_done, path):
    half_done.get(path)
    assert _programs(app) == []


def test_a_refused_request_leaves_postgresqls_prepared_statements_in_place(
    app, client, make_user, db_kind
):
    if db_kind != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    email = make_user("door")
    # One connection: prepared statements belong to a connection, and every request and the
    # count below then share it.
    app = make_test_app(
        app.config["SQLALCHEMY_DATABASE_URI"],
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 0},
    )
    client = app.test_client()
    token = app.test_cli_runner().invoke(args=["token", "create", email]).stdout.split()[0]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for _ in range(6):  # psycopg prepares a statement on its fifth run
        client.post("/api/v1/checkins", data='{"code": 1}', headers=headers)

    def prepared() -> int:
        with app.app_context():
            return db.session.scalar(sa.text("SELECT count(*) FROM pg_prepared_statements"))

    before = prepared()
    assert before > 0
    assert client.post("/api/v1/checkins", data="{", headers=headers).status_code == 422
    assert prepared() >= before
