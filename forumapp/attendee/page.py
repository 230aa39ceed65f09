"""The read models of the attendee's pages: everything a page shows, gathered before it renders.

Each part comes from the feature that owns its rules: registration's forums, days, seats and
breakout picks; check-in's tickets; calendar's feed links; feedback's open forms and topic
form. The templates only read these values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ..agenda.models import AgendaItem
from ..agenda.visibility import Viewer, visible_agenda
from ..calendar.feeds import PersonalCalendar, personal_calendar
from ..checkin.tickets import TicketState, ticket_state
from ..commitments.panel import TeamCommitments, commitments_panel
from ..core.models import Forum, ForumDay, Person, Team
from ..extensions import DbSession
from ..feedback.panel import FeedbackPanel, feedback_panel
from ..registration.people import is_team_member
from ..registration.personal import ForumSection, personal_sections
from ..registration.rosters import managed_teams


@dataclass(frozen=True)
class PersonalPage:
    """The personal page of ``person``: a section per forum (``sections``), the ticket of each
    forum by forum id (``tickets``), the teams whose roster they keep, their calendar links and
    their feedback panel, and their teams' commitments."""

    person: Person
    sections: list[ForumSection]
    tickets: dict[int, TicketState]
    managed_teams: list[Team]
    calendar: PersonalCalendar
    feedback: FeedbackPanel
    commitments: list[TeamCommitments]


def personal_page(
    session: DbSession, person: Person, *, now: datetime, today: date
) -> PersonalPage:
    """Everything ``person``'s page shows at ``now`` (``today``: the program's local date)."""
    sections = personal_sections(session, person, now)
    return PersonalPage(
        person=person,
        sections=sections,
        tickets={
            section.forum.id: ticket_state(session, section.registration) for section in sections
        },
        managed_teams=managed_teams(session, person),
        calendar=personal_calendar(session, person),
        feedback=feedback_panel(session, person, today, now),
        commitments=commitments_panel(session, person),
    )


@dataclass(frozen=True)
class PersonalAgenda:
    """A forum's agenda as ``person`` may see it: team members see team days too."""

    person: Person
    forum: Forum
    viewer: Viewer
    agenda: list[tuple[ForumDay, list[AgendaItem]]]


def personal_agenda(session: DbSession, person: Person, forum: Forum) -> PersonalAgenda:
    """The days and items of ``forum`` that ``person`` may see."""
    viewer = Viewer(is_team_member=is_team_member(session, person, forum))
    return PersonalAgenda(person, forum, viewer, visible_agenda(session, viewer, forum))
