"""Backups of the database while the app keeps running.

SQLite: the online backup API copies the database as one consistent snapshot (a single read
transaction; with WAL, writers go on meanwhile). PostgreSQL: ``pg_dump``, which does the same
with its own snapshot, is the tool; ``pg_dump_command`` says how to call it.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
import tempfile
from pathlib import Path

from sqlalchemy.engine import URL


class BackupError(RuntimeError):
    """A backup that cannot be made; the message says why and what to do instead."""


def sqlite_path(url: URL) -> Path:
    """The file behind a SQLite URL; raises ``BackupError`` for an in-memory database."""
    if not url.database or url.database == ":memory:" or url.database.startswith("file::memory:"):
        raise BackupError("The database is in memory: there is no file to back up.")
    return Path(url.database)


def backup_sqlite(source: Path, target: Path) -> int:
    """Write a consistent copy of the SQLite database ``source`` to ``target``; returns its
    size in bytes. The copy is a single self-contained file (no ``-wal`` beside it); it is
    written under a temporary name and renamed, so ``target`` is never half-written."""
    source, target = Path(source), Path(target)
    if not source.exists():
        raise BackupError(f"There is no database file at {source}.")
    if target.exists():
        raise BackupError(f"{target} already exists; choose a new file name for the backup.")
    if target.resolve() == source.resolve():
        raise BackupError("The backup cannot overwrite the database itself.")
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".part"
    )
    os.close(handle)
    try:
        reader = sqlite3.connect(source, timeout=30)
        writer = sqlite3.connect(temporary)
        try:
            # pages=-1 copies everything in one step: one read transaction, one snapshot. A
            # stepwise copy would restart whenever the app writes, possibly forever.
            reader.backup(writer, pages=-1)
            writer.execute("PRAGMA journal_mode = DELETE")
            writer.commit()
        finally:
            writer.close()
            reader.close()
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target.stat().st_size


def pg_dump_command(url: URL, target: Path) -> str:
    """The ``pg_dump`` command line for the database at ``url``, without its password."""
    plain = URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    return shlex.join(
        [
            "pg_dump",
            "--format=custom",
            f"--file={target}",
            f"--dbname={plain.render_as_string(hide_password=False)}",
        ]
    )
