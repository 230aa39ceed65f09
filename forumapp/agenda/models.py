"""Agenda items (the sessions of a forum day) and speakers.

The model is called ``AgendaItem`` rather than ``Session`` so it never collides with the
database session or Flask's session.
"""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from ..core.clock import UTCDateTime, utcnow
from ..core.models import ForumDay, Person, Room, values_check
from ..extensions import Model


class ItemKind(enum.StrEnum):
    GENERAL_SESSION = "general_session"
    BREAKOUT = "breakout"
    DISCUSSION = "discussion"
    PANEL = "panel"
    BREAK = "break"

    @property
    def label(self) -> str:
        """The kind as pages show it, in the language being rendered (staff pages: English)."""
        return {
            "general_session": _("General session"),
            "breakout": _("Breakout"),
            "discussion": _("Collaborative discussion"),
            "panel": _("Panel"),
            "break": _("Break / meal"),
        }[self.value]


class ItemStatus(enum.StrEnum):
    # A proposal (e.g. a topic promoted from feedback): only staff see it, nobody can choose
    # it, until an organizer schedules it.
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class SpeakerKind(enum.StrEnum):
    FACULTY = "faculty"
    OUTSIDE_EXPERT = "outside_expert"
    TEAM_PANELIST = "team_panelist"


class SpeakerStatus(enum.StrEnum):
    INVITED = "invited"
    CONFIRMED = "confirmed"
    DECLINED = "declined"


class SpeakerRole(enum.StrEnum):
    SPEAKER = "speaker"
    MODERATOR = "moderator"
    FACILITATOR = "facilitator"
    PANELIST = "panelist"

    @property
    def label(self) -> str:
        """The role as the public agenda shows it, in the language being rendered."""
        return {
            "speaker": _("speaker"),
            "moderator": _("moderator"),
            "facilitator": _("facilitator"),
            "panelist": _("panelist"),
        }[self.value]


