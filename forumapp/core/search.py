"""Searching text columns for what a person typed: the typed text matches literally, so
``%`` and ``_`` (wildcards to SQL's LIKE) find only themselves."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func

ESCAPE = "\\"


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, its wildcards escaped (use ``ESCAPE``)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains_text(column, text: str) -> ColumnElement[bool]:
    """``column`` contains ``text``, ignoring case, on SQLite and PostgreSQL alike."""
    return func.lower(column).like(contains_pattern(text.lower()), escape=ESCAPE)
