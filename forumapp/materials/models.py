"""A material: a file or a link attached to a session (or to a forum, for general material)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..agenda.models import AgendaItem
from ..core.clock import UTCDateTime, utcnow
from ..core.models import Forum, User, values_check
from ..extensions import Model

TITLE_MAX = 200
URL_MAX = 2000
FILENAME_MAX = 200


class Visibility(enum.StrEnum):
    """Who may see a material (staff always may)."""

    PUBLIC = "public"
    REGISTRANTS = "registrants"  # people with a confirmed place on the session's day
    TEAMS = "teams"  # members of the program's community teams
    STAFF = "staff"

    @property
    def label(self) -> str:
        return {
            "public": "Everyone",
            "registrants": "People registered for that day",
            "teams": "Community team members",
            "staff": "Staff only",
        }[self.value]


class Material(Model):
    """A file (stored under ``storage_key``) or a link (``url``), with its title in English and
    optionally Spanish. ``item_id`` for a session's material, else the forum's own."""

    __tablename__ = "material"
    __table_args__ = (
        CheckConstraint(values_check("visibility", Visibility), name="visibility_known"),
        CheckConstraint("(url IS NULL) != (storage_key IS NULL)", name="either_a_file_or_a_link"),
        Index("ix_material_forum_item", "forum_id", "item_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forum.id", ondelete="CASCADE"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_item.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    title_es: Mapped[str] = mapped_column(String(TITLE_MAX), default="")
    visibility: Mapped[str] = mapped_column(String(12), default=Visibility.PUBLIC.value)
    url: Mapped[str | None] = mapped_column(String(URL_MAX))
    storage_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    filename: Mapped[str] = mapped_column(String(FILENAME_MAX), default="")
    content_type: Mapped[str] = mapped_column(String(100), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )
    # A speaker who uploaded it from their own page (their speaker id), if it was one.
    uploaded_by_speaker_id: Mapped[int | None] = mapped_column(
        ForeignKey("speaker.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    forum: Mapped[Forum] = relationship()
    item: Mapped[AgendaItem | None] = relationship()
    uploaded_by: Mapped[User | None] = relationship()

    @property
    def is_file(self) -> bool:
        return self.storage_key is not None


class PacketTiming(enum.StrEnum):
    """When a forum's packet goes to its attendees."""

    FEEDBACK_CLOSES = "feedback_closes"  # as soon as the forum's feedback is closed
    AT_TIME = "at_time"  # at ``MaterialsPlan.packet_send_at``


class MaterialsPlan(Model):
    """Organizers' choices about a forum's materials mail: how many days before the forum
    speakers are reminded to upload slides (None: not at all) and when the packet goes to
    attendees (None: not planned)."""

    __tablename__ = "materials_plan"
    __table_args__ = (
        CheckConstraint(
            "slides_reminder_days IS NULL OR slides_reminder_days BETWEEN 1 AND 60",
            name="slides_reminder_days_in_range",
        ),
        CheckConstraint(
            "packet_timing IS NULL OR packet_timing IN ('feedback_closes', 'at_time')",
            name="packet_timing_known",
        ),
        CheckConstraint(
            "packet_timing IS NULL OR packet_timing != 'at_time' OR packet_send_at IS NOT NULL",
            name="packet_time_given",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forum.id", ondelete="CASCADE"), unique=True)
    # None: no reminder (a forum with no plan row at all gets the configured default).
    slides_reminder_days: Mapped[int | None] = mapped_column(Integer)
    packet_timing: Mapped[str | None] = mapped_column(String(20))
    packet_send_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )

    forum: Mapped[Forum] = relationship()


class SpeakerMailing(Model):
    """A mail to a speaker about one forum, once: the slides reminder (unique per forum and
    speaker, so two workers never send it twice); links sent by organizers are recorded too,
    for the "last sent" column, and may be sent again (``sent_count``)."""

    __tablename__ = "speaker_mailing"
    __table_args__ = (
        UniqueConstraint("forum_id", "speaker_id", "kind"),
        CheckConstraint("kind IN ('link', 'slides_reminder')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forum.id", ondelete="CASCADE"))
    speaker_id: Mapped[int] = mapped_column(
        ForeignKey("speaker.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_count: Mapped[int] = mapped_column(Integer, default=1)


class PacketDelivery(Model):
    """One attendee's packet of one forum, inserted with the mail so it goes once per person."""

    __tablename__ = "packet_delivery"
    __table_args__ = (UniqueConstraint("forum_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forum.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    materials: Mapped[int] = mapped_column(Integer, default=0)  # how many it listed
