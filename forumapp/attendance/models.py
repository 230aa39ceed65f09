"""Presence scans, attendance corrections, credit types and certificates."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..agenda.models import AgendaItem
from ..core.clock import UTCDateTime, utcnow
from ..core.models import ForumDay, Person, Program, User, values_check
from ..extensions import Model
from ..registration.models import Registration

CREDIT_NAME_MAX = 120
REASON_MAX = 500


class Direction(enum.StrEnum):
    """Which way a door scan counts: someone coming in or going out."""

    ENTRY = "entry"
    EXIT = "exit"


class PresenceScan(Model):
    """A scan at a session's door (``item_id``) or, with no session, at the day's entrance.

    The day's first entrance entry is the ``CheckIn`` itself (the door's fast path writes
    only that); this table holds everything else: entrance exits, re-entries, and every entry
    or exit at a session's door."""

    __tablename__ = "presence_scan"
    __table_args__ = (
        CheckConstraint(values_check("direction", Direction), name="direction_known"),
        Index("ix_presence_scan_registration_day", "registration_id", "day_id"),
        Index("ix_presence_scan_item", "item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    day_id: Mapped[int] = mapped_column(ForeignKey("forum_day.id", ondelete="CASCADE"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_item.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(5))
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    scanned_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )
    # A scanner's id for the request, so a retried request is answered, not counted twice.
    request_id: Mapped[str | None] = mapped_column(String(64), unique=True)

    registration: Mapped[Registration] = relationship()
    day: Mapped[ForumDay] = relationship()
    item: Mapped[AgendaItem | None] = relationship()


class AttendanceCorrection(Model):
    """An organizer's word on one person's presence in one session (from a paper sheet, say):
    it replaces what the scans say. No times means absent. The audit log keeps every change
    with who made it and why; this row holds the one in force."""

    __tablename__ = "attendance_correction"
    __table_args__ = (
        UniqueConstraint("registration_id", "item_id"),
        CheckConstraint(
            "(present_from IS NULL AND present_until IS NULL) OR "
            "(present_from IS NOT NULL AND present_until IS NOT NULL "
            "AND present_until > present_from)",
            name="times_in_order",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="CASCADE"), index=True
    )
    present_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    present_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(REASON_MAX))
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    registration: Mapped[Registration] = relationship()
    item: Mapped[AgendaItem] = relationship()
    set_by: Mapped[User | None] = relationship()


class Rounding(enum.StrEnum):
    """How a person's credited minutes of one credit type are rounded on a certificate."""

    EXACT = "exact"
    DOWN_QUARTER_HOUR = "down_quarter_hour"
    DOWN_HALF_HOUR = "down_half_hour"
    NEAREST_QUARTER_HOUR = "nearest_quarter_hour"
    DOWN_WHOLE_UNIT = "down_whole_unit"

    @property
    def label(self) -> str:
        return {
            "exact": "Exact minutes",
            "down_quarter_hour": "Down to the quarter hour",
            "down_half_hour": "Down to the half hour",
            "nearest_quarter_hour": "To the nearest quarter hour",
            "down_whole_unit": "Down to a whole credit unit",
        }[self.value]


class CreditType(Model):
    """A kind of credit the program offers, such as "Nursing contact hours"."""

    __tablename__ = "credit_type"
    __table_args__ = (
        UniqueConstraint("program_id", "name"),
        CheckConstraint(values_check("rounding", Rounding), name="rounding_known"),
        CheckConstraint("minutes_per_unit BETWEEN 1 AND 600", name="minutes_per_unit_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(
        ForeignKey("program.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(CREDIT_NAME_MAX))
    accrediting_body: Mapped[str] = mapped_column(String(200), default="")
    provider_number: Mapped[str] = mapped_column(String(100), default="")
    minutes_per_unit: Mapped[int] = mapped_column(Integer, default=60)
    # What the certificate calls a unit: "hours", "contact hours", "CEUs".
    unit_name: Mapped[str] = mapped_column(String(40), default="hours")
    rounding: Mapped[str] = mapped_column(String(30), default=Rounding.DOWN_QUARTER_HOUR.value)
    # "No exit, no credit": time after an entry with no exit scan counts for nothing.
    requires_exit: Mapped[bool] = mapped_column(Boolean, default=False)

    program: Mapped[Program] = relationship()


class SessionCredit(Model):
    """A session carries a credit type."""

    __tablename__ = "session_credit"
    __table_args__ = (UniqueConstraint("item_id", "credit_type_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("agenda_item.id", ondelete="CASCADE"))
    credit_type_id: Mapped[int] = mapped_column(
        ForeignKey("credit_type.id", ondelete="CASCADE"), index=True
    )

    item: Mapped[AgendaItem] = relationship()
    credit_type: Mapped[CreditType] = relationship()


class CertificateSettings(Model):
    """A program's certificate settings (one row per program, made on first save)."""

    __tablename__ = "certificate_settings"
    __table_args__ = (
        CheckConstraint("retention_years BETWEEN 0 AND 50", name="retention_years_in_range"),
    )

    program_id: Mapped[int] = mapped_column(
        ForeignKey("program.id", ondelete="CASCADE"), primary_key=True
    )
    sponsor: Mapped[str] = mapped_column(String(300), default="")
    signer_name: Mapped[str] = mapped_column(String(200), default="")
    signer_title: Mapped[str] = mapped_column(String(200), default="")
    signature_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    require_feedback: Mapped[bool] = mapped_column(Boolean, default=False)
    # Years a certificate's record outlives the erasure of its holder; 0: erased with them.
    retention_years: Mapped[int] = mapped_column(Integer, default=5)


class Certificate(Model):
    """A certificate as issued: its verification code and what it said (``content``, a
    snapshot), so ``/verify`` answers the same in years, even after the holder is erased under
    the program's retention rule (``person_id`` then empty, ``retain_until`` set)."""

    __tablename__ = "certificate"
    __table_args__ = (
        Index("ix_certificate_registration", "registration_id"),
        Index("ix_certificate_person", "person_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="SET NULL")
    )
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    forum_id: Mapped[int | None] = mapped_column(ForeignKey("forum.id", ondelete="SET NULL"))
    # 1 for the first certificate of a registration, 2 for its first reissue, and so on.
    issue: Mapped[int] = mapped_column(Integer, default=1)
    content: Mapped[dict] = mapped_column(JSON)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str] = mapped_column(Text, default="")
    replaced_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("certificate.id", ondelete="SET NULL")
    )
    retain_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    person: Mapped[Person | None] = relationship()
