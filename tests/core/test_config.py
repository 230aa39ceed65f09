"""Configuration: production refuses a weak secret; PostgreSQL URLs use psycopg 3."""

import pytest
import sqlalchemy as sa

from config import engine_options, normalise_database_url
from forumapp import create_app
from forumapp.extensions import db


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")


def test_production_refuses_a_short_or_development_secret_key(monkeypatch):
    for weak in ["dev-secret-key-not-for-production", "short"]:
        monkeypatch.setenv("SECRET_KEY", weak)
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            create_app("production")


def test_production_reads_the_environment_and_secures_cookies(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.setenv("DATABASE_URL", "postgresql://forum:pw@db.internal:5432/forums")
    app = create_app("production")
    assert app.config["SECRET_KEY"] == "x" * 48
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_postgres_urls_are_pointed_at_psycopg3():
    assert normalise_database_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert normalise_database_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_only_a_database_server_has_its_connections_checked_before_use(app, db_kind):
    pings = app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"]
    assert pings is (db_kind == "postgresql")
    assert engine_options("sqlite:///x.db") == {"pool_pre_ping": False}
    assert engine_options("postgresql+psycopg://u@h/d") == {"pool_pre_ping": True}


def test_a_connection_the_server_dropped_is_replaced_before_the_next_request(app, client, db_kind):
    if db_kind != "postgresql":
        pytest.skip("a SQLite file has no connection to drop")
    assert client.get("/api/v1/forums").status_code == 200
    with app.app_context():
        pooled = db.engine.raw_connection()
        backend = pooled.driver_connection.info.backend_pid
        pooled.close()  # back to the pool, as after a request
    # Another connection, not from the app's pool, ends that one as a server restart would.
    other = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=sa.NullPool)
    with other.connect() as connection:
        connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
    other.dispose()
    assert client.get("/api/v1/forums").status_code == 200


def test_unknown_configuration_name_is_refused():
    with pytest.raises(RuntimeError, match="development, testing, production"):
        create_app("staging")


def test_development_defaults_to_sqlite_under_instance(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    import importlib

    import config

    importlib.reload(config)
    try:
        uri = config.DevelopmentConfig.SQLALCHEMY_DATABASE_URI
        assert uri.startswith("sqlite:///") and uri.endswith("instance/forumapp.sqlite")
    finally:
        importlib.reload(config)


def test_a_custom_configuration_refuses_the_published_secret_key():
    # Only development and testing may run on a key published in this repository.
    from config import BaseConfig

    for weak in ["dev-secret-key-not-for-production", "testing-secret-key", "short", ""]:
        custom = type("Custom", (BaseConfig,), {"SECRET_KEY": weak})
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            create_app(custom)
    strong = type("Custom", (BaseConfig,), {"SECRET_KEY": "s" * 40})
    assert create_app(strong).config["ENV_NAME"] == "custom"
