"""Mail to a forum's speakers, through the outbox and in each speaker's language: their
personal link to their own page, sent when organizers ask, and a reminder to upload slides
some days before the forum (``MaterialsPlan.slides_reminder_days``), sent once by the mail
worker to the speakers who have a session with no material yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..agenda.models import (
    AgendaItem,
    AgendaItemSpeaker,
    ItemKind,
    ItemStatus,
    Speaker,
    SpeakerStatus,
)
from ..core import audit, clock
from ..core.clock import local_instant
from ..core.database import insert_once
from ..core.i18n import local_text
from ..core.links import absolute_url, personal_token
from ..core.models import Forum, ForumDay, ForumStatus
from ..extensions import DbSession
from ..mail.outbox import queue_email_to_person
from .models import Material, SpeakerMailing
from .plan import materials_plan

SEND_AT = time(9, 0)  # local time of day the slides reminder goes
LINK = "link"
SLIDES_REMINDER = "slides_reminder"


@dataclass(frozen=True)
class ForumSpeaker:
    """A speaker of a forum, with their scheduled sessions in it (in time order)."""

    speaker: Speaker
    items: list[AgendaItem]
    items_without_material: list[AgendaItem]


def forum_speakers(session: DbSession, forum: Forum) -> list[ForumSpeaker]:
    """The speakers of the forum's scheduled sessions (breaks aside), by name; a speaker who
    declined this forum is left out."""
    links = session.scalars(
        select(AgendaItemSpeaker)
        .join(AgendaItem)
        .join(ForumDay)
        .where(
            ForumDay.forum_id == forum.id,
            AgendaItem.status == ItemStatus.SCHEDULED.value,
            AgendaItem.kind != ItemKind.BREAK.value,
        )
        .options(
            selectinload(AgendaItemSpeaker.speaker).selectinload(Speaker.person),
            selectinload(AgendaItemSpeaker.speaker).selectinload(Speaker.forum_statuses),
            selectinload(AgendaItemSpeaker.item),
        )
    ).all()
    with_material = set(
        session.scalars(
            select(Material.item_id).where(
                Material.forum_id == forum.id, Material.item_id.is_not(None)
            )
        )
    )
    by_speaker: dict[int, list[AgendaItem]] = {}
    speakers: dict[int, Speaker] = {}
    for link in links:
        if link.speaker.status_for(forum.id) == SpeakerStatus.DECLINED.value:
            continue
        speakers[link.speaker_id] = link.speaker
        by_speaker.setdefault(link.speaker_id, []).append(link.item)
    result = []
    for speaker_id, items in by_speaker.items():
        items.sort(key=lambda item: (item.starts_at, item.position))
        missing = [item for item in items if item.id not in with_material]
        result.append(ForumSpeaker(speakers[speaker_id], items, missing))
    return sorted(result, key=lambda entry: entry.speaker.name.casefold())


def _queue(session: DbSession, forum: Forum, entry: ForumSpeaker, kind: str) -> None:
    person = entry.speaker.person
    reminder = kind == SLIDES_REMINDER
    queue_email_to_person(
        session,
        f"materials/email/speaker_{kind}",
        person,
        kind=f"speaker_{kind}",
        subject=lambda: (
            _("Please upload your slides for %(forum)s", forum=local_text(forum, "title"))
            if reminder
            else _("Your speaker page for %(forum)s", forum=local_text(forum, "title"))
        ),
        forum=forum,
        items=entry.items_without_material if reminder else entry.items,
        page_link=absolute_url("materials.speaker_home", token=personal_token(person)),
        program=forum.program,
    )


def _first_mailing(
    session: DbSession, forum: Forum, speaker: Speaker, kind: str, now: datetime
) -> bool:
    """Record a ``kind`` mailing to ``speaker`` about ``forum``; False when one was already
    recorded (by this or another worker)."""
    return insert_once(
        session,
        SpeakerMailing,
        ["forum_id", "speaker_id", "kind"],
        forum_id=forum.id,
        speaker_id=speaker.id,
        kind=kind,
        queued_at=now,
        sent_count=1,
    )


def send_speaker_links(session: DbSession, forum: Forum, user_id: int | None) -> int:
    """Queue to every speaker of the forum an email with their personal link (their sessions
    and the page to upload materials); returns how many. Sending again sends again."""
    speakers = forum_speakers(session, forum)
    now = clock.utcnow()
    for entry in speakers:
        _queue(session, forum, entry, LINK)
        if not _first_mailing(session, forum, entry.speaker, LINK, now):
            row = session.scalar(
                select(SpeakerMailing).where(
                    SpeakerMailing.forum_id == forum.id,
                    SpeakerMailing.speaker_id == entry.speaker.id,
                    SpeakerMailing.kind == LINK,
                )
            )
            assert row is not None
            row.queued_at, row.sent_count = now, row.sent_count + 1
    audit.record(
        session, user_id, "speaker.send_links", f"forum:{forum.id}", speakers=len(speakers)
    )
    session.flush()
    return len(speakers)


def last_mailings(session: DbSession, forum: Forum) -> dict[tuple[int, str], datetime]:
    """When each speaker of the forum was last sent their link or the slides reminder."""
    rows = session.execute(
        select(SpeakerMailing.speaker_id, SpeakerMailing.kind, SpeakerMailing.queued_at).where(
            SpeakerMailing.forum_id == forum.id
        )
    )
    return {(speaker_id, kind): at for speaker_id, kind, at in rows}


def slides_reminder_window(
    session: DbSession, forum: Forum, days: int | None
) -> tuple[datetime, datetime] | None:
    """When the forum's slides reminder goes, ``days`` before its first day at 9:00 local (the
    plan's lead time), and until when it still may (the first day's start); None when it is
    off or the forum has no day."""
    first = session.scalar(select(func.min(ForumDay.date)).where(ForumDay.forum_id == forum.id))
    if days is None or first is None:
        return None
    zone = forum.program.time_zone
    return (
        local_instant(first - timedelta(days=days), SEND_AT, zone),
        local_instant(first, time(0, 0), zone),
    )


def _due_reminders(session: DbSession, now: datetime, default_days: int):
    forums = session.scalars(select(Forum).where(Forum.status != ForumStatus.DRAFT)).all()
    for forum in forums:
        days = materials_plan(session, forum, default_days).slides_reminder_days
        window = slides_reminder_window(session, forum, days)
        if window is None or not window[0] <= now < window[1]:
            continue
        sent = set(
            session.scalars(
                select(SpeakerMailing.speaker_id).where(
                    SpeakerMailing.forum_id == forum.id, SpeakerMailing.kind == SLIDES_REMINDER
                )
            )
        )
        for entry in forum_speakers(session, forum):
            if entry.items_without_material and entry.speaker.id not in sent:
                yield forum, entry


def queue_due_slides_reminders(
    session: DbSession, now: datetime | None = None, default_days: int = 7
) -> int:
    """Queue the slides reminders due now, each once per forum and speaker (two workers at
    once included); returns how many were queued. Flushes; the caller commits."""
    now = now or clock.utcnow()
    queued = 0
    for forum, entry in list(_due_reminders(session, now, default_days)):
        if _first_mailing(session, forum, entry.speaker, SLIDES_REMINDER, now):
            _queue(session, forum, entry, SLIDES_REMINDER)
            queued += 1
    return queued


def slides_reminders_waiting(
    session: DbSession, now: datetime | None = None, default_days: int = 7
) -> int:
    """How many slides reminders wait to be queued now (for the outbox page)."""
    return sum(1 for _ in _due_reminders(session, now or clock.utcnow(), default_days))
