"""Feedback responses, session ratings, topic suggestions and their groups, faculty reviews."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..agenda.models import AgendaItem
from ..core.clock import UTCDateTime, utcnow
from ..core.models import Forum, Person, Team, User, values_check
from ..extensions import Model
from ..registration.models import Registration


class FeedbackWindow(Model):
    """When a forum's feedback is open, and the faculty member reviewing it."""

    __tablename__ = "feedback_window"

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forum.id", ondelete="CASCADE"), unique=True)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewer_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )
    # The faculty's short summary of what the program heard and will do next.
    summary: Mapped[str] = mapped_column(Text, default="")
    summary_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    forum: Mapped[Forum] = relationship()
    reviewer: Mapped[User | None] = relationship()


class FeedbackResponse(Model):
    """One attendee's feedback on one forum (editable until feedback closes)."""

    __tablename__ = "feedback_response"
    __table_args__ = (
        UniqueConstraint("registration_id"),
        CheckConstraint("overall_rating BETWEEN 1 AND 5", name="overall_rating_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forum.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    # Kept even when anonymous, so answers still count per team.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    overall_rating: Mapped[int] = mapped_column(Integer)
    most_useful: Mapped[str] = mapped_column(Text, default="")
    should_change: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    forum: Mapped[Forum] = relationship()
    registration: Mapped[Registration] = relationship()
    team: Mapped[Team | None] = relationship()
    ratings: Mapped[list[SessionRating]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )


class SessionRating(Model):
    """A rating (and optional comment) of one session the person attended."""

    __tablename__ = "session_rating"
    __table_args__ = (
        UniqueConstraint("response_id", "item_id"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("feedback_response.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="CASCADE"), index=True
    )
    rating: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")

    response: Mapped[FeedbackResponse] = relationship(back_populates="ratings")
    item: Mapped[AgendaItem] = relationship()


class TopicStatus(enum.StrEnum):
    OPEN = "open"
    ADDRESSED = "addressed"
    SET_ASIDE = "set_aside"


class TopicGroup(Model):
    """Suggestions about the same thing, labelled by its key words; faculty may edit it."""

    __tablename__ = "topic_group"
    __table_args__ = (CheckConstraint(values_check("status", TopicStatus), name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forum.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    # True once faculty renamed, merged or split it: regrouping then leaves it alone.
    curated: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(12), default=TopicStatus.OPEN.value)
    note: Mapped[str] = mapped_column(Text, default="")
    promoted_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    forum: Mapped[Forum] = relationship()
    promoted_item: Mapped[AgendaItem | None] = relationship()
    suggestions: Mapped[list[TopicSuggestion]] = relationship(back_populates="group")


class TopicSuggestion(Model):
    """A topic or issue someone wants a coming forum to address."""

    __tablename__ = "topic_suggestion"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The forum whose feedback (or the period after which) it was raised in.
    forum_id: Mapped[int] = mapped_column(ForeignKey("forum.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    response_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback_response.id", ondelete="CASCADE"), index=True
    )
    # feedback, personal_page, api or csv
    source: Mapped[str] = mapped_column(String(20), default="feedback")
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("topic_group.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    team: Mapped[Team | None] = relationship()
    person: Mapped[Person | None] = relationship()
    group: Mapped[TopicGroup | None] = relationship(back_populates="suggestions")
