"""Team rosters: CSV import by organizers, edits by project managers, and invitations.

An import is checked in full before anything is written: one bad row and nothing changes, so
an organizer fixes the file and uploads it again without cleaning up a half-done import.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..core import audit
from ..core.actions import DomainError
from ..core.clock import utcnow
from ..core.csv_import import (
    CsvImportError,
    RowError,
    UnreadableLine,
    cell,
    csv_rows,
    header_key,
    tidy,
)
from ..core.emails import InvalidEmail, normalise_email
from ..core.i18n import local_text
from ..core.links import revoke_personal_links
from ..core.models import (
    Audience,
    Forum,
    ForumStatus,
    Person,
    Program,
    Sector,
    Team,
    TeamMembership,
    TeamRole,
)
from ..core.names import name_problem
from ..extensions import DbSession
from ..mail.outbox import queue_email_to_person, was_sent
from .models import Registration
from .notices import personal_link, send_personal_link
from .people import find_or_create_person, is_on_a_team
from .registering import cancel_days
from .seats import ACTIVE
from .windows import is_over_for_attendees

MAX_ROSTER_ROWS = 5000
TEAM_NAME_MAX = 120
ORGANIZATION_MAX = 200

# Header spellings people use, reduced to letters only ("E-mail", " Team Name " …).
_COLUMNS = {
    "team": "team",
    "teamname": "team",
    "name": "name",
    "fullname": "name",
    "email": "email",
    "emailaddress": "email",
    "role": "role",
    "organization": "organization",
    "organisation": "organization",
    "sector": "sector",
}
REQUIRED_COLUMNS = ("team", "name", "email")

_ROLES = {
    "projectmanager": TeamRole.PROJECT_MANAGER,
    "pm": TeamRole.PROJECT_MANAGER,
    "member": TeamRole.MEMBER,
    "teammember": TeamRole.MEMBER,
    "": TeamRole.MEMBER,
}


# A sector by its name or its label, reduced to letters ("Public health", "public_health").
_SECTORS = {
    header_key(spelling): sector for sector in Sector for spelling in (sector.value, sector.label)
}


class RosterError(DomainError):
    """A roster change that cannot be made; ``field`` names the form input at fault."""


@dataclass
class RosterImportResult:
    """What an import changed. People count once per team roster they are on."""

    teams: int = 0
    teams_created: int = 0
    people_added: int = 0
    people_updated: int = 0
    people_unchanged: int = 0
    people_created: int = 0
    team_names: list[str] = field(default_factory=list)
    # People added to a team while on another team of the program: "Ben Hughes (Brunswick
    # County)". Worth a second look: a typo in the team column puts someone on two teams.
    also_on_other_teams: list[str] = field(default_factory=list)
    links_renewed: int = 0  # people known before who gained access: new link, old ones void

    @property
    def summary(self) -> str:
        teams = "team" if self.teams == 1 else "teams"
        added = "person" if self.people_added == 1 else "people"
        line = (
            f"Imported {self.teams} {teams} ({self.teams_created} new): {self.people_added} "
            f"{added} added ({self.people_created} new to the program), {self.people_updated} "
            f"updated, {self.people_unchanged} unchanged."
        )
        if self.also_on_other_teams:
            line += f" Now on more than one team: {'; '.join(self.also_on_other_teams)}."
        if self.links_renewed:
            people = "person" if self.links_renewed == 1 else "people"
            line += (
                f" {self.links_renewed} {people} known before got a new personal link by "
                "email; their earlier links no longer work."
            )
        return line


@dataclass
class _RosterRow:
    line: int
    team: str
    name: str
    email: str
    role: TeamRole
    organization: str
    sector: Sector | None = None


def _header_columns(line: int, cells: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, header in enumerate(cells):
        name = _COLUMNS.get(header_key(header))
        if name and name not in columns:
            columns[name] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        raise CsvImportError(
            [
                RowError(
                    line,
                    f"The first row must name the columns team, name, email and role; "
                    f"{', '.join(missing)} {verb} missing. Add a header row like: "
                    "team,name,email,role",
                )
            ]
        )
    return columns


def _parse(csv_text: str) -> tuple[list[_RosterRow], list[RowError]]:
    """Check every row; returns the good rows and every problem found."""
    errors: list[RowError] = []
    rows: list[_RosterRow] = []
    columns: dict[str, int] | None = None
    seen_emails: dict[str, int] = {}
    data_rows = 0
    try:
        for line, cells in csv_rows(csv_text):
            if columns is None:
                columns = _header_columns(line, cells)
                continue
            data_rows += 1
            if data_rows > MAX_ROSTER_ROWS:
                errors.append(
                    RowError(
                        line,
                        f"Too many rows: split the file into parts of "
                        f"at most {MAX_ROSTER_ROWS} people.",
                    )
                )
                break
            row, row_errors = _check_row(line, cells, columns, seen_emails)
            errors.extend(row_errors)
            if row is not None:
                rows.append(row)
    except UnreadableLine as unreadable:
        errors.append(unreadable.error)
    if columns is None:
        errors.append(
            RowError(
                1,
                "The file is empty. Upload a CSV with a header row "
                "team,name,email,role and one row per person.",
            )
        )
    elif data_rows == 0:
        errors.append(
            RowError(
                2,
                "The file has a header row but nobody in it. Add one row "
                "per person below the header.",
            )
        )
    return rows, errors


def _check_row(line, cells, columns, seen_emails) -> tuple[_RosterRow | None, list[RowError]]:
    problems = []
    team = cell(cells, columns, "team")
    name = cell(cells, columns, "name")
    raw_email = cell(cells, columns, "email")
    raw_role = cell(cells, columns, "role")
    organization = cell(cells, columns, "organization")[:ORGANIZATION_MAX]
    if not team:
        problems.append("The team is empty. Enter the team's name, e.g. “Buncombe County”.")
    elif len(team) > TEAM_NAME_MAX:
        problems.append(f"The team name is longer than {TEAM_NAME_MAX} characters. Shorten it.")
    if problem := name_problem(name, missing="The name is missing. Enter the person's full name."):
        problems.append(problem)
    email = ""
    if not raw_email:
        problems.append("The email is missing. Enter an address like name@example.org.")
    else:
        try:
            email = normalise_email(raw_email)
        except InvalidEmail as exc:
            problems.append(
                f"“{raw_email}” is not a valid email address: {exc} "
                "Correct it, e.g. name@example.org."
            )
    if email in seen_emails:
        problems.append(
            f"{email} is already on line {seen_emails[email]}. List each person "
            "once: delete one of the two rows."
        )
    elif email:
        seen_emails[email] = line
    role = _ROLES.get(header_key(raw_role))
    if role is None:
        problems.append(f"Unknown role “{raw_role}”. Use “project manager” (or “pm”) or “member”.")
    raw_sector = cell(cells, columns, "sector")
    sector = _SECTORS.get(header_key(raw_sector)) if raw_sector else None
    if raw_sector and sector is None:
        problems.append(
            f"Unknown sector “{raw_sector}”. Use one of: "
            + ", ".join(choice.label for choice in Sector)
            + "."
        )
    # An unknown role is among the problems; the test narrows its type.
    if problems or role is None:
        return None, [RowError(line, problem) for problem in problems]
    return _RosterRow(line, team, name, email, role, organization, sector), []


def _other_teams(person: Person, team: Team) -> str:
    """The names of the other teams of ``team``'s program that ``person`` is on (``team`` may
    be new, its program not yet written)."""
    return ", ".join(
        sorted(
            m.team.name
            for m in person.memberships
            if m.team is not team and m.team.program is team.program
        )
    )


def _place_on_roster(
    team: Team,
    person: Person,
    row: _RosterRow,
    result: RosterImportResult,
    gained_access: dict[int, Person],
) -> None:
    """Add ``person`` to ``team``'s roster as ``row`` says, or bring their membership in line
    with it; counted in ``result``, and noted in ``gained_access`` when a person known before
    gains a team role (their earlier links are then voided)."""
    membership = next(
        (m for m in team.memberships if person.id is not None and m.person_id == person.id),
        None,
    )
    if membership is None:
        team.memberships.append(
            TeamMembership(
                person=person,
                role=row.role.value,
                sector=row.sector.value if row.sector else None,
            )
        )
        result.people_added += 1
        if person.id is not None:  # known before this import
            gained_access[person.id] = person
            if elsewhere := _other_teams(person, team):
                result.also_on_other_teams.append(f"{person.name} ({elsewhere})")
        return
    if row.sector and membership.sector != row.sector:
        membership.sector = row.sector.value
    if membership.role != row.role:
        if row.role == TeamRole.PROJECT_MANAGER:
            gained_access[person.id] = person
        membership.role = row.role.value
        result.people_updated += 1
    else:
        result.people_unchanged += 1


def import_roster(
    session: DbSession, program: Program, csv_text: str, *, user_id: int | None = None
) -> RosterImportResult:
    """Create or update team rosters from CSV (columns team, name, email, role; organization
    and sector optional), by the staff
    user ``user_id`` (None: the command line), recorded in the audit log.

    Teams are matched by name (ignoring case) within ``program`` and created when new; people
    by email, created when new; an existing member's role is updated. Nobody is removed from a
    roster. Raises ``CsvImportError`` listing every bad row, having written nothing.
    """
    rows, errors = _parse(csv_text)
    if errors:
        raise CsvImportError(errors)

    teams = {
        team.name.casefold(): team
        for team in session.scalars(
            select(Team)
            .where(Team.program_id == program.id)
            .options(selectinload(Team.memberships))
        )
    }
    emails = [row.email for row in rows]
    people = {
        person.email: person
        for person in session.scalars(select(Person).where(Person.email.in_(emails)))
    }
    result = RosterImportResult()
    touched: dict[str, Team] = {}
    gained_access: dict[int, Person] = {}  # people known before, by id: one email each
    for row in rows:
        team = teams.get(row.team.casefold())
        if team is None:
            team = Team(program=program, name=row.team, memberships=[])
            session.add(team)
            teams[row.team.casefold()] = team
            result.teams_created += 1
        touched.setdefault(row.team.casefold(), team)
        person = people.get(row.email)
        if person is None:
            person = Person(name=row.name, email=row.email, organization=row.organization)
            session.add(person)
            people[row.email] = person
            result.people_created += 1
        elif row.organization and not person.organization:
            person.organization = row.organization
        _place_on_roster(team, person, row, result, gained_access)
    session.flush()
    for person in gained_access.values():
        _revoke_earlier_links(session, person)
    result.links_renewed = len(gained_access)
    result.teams = len(touched)
    result.team_names = sorted(team.name for team in touched.values())
    audit.record(
        session,
        user_id,
        "roster.import",
        f"program:{program.id}",
        teams=result.teams,
        teams_created=result.teams_created,
        people_added=result.people_added,
        people_updated=result.people_updated,
    )
    return result


# --- Project managers edit their own team's roster -----------------------------------------


def managed_team(session: DbSession, person: Person, team_id: int) -> Team | None:
    """The team, if ``person`` is one of its project managers; otherwise ``None``."""
    membership = session.scalar(
        select(TeamMembership).where(
            TeamMembership.team_id == team_id,
            TeamMembership.person_id == person.id,
            TeamMembership.role == TeamRole.PROJECT_MANAGER,
        )
    )
    return membership.team if membership is not None else None


def managed_teams(session: DbSession, person: Person) -> list[Team]:
    """The teams ``person`` is a project manager of, by name (for links on their page)."""
    return list(
        session.scalars(
            select(Team)
            .join(TeamMembership)
            .where(
                TeamMembership.person_id == person.id,
                TeamMembership.role == TeamRole.PROJECT_MANAGER,
            )
            .order_by(Team.name)
        )
    )


def _revoke_earlier_links(session: DbSession, person: Person) -> None:
    """``person`` (known before) gained a team role: links sent before, perhaps to someone
    who registered their address first, must not carry the new access, so they are voided and
    the new one goes to the person's inbox; invitations carry it from now on."""
    revoke_personal_links(session, person)
    send_personal_link(session, person)


