"""Conflict checks: what is wrong with an agenda (double bookings, a session outside its day
or its speakers' availability, over a room's capacity, team content on a public day).

The checks are warnings for the organizer, never refusals: ``find_conflicts`` lists a forum's
problems for the problems panel, ``conflicts_for`` the ones a new or edited item would have.
Features above the agenda add their own problems to the panel with ``register_problem_source``
(language access: interpreters not booked in time).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from ..core.clock import local_instant, to_local, utcnow
from ..core.models import Audience, Forum, ForumDay, Room
from ..extensions import DbSession
from .models import AgendaItem, ItemKind, Speaker
from .schedule import agenda_items


class ConflictKind(enum.StrEnum):
    ROOM_DOUBLE_BOOKED = "room_double_booked"
    SPEAKER_DOUBLE_BOOKED = "speaker_double_booked"
    OUTSIDE_DAY = "outside_day"
    MEAL_OVERLAP = "meal_overlap"
    OVER_ROOM_CAPACITY = "over_room_capacity"
    TEAM_CONTENT_ON_PUBLIC_DAY = "team_content_on_public_day"
    OUTSIDE_AVAILABILITY = "outside_availability"
    NO_SPANISH_TITLE = "no_spanish_title"


@dataclass(frozen=True)
class Conflict:
    # A ``ConflictKind``, or a problem kind of a feature above the agenda (its own StrEnum).
    kind: enum.StrEnum
    message: str
    item_ids: tuple[int | None, ...]


#: ``source(session, forum, now)``: more problems of the forum for the panel, from a feature
#: above the agenda, which the agenda cannot import.
ProblemSource = Callable[[DbSession, Forum, datetime], list[Conflict]]
_problem_sources: dict[str, ProblemSource] = {}


def register_problem_source(name: str, source: ProblemSource) -> None:
    """Add a feature's problems to ``find_conflicts`` (registering a name again replaces it,
    so building another app, as tests do, is harmless)."""
    _problem_sources[name] = source


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
    has_spanish_title: bool = False
    draft: bool = False

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
            has_spanish_title=bool(item.title_es.strip()),
            draft=item.is_draft,
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


def _forum_slots(session: DbSession, forum: Forum) -> list[Slot]:
    items = agenda_items(session, forum.days)
    return [Slot.of(item) for day in forum.days for item in items[day.id]]


def find_conflicts(session: DbSession, forum: Forum, now: datetime | None = None) -> list[Conflict]:
    """Every problem in the forum's agenda, for the organizer's problems panel, then those
    of the registered problem sources as of ``now`` (default: the clock)."""
    slots = _forum_slots(session, forum)
    found = []
    for index, slot in enumerate(slots):
        if not slot.cancelled:
            found.extend(_checks_of_one(slot))
        for other in slots[index + 1 :]:
            found.extend(_checks_of_pair(slot, other))
    found.extend(_missing_spanish_titles(forum, slots))
    now = now or utcnow()
    for source in _problem_sources.values():
        found.extend(source(session, forum, now))
    return found


def _missing_spanish_titles(forum: Forum, slots: list[Slot]) -> list[Conflict]:
    """A published forum's public day must read in Spanish too (Title VI: the public day is a
    public-participation event): one problem per day naming its public sessions that have no
    Spanish title. Drafts, cancelled and confidential sessions are not public."""
    if not forum.is_published:
        return []
    missing: dict[int, list[Slot]] = {}
    for slot in slots:
        public = slot.day.is_public and not (slot.cancelled or slot.confidential or slot.draft)
        if public and slot.item_id is not None and not slot.has_spanish_title:
            missing.setdefault(slot.day.id, []).append(slot)
    found = []
    for day in forum.days:
        untitled = missing.get(day.id)
        if not untitled:
            continue
        titles = ", ".join(f"“{slot.title}”" for slot in untitled)
        found.append(
            Conflict(
                ConflictKind.NO_SPANISH_TITLE,
                f"{len(untitled)} public session{'s' if len(untitled) != 1 else ''} on "
                f"{day.date:%A, %B} {day.date.day} {'have' if len(untitled) != 1 else 'has'} "
                f"no Spanish title: {titles}.",
                tuple(slot.item_id for slot in untitled),
            )
        )
    return found


def conflicts_for(session: DbSession, slot: Slot) -> list[Conflict]:
    """The problems ``slot`` would have (or has) against the rest of its forum's agenda."""
    if slot.cancelled:
        return []
    found = _checks_of_one(slot)
    for other in _forum_slots(session, slot.day.forum):
        if other.item_id is None or other.item_id != slot.item_id:
            found.extend(_checks_of_pair(slot, other))
    return found
