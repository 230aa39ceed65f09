"""A registration's request for interpreters or translated materials."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.clock import UTCDateTime, utcnow
from ..core.models import User, values_check
from ..extensions import Model
from ..registration.models import Registration

# How long "another language" may be: the form, the service and the column share it.
OTHER_LANGUAGE_MAX = 200


class RequestStatus(enum.StrEnum):
    REQUESTED = "requested"
    ARRANGED = "arranged"
    NOT_POSSIBLE = "not possible"


class LanguageRequest(Model):
    """What one registration asked for. It applies to every day the registration holds a
    confirmed or waitlisted seat on, so the days follow the seats and are never stored twice."""

    __tablename__ = "language_request"
    __table_args__ = (CheckConstraint(values_check("status", RequestStatus), name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), unique=True
    )
    spanish_interpreter: Mapped[bool] = mapped_column(Boolean, default=False)
    asl_interpreter: Mapped[bool] = mapped_column(Boolean, default=False)
    spanish_materials: Mapped[bool] = mapped_column(Boolean, default=False)
    # Another language or need in the person's words; empty when they asked for none.
    other_language: Mapped[str] = mapped_column(String(OTHER_LANGUAGE_MAX), default="")
    status: Mapped[str] = mapped_column(String(20), default=RequestStatus.REQUESTED.value)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"), index=True
    )
    staff_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    registration: Mapped[Registration] = relationship()
    owner: Mapped[User | None] = relationship()


class LanguageNeed(enum.StrEnum):
    """What a person may ask for on the registration forms."""

    SPANISH_INTERPRETER = "spanish_interpreter"
    ASL_INTERPRETER = "asl_interpreter"
    SPANISH_MATERIALS = "spanish_materials"
    OTHER = "other"
