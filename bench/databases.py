"""Fresh databases for the benchmarks: SQLite files in a temporary folder, and databases in a
throwaway PostgreSQL cluster started from the machine's binaries (the test suite's
``tests/support/postgres.py``), or on the server ``BENCH_DATABASE_URL`` names.

Each benchmark gets a database of its own, built by running every migration from empty.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from config import normalise_database_url
from forumapp.extensions import db
from tests.support.postgres import ThrowawayCluster, find_bin_dir


def migrate(app: Flask) -> None:
    """Run every migration on the app's database (Alembic's log lines are kept quiet)."""
    with app.app_context(), contextlib.redirect_stderr(io.StringIO()):
        upgrade()
        db.session.remove()


class SQLiteDatabases:
    """SQLite files in a temporary folder, removed on ``close``."""

    kind = "sqlite"

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="forumapp-bench-"))

    def create(self, name: str) -> str:
        return f"sqlite:///{self.folder / name}.sqlite"

    def server_pid(self) -> int | None:
        """None: SQLite runs inside the server's own processes."""
        return None

    def version(self) -> str:
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


class PostgresDatabases:
    """Databases in a throwaway cluster (or on ``BENCH_DATABASE_URL``), dropped on ``close``."""

    kind = "postgresql"

    def __init__(self) -> None:
        self.cluster = None
        server_url = os.environ.get("BENCH_DATABASE_URL")
        if server_url:
            self.server_url = normalise_database_url(server_url)
        else:
            self.cluster = ThrowawayCluster()
            self.server_url = self.cluster.start()
        self.created: list[str] = []
        self.admin = sa.create_engine(self.server_url, isolation_level="AUTOCOMMIT")

    @staticmethod
    def available() -> bool:
        return bool(os.environ.get("BENCH_DATABASE_URL")) or find_bin_dir() is not None

    def create(self, name: str) -> str:
        database = f"forumapp_bench_{name}_{uuid.uuid4().hex[:8]}"
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{database}"'))
        self.created.append(database)
        return (
            sa.engine.make_url(self.server_url)
            .set(database=database)
            .render_as_string(hide_password=False)
        )

    def server_pid(self) -> int | None:
        """The postmaster's process id when this machine runs the cluster, else None."""
        if self.cluster is None:
            return None
        return int((self.cluster.data_dir / "postmaster.pid").read_text().split()[0])

    def version(self) -> str:
        with self.admin.connect() as conn:
            return "PostgreSQL " + conn.scalar(sa.text("SHOW server_version")).split()[0]

    def settings(self) -> dict[str, str]:
        names = ("fsync", "synchronous_commit", "shared_buffers", "max_connections")
        with self.admin.connect() as conn:
            return {name: conn.scalar(sa.text(f"SHOW {name}")) for name in names}

    def close(self) -> None:
        try:
            with self.admin.connect() as conn:
                for database in self.created:
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        finally:
            self.admin.dispose()
            if self.cluster is not None:
                self.cluster.stop()
