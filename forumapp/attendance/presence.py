"""Who was in which session, and for how long: presence from door scans, and credited minutes.

A person's presence in a session is the overlap of their time inside with the session's time:

* at the session's own door (for a breakout, its breakout door too), each entry scan opens a
  stretch inside and each exit scan closes it (an exit with nothing before it counts from the
  session's start; a second exit in a row adds nothing);
* a session that runs alone (nothing else on the agenda at the same time) also counts the
  day's entrance: check-in, re-entries and exits there, unless the person was scanned at that
  session's own door, which then says more;
* a session that runs beside others (breakouts, parallel discussions) needs its own door's
  scans: the entrance cannot say which room someone sat in;
* an organizer's correction replaces all of that for its session.

Time after an entry with no exit is counted up to the session's end as "open" minutes; a credit
type that says "no exit, no credit" counts only the closed ones.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import and_, select
from sqlalchemy.orm import joinedload

from ..agenda.models import AgendaItem, ItemKind, ItemStatus
from ..checkin.models import BreakoutAttendance, CheckIn
from ..core.models import Forum, ForumDay
from ..extensions import DbSession
from ..registration.models import DaySeat, Registration, SeatStatus
from .models import (
    AttendanceCorrection,
    CreditType,
    Direction,
    PresenceScan,
    Rounding,
    SessionCredit,
)

#: What a presence rests on: the session's own door, the day's entrance, or an organizer.
Evidence = Literal["door", "entrance", "correction"]


@dataclass(frozen=True)
class DoorEvent:
    at: datetime
    direction: Direction


@dataclass(frozen=True)
class Presence:
    """One person in one session."""

    entered_at: datetime | None  # first moment inside the session
    left_at: datetime | None  # the last exit inside the session; None with no exit
    closed_minutes: int  # inside stretches that ended with an exit (or a correction)
    open_minutes: int  # after an entry with no exit, up to the session's end
    source: Evidence

    @property
    def minutes(self) -> int:
        """Minutes present, counting an entry with no exit up to the session's end."""
        return self.closed_minutes + self.open_minutes

    def credited_minutes(self, credit_type: CreditType) -> int:
        """Minutes that count for ``credit_type`` (its "no exit, no credit" rule applied)."""
        return self.closed_minutes if credit_type.requires_exit else self.minutes


