"""Topic suggestions imported from a CSV file (columns ``text`` and ``team``), the team found
by the name people write. The whole file is checked before anything is added.
"""

from __future__ import annotations

import re

from ..core.csv_import import (
    CsvImportError,
    RowError,
    UnreadableLine,
    cell,
    csv_rows,
    decode_csv,
    header_key,
)
from ..core.database import is_storable_text
from ..core.models import Forum, Team
from ..extensions import DbSession
from ..registration.people import program_teams
from .errors import SuggestionsFileRefused
from .models import TopicSuggestion
from .suggestions import MAX_TEXT, SuggestionInput, add_suggestions
from .topic_groups import regroup

MAX_IMPORT_ROWS = 2000


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
    """The row's suggestion, or None with the problems that keep it out."""
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


def import_suggestions_csv(
    session: DbSession, forum: Forum, csv_text: str
) -> list[TopicSuggestion]:
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
                if item is None:
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
    # Staff import a survey's worth at once: the daily limit is for the API and forms.
    return add_suggestions(session, forum, items, daily_limit=None)


def import_file_and_regroup(session: DbSession, forum: Forum, raw: bytes) -> list[TopicSuggestion]:
    """Import an uploaded file of suggestions (``import_suggestions_csv``), then regroup the
    forum's topics. Raises ``SuggestionsFileRefused`` listing every problem, adding none."""
    try:
        added = import_suggestions_csv(session, forum, decode_csv(raw))
    except CsvImportError as refusal:
        raise SuggestionsFileRefused(refusal) from None
    regroup(session, forum)
    return added
