"""Topic suggestions grouped across teams: the groups computed from the texts (``grouping``),
and the groups as faculty read them, flagged when several teams raised them.

Regrouping recomputes only the automatic groups: a group faculty curated (renamed, merged,
split, see ``group_edits``), gave a status (addressed, set aside) or promoted is kept as it
is, with its suggestions. Functions flush; the caller commits once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from ..core.models import Forum, Team
from ..extensions import DbSession
from . import grouping
from .models import TopicGroup, TopicStatus, TopicSuggestion

# A group raised by at least this many distinct teams is flagged for special attention.
FLAG_TEAMS = 2
MAX_LABEL = 200


def is_kept(group: TopicGroup) -> bool:
    """Regrouping leaves this group alone: faculty curated it, gave it a status or promoted it."""
    return group.curated or group.status != TopicStatus.OPEN or group.promoted_item_id is not None


def automatic_label(texts: list[str], thesaurus: grouping.Thesaurus | None = None) -> str:
    """The name an automatic group gets from its suggestions' texts, cut to fit the column."""
    return grouping.label_for(texts, thesaurus or grouping.DEFAULT_THESAURUS)[:MAX_LABEL]


def regroup(session: DbSession, forum: Forum, thesaurus: grouping.Thesaurus | None = None) -> None:
    """Group every suggestion of ``forum`` that is not in a kept group.

    An automatic group whose suggestions mostly stay together keeps its id (and its label when
    nothing changed), so links and pages stay put; emptied automatic groups are deleted.
    """
    thesaurus = thesaurus or grouping.DEFAULT_THESAURUS
    groups = session.scalars(
        select(TopicGroup).where(TopicGroup.forum_id == forum.id).order_by(TopicGroup.id)
    ).all()
    kept_ids = {group.id for group in groups if is_kept(group)}
    automatic = {group.id: group for group in groups if group.id not in kept_ids}
    loose = [
        suggestion
        for suggestion in session.scalars(
            select(TopicSuggestion)
            .where(TopicSuggestion.forum_id == forum.id)
            .order_by(TopicSuggestion.id)
        )
        if suggestion.group_id not in kept_ids
    ]
    before: dict[int, set[int]] = {group_id: set() for group_id in automatic}
    for suggestion in loose:
        if suggestion.group_id in before:
            before[suggestion.group_id].add(suggestion.id)

    clusters = grouping.group_texts([s.text for s in loose], thesaurus)
    used: set[int] = set()
    for cluster in clusters:
        members = [loose[index] for index in cluster]
        ids = {s.id for s in members}
        matching_id = _matching_group(ids, before, used)
        if matching_id is None:
            target = TopicGroup(forum_id=forum.id, label="")
            session.add(target)
            session.flush()
        else:
            target = automatic[matching_id]
            used.add(target.id)
        if before.get(target.id) != ids or not target.label:
            target.label = automatic_label([s.text for s in members], thesaurus)
        for suggestion in members:
            suggestion.group_id = target.id
    session.flush()
    for group_id, emptied in automatic.items():
        if group_id not in used:
            delete_emptied(session, emptied)
    session.flush()


def place_new(
    session: DbSession,
    forum: Forum,
    new: list[TopicSuggestion],
    thesaurus: grouping.Thesaurus | None = None,
) -> None:
    """Put just-added suggestions into the automatic group each is most like, or a new group
    of its own (``grouping.place_texts``), leaving every other suggestion where it is: what a
    request adding suggestions (the feedback form, the API) does instead of a regroup, so its
    cost does not grow with the forum's thousands of suggestions. Kept groups get nothing
    new; faculty regroup to tidy up."""
    if not new:
        return
    thesaurus = thesaurus or grouping.DEFAULT_THESAURUS
    session.flush()
    kept_ids = {
        group.id
        for group in session.scalars(select(TopicGroup).where(TopicGroup.forum_id == forum.id))
        if is_kept(group)
    }
    rows = session.execute(
        select(TopicSuggestion.id, TopicSuggestion.text, TopicSuggestion.group_id)
        .where(
            TopicSuggestion.forum_id == forum.id,
            # The new suggestions have no group yet, so they are not among these.
            TopicSuggestion.group_id.is_not(None),
            TopicSuggestion.group_id.not_in(kept_ids),
        )
        .order_by(TopicSuggestion.id)
    ).all()
    texts = [row.text for row in rows] + [suggestion.text for suggestion in new]
    by_group: dict[int, list[int]] = {}
    for index, row in enumerate(rows):
        by_group.setdefault(row.group_id, []).append(index)
    group_ids = list(by_group)
    placed = grouping.place_texts(
        texts, list(by_group.values()), range(len(rows), len(texts)), thesaurus
    )
    for position, members in enumerate(placed):
        joined = [new[index - len(rows)] for index in members if index >= len(rows)]
        if not joined:
            continue
        if position < len(group_ids):
            target = session.get(TopicGroup, group_ids[position])
            assert target is not None
        else:
            target = TopicGroup(forum_id=forum.id, label="")
            session.add(target)
            session.flush()
        target.label = automatic_label([texts[index] for index in members], thesaurus)
        for suggestion in joined:
            suggestion.group_id = target.id
    session.flush()


