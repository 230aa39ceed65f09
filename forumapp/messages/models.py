"""A message an organizer wrote to a group of people of one forum."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.clock import UTCDateTime, utcnow
from ..core.models import Forum, values_check
from ..extensions import Model


class MessageStatus(enum.StrEnum):
    SCHEDULED = "scheduled"  # waits for ``send_at``; can still be cancelled
    QUEUED = "queued"  # every recipient's copy is in the outbox
    CANCELLED = "cancelled"


class GroupMessage(Model):
    """One message to an audience. The copies are outbox messages ``about`` ``message:<id>``;
    the audience is kept as written (see ``audience.Audience.as_json``) and resolved when the
    message is queued, so a scheduled message reaches the people who match when it goes."""

    __tablename__ = "group_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forum.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    audience: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12))
    send_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # How many people matched: when written, then when queued.
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    forum: Mapped[Forum] = relationship()

    @property
    def ref(self) -> str:
        """What its outbox copies are ``about``."""
        return f"message:{self.id}"


class ReminderKind(enum.StrEnum):
    REMINDER = "reminder"  # what a person with a seat needs to walk in
    WAITLIST_NOTE = "waitlist_note"  # "you are still on the waitlist"


class SentReminder(Model):
    """One reminder of one forum day, queued for one person: the row that makes it once.

    It is inserted in the transaction that queues the email, and the unique key refuses a
    second one (``INSERT ... ON CONFLICT DO NOTHING``), so neither a worker that restarts nor
    two workers at once send anyone the same reminder twice."""

    __tablename__ = "sent_reminder"
    __table_args__ = (
        UniqueConstraint("forum_day_id", "days_before", "person_id"),
        CheckConstraint("days_before > 0", name="days_before_positive"),
        CheckConstraint(values_check("kind", ReminderKind), name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_day_id: Mapped[int] = mapped_column(ForeignKey("forum_day.id", ondelete="CASCADE"))
    days_before: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
