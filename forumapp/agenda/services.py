"""Agenda rules: who may see what, conflict checks, and edits that record their changes.

Functions take the database session and plain values (never the request), so the HTML views,
the JSON API and the CLI share them. They ``flush()``; the caller commits once.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core import audit
from ..core.actions import DomainError
from ..core.clock import local_instant, to_local
from ..core.models import Audience, Forum, ForumDay, ForumStatus, Program, Room
from .models import (
    AgendaChange,
    AgendaItem,
    AgendaItemSpeaker,
    ItemKind,
    ItemStatus,
    Speaker,
    SpeakerRole,
)
from .signals import agenda_changed, day_changed


class AgendaError(DomainError):
    """An agenda edit that cannot be made; ``field`` names the form field at fault, if any."""


# --- Who sees what -------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """Who is looking: the public, a team member (through a personal link) or staff."""

    is_staff: bool = False
    is_team_member: bool = False


PUBLIC = Viewer()
STAFF = Viewer(is_staff=True)


def can_see_forum(viewer: Viewer, forum: Forum) -> bool:
    return viewer.is_staff or forum.status != ForumStatus.DRAFT


def can_see_day(viewer: Viewer, day: ForumDay) -> bool:
    if not can_see_forum(viewer, day.forum):
        return False
    return viewer.is_staff or viewer.is_team_member or day.audience == Audience.PUBLIC


def can_see_item(viewer: Viewer, item: AgendaItem) -> bool:
    if not can_see_day(viewer, item.day):
        return False
    if item.is_draft:
        return viewer.is_staff
    return not item.confidential or viewer.is_staff or viewer.is_team_member


def can_see_speaker(viewer: Viewer, speaker: Speaker) -> bool:
    return viewer.is_staff or speaker.is_public


def visible_forums(session, viewer: Viewer) -> list[Forum]:
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
    return [day for day in forum.days if can_see_day(viewer, day)]


def agenda_items(session, days: list[ForumDay]) -> dict[int, list[AgendaItem]]:
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


def visible_agenda(session, viewer: Viewer, forum: Forum) -> list[tuple[ForumDay, list]]:
    """``(day, items)`` for each day of ``forum`` the viewer may see, hidden items removed."""
    days = visible_days(viewer, forum)
    items = agenda_items(session, days)
    return [(day, [item for item in items[day.id] if can_see_item(viewer, item)]) for day in days]


def speaker_sessions(session, viewer: Viewer, speaker: Speaker) -> list[AgendaItem]:
    """Every item across the program's forums that the speaker leads and the viewer may see."""
    items = session.scalars(
        select(AgendaItem)
        .join(AgendaItemSpeaker)
        .where(AgendaItemSpeaker.speaker_id == speaker.id)
        .options(selectinload(AgendaItem.day).selectinload(ForumDay.forum))
        .order_by(AgendaItem.starts_at)
    )
    return [item for item in items if can_see_item(viewer, item)]


# --- Conflict checks -----------------------------------------------------------------------


class ConflictKind(enum.StrEnum):
    ROOM_DOUBLE_BOOKED = "room_double_booked"
    SPEAKER_DOUBLE_BOOKED = "speaker_double_booked"
    OUTSIDE_DAY = "outside_day"
    MEAL_OVERLAP = "meal_overlap"
    OVER_ROOM_CAPACITY = "over_room_capacity"
    TEAM_CONTENT_ON_PUBLIC_DAY = "team_content_on_public_day"
    OUTSIDE_AVAILABILITY = "outside_availability"


@dataclass(frozen=True)
class Conflict:
    kind: ConflictKind
    message: str
    item_ids: tuple[int | None, ...]


@dataclass
class Slot:
    """An agenda item as plain values, saved or not, so a form can be checked before saving."""

    item_id: int | None
    title: str
    day: ForumDay
    room: Room | None
    kind: str
    starts_at: datetime
    ends_at: datetime
    capacity: int | None = None
    confidential: bool = False
    cancelled: bool = False
    speakers: list[Speaker] = field(default_factory=list)

    @classmethod
    def of(cls, item: AgendaItem) -> Slot:
        return cls(
            item_id=item.id,
            title=item.title,
            day=item.day,
            room=item.room,
            kind=item.kind,
            starts_at=item.starts_at,
            ends_at=item.ends_at,
            capacity=item.capacity,
            confidential=item.confidential,
            cancelled=item.is_cancelled,
            speakers=[link.speaker for link in item.speaker_links],
        )

    def overlaps(self, other: Slot) -> bool:
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at


