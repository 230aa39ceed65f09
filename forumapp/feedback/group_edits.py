"""Faculty edits of the topic groups: rename, merge, split, and a status with a note. An edited
group is curated: regrouping leaves it as faculty made it. Functions flush; the caller
commits once.
"""

from __future__ import annotations

from sqlalchemy import select

from ..core.csv_import import tidy
from ..extensions import DbSession
from . import grouping
from .errors import TopicError
from .models import TopicGroup, TopicStatus, TopicSuggestion
from .topic_groups import MAX_LABEL, automatic_label, delete_emptied

MAX_NOTE = 2000


def rename_group(session: DbSession, group: TopicGroup, label: str) -> TopicGroup:
    """Give the group faculty's own name for it."""
    label = tidy(label)
    if not label:
        raise TopicError("Give the group a name.", "label")
    if len(label) > MAX_LABEL:
        raise TopicError(f"Keep the name to {MAX_LABEL} characters.", "label")
    group.label = label
    group.curated = True
    session.flush()
    return group


def merge_groups(session: DbSession, target: TopicGroup, others: list[TopicGroup]) -> TopicGroup:
    """Move the suggestions of ``others`` into ``target`` and delete them; ``target`` keeps its
    name and status, takes over a promoted session if it has none, and collects the notes."""
    others = [group for group in others if group.id != target.id]
    if not others:
        raise TopicError("Choose at least one other group to merge.", "group_ids")
    if any(group.forum_id != target.forum_id for group in others):
        raise TopicError("Only groups of the same forum can be merged.", "group_ids")
    # Locked and read afresh, as ``promote_group`` does: a promotion made a moment ago counts.
    merging = [target, *others]
    session.execute(
        select(TopicGroup.id)
        .where(TopicGroup.id.in_([group.id for group in merging]))
        .with_for_update()
    ).all()
    for group in merging:
        session.refresh(group, ["promoted_item_id"])
    promoted = [group for group in merging if group.promoted_item_id is not None]
    if len(promoted) > 1:
        # One group leads to one proposed session: merged, the other session would be left on
        # the next forum's agenda with no topic behind it.
        labels = " and ".join(f"“{group.label}”" for group in promoted)
        raise TopicError(
            f"{labels} each became a proposed session of the next forum. Keep them apart, or "
            "delete one of the sessions from the next forum's agenda first.",
            "group_ids",
        )
    notes = [target.note] if target.note else []
    moving = session.scalars(
        select(TopicSuggestion).where(TopicSuggestion.group_id.in_([g.id for g in others]))
    ).all()
    for suggestion in moving:
        suggestion.group_id = target.id
    session.flush()
    for group in others:
        if target.promoted_item_id is None and group.promoted_item_id is not None:
            target.promoted_item_id = group.promoted_item_id
        if group.note:
            notes.append(group.note)
        delete_emptied(session, group)
    target.note = "\n\n".join(notes)[:MAX_NOTE]
    target.curated = True
    session.flush()
    session.expire(target, ["suggestions"])
    return target


def split_group(
    session: DbSession, group: TopicGroup, suggestion_ids: list[int], label: str = ""
) -> TopicGroup:
    """Move the chosen suggestions of ``group`` to a new curated group and return it."""
    members = session.scalars(
        select(TopicSuggestion)
        .where(TopicSuggestion.group_id == group.id)
        .order_by(TopicSuggestion.id)
    ).all()
    ticked = set(suggestion_ids)
    chosen = [suggestion for suggestion in members if suggestion.id in ticked]
    if not chosen:
        raise TopicError("Tick the suggestions to move to a new group.", "suggestion_ids")
    remaining = [suggestion for suggestion in members if suggestion.id not in ticked]
    if not remaining:
        raise TopicError(
            "Leave at least one suggestion in the group; to rename it, use Rename.",
            "suggestion_ids",
        )
    label = tidy(label) or grouping.label_for([s.text for s in chosen])
    if len(label) > MAX_LABEL:
        raise TopicError(f"Keep the name to {MAX_LABEL} characters.", "label")
    new_group = TopicGroup(forum_id=group.forum_id, label=label, curated=True)
    session.add(new_group)
    session.flush()
    for suggestion in chosen:
        suggestion.group_id = new_group.id
    if not group.curated:
        # The automatic name described suggestions that have just left.
        group.label = automatic_label([s.text for s in remaining])
    group.curated = True
    session.flush()
    return new_group


def set_status(
    session: DbSession, group: TopicGroup, status: str, note: str | None = None
) -> TopicGroup:
    """Mark a group open, addressed or set aside, with an optional note for colleagues."""
    try:
        group.status = TopicStatus(status).value
    except ValueError:
        raise TopicError("Choose open, addressed or set aside.", "status") from None
    if note is not None:
        note = note.strip()
        if len(note) > MAX_NOTE:
            raise TopicError(f"Keep the note to {MAX_NOTE} characters.", "note")
        group.note = note
    session.flush()
    return group
