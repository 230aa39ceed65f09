"""Topic suggestions raised after a forum, however they came in (the feedback form, a personal
page, the API, a CSV file): stored as given, then placed in groups by the caller
(``topic_groups.place_new``; faculty's ``regroup`` redoes them all). A team adds at most
``daily_limit`` suggestions to one forum per day (``TOPIC_SUGGESTIONS_PER_TEAM_PER_DAY``), so a
script gone wrong cannot bury the others. Functions flush; the caller commits once.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time
from typing import NamedTuple

from sqlalchemy import func, select

from ..core import clock
from ..core.clock import local_instant, local_today
from ..core.csv_import import tidy
from ..core.database import is_storable_text
from ..core.models import Forum
from ..extensions import DbSession
from ..registration.people import program_teams
from .errors import InvalidSuggestions
from .models import TopicSuggestion

MAX_TEXT = 1000
DAILY_LIMIT = 200  # per forum, team (or no team) and local day, unless configured
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


def added_today(session: DbSession, forum: Forum, team_id: int | None, now: datetime) -> int:
    """How many suggestions ``team_id`` (None: no team) added to ``forum`` since local
    midnight in the program's time zone."""
    zone = forum.program.time_zone
    midnight = local_instant(local_today(zone, now), time(0, 0), zone)
    team = (
        TopicSuggestion.team_id.is_(None) if team_id is None else TopicSuggestion.team_id == team_id
    )
    return session.execute(
        select(func.count(TopicSuggestion.id)).where(
            TopicSuggestion.forum_id == forum.id, team, TopicSuggestion.created_at >= midnight
        )
    ).scalar_one()


def over_daily_limit(
    session: DbSession, forum: Forum, team_ids: list[int | None], daily_limit: int
) -> set[int | None]:
    """The teams among ``team_ids`` (one entry per suggestion to add) that would pass
    ``daily_limit`` suggestions to ``forum`` today with these."""
    now = clock.utcnow()
    return {
        team_id
        for team_id, adding in Counter(team_ids).items()
        if added_today(session, forum, team_id, now) + adding > daily_limit
    }


def add_suggestions(
    session: DbSession, forum: Forum, items: list, daily_limit: int | None = DAILY_LIMIT
) -> list[TopicSuggestion]:
    """Store suggestions raised after ``forum`` (not yet grouped: call ``place_new``, or
    ``regroup`` after a bulk import). ``daily_limit`` None: no bound (staff imports).

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
    if not errors and daily_limit is not None:
        over = over_daily_limit(session, forum, [item.team_id for item in items], daily_limit)
        for index, item in enumerate(items):
            if item.team_id in over:
                errors[index] = (
                    f"{'This team' if item.team_id else 'Suggestions with no team'} would pass "
                    f"today's limit of {daily_limit} suggestions for this forum; "
                    "send the rest tomorrow."
                )
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
