"""The next forum's "Team progress" session: a draft, like a promoted topic, whose description
lists each team's commitments from this forum and where they stand, for the facilitator.
Made again, it brings the same session's description up to date. Functions flush; the caller
commits."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..agenda.errors import AgendaError
from ..agenda.items import ItemInput, create_item
from ..agenda.models import AgendaItem, ItemKind, ItemStatus
from ..core.models import Forum, ForumDay
from ..extensions import DbSession
from ..feedback.promotion import free_start, next_forum
from .errors import CommitmentError
from .recording import forum_commitments

MINUTES = 45
DESCRIPTION_MAX = 5000


def provenance(forum: Forum) -> str:
    return f"Team progress on commitments from Forum {forum.number}"


@dataclass(frozen=True)
class ProgressItem:
    item: AgendaItem
    created: bool


def describe_progress(session: DbSession, forum: Forum) -> str:
    """Each team's commitments from ``forum`` with their status, team by team."""
    lines: list[str] = []
    team = None
    for commitment in forum_commitments(session, forum):
        if commitment.team.name != team:
            team = commitment.team.name
            lines.append(f"{team}:")
        lines.append(f"- {commitment.text} ({commitment.status_label.lower()})")
    text = "\n".join(lines) or "No team has recorded a commitment yet."
    return text if len(text) <= DESCRIPTION_MAX else text[: DESCRIPTION_MAX - 1] + "…"


def make_progress_item(session: DbSession, forum: Forum) -> ProgressItem:
    """Create, or bring up to date, the draft "Team progress" session on the first day of the
    forum after ``forum``. ``CommitmentError`` when that forum or its first day is missing."""
    following = next_forum(session, forum)
    if following is None or not following.days:
        raise CommitmentError(
            f"Forum {forum.number + 1} needs a first day before its agenda can get a "
            "Team progress session."
        )
    description = describe_progress(session, forum)
    existing = session.scalar(
        select(AgendaItem)
        .join(ForumDay, ForumDay.id == AgendaItem.day_id)
        .where(ForumDay.forum_id == following.id, AgendaItem.provenance == provenance(forum))
    )
    if existing is not None:
        existing.description = description
        session.flush()
        return ProgressItem(existing, False)
    day = following.days[0]
    start, end = free_start(session, day, MINUTES)
    try:
        item = create_item(
            session,
            day,
            ItemInput(
                kind=ItemKind.DISCUSSION.value,
                title="Team progress since the last forum",
                start=start,
                end=end,
                description=description,
                # Teams' own words: staff only until an organizer schedules it and clears
                # the mark.
                confidential=True,
                status=ItemStatus.DRAFT.value,
            ),
        )
    except AgendaError as error:
        raise CommitmentError(str(error)) from None
    item.provenance = provenance(forum)
    session.flush()
    return ProgressItem(item, True)
