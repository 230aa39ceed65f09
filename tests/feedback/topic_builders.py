"""A program with Forum 1 (held) and Forum 2 (a draft with one day), three teams, and a helper
to add suggestions; for the topic tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from forumapp.core.models import Forum, Program, Team
from forumapp.extensions import db
from forumapp.feedback import suggestions
from forumapp.feedback.models import TopicGroup

from .. import builders as build

TEAM_NAMES = ("Buncombe County", "Dare County", "Wake County")


@dataclass
class TopicWorld:
    forum_id: int
    next_forum_id: int
    next_day_id: int
    teams: dict[str, int]

    def forum(self) -> Forum:
        return db.session.get(Forum, self.forum_id)

    def next_forum(self) -> Forum:
        return db.session.get(Forum, self.next_forum_id)


def build_topic_world(with_next_forum: bool = True) -> TopicWorld:
    program = Program(name="Opioid Response Project")
    db.session.add(program)
    teams = {name: Team(program=program, name=name) for name in TEAM_NAMES}
    db.session.add_all(teams.values())
    first = build.forum(
        status="closed", number=1, program=program, days=((date(2027, 2, 18), "team"),)
    )
    next_id = next_day = 0
    if with_next_forum:
        days = ((date(2027, 6, 10), "team"), (date(2027, 6, 11), "team"))
        second = build.forum(status="draft", number=2, program=program, days=days)
        next_id, next_day = second.id, second.days[0].id
    db.session.flush()
    return TopicWorld(first.id, next_id, next_day, {n: t.id for n, t in teams.items()})


def suggest(world: TopicWorld, *rows: tuple[str, str | None]) -> list[int]:
    """Add ``(text, team name or None)`` suggestions to Forum 1; returns their ids."""
    added = suggestions.add_suggestions(
        db.session,
        world.forum(),
        [(text, world.teams[team] if team else None, None, "csv") for text, team in rows],
    )
    return [suggestion.id for suggestion in added]


def group_of(suggestion_id: int) -> TopicGroup:
    from forumapp.feedback.models import TopicSuggestion

    return db.session.get(TopicSuggestion, suggestion_id).group