class AgendaItem(Model):
    """One session on a forum day: general session, breakout, discussion, panel or meal."""

    __tablename__ = "agenda_item"
    __table_args__ = (
        CheckConstraint(values_check("kind", ItemKind), name="kind_known"),
        CheckConstraint(values_check("status", ItemStatus), name="status_known"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        CheckConstraint(
            "capacity IS NULL OR seats_taken <= capacity + seats_overridden",
            name="seats_within_capacity",
        ),
        CheckConstraint(
            "seats_taken >= 0 AND seats_overridden >= 0", name="seat_counts_not_negative"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day_id: Mapped[int] = mapped_column(ForeignKey("forum_day.id", ondelete="CASCADE"), index=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # Spanish versions (empty: none), see ``core.i18n.local_text``.
    title_es: Mapped[str] = mapped_column(String(200), default="")
    description_es: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int | None] = mapped_column(Integer)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default=ItemStatus.SCHEDULED.value)
    # Order among items starting at the same time (parallel breakouts), set by organizers.
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Confirmed breakout picks; kept by the registration feature with conditional updates.
    seats_taken: Mapped[int] = mapped_column(Integer, default=0)
    seats_overridden: Mapped[int] = mapped_column(Integer, default=0)
    # Where a proposed session came from, e.g. "Proposed from Forum 2 feedback (raised by 3
    # teams)". Plain text so the agenda needs nothing from the feature that writes it.
    provenance: Mapped[str] = mapped_column(String(300), default="")

    day: Mapped[ForumDay] = relationship(
        backref=backref("items", order_by="AgendaItem.starts_at", cascade="all, delete-orphan")
    )
    room: Mapped[Room | None] = relationship()
    speaker_links: Mapped[list[AgendaItemSpeaker]] = relationship(
        back_populates="item", cascade="all, delete-orphan"
    )

    @property
    def effective_capacity(self) -> int | None:
        """The item's own capacity, or its room's when it has none."""
        if self.capacity is not None:
            return self.capacity
        return self.room.capacity if self.room else None

    @property
    def kind_label(self) -> str:
        return ItemKind(self.kind).label

    @property
    def is_cancelled(self) -> bool:
        return self.status == ItemStatus.CANCELLED

    @property
    def is_draft(self) -> bool:
        return self.status == ItemStatus.DRAFT

    @property
    def is_scheduled(self) -> bool:
        return self.status == ItemStatus.SCHEDULED

    @property
    def public_speaker_links(self) -> list[AgendaItemSpeaker]:
        return [link for link in self.speaker_links if link.speaker.is_public]


class Speaker(Model):
    """A person's speaker record: faculty, outside expert or team panelist."""

    __tablename__ = "speaker"
    __table_args__ = (
        CheckConstraint(values_check("kind", SpeakerKind), name="kind_known"),
        CheckConstraint(values_check("status", SpeakerStatus), name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    affiliation: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(String(200), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    bio_es: Mapped[str] = mapped_column(Text, default="")
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(20), default=SpeakerStatus.INVITED.value)
    # Travel and honorarium notes: staff only.
    staff_notes: Mapped[str] = mapped_column(Text, default="")
    # File name under the instance's speaker-photo folder; generated, never user-supplied.
    photo_filename: Mapped[str | None] = mapped_column(String(64))

    person: Mapped[Person] = relationship()
    item_links: Mapped[list[AgendaItemSpeaker]] = relationship(
        back_populates="speaker", cascade="all, delete-orphan"
    )
    forum_statuses: Mapped[list[SpeakerForumStatus]] = relationship(
        back_populates="speaker", cascade="all, delete-orphan"
    )
    availability: Mapped[list[SpeakerAvailability]] = relationship(
        back_populates="speaker",
        cascade="all, delete-orphan",
        order_by="SpeakerAvailability.starts_at",
    )
    # A bio or photo the speaker sent, waiting for staff (see ``speaker_profiles``).
    profile_proposal: Mapped[SpeakerProfileProposal | None] = relationship(
        back_populates="speaker", cascade="all, delete-orphan"
    )

    @property
    def name(self) -> str:
        return self.person.name

    @property
    def kind_label(self) -> str:
        return {
            "faculty": "Faculty",
            "outside_expert": "Outside expert",
            "team_panelist": "Team panelist",
        }[self.kind]

    def status_for(self, forum_id: int) -> str | None:
        """The speaker's invited/confirmed/declined status for one forum, if any."""
        for row in self.forum_statuses:
            if row.forum_id == forum_id:
                return row.status
        return None


class SpeakerForumStatus(Model):
    """Where a speaker stands for one forum: invited, confirmed or declined."""

    __tablename__ = "speaker_forum_status"
    __table_args__ = (
        UniqueConstraint("speaker_id", "forum_id"),
        CheckConstraint(values_check("status", SpeakerStatus), name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    speaker_id: Mapped[int] = mapped_column(ForeignKey("speaker.id", ondelete="CASCADE"))
    forum_id: Mapped[int] = mapped_column(ForeignKey("forum.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))

    speaker: Mapped[Speaker] = relationship(back_populates="forum_statuses")


class SpeakerAvailability(Model):
    """A time range on a forum day when the speaker can be scheduled."""

    __tablename__ = "speaker_availability"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    speaker_id: Mapped[int] = mapped_column(
        ForeignKey("speaker.id", ondelete="CASCADE"), index=True
    )
    day_id: Mapped[int] = mapped_column(ForeignKey("forum_day.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)

    speaker: Mapped[Speaker] = relationship(back_populates="availability")
    day: Mapped[ForumDay] = relationship()


class SpeakerProfileProposal(Model):
    """A bio or photo a speaker sent from their own page, waiting for staff to publish it
    (when ``SPEAKER_PROFILE_REVIEW`` is on). One per speaker: a newer one replaces it."""

    __tablename__ = "speaker_profile_proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    speaker_id: Mapped[int] = mapped_column(
        ForeignKey("speaker.id", ondelete="CASCADE"), unique=True
    )
    bio: Mapped[str] = mapped_column(Text, default="")
    bio_es: Mapped[str] = mapped_column(Text, default="")
    # A new photo under the photo folder (generated name), or none: the photo stays as it is.
    photo_filename: Mapped[str | None] = mapped_column(String(64))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    speaker: Mapped[Speaker] = relationship(back_populates="profile_proposal")


class AgendaChange(Model):
    """A change to a published forum's session (time, room or status), for notifications.

    The agenda records; registration and calendar features read the rows they have not yet
    acted on (``notified_at`` is empty) and tell the people affected.
    """

    __tablename__ = "agenda_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forum.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="SET NULL"), index=True
    )
    item_title: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )
    # {"field": [old, new]} with ISO instants, room names and statuses as text.
    changes: Mapped[dict] = mapped_column(JSON)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    item: Mapped[AgendaItem | None] = relationship()


class AgendaItemSpeaker(Model):
    """A speaker's part in one agenda item."""

    __tablename__ = "agenda_item_speaker"
    __table_args__ = (
        UniqueConstraint("item_id", "speaker_id"),
        CheckConstraint(values_check("role", SpeakerRole), name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("agenda_item.id", ondelete="CASCADE"))
    speaker_id: Mapped[int] = mapped_column(
        ForeignKey("speaker.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20), default=SpeakerRole.SPEAKER.value)

    item: Mapped[AgendaItem] = relationship(back_populates="speaker_links")
    speaker: Mapped[Speaker] = relationship(back_populates="item_links")

    @property
    def role_label(self) -> str:
        """The role in lower case, in the language being rendered ("moderator", "moderador")."""
        return SpeakerRole(self.role).label
