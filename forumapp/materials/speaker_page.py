"""A speaker's own page, on their personal link: their sessions with times, rooms and
co-speakers, the materials of each (and a way to add their own), their public bio and photo
and when they are available (forms beside, see ``speaker_views``), and after the session what
attendees said of it: anonymous, as the feedback form promises, and for a session with fewer
than ``FEEDBACK_THRESHOLD`` answers only how many answered (so no answer can be traced)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ..agenda.models import AgendaItem, AgendaItemSpeaker, Speaker, SpeakerStatus
from ..core.clock import local_today
from ..core.models import ForumDay, Person
from ..extensions import DbSession
from ..feedback.models import SessionRating
from .access import reader_for_person
from .models import Material
from .services import visible_materials

FEEDBACK_THRESHOLD = 3


@dataclass(frozen=True)
class SessionFeedback:
    answers: int
    average: float | None  # None below the threshold
    comments: list[str]  # empty below the threshold; never with a name


@dataclass(frozen=True)
class SpeakerSession:
    item: AgendaItem
    co_speakers: list[str]
    materials: list[Material]
    feedback: SessionFeedback | None  # None until the session is over


@dataclass(frozen=True)
class SpeakerPage:
    speaker: Speaker
    sessions: list[SpeakerSession]


def speaker_of(session: DbSession, person: Person) -> Speaker | None:
    """The speaker record of ``person``, if they are one."""
    return session.scalar(select(Speaker).where(Speaker.person_id == person.id))


def _feedback(session: DbSession, item: AgendaItem) -> SessionFeedback:
    rows = session.execute(
        select(SessionRating.rating, SessionRating.comment).where(SessionRating.item_id == item.id)
    ).all()
    answers = len(rows)
    if answers < FEEDBACK_THRESHOLD:
        return SessionFeedback(answers, None, [])
    ratings = [rating for rating, _ in rows if rating is not None]
    average = round(sum(ratings) / len(ratings), 1) if ratings else None
    return SessionFeedback(answers, average, [c.strip() for _, c in rows if c and c.strip()])


def speaker_page(
    session: DbSession, speaker: Speaker, person: Person, now: datetime
) -> SpeakerPage:
    """The speaker's sessions in time order (scheduled ones; drafts are the organizers'),
    with co-speakers, the materials the speaker may see, and feedback once a session is over."""
    items = session.scalars(
        select(AgendaItem)
        .join(AgendaItemSpeaker)
        .where(AgendaItemSpeaker.speaker_id == speaker.id)
        .order_by(AgendaItem.starts_at)
    ).all()
    sessions = []
    for item in items:
        if not item.is_scheduled:
            continue
        forum = item.day.forum
        co = [link.speaker.name for link in item.speaker_links if link.speaker_id != speaker.id]
        materials = visible_materials(
            session, forum, reader_for_person(session, person, forum), items=[item.id]
        )
        feedback = _feedback(session, item) if item.ends_at <= now else None
        sessions.append(SpeakerSession(item, co, materials, feedback))
    return SpeakerPage(speaker, sessions)


def availability_days(session: DbSession, speaker: Speaker, now: datetime) -> list[ForumDay]:
    """The days a speaker may offer times on: from today on, of the forums they speak at or
    were invited to (and did not decline)."""
    forum_ids = set(
        session.scalars(
            select(ForumDay.forum_id)
            .join(AgendaItem, AgendaItem.day_id == ForumDay.id)
            .join(AgendaItemSpeaker)
            .where(AgendaItemSpeaker.speaker_id == speaker.id)
        )
    )
    forum_ids |= {
        row.forum_id for row in speaker.forum_statuses if row.status != SpeakerStatus.DECLINED
    }
    days = session.scalars(
        select(ForumDay).where(ForumDay.forum_id.in_(forum_ids)).order_by(ForumDay.date)
    ).all()
    return [day for day in days if day.date >= local_today(day.forum.program.time_zone, now)]
