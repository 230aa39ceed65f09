"""The audit log: who did which sensitive staff action, when, to what."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .clock import UTCDateTime, utcnow
from .models import User


class AuditEntry(db.Model):
    """One staff action worth being able to account for later.

    ``action`` is a dotted name such as ``registration.override`` or ``checkin.undo``;
    ``subject`` says what it was about (``"registration:12"``); ``details`` holds plain values.
    """

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(60), index=True)
    subject: Mapped[str] = mapped_column(String(120), default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    user: Mapped[User | None] = relationship()


def record(session, user_id: int | None, action: str, subject: str = "", **details) -> AuditEntry:
    """Add an entry to the audit log in the caller's transaction."""
    entry = AuditEntry(user_id=user_id, action=action, subject=subject, details=details)
    session.add(entry)
    return entry
