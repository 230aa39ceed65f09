"""Instants are stored in UTC; people see them in the program's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware instant stored as UTC on every database.

    SQLite has no time zones, so the value is stored as naive UTC there and made aware again
    on the way out; PostgreSQL stores ``timestamptz``. Naive datetimes are refused, because a
    naive value is ambiguous (local? UTC?) and would silently shift by hours.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs a timezone-aware datetime")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def zone(name: str) -> ZoneInfo:
    """The ``ZoneInfo`` for an IANA name; raises ``ValueError`` for an unknown name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"Unknown time zone: {name!r}") from exc


def local_instant(day: date, clock_time: time, time_zone: str) -> datetime:
    """The UTC instant of a wall-clock time on a local date in ``time_zone``."""
    return datetime.combine(day, clock_time, tzinfo=zone(time_zone)).astimezone(UTC)


def to_local(instant: datetime, time_zone: str) -> datetime:
    """An instant shown in ``time_zone``."""
    return instant.astimezone(zone(time_zone))


def local_today(time_zone: str, now: datetime | None = None) -> date:
    """Today's date in ``time_zone`` (at ``now``, by default the current instant)."""
    return to_local(now or utcnow(), time_zone).date()