def add_roster_member(
    session: DbSession, team: Team, name: str, email: str, sector: str | None = None
) -> TeamMembership:
    """Put someone on ``team``'s roster as a member (found by email, created if new), speaking
    for ``sector`` (a ``Sector`` value) when given.

    Raises ``RosterError`` for a missing name, a bad email, an unknown sector or someone
    already on the roster.
    """
    if sector is not None and sector not in set(Sector):
        raise RosterError(_("Choose a sector from the list."), "sector")
    name = tidy(name)
    if problem := name_problem(name):
        raise RosterError(problem, "name")
    try:
        email = normalise_email(email)
    except InvalidEmail as exc:
        raise RosterError(
            _("Enter an email address like name@example.org. %(problem)s", problem=exc), "email"
        ) from exc
    person = session.scalar(select(Person).where(Person.email == email))
    known_before = person is not None
    person = person or find_or_create_person(session, name, email)
    existing = session.scalar(
        select(TeamMembership).where(
            TeamMembership.team_id == team.id, TeamMembership.person_id == person.id
        )
    )
    duplicate = RosterError(
        _("%(email)s is already on the %(team)s roster.", email=email, team=team.name), "email"
    )
    if existing is not None:
        raise duplicate
    try:
        # The same add sent twice at once: the unique (team, person) index decides. The
        # membership is made inside the savepoint: made before, it would already hang on the
        # team's and the person's collections when the savepoint's autoflush runs.
        with session.begin_nested():
            membership = TeamMembership(
                team=team,
                person=person,
                role=TeamRole.MEMBER.value,
                name_as_added=name if known_before else None,
                sector=sector,
            )
            session.add(membership)
    except IntegrityError:
        raise duplicate from None
    if known_before:
        _revoke_earlier_links(session, person)
    return membership


