"""A material: a file or a link attached to a session (or to a forum, for general material)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
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
