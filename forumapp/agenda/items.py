"""Editing agenda items: create, edit (checked against the rest of the agenda), move, copy,
delete, reorder, and who speaks in them.

An edit to a published forum's item records what changed (an ``AgendaChange``) and sends
``agenda_changed``, so the calendar can tell the people registered for it. Functions take the
database session and plain values; they ``flush()`` and the caller commits once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time

from sqlalchemy import select

from ..core import audit
from ..core.clock import local_instant, to_local
from ..core.models import Forum, ForumDay, ForumStatus, Room
from ..extensions import DbSession
from .capacity import check_capacity, give_new_seats, is_raised, seats_kept
from .conflicts import Conflict, Slot, conflicts_for
from .errors import AgendaError
from .models import (
    AgendaChange,
    AgendaItem,
    AgendaItemSpeaker,
    ItemKind,
    ItemStatus,
    Speaker,
    SpeakerRole,
)
from .signals import agenda_changed


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
    title_es: str = ""  # Spanish versions (empty: none)
    description_es: str = ""


def slot_for_input(
    session: DbSession, day: ForumDay, data: ItemInput, item: AgendaItem | None = None
) -> Slot:
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
    # A session without a capacity of its own holds as many as its room.
    check_capacity(item, _effective_capacity(data.capacity, room), "in this session")
    zone = day.forum.program.time_zone
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


# --- Recording changes -----------------------------------------------------------------------


def _watched(item: AgendaItem) -> dict[str, str | None]:
    """The fields whose change people registered for must hear about."""
    return {
        "title": item.title,
        "starts_at": item.starts_at.isoformat(),
        "ends_at": item.ends_at.isoformat(),
        "room": item.room.name if item.room else None,
        "status": item.status,
    }


def _record_change(session: DbSession, item: AgendaItem, changes: dict, actor_id: int | None):
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


def _record_edit(session: DbSession, item: AgendaItem, before: dict, actor_id: int | None) -> None:
    if item.day.forum.status == ForumStatus.DRAFT:
        return  # nobody has seen a draft, so nobody needs telling
    after = _watched(item)
    changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if changes:
        _record_change(session, item, changes, actor_id)


def recent_changes(session: DbSession, forum: Forum, limit: int = 20) -> list[AgendaChange]:
    """The latest recorded changes to the forum's published agenda."""
    return list(
        session.scalars(
            select(AgendaChange)
            .where(AgendaChange.forum_id == forum.id)
            .order_by(AgendaChange.changed_at.desc(), AgendaChange.id.desc())
            .limit(limit)
        )
    )


# --- Creating and editing --------------------------------------------------------------------


def _effective_capacity(capacity: int | None, room: Room | None) -> int | None:
    return capacity if capacity is not None else (room.capacity if room else None)


def _apply(item: AgendaItem, slot: Slot, data: ItemInput) -> None:
    item.kind = data.kind
    item.title = slot.title
    item.description = data.description.strip()
    item.title_es = data.title_es.strip()[:200]
    item.description_es = data.description_es.strip()
    item.starts_at = slot.starts_at
    item.ends_at = slot.ends_at
    item.room = slot.room
    item.capacity = data.capacity
    item.confidential = data.confidential
    item.status = data.status


def create_item(session: DbSession, day: ForumDay, data: ItemInput) -> AgendaItem:
    """A new agenda item on ``day``; raises ``AgendaError`` for invalid input."""
    slot = slot_for_input(session, day, data)
    item = AgendaItem(position=_next_position(day, slot.starts_at))
    _apply(item, slot, data)
    session.add(item)
    item.day = day
    session.flush()
    return item


def update_item(
    session: DbSession, item: AgendaItem, data: ItemInput, actor_id: int | None = None
) -> int:
    """Save an edit; a published forum's time, room or status change is recorded. The capacity
    may not go below the seats taken; raised, it gives the new seats to the people waiting:
    returns how many were given one."""
    if data.status == ItemStatus.DRAFT and not item.is_draft and item.seats_taken > 0:
        raise AgendaError(
            "People have seats in this session: cancel it rather than make it a draft, so "
            "they are told.",
            "status",
        )
    slot = slot_for_input(session, item.day, data, item)
    before = _watched(item)
    capacity_before = item.effective_capacity
    with seats_kept(session, item, "in this session"):
        _apply(item, slot, data)
        session.flush()
    _record_edit(session, item, before, actor_id)
    session.flush()
    if is_raised(capacity_before, item.effective_capacity):
        return give_new_seats(session, item)
    return 0


