"""What has been sent to each person's calendar, so updates reuse the UID and raise SEQUENCE."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.clock import UTCDateTime, utcnow
from ..core.models import Person, values_check
from ..extensions import Model


class InviteStatus(enum.StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


class CalendarInvite(Model):
    """One event in one person's calendar: a forum day or a breakout they picked.

    ``uid`` is stable for the person and event; every REQUEST or CANCEL sent for it carries
    the next ``sequence``.
    """

    __tablename__ = "calendar_invite"
    __table_args__ = (
        UniqueConstraint("person_id", "event_key"),
        CheckConstraint(values_check("status", InviteStatus), name="status_known"),
        CheckConstraint("sequence >= 0", name="sequence_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    # "day-<id>" or "item-<id>": which event this is, for this person.
    event_key: Mapped[str] = mapped_column(String(40))
    uid: Mapped[str] = mapped_column(String(200), unique=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(10), default=InviteStatus.ACTIVE.value)
    last_sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person: Mapped[Person] = relationship()


class CalendarFeed(Model):
    """A person's secret subscription feed URL; revoking replaces the token."""

    __tablename__ = "calendar_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), unique=True)
    token: Mapped[str] = mapped_column(
        String(64), unique=True, default=lambda: secrets.token_urlsafe(32)
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person: Mapped[Person] = relationship()


class PendingInvite(Model):
    """A person's calendar event to bring in line (``services.refresh_invite``) by the mail
    worker rather than inside the request that changed it: building an invitation is the
    largest part of a registration's work, and an agenda change may concern hundreds of people.

    Several rows for one person and event are handled as one, once. Rows whose event could
    not be brought in line stay, marked failed with the error, until staff try them again from
    the outbox page.
    """

    __tablename__ = "calendar_pending_invite"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    event_key: Mapped[str] = mapped_column(String(40))
    # An update of an event the person already has (not only a new or cancelled one).
    changed: Mapped[bool] = mapped_column(Boolean, default=False)
    # A session about to disappear from the day invitation's agenda.
    exclude_item_id: Mapped[int | None] = mapped_column(Integer)
    # Only for people who may see this session (a day invitation lists what they may see).
    visible_item_id: Mapped[int | None] = mapped_column(Integer)
    what_changed: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(300))