def _zone_of(day: ForumDay) -> str:
    return day.forum.program.time_zone


def _clock(instant: datetime, day: ForumDay) -> str:
    return to_local(instant, _zone_of(day)).strftime("%I:%M %p").lstrip("0")


def _checks_of_one(slot: Slot) -> list[Conflict]:
    found = []
    ids = (slot.item_id,)
    day = slot.day
    zone = _zone_of(day)
    day_start = local_instant(day.date, day.starts_at, zone)
    day_end = local_instant(day.date, day.ends_at, zone)
    if slot.starts_at < day_start or slot.ends_at > day_end:
        found.append(
            Conflict(
                ConflictKind.OUTSIDE_DAY,
                f"“{slot.title}” runs outside its day "
                f"({_clock(day_start, day)}–{_clock(day_end, day)} on {day.date:%b %d}).",
                ids,
            )
        )
    if slot.room is not None and slot.capacity is not None and slot.capacity > slot.room.capacity:
        found.append(
            Conflict(
                ConflictKind.OVER_ROOM_CAPACITY,
                f"“{slot.title}” allows {slot.capacity} people but {slot.room.name} holds "
                f"{slot.room.capacity}.",
                ids,
            )
        )
    if day.audience == Audience.PUBLIC:
        if slot.confidential:
            found.append(
                Conflict(
                    ConflictKind.TEAM_CONTENT_ON_PUBLIC_DAY,
                    f"“{slot.title}” is marked confidential but is on a public day.",
                    ids,
                )
            )
        for speaker in slot.speakers:
            if not speaker.is_public:
                found.append(
                    Conflict(
                        ConflictKind.TEAM_CONTENT_ON_PUBLIC_DAY,
                        f"{speaker.name} is a team-only speaker but leads “{slot.title}” on "
                        "a public day.",
                        ids,
                    )
                )
    for speaker in slot.speakers:
        ranges = [a for a in speaker.availability if a.day_id == day.id]
        if ranges and not any(
            a.starts_at <= slot.starts_at and slot.ends_at <= a.ends_at for a in ranges
        ):
            available = ", ".join(
                f"{_clock(a.starts_at, day)}–{_clock(a.ends_at, day)}" for a in ranges
            )
            found.append(
                Conflict(
                    ConflictKind.OUTSIDE_AVAILABILITY,
                    f"{speaker.name} is only available {available} on {day.date:%b %d}, "
                    f"but “{slot.title}” is at {_clock(slot.starts_at, day)}.",
                    ids,
                )
            )
    return found


def _checks_of_pair(a: Slot, b: Slot) -> list[Conflict]:
    if a.cancelled or b.cancelled or not a.overlaps(b):
        return []
    found = []
    ids = (a.item_id, b.item_id)
    if a.room is not None and b.room is not None and a.room.id == b.room.id:
        meals = [s for s in (a, b) if s.kind == ItemKind.BREAK]
        if len(meals) == 1:
            other = b if meals[0] is a else a
            found.append(
                Conflict(
                    ConflictKind.MEAL_OVERLAP,
                    f"“{other.title}” overlaps “{meals[0].title}” in {a.room.name}.",
                    ids,
                )
            )
        else:
            found.append(
                Conflict(
                    ConflictKind.ROOM_DOUBLE_BOOKED,
                    f"{a.room.name} is booked twice: “{a.title}” and “{b.title}” overlap.",
                    ids,
                )
            )
    shared = {s.id for s in a.speakers} & {s.id for s in b.speakers}
    for speaker in a.speakers:
        if speaker.id in shared:
            found.append(
                Conflict(
                    ConflictKind.SPEAKER_DOUBLE_BOOKED,
                    f"{speaker.name} is in two places at once: “{a.title}” and “{b.title}”.",
                    ids,
                )
            )
    return found


def _forum_slots(session, forum: Forum) -> list[Slot]:
    items = agenda_items(session, forum.days)
    return [Slot.of(item) for day in forum.days for item in items[day.id]]


def find_conflicts(session, forum: Forum) -> list[Conflict]:
    """Every problem in the forum's agenda, for the organizer's problems panel."""
    slots = _forum_slots(session, forum)
    found = []
    for index, slot in enumerate(slots):
        if not slot.cancelled:
            found.extend(_checks_of_one(slot))
        for other in slots[index + 1 :]:
            found.extend(_checks_of_pair(slot, other))
    return found


