"""A message an organizer wrote to a group of people of one forum."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.clock import UTCDateTime, utcnow
from ..core.models import Forum
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
