"""Fixtures: one app per test run on SQLite or PostgreSQL, clean tables for every test."""

from __future__ import annotations

import os
import re
import uuid
from datetime import date, time
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from config import TestingConfig, normalise_database_url
from forumapp import create_app
from forumapp.core.models import User
from forumapp.extensions import db, limiter

from .builders import PASSWORD, staff_user
from .support.postgres import ThrowawayCluster


def pytest_addoption(parser):
    parser.addoption(
        "--db",
        choices=["sqlite", "postgresql"],
        default=os.environ.get("TEST_DB", "sqlite"),
        help="Database to run the suite on. PostgreSQL uses TEST_DATABASE_URL (a server URL; "
        "a fresh database is created in it) or starts a throwaway local cluster.",
    )


def pytest_report_header(config):
    return f"database: {config.getoption('--db')}"


@pytest.fixture(scope="session")
def db_kind(pytestconfig) -> str:
    return pytestconfig.getoption("--db")


@pytest.fixture(scope="session")
def postgres_server_url(db_kind):
    """A PostgreSQL server URL (admin database), or None on SQLite."""
    if db_kind != "postgresql":
        yield None
        return
    if os.environ.get("TEST_DATABASE_URL"):
        yield normalise_database_url(os.environ["TEST_DATABASE_URL"])
        return
    cluster = ThrowawayCluster()
    url = cluster.start()
    try:
        yield url
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def fresh_database(postgres_server_url, tmp_path_factory):
    """A factory of empty databases: returns a URL for a database nobody has used."""
    created: list[str] = []

    def make() -> str:
        if postgres_server_url is None:
            path = tmp_path_factory.mktemp("db") / "forumapp.sqlite"
            return f"sqlite:///{path}"
        name = f"forumapp_test_{uuid.uuid4().hex[:12]}"
        engine = sa.create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        created.append(name)
        return str(sa.engine.make_url(postgres_server_url).set(database=name))

    yield make

    if postgres_server_url is not None:
        engine = sa.create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for name in created:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def make_test_app(database_url: str, **overrides):
    """An app on the testing configuration with ``database_url`` and any overrides."""
    settings = {"SQLALCHEMY_DATABASE_URI": database_url, **overrides}
    return create_app(type("TestConfig", (TestingConfig,), settings))


@pytest.fixture(scope="session")
def app(fresh_database):
    """The app, on a database built by running every migration from empty."""
    application = make_test_app(fresh_database())
    with application.app_context():
        upgrade()
    return application


@pytest.fixture(autouse=True)
def _clean_state(request):
    """Every test starts with empty tables and fresh rate limits."""
    if "app" in request.fixturenames:
        # Limits are counted per process: a test before this one that built its own app (not
        # cleaned up below) may have used up the sign-in limit of this worker's client address.
        with request.getfixturevalue("app").app_context():
            limiter.reset()
    yield
    if "app" not in request.fixturenames:
        return
    application = request.getfixturevalue("app")
    with application.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        limiter.reset()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app):
    """Create a staff user: ``make_user("organizer")``; the password is ``PASSWORD``."""

    def make(role: str, email: str | None = None, active: bool = True) -> str:
        with app.app_context():
            email = staff_user(role, email, active=active).email
            db.session.commit()
        return email

    return make


@pytest.fixture
def token_for(app, make_user):
    """``token_for("door")``: headers with a fresh bearer token of a user with that role (and
    ``name``), the token made the way staff make one: ``flask token create EMAIL``."""

    def make(role: str, name: str | None = None) -> dict:
        email = make_user(role)
        if name:
            with app.app_context():
                db.session.scalar(sa.select(User).filter_by(email=email)).name = name
                db.session.commit()
        result = app.test_cli_runner().invoke(args=["token", "create", email])
        assert result.exit_code == 0, result.output
        return {"Authorization": f"Bearer {result.stdout.strip().splitlines()[0]}"}

    return make


@pytest.fixture
def today_is(monkeypatch):
    """``today_is(date(2027, 3, 15))``: make that date "today" (local noon in ``time_zone``) for
    ``clock.local_today``, which decides which days door staff may use. Timestamps the app
    records keep the real time."""
    from forumapp.core import clock

    def set_today(day: date, time_zone: str = "America/New_York") -> None:
        instant = clock.local_instant(day, time(12), time_zone)
        monkeypatch.setattr(clock, "utcnow", lambda: instant)

    return set_today


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token a person would get in the form on ``path``."""
    page = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post_public_registration(client, forum_id: int, day_id: int, follow_redirects=False, **fields):
    """Send the public registration form for ``day_id`` as a person would: the fields they
    typed (``name``, ``email``, ...), consent given, and the page's CSRF token."""
    path = f"/forums/{forum_id}/register"
    data = {"day_ids": str(day_id), "consent": "y", "csrf_token": csrf_token(client, path)}
    return client.post(path, data=data | fields, follow_redirects=follow_redirects)


def sign_in(client, email: str, password: str = PASSWORD, **extra):
    """Post the sign-in form as a person would; returns the response."""
    token = csrf_token(client, "/login")
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token, **extra}
    )


@pytest.fixture
def signed_in(client, make_user):
    """A client signed in with the given role: ``signed_in("door")``; ``.user_id`` is the
    user's."""

    def as_role(role: str):
        email = make_user(role)
        response = sign_in(client, email)
        assert response.status_code == 302, response.get_data(as_text=True)
        with client.application.app_context():
            client.user_id = db.session.scalar(sa.select(User.id).where(User.email == email))
        return client

    return as_role


PROJECT_DIR = Path(__file__).resolve().parent.parent
