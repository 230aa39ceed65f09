"""Registrations for forums, their day seats and breakout picks."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..agenda.models import AgendaItem
from ..core.clock import UTCDateTime, utcnow
from ..core.models import Forum, ForumDay, Person, values_check
from ..extensions import Model


class RegistrationKind(enum.StrEnum):
    PUBLIC = "public"
    TEAM = "team"


class SeatStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class ReleasedVia(enum.StrEnum):
    """How a confirmed seat was given back, where the measures want to know (None: otherwise)."""

    REMINDER = "reminder"  # the reminder's "I can't come: give my seat to someone else"


class Registration(Model):
    """A person's registration for one forum: their details and their days and picks."""

    __tablename__ = "registration"
    __table_args__ = (
        UniqueConstraint("forum_id", "person_id"),
        CheckConstraint(values_check("kind", RegistrationKind), name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forum.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    community: Mapped[str] = mapped_column(String(200), default="")
    accessibility_needs: Mapped[str] = mapped_column(Text, default="")
    dietary_needs: Mapped[str] = mapped_column(Text, default="")
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    forum: Mapped[Forum] = relationship()
    person: Mapped[Person] = relationship()
    seats: Mapped[list[DaySeat]] = relationship(
        back_populates="registration", cascade="all, delete-orphan", order_by="DaySeat.day_id"
    )
    picks: Mapped[list[BreakoutPick]] = relationship(
        back_populates="registration", cascade="all, delete-orphan"
    )


class DaySeat(Model):
    """A registration's place on one forum day: confirmed, waitlisted or cancelled."""

    __tablename__ = "day_seat"
    __table_args__ = (
        UniqueConstraint("registration_id", "day_id"),
        CheckConstraint(values_check("status", SeatStatus), name="status_known"),
        CheckConstraint(values_check("released_via", ReleasedVia), name="released_via_known"),
        Index("ix_day_seat_waitlist", "day_id", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    day_id: Mapped[int] = mapped_column(ForeignKey("forum_day.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(12))
    # Confirmed beyond capacity by an organizer's deliberate override.
    override: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the person last moved from the waitlist into a freed seat (None: never), and how the
    # seat was given back when it came through a reminder: what the measures count. Both
    # are kept once set, so a person who gave their seat back and came again still counts.
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_via: Mapped[str | None] = mapped_column(String(20))

    registration: Mapped[Registration] = relationship(back_populates="seats")
    day: Mapped[ForumDay] = relationship()


class BreakoutPick(Model):
    """A team member's choice of one breakout in a time slot."""

    __tablename__ = "breakout_pick"
    __table_args__ = (
        UniqueConstraint("registration_id", "item_id"),
        CheckConstraint(values_check("status", SeatStatus), name="status_known"),
        Index("ix_breakout_pick_waitlist", "item_id", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("agenda_item.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(12))
    override: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    registration: Mapped[Registration] = relationship(back_populates="picks")
    item: Mapped[AgendaItem] = relationship()