@dataclass(frozen=True)
class RemovedMember:
    """Who left a roster, and the team days whose places that gave up."""

    name: str
    released_days: list[date] = field(default_factory=list)


def remove_roster_member(
    session: DbSession, team: Team, person_id: int, removed_by: Person, now: datetime | None = None
) -> RemovedMember:
    """Take a member off ``team``'s roster. Project managers cannot remove themselves or other
    project managers (organizers change those).

    Team-only days are for the teams: someone on no roster of the program any more gives up
    their places on the team days still to come (their breakouts with them, to the people
    waiting; their calendars are told). Public days and days gone by stay as they are."""
    if person_id == removed_by.id:
        raise RosterError(
            _(
                "You cannot remove yourself. Ask the organizers to change the team's project "
                "manager."
            )
        )
    membership = session.scalar(
        select(TeamMembership).where(
            TeamMembership.team_id == team.id, TeamMembership.person_id == person_id
        )
    )
    if membership is None:
        raise RosterError(_("That person is not on the roster any more."))
    if membership.role == TeamRole.PROJECT_MANAGER:
        raise RosterError(_("Only the organizers can remove a project manager."))
    name = membership.roster_name
    person = membership.person
    session.delete(membership)
    session.flush()
    return RemovedMember(name, _release_team_days(session, person, team.program_id, now))


