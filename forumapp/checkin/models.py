"""Tickets, door check-ins and breakout attendance."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..agenda.models import AgendaItem
from ..core.clock import UTCDateTime, utcnow
from ..core.models import ForumDay, User
from ..extensions import Model
from ..registration.models import Registration


class Ticket(Model):
    """A registration's ticket code. A new code voids the old one (kept to say so at the door).

    The code is separate from the personal-link secret: a photo of a badge opens no page.
    """

    __tablename__ = "ticket"
    __table_args__ = (
        # At most one live code per registration.
        Index(
            "uq_ticket_live_registration",
            "registration_id",
            unique=True,
            sqlite_where=text("voided_at IS NULL"),
            postgresql_where=text("voided_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    registration: Mapped[Registration] = relationship()


class CheckIn(Model):
    """A person let in on one forum day. Undoing keeps the row, marked with who undid it."""

    __tablename__ = "check_in"
    __table_args__ = (
        # The database guarantees one live check-in per person per day, whatever the race.
        Index(
            "uq_check_in_live",
            "registration_id",
            "day_id",
            unique=True,
            sqlite_where=text("undone_at IS NULL"),
            postgresql_where=text("undone_at IS NULL"),
        ),
        Index("ix_check_in_day_time", "day_id", "checked_in_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    day_id: Mapped[int] = mapped_column(ForeignKey("forum_day.id", ondelete="CASCADE"))
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_in_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )
    # scan, lookup or walk_in
    method: Mapped[str] = mapped_column(String(10), default="scan")
    # A scanner's id for the request, so a retried request is answered, not counted twice.
    request_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )

    registration: Mapped[Registration] = relationship()
    day: Mapped[ForumDay] = relationship()
    checked_in_by: Mapped[User | None] = relationship(foreign_keys=[checked_in_by_id])
    undone_by: Mapped[User | None] = relationship(foreign_keys=[undone_by_id])


class BreakoutAttendance(Model):
    """A person scanned in at a breakout's door."""

    __tablename__ = "breakout_attendance"
    __table_args__ = (UniqueConstraint("registration_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="CASCADE"), index=True
    )
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    scanned_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )
    # Whether the person had chosen this breakout: confirmed, waitlisted, other, none.
    choice: Mapped[str] = mapped_column(String(12))

    registration: Mapped[Registration] = relationship()
    item: Mapped[AgendaItem] = relationship()


class ConflictKind(enum.StrEnum):
    """Why a scan a door accepted while offline did not become a check-in when it synced."""

    ALREADY_IN = "already_in"  # another device (or this one before) let the person in
    REPLACED = "replaced"  # the ticket was replaced by a new code after the snapshot
    NO_PLACE = "no_place"  # the seat was cancelled, waitlisted or never held for the day
    UNKNOWN = "unknown"  # the code matches no ticket of the forum


class CheckInConflict(Model):
    """A scan an offline door let through that the server could not check in, for organizers
    to look into on the live check-in page: who scanned it, where and when."""

    __tablename__ = "check_in_conflict"
    __table_args__ = (Index("ix_check_in_conflict_day", "day_id", "scanned_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day_id: Mapped[int] = mapped_column(ForeignKey("forum_day.id", ondelete="CASCADE"))
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(12))
    message: Mapped[str] = mapped_column(String(300))
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    scanned_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The check-in that stands when the person was let in twice.
    check_in_id: Mapped[int | None] = mapped_column(ForeignKey("check_in.id", ondelete="SET NULL"))
    request_id: Mapped[str] = mapped_column(String(64), unique=True)

    registration: Mapped[Registration | None] = relationship()
    scanned_by: Mapped[User | None] = relationship()
    check_in: Mapped[CheckIn | None] = relationship()
