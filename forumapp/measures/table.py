"""The measures as rows of cells, for the CSV downloads and the funder report. The report and
its CSV suppress small cells (fewer than ``SMALL_CELL`` people) so nobody can be picked out;
the staff page and its CSV show every number."""

from __future__ import annotations

from ..core.models import Sector
from .figures import ProgramFigures, TeamForumFigures

SMALL_CELL = 5
SUPPRESSED = "<5"

HEADER = [
    "forum",
    "team",
    "roster",
    "present",
    "share present",
    "sectors on roster",
    "sectors present",
    "project manager came",
    "returning",
    "new",
    "responses",
    "average rating",
    "topics raised",
    "topics addressed",
    "commitments",
    "done",
    "partly",
    "dropped",
]


def people(count: int, suppress: bool) -> int | str:
    """A count of people, or ``SUPPRESSED`` when it is small enough to identify someone."""
    return SUPPRESSED if suppress and 0 < count < SMALL_CELL else count


def share(value: float | None, base: int, suppress: bool) -> str:
    if value is None:
        return ""
    if suppress and 0 < base < SMALL_CELL:
        return SUPPRESSED
    return f"{value:.0%}"


def rating(row: TeamForumFigures, suppress: bool) -> str:
    if row.average_rating is None:
        return ""
    if suppress and row.responses < SMALL_CELL:
        return SUPPRESSED
    return f"{row.average_rating:.1f}"


def sectors(values: list[str]) -> str:
    return "; ".join(Sector(value).label for value in values)


def team_forum_rows(figures: ProgramFigures, suppress: bool) -> list[list[object]]:
    """One row per team and forum, in ``HEADER``'s order."""
    titles = {forum.forum.id: forum.forum.title for forum in figures.forums}
    return [
        [
            titles[row.forum_id],
            row.team,
            people(row.roster, suppress),
            people(row.present, suppress),
            share(row.share_present, row.present, suppress),
            sectors(row.sectors_on_roster),
            sectors(row.sectors_present),
            "yes" if row.manager_came else "no",
            people(row.returning, suppress),
            people(row.new, suppress),
            people(row.responses, suppress),
            rating(row, suppress),
            row.topics_raised,
            row.topics_addressed,
            row.commitments,
            row.done,
            row.partly,
            row.dropped,
        ]
        for row in figures.teams
    ]