def _release_team_days(
    session: DbSession, person: Person, program_id: int, now: datetime | None
) -> list[date]:
    if is_on_a_team(session, person, program_id):
        return []
    now = now or utcnow()
    released = []
    registrations = session.scalars(
        select(Registration)
        .join(Forum, Forum.id == Registration.forum_id)
        .where(Registration.person_id == person.id, Forum.program_id == program_id)
    )
    for registration in registrations:
        day_ids = [
            seat.day_id
            for seat in registration.seats
            if seat.status in ACTIVE
            and seat.day.audience == Audience.TEAM
            and not is_over_for_attendees(seat.day, now)
        ]
        if day_ids and cancel_days(session, registration, day_ids):
            released += [seat.day.date for seat in registration.seats if seat.day_id in day_ids]
    return sorted(released)


def roster_of(session: DbSession, team: Team) -> list[TeamMembership]:
    """The team's memberships with their people, project managers first, then by name."""
    memberships = session.scalars(
        select(TeamMembership)
        .where(TeamMembership.team_id == team.id)
        .options(selectinload(TeamMembership.person))
    ).all()
    return sorted(
        memberships,
        key=lambda m: (m.role != TeamRole.PROJECT_MANAGER, m.roster_name.casefold()),
    )


# --- Invitations ---------------------------------------------------------------------------