@dataclass
class CheckedSave:
    """An item saved, or not yet: ``saved`` is False while the input has ``warnings`` the
    organizer has not confirmed, and then nothing was written (``item`` is the one edited, or
    None for a new one)."""

    item: AgendaItem | None
    saved: bool
    warnings: list[Conflict] = field(default_factory=list)
    moved_up: int = 0  # people waiting given a seat by a raised capacity


def save_item(
    session: DbSession,
    day: ForumDay,
    data: ItemInput,
    item: AgendaItem | None = None,
    *,
    confirmed: bool = False,
    actor_id: int | None = None,
) -> CheckedSave:
    """Create (``item`` None) or update an item of ``day``, unless the input has conflicts
    with the rest of the agenda and the organizer has not ``confirmed`` saving it anyway."""
    warnings = conflicts_for(session, slot_for_input(session, day, data, item))
    if warnings and not confirmed:
        return CheckedSave(item, saved=False, warnings=warnings)
    moved_up = 0
    if item is None:
        item = create_item(session, day, data)
    else:
        moved_up = update_item(session, item, data, actor_id)
    return CheckedSave(item, saved=True, warnings=warnings, moved_up=moved_up)


def move_item(
    session: DbSession,
    item: AgendaItem,
    start: time,
    room_id: int | None,
    *,
    confirmed: bool = False,
    actor_id: int | None = None,
) -> CheckedSave:
    """Move an item to a new start time (keeping its length) and room, checked like any edit
    (``save_item``)."""
    length = item.ends_at - item.starts_at
    zone = item.day.forum.program.time_zone
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
    return save_item(session, item.day, data, item, confirmed=confirmed, actor_id=actor_id)


def copy_item(session: DbSession, item: AgendaItem) -> AgendaItem:
    """A copy of ``item`` at the same time with no room, with its speakers, titled as a copy."""
    position = _next_position(item.day, item.starts_at)
    copy = AgendaItem(
        day_id=item.day_id,
        kind=item.kind,
        title=f"{item.title} (copy)"[:200],
        description=item.description,
        title_es=f"{item.title_es} (copia)"[:200] if item.title_es else "",
        description_es=item.description_es,
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


def delete_item(session: DbSession, item: AgendaItem, actor_id: int | None = None) -> None:
    """Remove an item; on a published forum this is recorded as a cancellation. A scheduled
    session people have seats in is cancelled first (so they are told), not deleted."""
    if item.is_scheduled and item.seats_taken > 0:
        raise AgendaError(
            f"{item.seats_taken} people have seats in “{item.title}”: cancel it first (they "
            "are told), then delete it.",
            "status",
        )
    if item.day.forum.status != ForumStatus.DRAFT:
        # Receivers still see the item; the change row keeps its title once it is gone.
        _record_change(session, item, {"status": [item.status, "deleted"]}, actor_id)
    session.delete(item)
    session.flush()


# --- Order among parallel items --------------------------------------------------------------


def _next_position(day: ForumDay, starts_at: datetime) -> int:
    same_time = [i.position for i in day.items if i.starts_at == starts_at]
    return max(same_time, default=-1) + 1


def reorder_item(session: DbSession, item: AgendaItem, offset: int) -> None:
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


# --- Speakers of an item ---------------------------------------------------------------------


def add_speaker(
    session: DbSession, item: AgendaItem, speaker: Speaker, role: str = SpeakerRole.SPEAKER.value
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


def remove_speaker(session: DbSession, link: AgendaItemSpeaker) -> None:
    """Take a speaker off an item (the speaker record stays)."""
    session.delete(link)
    session.flush()


def _describe_items(session: DbSession, ids: list[int]) -> dict[int, str]:
    items = session.scalars(select(AgendaItem).where(AgendaItem.id.in_(ids)))
    return {item.id: f"{item.title} ({item.day.forum.title})" for item in items}


audit.register_subject_kind("item", _describe_items)