def conflicts_for(session, slot: Slot) -> list[Conflict]:
    """The problems ``slot`` would have (or has) against the rest of its forum's agenda."""
    if slot.cancelled:
        return []
    found = _checks_of_one(slot)
    for other in _forum_slots(session, slot.day.forum):
        if other.item_id is None or other.item_id != slot.item_id:
            found.extend(_checks_of_pair(slot, other))
    return found


# --- Editing -------------------------------------------------------------------------------


@dataclass
class ItemInput:
    """What an organizer enters for an agenda item; times are local wall-clock times."""

    kind: str
    title: str
    start: time
    end: time
    room_id: int | None = None
    description: str = ""
    capacity: int | None = None
    confidential: bool = False
    status: str = ItemStatus.SCHEDULED.value


def slot_for_input(session, day: ForumDay, data: ItemInput, item: AgendaItem | None = None):
    """The ``Slot`` an input would produce, validated, without touching the database."""
    title = data.title.strip()
    if not title:
        raise AgendaError("Give the session a title.", "title")
    try:
        ItemKind(data.kind)
    except ValueError:
        raise AgendaError("Choose what kind of session this is.", "kind") from None
    if data.end <= data.start:
        raise AgendaError("The end time must be after the start time.", "end")
    if data.capacity is not None and data.capacity < 1:
        raise AgendaError("Capacity must be at least 1, or left empty.", "capacity")
    room = None
    if data.room_id is not None:
        room = session.get(Room, data.room_id)
        if room is None or room.forum_id != day.forum_id:
            raise AgendaError("Choose one of this forum's rooms.", "room_id")
    zone = _zone_of(day)
    return Slot(
        item_id=item.id if item else None,
        title=title,
        day=day,
        room=room,
        kind=data.kind,
        starts_at=local_instant(day.date, data.start, zone),
        ends_at=local_instant(day.date, data.end, zone),
        capacity=data.capacity,
        confidential=data.confidential,
        cancelled=data.status == ItemStatus.CANCELLED,
        speakers=[link.speaker for link in item.speaker_links] if item else [],
    )


def _watched(item: AgendaItem) -> dict[str, str | None]:
    """The fields whose change people registered for must hear about."""
    return {
        "title": item.title,
        "starts_at": item.starts_at.isoformat(),
        "ends_at": item.ends_at.isoformat(),
        "room": item.room.name if item.room else None,
        "status": item.status,
    }


def _record_change(session, item: AgendaItem, before: dict, actor_id: int | None) -> None:
    if item.day.forum.status == ForumStatus.DRAFT:
        return  # nobody has seen a draft, so nobody needs telling
    after = _watched(item)
    changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if changes:
        change = AgendaChange(
            forum_id=item.day.forum_id,
            item=item,
            item_title=item.title,
            changed_by_id=actor_id,
            changes=changes,
        )
        session.add(change)
        session.flush()
        agenda_changed.send(change, session=session)


def _apply(item: AgendaItem, slot: Slot, data: ItemInput) -> None:
    item.kind = data.kind
    item.title = slot.title
    item.description = data.description.strip()
    item.starts_at = slot.starts_at
    item.ends_at = slot.ends_at
    item.room = slot.room
    item.capacity = data.capacity
    item.confidential = data.confidential
    item.status = data.status


def create_item(session, day: ForumDay, data: ItemInput) -> AgendaItem:
    """A new agenda item on ``day``; raises ``AgendaError`` for invalid input."""
    slot = slot_for_input(session, day, data)
    item = AgendaItem(position=_next_position(day, slot.starts_at))
    _apply(item, slot, data)
    session.add(item)
    item.day = day
    session.flush()
    return item


def update_item(session, item: AgendaItem, data: ItemInput, actor_id: int | None = None):
    """Save an edit; a published forum's time, room or status change is recorded."""
    if data.status == ItemStatus.DRAFT and not item.is_draft and item.seats_taken > 0:
        raise AgendaError(
            "People have seats in this session: cancel it rather than make it a draft, so "
            "they are told.",
            "status",
        )
    slot = slot_for_input(session, item.day, data, item)
    before = _watched(item)
    _apply(item, slot, data)
    session.flush()
    _record_change(session, item, before, actor_id)
    session.flush()
    return item


