"""Topic suggestions grouped across teams, faculty edits of the groups, and promotion of a group
to a draft session of the next forum.

Groups come from ``grouping.group_texts``. Regrouping recomputes only the automatic groups: a
group faculty curated (renamed, merged, split), gave a status (addressed, set aside) or promoted
is kept as it is, with its suggestions. Functions take the database session and plain values,
``flush()`` and leave the commit to the caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import NamedTuple

from sqlalchemy import func, select

from ..agenda import services as agenda
from ..agenda.models import AgendaItem, ItemKind, ItemStatus
from ..core.actions import DomainError
from ..core.clock import local_instant
from ..core.csv_import import (
    CsvImportError,
    RowError,
    UnreadableLine,
    cell,
    csv_rows,
    header_key,
    tidy,
)
from ..core.database import is_storable_text
from ..core.models import Forum, ForumStatus, Team
from ..registration.people import program_teams
from . import grouping
from .models import TopicGroup, TopicStatus, TopicSuggestion

# A group raised by at least this many distinct teams is flagged for special attention.
FLAG_TEAMS = 2
MAX_TEXT = 1000
MAX_LABEL = 200
MAX_NOTE = 2000
MAX_IMPORT_ROWS = 2000
SOURCES = ("feedback", "personal_page", "api", "csv")
PROMOTABLE_KINDS = (ItemKind.BREAKOUT.value, ItemKind.DISCUSSION.value)
PROMOTED_MINUTES = 60
# A promoted session's description lists at most this many suggestions.
DESCRIPTION_SUGGESTIONS = 25


class TopicError(DomainError):
    """A topic action that cannot be carried out; ``field`` names the input at fault."""


class InvalidSuggestions(TopicError):
    """Some suggestions are not acceptable; ``errors`` maps each one's position to a message.
    Nothing was added."""

    def __init__(self, errors: dict[int, str]):
        listed = " ".join(f"Suggestion {index + 1}: {message}" for index, message in errors.items())
        super().__init__(listed)
        self.errors = errors


class NoNextForum(TopicError):
    """The forum after this one does not exist yet (or has no day to put a session on)."""


# --- Suggestions ---------------------------------------------------------------------------


class SuggestionInput(NamedTuple):
    """A suggestion as given: its text, the team that raised it, who (never shown) and how."""

    text: str
    team_id: int | None = None
    person_id: int | None = None
    source: str = "api"


def add_suggestions(session, forum: Forum, items: list) -> list[TopicSuggestion]:
    """Store suggestions raised after ``forum`` (not yet grouped: call ``regroup``).

    ``items`` are ``SuggestionInput``s or tuples ``(text, team_id, person_id, source)``. Every
    item is checked first; raises ``InvalidSuggestions`` naming each bad one, adding none.
    """
    items = [SuggestionInput(*item) for item in items]
    team_ids = {team.id for team in program_teams(session, forum)}
    errors: dict[int, str] = {}
    for index, item in enumerate(items):
        text = tidy(item.text) if isinstance(item.text, str) else ""
        if not text:
            errors[index] = "Write the suggestion's text."
        elif not is_storable_text(text):
            errors[index] = "Remove the control characters or broken Unicode from the text."
        elif len(text) > MAX_TEXT:
            errors[index] = f"Keep a suggestion to {MAX_TEXT} characters; split a longer one."
        elif item.team_id is not None and item.team_id not in team_ids:
            errors[index] = f"There is no team with id {item.team_id} in this program."
        elif item.source not in SOURCES:
            errors[index] = f"Unknown source {item.source!r}."
    if not items:
        errors[0] = "Send at least one suggestion."
    if errors:
        raise InvalidSuggestions(errors)
    suggestions = [
        TopicSuggestion(
            forum_id=forum.id,
            text=tidy(item.text),
            team_id=item.team_id,
            person_id=item.person_id,
            source=item.source,
        )
        for item in items
    ]
    session.add_all(suggestions)
    session.flush()
    return suggestions


# --- Grouping ------------------------------------------------------------------------------


def is_kept(group: TopicGroup) -> bool:
    """Regrouping leaves this group alone: faculty curated it, gave it a status or promoted it."""
    return group.curated or group.status != TopicStatus.OPEN or group.promoted_item_id is not None


def regroup(session, forum: Forum, thesaurus: grouping.Thesaurus | None = None) -> None:
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
        group = _matching_group(ids, before, used)
        if group is None:
            group = TopicGroup(forum_id=forum.id, label="")
            session.add(group)
            session.flush()
        else:
            group = automatic[group]
            used.add(group.id)
        if before.get(group.id) != ids or not group.label:
            group.label = grouping.label_for([s.text for s in members], thesaurus)[:MAX_LABEL]
        for suggestion in members:
            suggestion.group_id = group.id
    session.flush()
    for group_id, group in automatic.items():
        if group_id not in used:
            _delete_emptied(session, group)
    session.flush()


def _delete_emptied(session, group: TopicGroup) -> None:
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


def topic_groups(session, forum: Forum, flag_teams: int = FLAG_TEAMS) -> list[TopicGroupRow]:
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


def ungrouped_count(session, forum: Forum) -> int:
    return session.scalar(
        select(func.count(TopicSuggestion.id)).where(
            TopicSuggestion.forum_id == forum.id, TopicSuggestion.group_id.is_(None)
        )
    )


@dataclass(frozen=True)
class SuggestionLine:
    """A suggestion as faculty see it: its text and team, never the person."""

    id: int
    text: str
    team: str | None
    source: str


def group_suggestions(session, forum: Forum) -> dict[int, list[SuggestionLine]]:
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


# --- Faculty edits -------------------------------------------------------------------------


def rename_group(session, group: TopicGroup, label: str) -> TopicGroup:
    label = tidy(label)
    if not label:
        raise TopicError("Give the group a name.", "label")
    if len(label) > MAX_LABEL:
        raise TopicError(f"Keep the name to {MAX_LABEL} characters.", "label")
    group.label = label
    group.curated = True
    session.flush()
    return group


def merge_groups(session, target: TopicGroup, others: list[TopicGroup]) -> TopicGroup:
    """Move the suggestions of ``others`` into ``target`` and delete them; ``target`` keeps its
    name and status, takes over a promoted session if it has none, and collects the notes."""
    others = [group for group in others if group.id != target.id]
    if not others:
        raise TopicError("Choose at least one other group to merge.", "group_ids")
    if any(group.forum_id != target.forum_id for group in others):
        raise TopicError("Only groups of the same forum can be merged.", "group_ids")
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
        _delete_emptied(session, group)
    target.note = "\n\n".join(notes)[:MAX_NOTE]
    target.curated = True
    session.flush()
    session.expire(target, ["suggestions"])
    return target


def split_group(session, group: TopicGroup, suggestion_ids: list[int], label: str = ""):
    """Move the chosen suggestions of ``group`` to a new curated group and return it."""
    chosen = session.scalars(
        select(TopicSuggestion)
        .where(TopicSuggestion.group_id == group.id, TopicSuggestion.id.in_(suggestion_ids))
        .order_by(TopicSuggestion.id)
    ).all()
    if not chosen:
        raise TopicError("Tick the suggestions to move to a new group.", "suggestion_ids")
    remaining = session.scalars(
        select(TopicSuggestion)
        .where(TopicSuggestion.group_id == group.id, TopicSuggestion.id.not_in(suggestion_ids))
        .order_by(TopicSuggestion.id)
    ).all()
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
        group.label = grouping.label_for([s.text for s in remaining])[:MAX_LABEL]
    group.curated = True
    session.flush()
    return new_group


def set_status(session, group: TopicGroup, status: str, note: str | None = None) -> TopicGroup:
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


# --- From feedback to the next agenda ------------------------------------------------------


def next_forum(session, forum: Forum) -> Forum | None:
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


def _free_start(session, day, minutes: int) -> tuple[time, time]:
    """The first quarter hour of ``day`` where a session of ``minutes`` overlaps no other
    session, else the day's start; returns local (start, end)."""
    zone = day.forum.program.time_zone
    busy = [
        (item.starts_at, item.ends_at)
        for item in agenda.agenda_items(session, [day])[day.id]
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


def promote_group(session, group: TopicGroup, kind: str = ItemKind.BREAKOUT.value) -> Promotion:
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
    start, end = _free_start(session, day, PROMOTED_MINUTES)
    try:
        item = agenda.create_item(
            session,
            day,
            agenda.ItemInput(
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
    except agenda.AgendaError as error:
        raise TopicError(str(error), error.field) from None
    item.provenance = provenance_text(forum.number, teams)[:300]
    group.promoted_item_id = item.id
    session.flush()
    warnings = [c.message for c in agenda.conflicts_for(session, agenda.Slot.of(item))]
    if following.status != ForumStatus.DRAFT:
        warnings.insert(
            0,
            f"Forum {following.number} is published: the new session stays a draft, seen by "
            "staff only, until an organizer schedules it; it is also marked confidential, so "
            "once scheduled only teams see it until the mark is cleared.",
        )
    return Promotion(item, True, following, warnings)


# --- CSV import ----------------------------------------------------------------------------


_TEXT_COLUMNS = {"text", "topic", "suggestion", "topicsuggestion", "issue", "idea"}
_TEAM_COLUMNS = {"team", "teamname", "county", "community"}
# Words teams are named with and often left out: "Wake County Team" is "wake".
_TEAM_FILLER = {"county", "team", "town", "city", "of", "the", "and", "community"}


def _team_key(name: str) -> str:
    words = re.findall(r"[a-z0-9]+", name.lower())
    kept = [word for word in words if word not in _TEAM_FILLER]
    return " ".join(kept or words)


class _TeamFinder:
    """Finds a team by the name people write: any case, with or without "County"."""

    def __init__(self, teams: list[Team]):
        self.teams = teams
        self.by_key: dict[str, list[Team]] = {}
        for team in teams:
            self.by_key.setdefault(_team_key(team.name), []).append(team)

    def find(self, written: str) -> tuple[Team | None, str | None]:
        key = _team_key(written)
        found = self.by_key.get(key, [])
        if not found:
            exact = [t for t in self.teams if header_key(t.name) == header_key(written)]
            found = exact or [t for t in self.teams if _team_key(t.name).startswith(key + " ")]
        if len(found) == 1:
            return found[0], None
        if found:
            names = ", ".join(team.name for team in found)
            return None, f"“{written}” could be any of {names}; write the full name."
        listed = ", ".join(team.name for team in self.teams) or "none yet"
        return None, f"There is no team called “{written}”. The program's teams: {listed}."


def _header_columns(cells: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, header in enumerate(cells):
        key = header_key(header)
        name = "text" if key in _TEXT_COLUMNS else "team" if key in _TEAM_COLUMNS else None
        if name and name not in columns:
            columns[name] = index
    return columns


def _parse_row(cells, columns, finder: _TeamFinder) -> tuple[SuggestionInput | None, list[str]]:
    text, team_name = cell(cells, columns, "text"), cell(cells, columns, "team")
    problems = []
    if not text:
        problems.append("The text is empty; write the suggestion or delete the row.")
    elif not is_storable_text(text):
        problems.append("The text has control characters or broken Unicode; retype it.")
    elif len(text) > MAX_TEXT:
        problems.append(f"The text is longer than {MAX_TEXT} characters; shorten it.")
    team = None
    if team_name:
        team, problem = finder.find(team_name)
        if problem:
            problems.append(problem)
    if problems:
        return None, problems
    return SuggestionInput(text, team.id if team else None, None, "csv"), []


def import_suggestions_csv(session, forum: Forum, csv_text: str) -> list[TopicSuggestion]:
    """Add the suggestions of a CSV file with columns ``text`` and ``team`` (team by name, in
    any case, with or without "County"; may be empty). The whole file is checked first: with
    any bad row nothing is added and ``CsvImportError`` lists every problem by line."""
    finder = _TeamFinder(program_teams(session, forum))
    errors: list[RowError] = []
    items: list[SuggestionInput] = []
    columns: dict[str, int] | None = None
    try:
        for line, cells in csv_rows(csv_text):
            if columns is None:
                columns = _header_columns(cells)
                if "text" not in columns:
                    raise CsvImportError(
                        [RowError(line, "The first row must name the columns: text,team")]
                    )
            elif len(items) + len(errors) >= MAX_IMPORT_ROWS:
                errors.append(RowError(line, f"Import at most {MAX_IMPORT_ROWS} rows at once."))
                break
            else:
                item, problems = _parse_row(cells, columns, finder)
                if problems:
                    errors.append(RowError(line, " ".join(problems)))
                else:
                    items.append(item)
    except UnreadableLine as unreadable:
        errors.append(unreadable.error)
    if columns is None and not errors:
        errors.append(RowError(1, "The file is empty. Add a header row text,team and a row each."))
    elif not items and not errors:
        errors.append(RowError(2, "The file has a header row but no suggestions."))
    if errors:
        raise CsvImportError(errors)
    return add_suggestions(session, forum, items)
