"""From feedback to the next agenda: a topic group promoted to a draft session of the next
forum, linked back to the feedback it came from. Functions flush; the caller commits once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from sqlalchemy import select

from ..agenda.conflicts import Slot, conflicts_for
from ..agenda.errors import AgendaError
from ..agenda.items import ItemInput, create_item
from ..agenda.models import AgendaItem, ItemKind, ItemStatus
from ..agenda.schedule import agenda_items
from ..core.clock import local_instant
from ..core.models import Forum, ForumDay, ForumStatus
from ..extensions import DbSession
from .errors import NoNextForum, TopicError
from .models import TopicGroup, TopicSuggestion

PROMOTABLE_KINDS = (ItemKind.BREAKOUT.value, ItemKind.DISCUSSION.value)
PROMOTED_MINUTES = 60
# A promoted session's description lists at most this many suggestions.
DESCRIPTION_SUGGESTIONS = 25


def next_forum(session: DbSession, forum: Forum) -> Forum | None:
    """The program's forum numbered one after ``forum``, draft or not."""
    return session.scalar(
        select(Forum).where(Forum.program_id == forum.program_id, Forum.number == forum.number + 1)
    )


def provenance_text(forum_number: int, teams: int) -> str:
    """E.g. "Proposed from Forum 2 feedback (raised by 3 teams)"."""
    raised = "no team" if teams == 0 else f"{teams} team{'' if teams == 1 else 's'}"
    return f"Proposed from Forum {forum_number} feedback (raised by {raised})"


@dataclass
class Promotion:
    """The draft session a group became; ``created`` is False when it already existed."""

    item: AgendaItem
    created: bool
    forum: Forum
    warnings: list[str] = field(default_factory=list)


def free_start(session: DbSession, day: ForumDay, minutes: int) -> tuple[time, time]:
    """The first quarter hour of ``day`` where a session of ``minutes`` overlaps no other
    session, else the day's start; returns local (start, end)."""
    zone = day.forum.program.time_zone
    busy = [
        (item.starts_at, item.ends_at)
        for item in agenda_items(session, [day])[day.id]
        if item.status != ItemStatus.CANCELLED
    ]
    day_start = datetime.combine(day.date, day.starts_at)
    day_end = datetime.combine(day.date, day.ends_at)
    length = timedelta(minutes=minutes)
    candidate = day_start
    while candidate + length <= day_end:
        start = local_instant(day.date, candidate.time(), zone)
        if not any(start < end and begin < start + length for begin, end in busy):
            return candidate.time(), (candidate + length).time()
        candidate += timedelta(minutes=15)
    end = min(day_start + length, day_end)
    return day.starts_at, end.time()


def _description(forum: Forum, texts: list[str]) -> str:
    unique = list(dict.fromkeys(texts))
    lines = [f"Suggested in feedback after Forum {forum.number}:"]
    lines += [f"- {text}" for text in unique[:DESCRIPTION_SUGGESTIONS]]
    if len(unique) > DESCRIPTION_SUGGESTIONS:
        lines.append(f"- … and {len(unique) - DESCRIPTION_SUGGESTIONS} more")
    return "\n".join(lines)


def promote_group(
    session: DbSession, group: TopicGroup, kind: str = ItemKind.BREAKOUT.value
) -> Promotion:
    """Create a draft session for ``group`` on the first day of the next forum, at the first
    free hour with no room, linked back to the feedback; store it on the group.

    Promoting again returns the session already created. Raises ``NoNextForum`` when the next
    forum or its first day does not exist yet, ``TopicError`` for a kind other than breakout
    or discussion.
    """
    if kind not in PROMOTABLE_KINDS:
        raise TopicError("Choose a breakout or a collaborative discussion.", "kind")
    # Lock the group so two faculty promoting at once cannot create two sessions.
    session.scalar(select(TopicGroup.id).where(TopicGroup.id == group.id).with_for_update())
    session.refresh(group)
    forum = group.forum
    following = next_forum(session, forum)
    if group.promoted_item_id is not None:
        existing = session.get(AgendaItem, group.promoted_item_id)
        if existing is not None:
            return Promotion(existing, False, existing.day.forum)
    if following is None:
        raise NoNextForum(
            f"There is no Forum {forum.number + 1} yet. Create it (a draft will do), give it a "
            "day, then promote the topic."
        )
    if not following.days:
        raise NoNextForum(
            f"Forum {following.number} has no days yet. Add its first day, then promote the topic."
        )
    rows = session.execute(
        select(TopicSuggestion.text, TopicSuggestion.team_id)
        .where(TopicSuggestion.group_id == group.id)
        .order_by(TopicSuggestion.id)
    ).all()
    teams = len({team_id for _, team_id in rows if team_id is not None})
    day = following.days[0]
    start, end = free_start(session, day, PROMOTED_MINUTES)
    try:
        item = create_item(
            session,
            day,
            ItemInput(
                kind=kind,
                title=group.label[:200],
                start=start,
                end=end,
                description=_description(forum, [text for text, _ in rows]),
                # A draft until an organizer places and schedules it; attendees' own words
                # stay off the public agenda until the confidential mark is cleared too.
                confidential=True,
                status=ItemStatus.DRAFT.value,
            ),
        )
    except AgendaError as error:
        raise TopicError(str(error), error.field) from None
    item.provenance = provenance_text(forum.number, teams)[:300]
    group.promoted_item_id = item.id
    session.flush()
    warnings = [c.message for c in conflicts_for(session, Slot.of(item))]
    if following.status != ForumStatus.DRAFT:
        warnings.insert(
            0,
            f"Forum {following.number} is published: the new session stays a draft, seen by "
            "staff only, until an organizer schedules it; it is also marked confidential, so "
            "once scheduled only teams see it until the mark is cleared.",
        )
    return Promotion(item, True, following, warnings)
