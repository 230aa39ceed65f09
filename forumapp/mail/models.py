"""Stored outgoing email."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..core.clock import UTCDateTime, utcnow
from ..core.models import values_check
from ..extensions import Model


class MessageStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    # Not sent: a newer message about the same thing replaced it before it went out (after
    # an outage, an old confirmation or invitation would otherwise arrive after the new one).
    SUPERSEDED = "superseded"


class OutboxMessage(Model):
    """One email waiting for, or done with, delivery.

    ``attachments`` is a list of ``{"filename", "content_type", "content"}`` (text content);
    ``alternatives`` a list of ``{"content_type", "content"}`` MIME parts beside the text body
    (calendar invitations use it for their ``text/calendar`` part).

    A message queued with ``rendered_by`` has no bodies yet: the renderer of that name writes
    them (and its attachments) when the message is sent, from ``render_arguments``, and the
    written message is stored then (see ``outbox.queue_email_rendered_when_sent``).
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint(values_check("status", MessageStatus), name="status_known"),
        Index("ix_outbox_message_due", "status", "next_attempt_at"),
        Index("ix_outbox_message_kind_about", "kind", "about"),
        Index("ix_outbox_message_about_status", "about", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    # What the message is about, for callers that send one per person and thing (e.g.
    # ``forum:5`` for a forum's invitation), so renaming the thing does not send it again.
    about: Mapped[str | None] = mapped_column(String(60))
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    to_email: Mapped[str] = mapped_column(String(254))
    to_name: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    alternatives: Mapped[list] = mapped_column(JSON, default=list)
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    rendered_by: Mapped[str | None] = mapped_column(String(60))
    render_arguments: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default=MessageStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