def move_item(
    session, item: AgendaItem, start: time, room_id: int | None, actor_id: int | None = None
) -> AgendaItem:
    """Move an item to a new start time (keeping its length) and room."""
    length = item.ends_at - item.starts_at
    zone = _zone_of(item.day)
    starts_at = local_instant(item.day.date, start, zone)
    end_local = to_local(starts_at + length, zone)
    if end_local.date() != item.day.date:
        raise AgendaError("At that start time the session would run past midnight.", "start")
    data = ItemInput(
        kind=item.kind,
        title=item.title,
        start=start,
        end=end_local.time(),
        room_id=room_id,
        description=item.description,
        capacity=item.capacity,
        confidential=item.confidential,
        status=item.status,
    )
    return update_item(session, item, data, actor_id)


def copy_item(session, item: AgendaItem) -> AgendaItem:
    """A copy of ``item`` at the same time with no room, with its speakers, titled as a copy."""
    position = _next_position(item.day, item.starts_at)
    copy = AgendaItem(
        day_id=item.day_id,
        kind=item.kind,
        title=f"{item.title} (copy)"[:200],
        description=item.description,
        starts_at=item.starts_at,
        ends_at=item.ends_at,
        room=None,  # the original holds the room; a copy in it would be a double booking
        capacity=item.capacity,
        confidential=item.confidential,
        # A draft, seen by staff only, until an organizer has placed it and schedules it: on a
        # published forum a scheduled copy could be booked before it has a room.
        status=ItemStatus.DRAFT.value,
        position=position,
    )
    session.add(copy)
    for link in item.speaker_links:
        copy.speaker_links.append(AgendaItemSpeaker(speaker=link.speaker, role=link.role))
    session.flush()
    session.expire(item.day, ["items"])
    return copy


def delete_item(session, item: AgendaItem, actor_id: int | None = None) -> None:
    """Remove an item; on a published forum this is recorded as a cancellation. A scheduled
    session people have seats in is cancelled first (so they are told), not deleted."""
    if item.is_scheduled and item.seats_taken > 0:
        raise AgendaError(
            f"{item.seats_taken} people have seats in “{item.title}”: cancel it first (they "
            "are told), then delete it.",
            "status",
        )
    before = _watched(item)
    if item.day.forum.status != ForumStatus.DRAFT:
        change = AgendaChange(
            forum_id=item.day.forum_id,
            item=item,
            item_title=item.title,
            changed_by_id=actor_id,
            changes={"status": [before["status"], "deleted"]},
        )
        session.add(change)
        session.flush()
        # Receivers still see the item; the change row keeps its title once it is gone.
        agenda_changed.send(change, session=session)
    session.delete(item)
    session.flush()


def _next_position(day: ForumDay, starts_at: datetime) -> int:
    same_time = [i.position for i in day.items if i.starts_at == starts_at]
    return max(same_time, default=-1) + 1


def reorder_item(session, item: AgendaItem, offset: int) -> None:
    """Move an item earlier (-1) or later (+1) among items starting at the same time."""
    siblings = sorted(
        (i for i in item.day.items if i.starts_at == item.starts_at),
        key=lambda i: (i.position, i.id),
    )
    index = siblings.index(item)
    target = index + offset
    if 0 <= target < len(siblings):
        siblings[index], siblings[target] = siblings[target], siblings[index]
        for position, sibling in enumerate(siblings):
            sibling.position = position
    session.flush()


def add_speaker(
    session, item: AgendaItem, speaker: Speaker, role: str = SpeakerRole.SPEAKER.value
) -> AgendaItemSpeaker:
    """Link a speaker to an item in a role; raises ``AgendaError`` if already linked."""
    try:
        SpeakerRole(role)
    except ValueError:
        raise AgendaError("Choose the speaker's role.", "role") from None
    if any(link.speaker_id == speaker.id for link in item.speaker_links):
        raise AgendaError(f"{speaker.name} is already on this session.", "speaker_id")
    link = AgendaItemSpeaker(item=item, speaker=speaker, role=role)
    session.add(link)
    session.flush()
    return link


def set_forum_status(session, forum: Forum, status: str) -> None:
    """Publish (agenda becomes visible), close, or return a forum to draft. A forum people
    are registered for does not go back to draft: it would vanish from their pages."""
    if status == ForumStatus.DRAFT and any(day.seats_taken for day in forum.days):
        raise AgendaError(
            f"People are registered for {forum.title}: it cannot go back to draft, as it would "
            "vanish from their pages. Edit it while published; changes reach their calendars."
        )
    forum.status = ForumStatus(status).value
    session.flush()


