"""What a community team commits to do before the next forum, the dated history of its
progress, and the follow-up mail sent about it (each once)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.clock import UTCDateTime, utcnow
from ..core.models import Forum, Person, Team, values_check
from ..extensions import Model


class CommitmentStatus(enum.StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    PARTLY = "partly"
    DROPPED = "dropped"

    @property
    def label(self) -> str:
        # In the language being rendered: a team member's mail and pages (staff pages: English).
        return {
            "planned": _("Planned"),
            "in_progress": _("In progress"),
            "done": _("Done"),
            "partly": _("Partly done"),
            "dropped": _("Dropped"),
        }[self.value]


class FollowUpKind(enum.StrEnum):
    """The follow-up mail of a forum's commitments, in the order they go."""

    CONFIRMATION = "confirmation"  # some days after the forum: what the team committed to
    REMINDER = "reminder"  # weeks later, with what other teams committed to
    STATUS_REQUEST = "status_request"  # before the next forum: where does each one stand?


class Commitment(Model):
    """One thing a team commits to do before the next forum, made at ``forum``."""

    __tablename__ = "commitment"
    __table_args__ = (
        CheckConstraint(values_check("status", CommitmentStatus), name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forum.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    # Erasing the owner keeps the row (as "Erased person"), so the commitment keeps its owner.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    due: Mapped[date] = mapped_column(Date)
    topic_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("topic_group.id", ondelete="SET NULL")
    )
    agenda_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(12), default=CommitmentStatus.PLANNED.value)
    progress_note: Mapped[str] = mapped_column(Text, default="")
    barrier_note: Mapped[str] = mapped_column(Text, default="")
    # The barrier note as a topic raised after the forum (see ``recording``).
    barrier_topic_id: Mapped[int | None] = mapped_column(
        ForeignKey("topic_suggestion.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    team: Mapped[Team] = relationship()
    forum: Mapped[Forum] = relationship()
    owner: Mapped[Person | None] = relationship()
    updates: Mapped[list[CommitmentUpdate]] = relationship(
        back_populates="commitment",
        cascade="all, delete-orphan",
        order_by="CommitmentUpdate.at, CommitmentUpdate.id",
    )

    @property
    def status_label(self) -> str:
        return CommitmentStatus(self.status).label


class CommitmentUpdate(Model):
    """A dated step of a commitment's history: its status then, and what was noted."""

    __tablename__ = "commitment_update"
    __table_args__ = (
        CheckConstraint(values_check("status", CommitmentStatus), name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(
        ForeignKey("commitment.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(12))
    progress_note: Mapped[str] = mapped_column(Text, default="")
    barrier_note: Mapped[str] = mapped_column(Text, default="")
    # Who made it: a person through their personal link, or a staff account.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    commitment: Mapped[Commitment] = relationship(back_populates="updates")

    @property
    def status_label(self) -> str:
        """The status it set, in the language being rendered."""
        return CommitmentStatus(self.status).label


class CommitmentFollowUp(Model):
    """A follow-up mail queued for one person about one team's commitments from one forum.
    The unique key makes each go once, whatever the number of workers or restarts."""

    __tablename__ = "commitment_follow_up"
    __table_args__ = (
        UniqueConstraint("forum_id", "team_id", "kind", "person_id"),
        CheckConstraint(values_check("kind", FollowUpKind), name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forum.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    commitments: Mapped[int] = mapped_column(Integer, default=0)  # how many it listed
