"""The read models of the attendee's pages: everything a page shows, gathered before it renders.

Each part comes from the feature that owns its rules: registration's forums, days, seats and
breakout picks; check-in's tickets; calendar's feed links; feedback's open forms and topic
form. The templates only read these values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from ..agenda.models import AgendaItem
from ..agenda.visibility import Viewer, visible_agenda
from ..attendance.certificates import certificate_offer
from ..calendar.feeds import PersonalCalendar, personal_calendar
from ..checkin.tickets import TicketState, ticket_state
from ..commitments.panel import TeamCommitments, commitments_panel
from ..core.models import Forum, ForumDay, Person, Team
from ..extensions import DbSession
from ..feedback.panel import FeedbackPanel, feedback_panel
from ..materials.access import reader_for_person
from ..materials.models import Material
from ..materials.services import visible_materials
from ..materials.speaker_page import speaker_of
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
    # Registration id → "available" or "feedback_first" (``attendance.certificate_offer``).
    certificate_offers: dict[int, str] = field(default_factory=dict)
    is_speaker: bool = False  # their own speaker page is a link away
    # Forum id → the materials of that forum the person may see, in agenda order.
    materials: dict[int, list[Material]] = field(default_factory=dict)


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
        is_speaker=speaker_of(session, person) is not None,
        materials={
            section.forum.id: visible_materials(
                session, section.forum, reader_for_person(session, person, section.forum)
            )
            for section in sections
        },
        certificate_offers={
            section.registration.id: offer
            for section in sections
            if section.registration is not None
            and (offer := certificate_offer(session, section.registration))
        },
    )


@dataclass(frozen=True)
class PersonalAgenda:
    """A forum's agenda as ``person`` may see it: team members see team days too."""

    person: Person
    forum: Forum
    viewer: Viewer
    agenda: list[tuple[ForumDay, list[AgendaItem]]]
    # Agenda item id → the materials the person may see there, in order.
    materials: dict[int | None, list[Material]] = field(default_factory=dict)


def personal_agenda(session: DbSession, person: Person, forum: Forum) -> PersonalAgenda:
    """The days and items of ``forum`` that ``person`` may see."""
    viewer = Viewer(is_team_member=is_team_member(session, person, forum))
    materials: dict[int | None, list[Material]] = {}
    for material in visible_materials(session, forum, reader_for_person(session, person, forum)):
        materials.setdefault(material.item_id, []).append(material)
    return PersonalAgenda(person, forum, viewer, visible_agenda(session, viewer, forum), materials)