# --- Forums, days and rooms ----------------------------------------------------------------


@dataclass
class ForumInput:
    number: int
    title: str
    venue_name: str
    venue_address: str
    venue_city: str
    theme: str = ""


def number_taken(session, program, number: int, forum: Forum | None = None) -> str | None:
    """Why ``number`` cannot be ``forum``'s (another forum of the program has it), or None."""
    clash = session.scalar(
        select(Forum).where(Forum.program_id == program.id, Forum.number == number)
    )
    if clash is not None and clash is not forum:
        return f"Forum {number} already exists in this program."
    return None


def save_forum(session, program, data: ForumInput, forum: Forum | None = None) -> Forum:
    """Create (``forum`` None) or update a forum; its number is unique within the program."""
    taken = number_taken(session, program, data.number, forum)
    if taken:
        raise AgendaError(taken, "number")
    if forum is None:
        forum = Forum(program=program, status=ForumStatus.DRAFT.value)
        session.add(forum)
    forum.number = data.number
    forum.title = data.title.strip()
    forum.theme = data.theme.strip()
    forum.venue_name = data.venue_name.strip()
    forum.venue_address = data.venue_address.strip()
    forum.venue_city = data.venue_city.strip()
    session.flush()
    return forum


@dataclass
class DayInput:
    date: date
    audience: str
    starts_at: time
    ends_at: time
    capacity: int | None = None
    registration_opens_local: datetime | None = None  # naive, in the program's zone
    registration_closes_local: datetime | None = None


def save_day(session, forum: Forum, data: DayInput, day: ForumDay | None = None) -> ForumDay:
    """Create or update a forum day; one day per date per forum."""
    if data.ends_at <= data.starts_at:
        raise AgendaError("The day must end after it starts.", "ends_at")
    for other in forum.days:
        if other.date == data.date and other is not day:
            raise AgendaError(f"The forum already has a day on {data.date:%B %d, %Y}.", "date")
    zone = forum.program.time_zone

    def instant(local: datetime | None) -> datetime | None:
        return local_instant(local.date(), local.time(), zone) if local else None

    times_before = None if day is None else (day.date, day.starts_at, day.ends_at)
    if day is None:
        day = ForumDay(forum=forum)
        session.add(day)
    day.date = data.date
    day.audience = Audience(data.audience).value
    day.starts_at = data.starts_at
    day.ends_at = data.ends_at
    day.capacity = data.capacity
    day.registration_opens_at = instant(data.registration_opens_local)
    day.registration_closes_at = instant(data.registration_closes_local)
    session.flush()
    changed = times_before is not None and times_before != (day.date, day.starts_at, day.ends_at)
    if changed and forum.status != ForumStatus.DRAFT:
        day_changed.send(day, session=session)
    return day


def save_room(session, forum: Forum, name: str, capacity: int, room: Room | None = None) -> Room:
    """Create or update a room; room names are unique within a forum."""
    name = name.strip()
    if capacity < 1:
        raise AgendaError("Seats must be at least 1.", "capacity")
    for other in forum.rooms:
        if other.name.lower() == name.lower() and other is not room:
            raise AgendaError(f"This forum already has a room called {other.name}.", "name")
    if room is None:
        room = Room(forum=forum)
        session.add(room)
    room.name = name
    room.capacity = capacity
    session.flush()
    return room


def recent_changes(session, forum: Forum, limit: int = 20) -> list[AgendaChange]:
    """The latest recorded changes to the forum's published agenda."""
    return list(
        session.scalars(
            select(AgendaChange)
            .where(AgendaChange.forum_id == forum.id)
            .order_by(AgendaChange.changed_at.desc(), AgendaChange.id.desc())
            .limit(limit)
        )
    )


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


def current_program(session, time_zone: str) -> Program:
    """The program the app runs (the first one), created in ``time_zone`` when there is none."""
    program = session.scalar(select(Program).order_by(Program.id))
    if program is None:
        program = Program(name="Forum program", time_zone=time_zone)
        session.add(program)
        session.flush()
    return program


def _describe_items(session, ids: list[int]) -> dict[int, str]:
    items = session.scalars(select(AgendaItem).where(AgendaItem.id.in_(ids)))
    return {item.id: f"{item.title} ({item.day.forum.title})" for item in items}


audit.register_subject_kind("item", _describe_items)
