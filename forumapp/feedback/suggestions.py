"""Topic suggestions raised after a forum, however they came in (the feedback form, a personal
page, the API, a CSV file): stored as given, not yet grouped (``topic_groups.regroup``).
Functions flush; the caller commits once.
"""

from __future__ import annotations

from typing import NamedTuple

from ..core.csv_import import tidy
from ..core.database import is_storable_text
from ..core.models import Forum
from ..extensions import DbSession
from ..registration.people import program_teams
from .errors import InvalidSuggestions
from .models import TopicSuggestion

MAX_TEXT = 1000
SOURCES = ("feedback", "personal_page", "api", "csv")
# A barrier a team noted on one of its commitments (``commitments.recording``): not given
# through ``add_suggestions``, but grouped and flagged with the others, and marked as such.
BARRIER_SOURCE = "barrier"


class SuggestionInput(NamedTuple):
    """A suggestion as given: its text, the team that raised it, who (never shown) and how."""

    text: str
    team_id: int | None = None
    person_id: int | None = None
    source: str = "api"


def add_suggestions(session: DbSession, forum: Forum, items: list) -> list[TopicSuggestion]:
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
