"""Who sees what: the public, team members (through a personal link) and staff.

Every page, the API, the calendar downloads and registration ask these rules, so a draft
forum, a team-only day, a draft or confidential session and a team-only speaker are hidden
alike everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core.models import Audience, Forum, ForumDay, ForumStatus
from ..extensions import DbSession
from .models import AgendaItem, AgendaItemSpeaker, Speaker
from .schedule import agenda_items


@dataclass(frozen=True)
class Viewer:
    """Who is looking: the public, a team member (through a personal link) or staff."""

    is_staff: bool = False
    is_team_member: bool = False


PUBLIC = Viewer()
STAFF = Viewer(is_staff=True)


def can_see_forum(viewer: Viewer, forum: Forum) -> bool:
    """Drafts are for staff; published and held forums are for everyone."""
    return viewer.is_staff or forum.status != ForumStatus.DRAFT


def can_see_day(viewer: Viewer, day: ForumDay) -> bool:
    """A day of a forum the viewer may see; team days only for team members and staff."""
    if not can_see_forum(viewer, day.forum):
        return False
    return viewer.is_staff or viewer.is_team_member or day.audience == Audience.PUBLIC


def can_see_item(viewer: Viewer, item: AgendaItem) -> bool:
    """An item of a day the viewer may see; drafts only for staff, confidential items only
    for team members and staff."""
    if not can_see_day(viewer, item.day):
        return False
    if item.is_draft:
        return viewer.is_staff
    return not item.confidential or viewer.is_staff or viewer.is_team_member


def can_see_speaker(viewer: Viewer, speaker: Speaker) -> bool:
    """Team-only speakers are for staff."""
    return viewer.is_staff or speaker.is_public


def visible_forums(session: DbSession, viewer: Viewer) -> list[Forum]:
    """Forums the viewer may see, with their days loaded, in program and number order."""
    query = (
        select(Forum)
        .options(selectinload(Forum.days), selectinload(Forum.program))
        .order_by(Forum.program_id, Forum.number)
    )
    if not viewer.is_staff:
        query = query.where(Forum.status != ForumStatus.DRAFT)
    return list(session.scalars(query))


def visible_days(viewer: Viewer, forum: Forum) -> list[ForumDay]:
    """The days of ``forum`` the viewer may see, in date order."""
    return [day for day in forum.days if can_see_day(viewer, day)]


def visible_agenda(
    session: DbSession, viewer: Viewer, forum: Forum
) -> list[tuple[ForumDay, list[AgendaItem]]]:
    """``(day, items)`` for each day of ``forum`` the viewer may see, hidden items removed."""
    days = visible_days(viewer, forum)
    items = agenda_items(session, days)
    return [(day, [item for item in items[day.id] if can_see_item(viewer, item)]) for day in days]


def speaker_sessions(session: DbSession, viewer: Viewer, speaker: Speaker) -> list[AgendaItem]:
    """Every item across the program's forums that the speaker leads and the viewer may see."""
    items = session.scalars(
        select(AgendaItem)
        .join(AgendaItemSpeaker)
        .where(AgendaItemSpeaker.speaker_id == speaker.id)
        .options(selectinload(AgendaItem.day).selectinload(ForumDay.forum))
        .order_by(AgendaItem.starts_at)
    )
    return [item for item in items if can_see_item(viewer, item)]
