"""Reading the agenda as it stands: the items of some days in agenda order, and a day as the
organizer's grid (start times down, rooms across)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core.models import ForumDay, Room
from ..extensions import DbSession
from .models import AgendaItem, AgendaItemSpeaker, Speaker


def agenda_items(session: DbSession, days: list[ForumDay]) -> dict[int, list[AgendaItem]]:
    """The items of ``days`` with rooms and speakers loaded, by day id, in agenda order."""
    by_day: dict[int, list[AgendaItem]] = {day.id: [] for day in days}
    if not days:
        return by_day
    items = session.scalars(
        select(AgendaItem)
        .where(AgendaItem.day_id.in_(by_day))
        .options(
            selectinload(AgendaItem.room),
            selectinload(AgendaItem.speaker_links)
            .selectinload(AgendaItemSpeaker.speaker)
            .selectinload(Speaker.person),
        )
        .order_by(AgendaItem.starts_at, AgendaItem.position, AgendaItem.id)
    )
    for item in items:
        by_day[item.day_id].append(item)
    return by_day


@dataclass
class Grid:
    """A day as a table: start times down, rooms across, parallel items side by side."""

    rooms: list[Room | None]
    rows: list[tuple[datetime, list[list[AgendaItem]]]]


def day_grid(day: ForumDay, items: list[AgendaItem]) -> Grid:
    """Lay ``items`` of ``day`` out by start time (rows) and room (columns)."""
    rooms: list[Room | None] = list(day.forum.rooms)
    if any(item.room is None for item in items):
        rooms.append(None)
    column = {(room.id if room else None): index for index, room in enumerate(rooms)}
    starts = sorted({item.starts_at for item in items})
    rows = []
    for start in starts:
        cells: list[list[AgendaItem]] = [[] for _ in rooms]
        for item in items:
            if item.starts_at == start:
                cells[column[item.room_id]].append(item)
        rows.append((start, cells))
    return Grid(rooms=rooms, rows=rows)