def _minutes_between(start: datetime, end: datetime) -> int:
    return max(0, int((end - start).total_seconds() // 60))


def presence_from_events(
    events: Sequence[DoorEvent], starts_at: datetime, ends_at: datetime, source: Evidence
) -> Presence | None:
    """Presence in a session from ``events`` in time order; None when they never put the person
    inside during the session."""
    closed: list[tuple[datetime, datetime]] = []
    opened: datetime | None = None
    for number, event in enumerate(events):
        if event.direction == Direction.ENTRY:
            opened = opened or event.at
        elif opened is not None or number == 0:
            closed.append((opened or starts_at, event.at))
            opened = None
        # An exit right after an exit (scanned out twice) adds nothing: the first one said
        # when they left, and counting the second from the session's start would credit time
        # they were not there.

    def clip(start: datetime, end: datetime) -> tuple[datetime, datetime] | None:
        start, end = max(start, starts_at), min(end, ends_at)
        return (start, end) if end > start else None

    inside = [stretch for stretch in (clip(*pair) for pair in closed) if stretch]
    open_stretch = clip(opened, ends_at) if opened is not None else None
    if not inside and open_stretch is None:
        return None
    every = inside + ([open_stretch] if open_stretch else [])
    return Presence(
        entered_at=min(start for start, _ in every),
        left_at=max(end for _, end in inside) if inside else None,
        closed_minutes=sum(_minutes_between(*stretch) for stretch in inside),
        open_minutes=_minutes_between(*open_stretch) if open_stretch else 0,
        source=source,
    )


def corrected_presence(correction: AttendanceCorrection, item: AgendaItem) -> Presence:
    """What an organizer's correction says, clipped to the session."""
    if correction.present_from is None or correction.present_until is None:
        return Presence(None, None, 0, 0, "correction")
    found = presence_from_events(
        [
            DoorEvent(correction.present_from, Direction.ENTRY),
            DoorEvent(correction.present_until, Direction.EXIT),
        ],
        item.starts_at,
        item.ends_at,
        "correction",
    )
    return found or Presence(None, None, 0, 0, "correction")


# --- The forum's sessions and everyone's presence in them ------------------------------------


def attendable_items(session: DbSession, forum: Forum) -> list[AgendaItem]:
    """The forum's sessions someone can be present in: scheduled, not breaks or meals, in time
    order."""
    return list(
        session.scalars(
            select(AgendaItem)
            .join(ForumDay)
            .where(
                ForumDay.forum_id == forum.id,
                AgendaItem.status != ItemStatus.CANCELLED,
                AgendaItem.kind != ItemKind.BREAK,
            )
            .order_by(AgendaItem.starts_at, AgendaItem.position, AgendaItem.id)
        )
    )


def runs_alone(item: AgendaItem, items: Iterable[AgendaItem]) -> bool:
    """Whether nothing else on ``item``'s day overlaps it (so the entrance says who was in)."""
    return item.kind != ItemKind.BREAKOUT and not any(
        other.id != item.id
        and other.day_id == item.day_id
        and other.starts_at < item.ends_at
        and item.starts_at < other.ends_at
        for other in items
    )


PresenceKey = tuple[int, int]  # (registration id, agenda item id)


def _door_events(
    session: DbSession, items: Sequence[AgendaItem], only_one
) -> tuple[dict[tuple[int, int], list[DoorEvent]], dict[PresenceKey, list[DoorEvent]]]:
    """The scans behind presence, in three queries: (registration, day) → the day's entrance
    events (check-in, exits, re-entries), and (registration, session) → its door's events."""
    day_ids = sorted({item.day_id for item in items})
    entrance: dict[tuple[int, int], list[DoorEvent]] = defaultdict(list)
    for reg_id, day_id, at in session.execute(
        only_one(
            select(CheckIn.registration_id, CheckIn.day_id, CheckIn.checked_in_at).where(
                CheckIn.day_id.in_(day_ids), CheckIn.undone_at.is_(None)
            ),
            CheckIn.registration_id,
        )
    ):
        entrance[(reg_id, day_id)].append(DoorEvent(at, Direction.ENTRY))
    doors: dict[PresenceKey, list[DoorEvent]] = defaultdict(list)
    for reg_id, day_id, item_id, direction, at in session.execute(
        only_one(
            select(
                PresenceScan.registration_id,
                PresenceScan.day_id,
                PresenceScan.item_id,
                PresenceScan.direction,
                PresenceScan.scanned_at,
            ).where(PresenceScan.day_id.in_(day_ids)),
            PresenceScan.registration_id,
        )
    ):
        event = DoorEvent(at, Direction(direction))
        if item_id is None:
            entrance[(reg_id, day_id)].append(event)
        else:
            doors[(reg_id, item_id)].append(event)
    # The breakout door (``checkin.breakouts``) records who came in, once, without a direction:
    # an entry at that session's door, for someone with a confirmed place that day (the
    # breakout door lets anyone with the forum's ticket in; the session's door would not).
    for reg_id, item_id, at in session.execute(
        only_one(
            select(
                BreakoutAttendance.registration_id,
                BreakoutAttendance.item_id,
                BreakoutAttendance.scanned_at,
            )
            .join(AgendaItem, AgendaItem.id == BreakoutAttendance.item_id)
            .join(
                DaySeat,
                and_(
                    DaySeat.registration_id == BreakoutAttendance.registration_id,
                    DaySeat.day_id == AgendaItem.day_id,
                    DaySeat.status == SeatStatus.CONFIRMED,
                ),
            )
            .where(BreakoutAttendance.item_id.in_([item.id for item in items])),
            BreakoutAttendance.registration_id,
        )
    ):
        doors[(reg_id, item_id)].append(DoorEvent(at, Direction.ENTRY))
    return entrance, doors


def forum_presence(
    session: DbSession,
    forum: Forum,
    items: Sequence[AgendaItem] | None = None,
    registration_ids: Collection[int] | None = None,
) -> dict[PresenceKey, Presence]:
    """Everyone's presence in the forum's sessions (or only these registrations'), in five
    queries."""
    items = list(items) if items is not None else attendable_items(session, forum)
    if not items:
        return {}

    def only_one(query, column):
        return query.where(column.in_(registration_ids)) if registration_ids is not None else query

    entrance, doors = _door_events(session, items, only_one)
    corrections = {
        (c.registration_id, c.item_id): c
        for c in session.scalars(
            only_one(
                select(AttendanceCorrection).where(
                    AttendanceCorrection.item_id.in_([item.id for item in items])
                ),
                AttendanceCorrection.registration_id,
            )
        )
    }

    found: dict[PresenceKey, Presence] = {}
    alone = [item for item in items if runs_alone(item, items)]
    people = {reg_id for reg_id, _ in entrance} | {reg_id for reg_id, _ in doors}
    people |= {reg_id for reg_id, _ in corrections}
    for reg_id in people:
        for item in items:
            key = (reg_id, item.id)
            presence: Presence | None
            if key in corrections:
                presence = corrected_presence(corrections[key], item)
            elif key in doors:
                events = sorted(doors[key], key=lambda event: event.at)
                presence = presence_from_events(events, item.starts_at, item.ends_at, "door")
            elif item in alone and (reg_id, item.day_id) in entrance:
                events = sorted(entrance[(reg_id, item.day_id)], key=lambda event: event.at)
                presence = presence_from_events(events, item.starts_at, item.ends_at, "entrance")
            else:
                presence = None
            if presence is not None:
                found[key] = presence
    return found


# --- Credit ----------------------------------------------------------------------------------


def session_credit_types(
    session: DbSession, item_ids: Sequence[int]
) -> dict[int, list[CreditType]]:
    """Agenda item id → the credit types it carries, in name order."""
    carried: dict[int, list[CreditType]] = defaultdict(list)
    if item_ids:
        for item_id, credit_type in session.execute(
            select(SessionCredit.item_id, CreditType)
            .join(CreditType)
            .where(SessionCredit.item_id.in_(item_ids))
            .order_by(CreditType.name)
        ):
            carried[item_id].append(credit_type)
    return carried


@dataclass(frozen=True)
class SessionAttendance:
    """One person's presence in one session and the minutes it credits per credit type."""

    registration: Registration
    item: AgendaItem
    presence: Presence
    credited: dict[int, int]  # credit type id → minutes


def forum_attendance(
    session: DbSession, forum: Forum, registration_ids: Collection[int] | None = None
) -> list[SessionAttendance]:
    """Every person's presence in every session of the forum (or only these registrations'),
    with credited minutes by credit type, by session time then name."""
    items = attendable_items(session, forum)
    presence = forum_presence(session, forum, items, registration_ids)
    if not presence:
        return []
    credit_types = session_credit_types(session, [item.id for item in items])
    registrations = {
        registration.id: registration
        for registration in session.scalars(
            select(Registration)
            .where(Registration.id.in_({key[0] for key in presence}))
            .options(joinedload(Registration.person))
        )
    }
    by_id = {item.id: item for item in items}
    rows = [
        SessionAttendance(
            registration=registrations[reg_id],
            item=by_id[item_id],
            presence=found,
            credited={
                credit_type.id: found.credited_minutes(credit_type)
                for credit_type in credit_types.get(item_id, [])
            },
        )
        for (reg_id, item_id), found in presence.items()
    ]
    rows.sort(key=lambda row: (row.item.starts_at, row.item.id, row.registration.person.name))
    return rows


@dataclass(frozen=True)
class SessionSummary:
    """A session on the organizers' attendance page."""

    item: AgendaItem
    present: int  # people with some presence in it
    corrected: int  # of whom corrected by an organizer
    credit_types: list[CreditType]


def session_summaries(session: DbSession, forum: Forum) -> list[SessionSummary]:
    """Each session someone can attend, with how many were in it and how many corrections."""
    items = attendable_items(session, forum)
    present: dict[int, int] = defaultdict(int)
    corrected: dict[int, int] = defaultdict(int)
    for (_registration_id, item_id), found in forum_presence(session, forum, items).items():
        present[item_id] += bool(found.minutes)
        corrected[item_id] += found.source == "correction"
    credit_types = session_credit_types(session, [item.id for item in items])
    return [
        SessionSummary(item, present[item.id], corrected[item.id], credit_types.get(item.id, []))
        for item in items
    ]


def rounded_minutes(minutes: int, credit_type: CreditType) -> int:
    """``minutes`` rounded by the credit type's rule."""
    rule = Rounding(credit_type.rounding)
    if rule == Rounding.EXACT:
        return minutes
    if rule == Rounding.DOWN_QUARTER_HOUR:
        return minutes // 15 * 15
    if rule == Rounding.DOWN_HALF_HOUR:
        return minutes // 30 * 30
    if rule == Rounding.NEAREST_QUARTER_HOUR:
        return (minutes + 7) // 15 * 15
    return minutes // credit_type.minutes_per_unit * credit_type.minutes_per_unit


def credit_units(minutes: int, credit_type: CreditType) -> float:
    """The credit a total of ``minutes`` earns, rounded by the rule, in the type's units (two
    decimals: 105 minutes of 60-minute hours are 1.75)."""
    return round(rounded_minutes(minutes, credit_type) / credit_type.minutes_per_unit, 2)
