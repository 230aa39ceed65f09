"""The organizer's CSV downloads of a forum: registrations, and who is in each breakout.

A download of personal data is audited (``export_registrations``, ``export_breakouts``);
the lines are produced as they are read, so a large forum streams.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import case, func, select

from ..core import audit
from ..core.clock import to_local
from ..core.models import Forum, ForumDay, Person, Team, TeamMembership
from ..core.spreadsheet import csv_lines
from ..extensions import DbSession
from .additions import export_columns
from .models import BreakoutPick, Registration, SeatStatus
from .overview import (
    counted_slots,
    forum_breakouts,
    registration_rows,
    registrations_by_name,
    search_conditions,
)
from .people import program_teams
from .seats import ACTIVE, waitlist_order

CONFIRMED = SeatStatus.CONFIRMED.value


@dataclass
class CsvExport:
    """A download to stream: its file name, and ``lines_of(session, forum)`` making its lines
    (called where the body streams, in that context's session)."""

    filename: str
    lines_of: Callable[[DbSession, Forum], Iterator[str]]


def export_registrations(session: DbSession, forum: Forum, user_id: int | None) -> CsvExport:
    """The registrations download, recorded in the audit log (in its own transaction)."""
    audit.record_download(session, user_id, "export.registrations_csv", f"forum:{forum.id}")
    return CsvExport(f"forum-{forum.number}-registrations.csv", registrations_csv)


def export_breakouts(session: DbSession, forum: Forum, user_id: int | None) -> CsvExport:
    """The breakout lists download, recorded in the audit log (in its own transaction)."""
    audit.record_download(session, user_id, "export.breakouts_csv", f"forum:{forum.id}")
    return CsvExport(f"forum-{forum.number}-breakouts.csv", breakouts_csv)


def day_label(day: ForumDay) -> str:
    """A day as the downloads and the organizer's forms name it: ``Mon Mar 15, 2027``."""
    return f"{day.date:%a} {day.date:%b} {day.date.day}, {day.date.year}"


def registrations_csv(session: DbSession, forum: Forum) -> Iterator[str]:
    """One row per registration: contact details, kind, team, each day's status, needs; as
    lines of CSV, produced as they are read."""
    days = list(forum.days)
    header = ["Name", "Email", "Organization", "Community", "Kind", "Team"]
    header += [f"{day_label(day)} ({'public' if day.is_public else 'team'} day)" for day in days]
    header += ["Accessibility needs", "Dietary needs"]
    added = export_columns()
    for columns in added:
        header += columns.headers(forum)

    def rows():
        items = {item.id: item for item in forum_breakouts(session, forum)}
        registrations = session.scalars(registrations_by_name(search_conditions(forum, ""))).all()
        teams = program_teams(session, forum)
        ids = [registration.id for registration in registrations]
        extra = [
            (len(columns.headers(forum)), columns.values(session, forum, ids)) for columns in added
        ]
        for row in registration_rows(session, forum, teams, items, registrations, page_only=False):
            cells = [
                cell
                for width, values in extra
                for cell in values.get(row.registration.id, [""] * width)
            ]
            yield [
                row.person.name,
                row.person.email,
                row.person.organization,
                row.registration.community,
                row.registration.kind,
                row.team_names,
                *(row.day_status(day) for day in days),
                row.registration.accessibility_needs,
                row.registration.dietary_needs,
                *cells,
            ]

    return csv_lines(header, rows())


def breakouts_csv(session: DbSession, forum: Forum) -> Iterator[str]:
    """One row per person holding or waiting for a seat in a breakout, breakout by breakout:
    confirmed people first (by name), then the waitlist in order; as lines of CSV."""
    header = ["Breakout", "Day", "Start", "Room", "Person", "Email", "Team", "Status"]
    return csv_lines(header, _breakout_list_rows(session, forum))


def _breakout_list_rows(session: DbSession, forum: Forum) -> Iterator[list]:
    zone = forum.program.time_zone
    slots = counted_slots(session, forum, forum_breakouts(session, forum))
    items = [counts.item for slot in slots for counts in slot.breakouts]
    if not items:
        return
    waiting = BreakoutPick.status != CONFIRMED
    picks = session.execute(
        select(
            BreakoutPick.item_id,
            BreakoutPick.status,
            Person.id,
            Person.name,
            Person.email,
        )
        .join(Registration, Registration.id == BreakoutPick.registration_id)
        .join(Person, Person.id == Registration.person_id)
        .where(
            BreakoutPick.item_id.in_([item.id for item in items]),
            BreakoutPick.status.in_(ACTIVE),
        )
        # Confirmed people by name, then the waitlist in the order it is served.
        .order_by(
            BreakoutPick.item_id,
            waiting,
            case((waiting, ""), else_=func.lower(Person.name)),
            *waitlist_order(BreakoutPick),
        )
    ).all()
    teams_of: dict[int, list[str]] = defaultdict(list)
    for person_id, team_name in session.execute(
        select(TeamMembership.person_id, Team.name)
        .join(Team, Team.id == TeamMembership.team_id)
        .where(
            Team.program_id == forum.program_id,
            TeamMembership.person_id.in_(
                select(Registration.person_id).where(Registration.forum_id == forum.id)
            ),
        )
        .order_by(Team.name)
    ):
        teams_of[person_id].append(team_name)
    by_item: dict[int, list] = defaultdict(list)
    for pick in picks:
        by_item[pick.item_id].append(pick)
    for item in items:
        day = next(day for day in forum.days if day.id == item.day_id)
        position = 0
        for _item_id, status, person_id, name, email in by_item[item.id]:
            if status == CONFIRMED:
                shown = status
            else:
                position += 1
                shown = f"waitlisted #{position}"
            yield [
                item.title,
                day.date.isoformat(),
                to_local(item.starts_at, zone).strftime("%Y-%m-%d %H:%M"),
                item.room.name if item.room else "",
                name,
                email,
                ", ".join(teams_of[person_id]),
                shown,
            ]