INVITATION_KIND = "team_invitation"


def invitation_subject(forum: Forum) -> str:
    """The invitation's subject in the language being rendered (call it in the person's)."""
    return _("You're invited: %(forum)s", forum=local_text(forum, "title"))


@dataclass
class InvitationResult:
    queued: list[Person] = field(default_factory=list)
    already_invited: list[Person] = field(default_factory=list)


def invited_person_ids(session: DbSession, forum: Forum) -> set[int]:
    """People who were already sent (or have queued) this forum's team invitation."""
    return was_sent(session, INVITATION_KIND, forum.ref)


def send_team_invitations(
    session: DbSession,
    forum: Forum,
    team: Team | None = None,
    send_again: bool = False,
    *,
    user_id: int | None = None,
) -> InvitationResult:
    """Queue the forum's invitation, with a personal link, for every roster member of the
    program's teams (or of one ``team``), sent by the staff user ``user_id`` (None: the command
    line), recorded in the audit log. People invited before are skipped unless ``send_again``;
    someone on two teams gets one email. Raises ``RosterError`` for a draft forum, whose page
    people could not see yet."""
    if forum.status != ForumStatus.PUBLISHED:
        raise RosterError(
            "Publish the forum first: the invitation links to its registration, which people "
            "can only see once the forum is published."
        )
    query = (
        select(TeamMembership)
        .join(Team)
        .where(Team.program_id == forum.program_id)
        .options(selectinload(TeamMembership.person), selectinload(TeamMembership.team))
        .order_by(Team.name, TeamMembership.id)
    )
    if team is not None:
        query = query.where(Team.id == team.id)
    already = set() if send_again else invited_person_ids(session, forum)
    result = InvitationResult()
    done: set[int] = set()
    for membership in session.scalars(query):
        person = membership.person
        if person.id in done:
            continue
        done.add(person.id)
        if person.id in already:
            result.already_invited.append(person)
            continue
        queue_email_to_person(
            session,
            "registration/email/team_invitation",
            person,
            kind=INVITATION_KIND,
            subject=lambda: invitation_subject(forum),
            about=forum.ref,
            forum=forum,
            program=forum.program,
            team=membership.team,
            link=personal_link(person),
        )
        result.queued.append(person)
    audit.record(
        session,
        user_id,
        "invitations.team",
        f"forum:{forum.id}",
        team_id=team.id if team else None,
        queued=len(result.queued),
    )
    return result


def team_member_counts(session: DbSession, program: Program) -> dict[int, int]:
    counts = session.execute(
        select(TeamMembership.team_id, func.count())
        .join(Team)
        .where(Team.program_id == program.id)
        .group_by(TeamMembership.team_id)
    )
    return {team_id: count for team_id, count in counts}
