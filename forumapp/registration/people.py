"""The people registration deals with: finding or creating a person by email, and whether
they are on a team's roster for a forum's program."""

from __future__ import annotations

from sqlalchemy import func, select

from ..core.database import insert_unless_taken
from ..core.emails import normalise_email
from ..core.i18n import DEFAULT_LANGUAGE
from ..core.models import Forum, Person, Team, TeamMembership
from ..extensions import DbSession


def find_or_create_person(
    session: DbSession, name: str, email: str, organization: str = ""
) -> Person:
    """The person with this email (normalised), created if new; blank details are filled in."""
    email = normalise_email(email)
    person = person_with_email(session, email)
    if person is None:
        # None: the same email arrived at the same moment (a double submit): use that record.
        person = insert_person(session, name, email, organization) or existing_person(
            session, email
        )
    elif organization and not person.organization:
        person.organization = organization.strip()
    return person


def person_with_email(session: DbSession, email: str) -> Person | None:
    """The person with this (already normalised) email, if any."""
    return session.scalar(select(Person).where(Person.email == email))


def existing_person(session: DbSession, email: str) -> Person:
    """The person with this (already normalised) email, known to exist (e.g. a concurrent
    request created them a moment ago); raises ``NoResultFound`` otherwise."""
    return session.execute(select(Person).where(Person.email == email)).scalar_one()


def insert_person(
    session: DbSession, name: str, email: str, organization: str, language: str = DEFAULT_LANGUAGE
) -> Person | None:
    """A new person with this (normalised) email, written to in ``language``, or ``None``
    when the email is taken (known, or created a moment ago by a concurrent request): the
    unique index decides, in one ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` (no
    savepoint, the same on both databases)."""
    return session.scalar(
        insert_unless_taken(
            session,
            Person,
            ["email"],
            name=name.strip(),
            email=email,
            organization=organization.strip(),
            language=language,
        ).returning(Person)
    )


def program_teams(session: DbSession, forum: Forum) -> list[Team]:
    """The teams of the forum's program, by name."""
    return list(
        session.scalars(select(Team).where(Team.program_id == forum.program_id).order_by(Team.name))
    )


def is_team_member(session: DbSession, person: Person, forum: Forum) -> bool:
    """True when the person is on a roster of one of the forum's program's teams."""
    return is_on_a_team(session, person, forum.program_id)


def is_on_a_team(session: DbSession, person: Person, program_id: int) -> bool:
    """True when the person is on a roster of one of the program's teams."""
    return (
        session.execute(
            select(func.count())
            .select_from(TeamMembership)
            .join(Team)
            .where(TeamMembership.person_id == person.id, Team.program_id == program_id)
        ).scalar_one()
        > 0
    )


def team_ids_of(session: DbSession, person_id: int, program_id: int) -> list[int]:
    """The ids of the program's teams whose rosters list the person."""
    return list(
        session.scalars(
            select(TeamMembership.team_id)
            .join(Team)
            .where(TeamMembership.person_id == person_id, Team.program_id == program_id)
        )
    )