def tidy_after_leaving(
    session: DbSession, group_ids: set[int | None], thesaurus: grouping.Thesaurus | None = None
) -> None:
    """Mend the automatic groups suggestions just left (rewritten, withdrawn, deleted): each
    is labelled afresh from the suggestions still in it, or deleted when none is left, so
    faculty never read a label made of words nobody wrote any more. Kept groups keep the
    label faculty gave them."""
    session.flush()
    for group_id in group_ids - {None}:
        group = session.get(TopicGroup, group_id)
        if group is None or is_kept(group):
            continue
        texts = list(
            session.scalars(
                select(TopicSuggestion.text)
                .where(TopicSuggestion.group_id == group.id)
                .order_by(TopicSuggestion.id)
            )
        )
        if texts:
            group.label = automatic_label(texts, thesaurus)
        else:
            delete_emptied(session, group)
    session.flush()


def delete_emptied(session: DbSession, group: TopicGroup) -> None:
    """Delete a group whose suggestions have all moved to other groups."""
    # Its suggestions have moved (by foreign key); a stale loaded list must not unlink them.
    session.expire(group, ["suggestions"])
    session.delete(group)


def _matching_group(ids: set[int], before: dict[int, set[int]], used: set[int]) -> int | None:
    """The automatic group sharing at least half of its and the cluster's suggestions."""
    best, best_overlap = None, 0
    for group_id, old in before.items():
        if group_id in used:
            continue
        overlap = len(ids & old)
        if overlap > best_overlap and 2 * overlap >= len(ids | old):
            best, best_overlap = group_id, overlap
    return best


@dataclass
class TopicGroupRow:
    """A group with its counts: ``teams`` counts distinct teams, not suggestions."""

    group: TopicGroup
    suggestion_ids: list[int]
    team_ids: set[int]
    flagged: bool

    @property
    def suggestions(self) -> int:
        return len(self.suggestion_ids)

    @property
    def teams(self) -> int:
        return len(self.team_ids)


def topic_groups(
    session: DbSession, forum: Forum, flag_teams: int = FLAG_TEAMS
) -> list[TopicGroupRow]:
    """The forum's groups with suggestions (or a promoted session): flagged groups first (raised
    by ``flag_teams`` or more teams), then by teams, suggestions and label."""
    groups = {
        group.id: group
        for group in session.scalars(select(TopicGroup).where(TopicGroup.forum_id == forum.id))
    }
    members: dict[int, list[int]] = {group_id: [] for group_id in groups}
    teams: dict[int, set[int]] = {group_id: set() for group_id in groups}
    for suggestion_id, group_id, team_id in session.execute(
        select(TopicSuggestion.id, TopicSuggestion.group_id, TopicSuggestion.team_id)
        .where(TopicSuggestion.forum_id == forum.id, TopicSuggestion.group_id.is_not(None))
        .order_by(TopicSuggestion.id)
    ):
        if group_id in members:
            members[group_id].append(suggestion_id)
            if team_id is not None:
                teams[group_id].add(team_id)
    rows = [
        TopicGroupRow(group, members[gid], teams[gid], len(teams[gid]) >= flag_teams)
        for gid, group in groups.items()
        if members[gid] or group.promoted_item_id is not None
    ]
    rows.sort(
        key=lambda r: (not r.flagged, -r.teams, -r.suggestions, r.group.label.lower(), r.group.id)
    )
    return rows


def ungrouped_count(session: DbSession, forum: Forum) -> int:
    """How many of the forum's suggestions are in no group yet."""
    return session.execute(
        select(func.count(TopicSuggestion.id)).where(
            TopicSuggestion.forum_id == forum.id, TopicSuggestion.group_id.is_(None)
        )
    ).scalar_one()


@dataclass(frozen=True)
class SuggestionLine:
    """A suggestion as faculty see it: its text and team, never the person."""

    id: int
    text: str
    team: str | None
    source: str


def group_suggestions(session: DbSession, forum: Forum) -> dict[int, list[SuggestionLine]]:
    """Each group's suggestions with team names, in the order they came in."""
    lines: dict[int, list[SuggestionLine]] = {}
    for suggestion_id, group_id, text, team, source in session.execute(
        select(
            TopicSuggestion.id,
            TopicSuggestion.group_id,
            TopicSuggestion.text,
            Team.name,
            TopicSuggestion.source,
        )
        .outerjoin(Team, Team.id == TopicSuggestion.team_id)
        .where(TopicSuggestion.forum_id == forum.id, TopicSuggestion.group_id.is_not(None))
        .order_by(TopicSuggestion.id)
    ):
        lines.setdefault(group_id, []).append(SuggestionLine(suggestion_id, text, team, source))
    return lines
