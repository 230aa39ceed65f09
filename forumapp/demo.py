"""A realistic demo program: five forums across North Carolina, ten county teams, speakers,
agendas and one staff account per role.

``load_demo`` is idempotent: every row is found by its natural key before it is created, so
running the command again changes nothing.
"""

from __future__ import annotations

from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

from .agenda.models import (
    AgendaItem,
    AgendaItemSpeaker,
    ItemKind,
    Speaker,
    SpeakerKind,
    SpeakerRole,
    SpeakerStatus,
)
from .core.clock import local_instant
from .core.models import (
    Audience,
    Forum,
    ForumDay,
    ForumStatus,
    Person,
    Program,
    Role,
    Room,
    Team,
    TeamMembership,
    TeamRole,
    User,
)

PROGRAM_NAME = "Opioid Response Project 2026-2028"
REGISTRATION_OPENS = date(2026, 11, 2)
TIME_ZONE = "America/New_York"

STAFF_ACCOUNTS = [
    ("admin@forums.example.org", "Avery Admin", Role.ADMIN, "demo-admin-pass"),
    ("organizer@forums.example.org", "Olivia Organizer", Role.ORGANIZER, "demo-organizer-pass"),
    ("faculty@forums.example.org", "Frank Faculty", Role.FACULTY, "demo-faculty-pass"),
    ("door@forums.example.org", "Dana Door", Role.DOOR, "demo-door-pass"),
]

COUNTIES = [
    "Brunswick", "Buncombe", "Cabarrus", "Dare", "Durham",
    "Nash", "Pitt", "Robeson", "Rowan", "Wilkes",
]  # fmt: skip

FIRST_NAMES = [
    "Aisha", "Ben", "Carmen", "Darnell", "Elena", "Felix", "Grace", "Hector", "Imani", "Jamal",
    "Kira", "Luis", "Maya", "Nate", "Opal", "Priya", "Quinn", "Rosa", "Sam", "Tanya",
    "Uriel", "Vera", "Wes", "Yolanda",
]  # fmt: skip
LAST_NAMES = [
    "Adams", "Baker", "Chavis", "Diaz", "Ellison", "Foster", "Greene", "Hughes", "Iverson",
    "Jacobs", "Locklear", "Morgan", "Nguyen", "Oxendine", "Patel", "Reyes", "Spencer",
    "Thompson", "Underwood", "Vaughn", "Whitfield", "Young",
]  # fmt: skip
JOB_TITLES = [
    ("Manager's Office", "Assistant County Manager", "county_government"),
    ("Health Department", "Public Health Director", "public_health"),
    ("Sheriff's Office", "Chief Deputy", "law_enforcement"),
    ("Emergency Medical Services", "EMS Director", "ems"),
    ("Department of Social Services", "Child Welfare Supervisor", "county_government"),
    ("Recovery Community Center", "Peer Support Specialist", "lived_experience"),
    ("Behavioral Health Clinic", "Clinical Director", "treatment"),
    ("Board of Commissioners", "County Commissioner", "county_government"),
    ("Public Schools", "Student Services Director", "schools"),
    ("Faith Community Coalition", "Outreach Coordinator", "faith"),
    ("Police Department", "Community Policing Lieutenant", "law_enforcement"),
    ("Hospital Emergency Department", "Nurse Manager", "other"),
]

# (number, title, theme, venue, address, city, first date, status, audiences)
FORUMS = [
    (1, "Forum 1: Building the team", "Strategic short- and long-term goals for a community "
     "response; mapping existing assets.", "Knapp-Sanders Building, School of Government",
     "400 South Road", "Chapel Hill", date(2026, 10, 15), ForumStatus.CLOSED, ["team"]),
    (2, "Forum 2: Sharing information safely", "Confidentiality when agencies share "
     "information; data that partners can act on.", "Benton Convention Center",
     "301 W 5th Street", "Winston-Salem", date(2027, 2, 18), ForumStatus.PUBLISHED, ["team"]),
    (3, "Forum 3: Solving problems together", "Mental models for joint problem-solving; "
     "treatment and recovery pathways.", "A-B Tech Ferguson Center", "340 Victoria Road",
     "Asheville", date(2027, 6, 10), ForumStatus.PUBLISHED, ["team"]),
    (4, "Forum 4: Policy and its consequences", "Legal implications of policy proposals; "
     "using settlement funds well.", "Greenville Convention Center",
     "303 SW Greenville Boulevard", "Greenville", date(2027, 10, 14), ForumStatus.DRAFT,
     ["team"]),
    (5, "Forum 5: Sustaining the work", "Celebrating small wins and sustaining networks after "
     "the program. Day one is open to the public.", "McKimmon Conference Center",
     "1101 Gorman Street", "Raleigh", date(2028, 3, 15), ForumStatus.PUBLISHED,
     ["public", "team"]),
]  # fmt: skip

# Forum 5's public day in Spanish too: a public body's public meeting (see issue 17).
SPANISH_FORUM_5 = {
    "title_es": "Foro 5: Sostener el trabajo",
    "theme_es": "Celebrar los pequeños logros y sostener las redes después del programa. El "
    "primer día está abierto al público.",
    "parking_info_es": "Estacionamiento gratuito en McKimmon Conference Center; siga los "
    "letreros del evento. Los espacios accesibles están junto a la entrada principal.",
    "confirmation_text": "Bring your ticket on your phone or printed; the doors open at 8:30.",
    "confirmation_text_es": "Traiga su entrada en el teléfono o impresa; las puertas abren a "
    "las 8:30.",
}
PUBLIC_DAY_NOTES = (
    "Doors open at 8:30. Breakfast and lunch are provided. Spanish interpretation is "
    "available on request.",
    "Las puertas abren a las 8:30. Se ofrecen desayuno y almuerzo. Hay interpretación al "
    "español si la solicita.",
)
SPANISH_TITLES = {
    "Check-in and breakfast": "Registro de llegada y desayuno",
    "Welcome and general session": "Bienvenida y sesión plenaria",
    "Lunch": "Almuerzo",
    "Panel: what the teams learned": "Panel: lo que aprendieron los equipos",
    "Setting short- and long-term goals": "Metas a corto y largo plazo",
    "Confidentiality when agencies share information": "La confidencialidad cuando las "
    "agencias comparten información",
    "Mental models for joint problem-solving": "Modelos mentales para resolver problemas en "
    "conjunto",
    "Celebrating small wins": "Celebrar los pequeños logros",
    "Legal implications of policy proposals": "Implicaciones legales de las propuestas de "
    "políticas",
    "Post-overdose response teams": "Equipos de respuesta después de una sobredosis",
    "Peer support specialists in the emergency department": "Especialistas de apoyo entre "
    "pares en la sala de emergencias",
    "Medication for opioid use disorder in jails": "Medicamentos para el trastorno por "
    "consumo de opioides en las cárceles",
    "Naloxone distribution that reaches people": "Distribución de naloxona que llega a la gente",
    "Spending opioid settlement funds": "Cómo invertir los fondos del acuerdo sobre opioides",
    "Data dashboards partners will use": "Tableros de datos que los socios sí usarán",
    "Reducing stigma in public messaging": "Reducir el estigma en los mensajes públicos",
    "Transportation to treatment in rural counties": "Transporte al tratamiento en los "
    "condados rurales",
    "Recovery housing": "Vivienda para la recuperación",
    "Youth prevention that works": "Prevención juvenil que funciona",
    "Syringe services programs": "Programas de servicios de jeringas",
}
SPANISH_BIOS = {
    "Margaret Holloway": "Asesora a los gobiernos locales sobre el intercambio de información "
    "y la confidencialidad.",
    "Daniel Okafor": "Estudia la colaboración entre sectores.",
    "Renee Castillo": "Acompaña a los equipos comunitarios en el diseño de políticas.",
    "Thomas Whitaker": "Dirige las sesiones de seguimiento del programa con los equipos.",
}
# Every fourth public visitor registered in Spanish.
SPANISH_SPEAKING_EVERY = 4

ROOMS = [("Main Hall", 220), ("Room A", 40), ("Room B", 35), ("Room C", 30), ("Room D", 25),
         ("Dining Room", 220)]  # fmt: skip

BREAKOUT_TOPICS = [
    "Setting short- and long-term goals", "Confidentiality when agencies share information",
    "Mental models for joint problem-solving", "Celebrating small wins",
    "Legal implications of policy proposals", "Post-overdose response teams",
    "Peer support specialists in the emergency department", "Medication for opioid use "
    "disorder in jails", "Naloxone distribution that reaches people", "Spending opioid "
    "settlement funds", "Data dashboards partners will use", "Reducing stigma in public "
    "messaging", "Transportation to treatment in rural counties", "Recovery housing",
    "Youth prevention that works", "Syringe services programs",
]  # fmt: skip

# (name, email, kind, affiliation, title, bio)
SPEAKERS = [
    ("Margaret Holloway", "mholloway@sog.example.org", SpeakerKind.FACULTY,
     "School of Government", "Professor of Public Law", "Advises local governments on "
     "information sharing and confidentiality."),
    ("Daniel Okafor", "dokafor@sog.example.org", SpeakerKind.FACULTY, "School of Government",
     "Associate Professor of Public Administration", "Studies cross-sector collaboration."),
    ("Renee Castillo", "rcastillo@sog.example.org", SpeakerKind.FACULTY,
     "School of Government", "Lecturer in Public Health Law", "Coaches community teams on "
     "policy design."),
    ("Thomas Whitaker", "twhitaker@sog.example.org", SpeakerKind.FACULTY,
     "School of Government", "Director of Community Programs", "Leads the program's coaching "
     "check-ins."),
    ("Lena Brooks", "lbrooks@sog.example.org", SpeakerKind.FACULTY, "School of Government",
     "Assistant Professor of Data Analytics", "Helps teams measure the same things."),
    ("Karen Pershing", "kpershing@coalition.example.org", SpeakerKind.OUTSIDE_EXPERT,
     "Metro Drug Coalition", "Executive Director", "Speaks on collective impact in practice."),
    ("Dr. Samuel Ortiz", "sortiz@hospital.example.org", SpeakerKind.OUTSIDE_EXPERT,
     "Regional Medical Center", "Addiction Medicine Physician", "Runs an emergency department "
     "bridge clinic."),
    ("Angela Freeman", "afreeman@dhhs.example.org", SpeakerKind.OUTSIDE_EXPERT,
     "State Department of Health and Human Services", "Opioid Program Manager",
     "Oversees statewide naloxone distribution."),
    ("Marcus Lee", "mlee@recovery.example.org", SpeakerKind.OUTSIDE_EXPERT,
     "Recovery Alliance", "Peer Recovery Coach", "Brings lived experience to program design."),
    ("Judge Patricia Gaines", "pgaines@courts.example.org", SpeakerKind.OUTSIDE_EXPERT,
     "District Court", "Chief District Court Judge", "Presides over a recovery court."),
]  # fmt: skip
TEAM_PANELISTS = 4  # the project managers of the first four teams also speak on panels


@dataclass
class DemoReport:
    """What the demo loaded, for the command's output."""

    created: dict[str, int] = field(default_factory=dict)
    passwords: list[tuple[str, str, str]] = field(default_factory=list)
    personal_pages: list[tuple[str, str, str]] = field(default_factory=list)  # who, name, url

    def count(self, kind: str) -> None:
        self.created[kind] = self.created.get(kind, 0) + 1

    def summary(self) -> str:
        lines = [f"Demo program '{PROGRAM_NAME}' is loaded."]
        if self.created:
            lines.append(
                "Created: " + ", ".join(f"{n} {kind}" for kind, n in sorted(self.created.items()))
            )
        else:
            lines.append("Everything was already there; nothing changed.")
        lines.append("Staff sign-in (http://127.0.0.1:5000/login):")
        for email, role, password in self.passwords:
            lines.append(f"  {role:<10} {email:<32} password: {password}")
        if self.personal_pages:
            lines.append("Attendees' personal pages (no sign-in: the link is the key):")
            for who, name, url in self.personal_pages:
                lines.append(f"  {who:<16} {name:<22} {url}")
        return "\n".join(lines)


def database_is_empty(session) -> bool:
    """True when no program exists yet."""
    return session.scalar(select(func.count()).select_from(Program)) == 0


def _get_or_create(session, report: DemoReport, model, defaults: dict | None = None, **keys):
    instance = session.scalar(select(model).filter_by(**keys))
    if instance is None:
        instance = model(**keys, **(defaults or {}))
        session.add(instance)
        session.flush()
        report.count(model.__tablename__)
    return instance


def load_demo(session) -> DemoReport:
    """Load (or complete) the demo program; returns what was created and the staff passwords."""
    report = DemoReport()
    for email, name, role, password in STAFF_ACCOUNTS:
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(email=email, name=name, role=role.value)
            user.set_password(password)
            session.add(user)
            report.count("staff_user")
        report.passwords.append((email, role.value, password))

    program = _get_or_create(
        session,
        report,
        Program,
        name=PROGRAM_NAME,
        defaults={
            "time_zone": TIME_ZONE,
            "description": "Ten community teams and the School of Government's faculty meet "
            "at five peer-learning forums across North Carolina to build a joint response "
            "to the opioid crisis.",
        },
    )
    teams = _load_teams(session, report, program)
    speakers = _load_speakers(session, report, teams)
    for spec in FORUMS:
        _load_forum(session, report, program, spec, speakers)
    session.flush()
    _load_activity(session, report, program, teams)
    session.flush()
    report.personal_pages = _example_attendees(session, program)
    return report


def _example_attendees(session, program: Program) -> list[tuple[str, str, str]]:
    """A public attendee, a team member and a project manager of the last forum, with links."""
    from .registration.models import Registration, RegistrationKind
    from .registration.notices import personal_link

    final = max(program.forums, key=lambda forum: forum.number)
    registered = select(Registration.person_id).where(Registration.forum_id == final.id)
    examples = []
    for who, query in (
        ("public attendee", registered.where(Registration.kind == RegistrationKind.PUBLIC)),
        (
            "team member",
            registered.where(Registration.kind != RegistrationKind.PUBLIC).where(
                Registration.person_id.in_(
                    select(TeamMembership.person_id).where(TeamMembership.role == TeamRole.MEMBER)
                )
            ),
        ),
        (
            "project manager",
            select(TeamMembership.person_id).where(TeamMembership.role == TeamRole.PROJECT_MANAGER),
        ),
    ):
        person_id = session.scalar(query.order_by(query.selected_columns[0]).limit(1))
        if person_id is not None:
            person = session.get(Person, person_id)
            examples.append((who, person.name, personal_link(person)))
    return examples


# Who registered and came: deterministic shares of each team's roster.
REGISTERED_SHARE = {1: 0.9, 2: 0.7, 3: 0.5, 5: 0.6}
PUBLIC_REGISTRANTS = 36


def _load_activity(session, report: DemoReport, program: Program, teams: list[Team]) -> None:
    """Registrations, breakout picks and (for the forum already held) check-ins and feedback.

    Written through the registration and check-in services so seat counters and waitlists are
    exactly what the app would have produced; the emails those services queue are dropped,
    since nobody should be mailed by a demo.
    """
    with _signals_muted():
        _register_and_check_in(session, report, program, teams)
        _record_attendance(session, report, program)
        _record_offline_conflict(session, report, program)
        _issue_some_certificates(session, report, program)
        _add_materials(session, report, program)
        # Before the feedback, whose topics are grouped last: barriers are topics too.
        _record_commitments(session, report, program, teams)
        _answer_feedback(session, report, program)
        _mail_speakers_and_attendees(session, report, program)


@contextmanager
def _signals_muted():
    """Silence receivers (calendar invitations, tickets): nobody is mailed by a demo."""
    from blinker import Signal

    from .agenda import signals as agenda_signals
    from .registration import signals as registration_signals

    with ExitStack() as stack:
        for module in (agenda_signals, registration_signals):
            for signal in vars(module).values():
                if isinstance(signal, Signal):
                    stack.enter_context(signal.muted())
        yield


@contextmanager
def _as_before_the_forum(session, forum):
    """Replay registrations as they happened, a month before the forum: a held forum is
    closed to attendees' changes now, but was open then. Yields that moment."""
    status = forum.status
    forum.status = ForumStatus.PUBLISHED
    try:
        yield local_instant(forum.days[0].date - timedelta(days=30), time(9), TIME_ZONE)
    finally:
        forum.status = status


def _register_and_check_in(session, report, program, teams) -> None:
    from .mail.models import OutboxMessage

    last_message = session.scalar(select(func.max(OutboxMessage.id))) or 0
    door = session.scalar(select(User).where(User.role == Role.DOOR.value))
    forums = {f.number: f for f in program.forums}
    for number, share in REGISTERED_SHARE.items():
        forum = forums[number]
        # Asked before the replay reopens the forum: was it held already?
        held = forum.status == ForumStatus.CLOSED
        with _as_before_the_forum(session, forum) as then:
            for team in teams:
                _register_team_share(session, report, forum, team, share, held, door, then)
    _register_public_visitors(session, report, forums[5])
    session.flush()
    _issue_tickets(session)
    session.execute(
        delete(OutboxMessage).where(OutboxMessage.id > last_message),
        execution_options={"synchronize_session": False},
    )


def _is_registered(session, forum, person) -> bool:
    from .registration.models import Registration

    return bool(
        session.scalar(
            select(Registration.id).where(
                Registration.forum_id == forum.id, Registration.person_id == person.id
            )
        )
    )


def _register_team_share(session, report, forum, team, share, held, door, then) -> None:
    """Register the first ``share`` of the team's members (by email) for every day of the
    forum, with breakouts picked in turn; at a forum already held, check most of them in."""
    from .registration.registering import register_by_organizer

    members = sorted(team.memberships, key=lambda m: m.person.email)
    for index, membership in enumerate(members[: round(len(members) * share)]):
        person = membership.person
        if _is_registered(session, forum, person):
            continue
        result = register_by_organizer(session, forum, person, [day.id for day in forum.days])
        report.count("registration")
        # register_by_organizer always makes (or finds) the registration.
        assert result.registration is not None
        for day in forum.days:
            _pick_breakouts(session, result.registration, day, index + team.id, then)
            if held and index % 7 != 6:
                _check_in_on(session, result.registration, day, door, index)


def _pick_breakouts(session, registration, day, turn: int, then) -> None:
    from .registration.breakouts import breakout_slots, choose_breakout

    for slot_index, (_start, items) in enumerate(breakout_slots(session, day.forum, day)):
        choice = items[(turn + slot_index) % len(items)]
        choose_breakout(session, registration, choice, join_waitlist=True, now=then)


def _check_in_on(session, registration, day, door, index: int) -> None:
    from .checkin.scanning import check_in_registration

    outcome = check_in_registration(session, registration, day, door.id if door else None)
    if outcome.check_in is not None:
        # Arrivals spread over the morning of the forum day.
        outcome.check_in.checked_in_at = local_instant(
            day.date, time(8, 10 + (index * 7) % 45), TIME_ZONE
        )


CREDIT_TYPES = [
    # name, accrediting body, provider number, minutes per unit, unit, rounding, exit required
    ("General attendance", "", "", 60, "hours", "exact", False),
    ("Law enforcement in-service", "NC Criminal Justice Education and Training Standards",
     "CJ-2026-0412", 60, "hours", "down_quarter_hour", False),
    ("Nursing contact hours", "NC Nurses Association", "NCNA-P0931", 60, "contact hours",
     "down_quarter_hour", True),
    ("Substance use counselor CE", "NC Addictions Specialist Professional Practice Board",
     "ASPPB-S-118", 60, "hours", "down_half_hour", True),
]  # fmt: skip


def _record_attendance(session, report, program) -> None:
    """Credit types, the credit each session of the held forum carries, certificate settings,
    and how people came and went at the held forum: the entrance ran in exit mode at the end of
    the day, breakout doors scanned people in and out, and one paper-sheet correction."""
    from .attendance.models import CertificateSettings, CreditType, PresenceScan, SessionCredit

    types = []
    for name, body, number, minutes, unit, rounding, exit_needed in CREDIT_TYPES:
        types.append(
            _get_or_create(
                session,
                report,
                CreditType,
                dict(
                    accrediting_body=body,
                    provider_number=number,
                    minutes_per_unit=minutes,
                    unit_name=unit,
                    rounding=rounding,
                    requires_exit=exit_needed,
                ),
                program_id=program.id,
                name=name,
            )
        )
    _get_or_create(
        session,
        report,
        CertificateSettings,
        dict(
            sponsor="School of Government, University of North Carolina at Chapel Hill",
            signer_name="Dr. Renee Whitaker",
            signer_title="Program Director",
        ),
        program_id=program.id,
    )
    for forum in program.forums:
        for day in forum.days:
            for item in day.items:
                if item.kind == ItemKind.BREAK:
                    continue
                carried = types if forum.status == ForumStatus.CLOSED else types[:2]
                for credit_type in carried:
                    _get_or_create(
                        session,
                        report,
                        SessionCredit,
                        item_id=item.id,
                        credit_type_id=credit_type.id,
                    )
    door = session.scalar(select(User).where(User.role == Role.DOOR.value))
    for forum in (f for f in program.forums if f.status == ForumStatus.CLOSED):
        for day in forum.days:
            if not session.scalar(select(PresenceScan.id).where(PresenceScan.day_id == day.id)):
                _scan_held_day(session, report, day, door)


def _scan_held_day(session, report, day, door) -> None:
    from .attendance.models import AttendanceCorrection, Direction, PresenceScan
    from .checkin.breakouts import BreakoutChoice
    from .checkin.models import BreakoutAttendance, CheckIn
    from .registration.models import BreakoutPick, SeatStatus

    check_ins = session.scalars(
        select(CheckIn).where(CheckIn.day_id == day.id).order_by(CheckIn.id)
    ).all()
    for index, check_in in enumerate(check_ins):
        if index % 5 == 4:
            continue  # left without an exit scan
        leaving = local_instant(day.date, time(16, 5 + index % 20), TIME_ZONE)
        if index % 9 == 3:
            leaving = local_instant(day.date, time(12, 40), TIME_ZONE)  # left at lunch
        session.add(
            PresenceScan(
                registration_id=check_in.registration_id,
                day_id=day.id,
                direction=Direction.EXIT.value,
                scanned_at=leaving,
                scanned_by_id=door.id if door else None,
            )
        )
        report.count("presence_scan")
    picks = session.scalars(
        select(BreakoutPick)
        .join(AgendaItem)
        .where(AgendaItem.day_id == day.id, BreakoutPick.status == SeatStatus.CONFIRMED)
        .order_by(BreakoutPick.id)
    ).all()
    checked_in = {check_in.registration_id for check_in in check_ins}
    for index, pick in enumerate(picks):
        if pick.registration_id not in checked_in:
            continue
        for direction, at, minutes in (
            (Direction.ENTRY, pick.item.starts_at, index % 8),
            (Direction.EXIT, pick.item.ends_at, -(index % 4) * 5),
        ):
            session.add(
                PresenceScan(
                    registration_id=pick.registration_id,
                    day_id=day.id,
                    item_id=pick.item_id,
                    direction=direction.value,
                    scanned_at=at + timedelta(minutes=minutes),
                    scanned_by_id=door.id if door else None,
                )
            )
            report.count("presence_scan")
            if direction == Direction.ENTRY:
                # As the session's door records an entry at a breakout: the breakouts page
                # counts these, so its door counts agree with the attendance pages.
                session.add(
                    BreakoutAttendance(
                        registration_id=pick.registration_id,
                        item_id=pick.item_id,
                        scanned_at=at + timedelta(minutes=minutes),
                        scanned_by_id=door.id if door else None,
                        choice=BreakoutChoice.CHOSE_THIS.value,
                    )
                )
    if picks and checked_in:
        pick = next(p for p in picks if p.registration_id in checked_in)
        _get_or_create(
            session,
            report,
            AttendanceCorrection,
            dict(
                present_from=pick.item.starts_at,
                present_until=pick.item.ends_at,
                reason="Signed the paper sheet: the breakout door's scanner was down.",
            ),
            registration_id=pick.registration_id,
            item_id=pick.item_id,
        )


def _issue_some_certificates(session, report, program) -> None:
    """Some attendees of the held forum already downloaded their certificate."""
    from contextlib import suppress

    from .attendance.certificates import CertificateWithheld, issue_certificate
    from .attendance.models import Certificate
    from .checkin.models import CheckIn
    from .registration.models import Registration

    if session.scalar(select(Certificate.id)):
        return
    for forum in (f for f in program.forums if f.status == ForumStatus.CLOSED):
        attended = session.scalars(
            select(Registration)
            .where(
                Registration.forum_id == forum.id,
                Registration.id.in_(select(CheckIn.registration_id)),
            )
            .order_by(Registration.id)
            .limit(12)
        )
        for registration in attended:
            with suppress(CertificateWithheld):
                issue_certificate(session, registration)
                report.count("certificate")


def _record_offline_conflict(session, report, program) -> None:
    """At the held forum, two phones at the door lost the Wi-Fi and let one person in twice."""
    from .checkin.models import CheckIn, CheckInConflict, ConflictKind

    if session.scalar(select(CheckInConflict.id)):
        return
    held = next((f for f in program.forums if f.status == ForumStatus.CLOSED), None)
    check_in = (
        session.scalar(
            select(CheckIn).join(ForumDay).where(ForumDay.forum_id == held.id).order_by(CheckIn.id)
        )
        if held
        else None
    )
    if check_in is None:
        return
    name = check_in.registration.person.name
    session.add(
        CheckInConflict(
            day_id=check_in.day_id,
            registration_id=check_in.registration_id,
            kind=ConflictKind.ALREADY_IN.value,
            message=f"{name} was already checked in.",
            scanned_at=check_in.checked_in_at + timedelta(minutes=3),
            scanned_by_id=check_in.checked_in_by_id,
            check_in_id=check_in.id,
            request_id="demo-offline-phone-2-0001",
        )
    )
    report.count("check_in_conflict")


DEMO_MATERIALS = [
    # (which session: None for the forum, else a title prefix), title, visibility
    (None, "Forum 1 participant packet", "public"),
    ("Welcome", "Opening slides", "public"),
    ("Welcome", "Model county opioid settlement resolution", "public"),
    ("Welcome", "Team worksheet: our community's next steps", "teams"),
]


def _add_materials(session, report, program) -> None:
    """Small generated PDFs on the held forum's sessions (a real upload each), and a link."""
    from flask import current_app

    from .materials.models import Material, Visibility
    from .materials.services import MaterialInput, Uploader, add_file, add_link
    from .materials.storage import material_storage

    held = next((f for f in program.forums if f.status == ForumStatus.CLOSED), None)
    if held is None or session.scalar(select(Material.id).where(Material.forum_id == held.id)):
        return
    items = [item for day in held.days for item in day.items]
    for prefix, title, visibility in DEMO_MATERIALS:
        item = next((i for i in items if prefix and i.title.startswith(prefix)), None)
        if prefix and item is None:
            continue
        add_file(
            session,
            material_storage(),
            held,
            item,
            MaterialInput(title, visibility=Visibility(visibility)),
            f"{title}.pdf",
            _demo_pdf(title, held.title),
            current_app.config["MATERIALS_MAX_BYTES"],
            Uploader(),
        )
        report.count("material")
    add_link(
        session,
        held,
        None,
        MaterialInput("NC opioid settlement strategies (morepowerfulnc.org)"),
        "https://www.morepowerfulnc.org/",
        Uploader(),
    )
    report.count("material")


def _mail_speakers_and_attendees(session, report, program) -> None:
    """The held forum's packet went when its feedback closed; the next forum's speakers were
    sent their links, and one of them sent a new bio for staff to review. The emails are
    dropped (nobody is mailed by a demo); what they leave behind stays."""
    from .agenda.speaker_profiles import propose_profile
    from .mail.models import OutboxMessage
    from .materials.models import MaterialsPlan, PacketTiming
    from .materials.packet import packet_due_at, queue_due_packets
    from .materials.speaker_mail import forum_speakers, send_speaker_links

    held = next((f for f in program.forums if f.status == ForumStatus.CLOSED), None)
    upcoming = next((f for f in program.forums if f.status == ForumStatus.PUBLISHED), None)
    if held is None or session.scalar(
        select(MaterialsPlan.id).where(MaterialsPlan.forum_id == held.id)
    ):
        return
    last_message = session.scalar(select(func.max(OutboxMessage.id))) or 0
    session.add(MaterialsPlan(forum_id=held.id, packet_timing=PacketTiming.FEEDBACK_CLOSES.value))
    session.flush()
    report.count("materials_plan")
    due = packet_due_at(session, held)
    if due is not None:
        while queue_due_packets(session, now=due):
            report.count("packet_delivery")
    if upcoming is not None:
        send_speaker_links(session, upcoming, None)
        report.count("speaker_mailing")
        speakers = forum_speakers(session, upcoming)
        if speakers:
            speaker = speakers[0].speaker
            propose_profile(
                session,
                speaker,
                speaker.bio + " Now also chairs the state reentry council.",
                speaker.bio_es,
                None,
                review=True,
            )
            report.count("speaker_profile_proposal")
    session.execute(
        delete(OutboxMessage).where(OutboxMessage.id > last_message),
        execution_options={"synchronize_session": False},
    )


def _demo_pdf(title: str, forum_title: str) -> bytes:
    import io

    from reportlab.lib.pagesizes import LETTER
    from reportlab.pdfgen.canvas import Canvas

    out = io.BytesIO()
    canvas = Canvas(out, pagesize=LETTER)
    canvas.setFont("Helvetica-Bold", 18)
    canvas.drawString(72, 700, title)
    canvas.setFont("Helvetica", 12)
    canvas.drawString(72, 676, forum_title)
    canvas.drawString(72, 652, "A demo document of the forumapp demo program.")
    canvas.save()
    return out.getvalue()


def _register_public_visitors(session, report, final) -> None:
    from .language_access.services import LanguageChoices, record_request
    from .registration.people import find_or_create_person
    from .registration.registering import register_by_organizer

    public_day = next(day for day in final.days if day.audience == Audience.PUBLIC)
    for n in range(PUBLIC_REGISTRANTS):
        first = FIRST_NAMES[(n * 5) % len(FIRST_NAMES)]
        last = LAST_NAMES[(n * 3 + 1) % len(LAST_NAMES)]
        person = find_or_create_person(
            session,
            f"{first} {last}",
            f"{first}.{last}.{n}@public.example.org",
            "Town of Apex" if n % 2 else "Wake County Human Services",
        )
        if n % SPANISH_SPEAKING_EVERY == 0:
            person.language = "es"
        if not _is_registered(session, final, person):
            result = register_by_organizer(session, final, person, [public_day.id])
            report.count("registration")
            # Half of the Spanish speakers ask for an interpreter, one also for materials.
            asks = person.language == "es" and n % (2 * SPANISH_SPEAKING_EVERY) == 0
            if asks and result.registration is not None:
                choices = LanguageChoices(spanish_interpreter=True, spanish_materials=n == 0)
                record_request(session, result.registration, choices)
                report.count("language_request")


def _issue_tickets(session) -> None:
    # The app issues a ticket with every confirmed seat; with its receivers muted, do it here.
    from .checkin.tickets import current_ticket, has_confirmed_seat
    from .registration.models import Registration

    for held in session.scalars(select(Registration).options(selectinload(Registration.seats))):
        if has_confirmed_seat(held):
            current_ticket(session, held)


# Feedback on the forum already held, as attendees write it: varied wording on shared themes,
# so the topic groups show what several teams raised.
MOST_USEFUL = [
    "Hearing how Buncombe County runs its peer navigator program",
    "Mapping our county's assets together with the health department",
    "Time with the other teams' project managers",
    "The panel on jail-based treatment",
    "Concrete examples of data sharing agreements",
]
SHOULD_CHANGE = [
    "More time for team planning, fewer presentations",
    "Send the slides before the forum",
    "The breakout rooms were too small",
    "Start a little later so people can drive in from the west",
]
SESSION_COMMENTS = [
    "Practical and specific; we will use the asset map template.",
    "Too much material for the time we had.",
    "Great speakers, I wish there had been more time for questions.",
    "Would like a follow-up on this at the next forum.",
]
TOPIC_THEMES = [
    ["Naloxone distribution in county jails", "Naloxone access for people leaving jail",
     "Getting naloxone into the jail at release"],
    ["Sharing data between health and law enforcement", "Data sharing agreements with police",
     "How to share data safely across agencies"],
    ["Funding peer support specialists", "Sustainable funding for peer support",
     "Paying peer support workers with settlement funds"],
    ["Transportation to treatment in rural areas", "Rides to treatment for rural residents"],
    ["Stigma among first responders", "Reducing stigma in EMS and police"],
]  # fmt: skip


def _answer_feedback(session, report: DemoReport, program: Program) -> None:
    """Two in three attendees of the forum already held answer its feedback form, two days
    after it, and name a topic for the next forum; the topics are grouped."""
    from .checkin.models import CheckIn
    from .feedback import answering
    from .feedback.attendance import sessions_attended
    from .feedback.models import FeedbackWindow
    from .feedback.topic_groups import regroup
    from .registration.models import Registration

    held = [forum for forum in program.forums if forum.status == ForumStatus.CLOSED]
    for forum in held:
        if session.scalar(select(FeedbackWindow.id).where(FeedbackWindow.forum_id == forum.id)):
            continue
        opened = local_instant(forum.days[-1].date, time(17), TIME_ZONE)
        session.add(
            FeedbackWindow(
                forum_id=forum.id, opened_at=opened, closes_at=opened + timedelta(days=14)
            )
        )
        session.flush()
        report.count("feedback_window")
        attendees = session.scalars(
            select(Registration)
            .where(
                Registration.forum_id == forum.id,
                Registration.id.in_(select(CheckIn.registration_id)),
            )
            .order_by(Registration.id)
        ).all()
        for index, registration_ in enumerate(attendees):
            if index % 3 == 2:
                continue  # not everyone answers
            sessions = {
                item.id: answering.SessionAnswer(
                    rating=3 + (index + number) % 3,
                    comment=SESSION_COMMENTS[(index + number) % len(SESSION_COMMENTS)]
                    if (index + number) % 4 == 0
                    else "",
                )
                for number, item in enumerate(sessions_attended(session, registration_))
            }
            theme = TOPIC_THEMES[index % len(TOPIC_THEMES)]
            answers = answering.FeedbackInput(
                overall_rating=3 + index % 3,
                sessions=sessions,
                most_useful=MOST_USEFUL[index % len(MOST_USEFUL)] if index % 2 == 0 else "",
                should_change=SHOULD_CHANGE[index % len(SHOULD_CHANGE)] if index % 3 == 0 else "",
                topics=[theme[(index // len(TOPIC_THEMES)) % len(theme)]],
                anonymous=index % 5 == 4,
            )
            answering.save_response(
                session, registration_, answers, now=opened + timedelta(days=2, minutes=index)
            )
            report.count("feedback_response")
        regroup(session, forum)


# What teams committed to after the forum already held, with where each stands now: status,
# progress, and a barrier (three teams meet the same one, so faculty see it flagged).
COMMITMENTS = [
    (
        "Convene the jail health working group every month",
        "done",
        "Meeting monthly since November",
        "",
    ),
    ("Place naloxone boxes in every county library branch", "in_progress", "6 of 9 branches", ""),
    (
        "Share overdose data with the hospital weekly",
        "in_progress",
        "",
        "No data-sharing agreement with the hospital yet",
    ),
    (
        "Start a peer support program at the detention center",
        "partly",
        "Two peers trained",
        "Hiring freeze on new positions",
    ),
    ("Open a second syringe service site", "dropped", "", "Commissioners did not approve the site"),
    ("Map treatment providers that accept Medicaid", "planned", "", ""),
    ("Train all patrol deputies on naloxone", "done", "All 48 deputies trained", ""),
    (
        "Set up a post-overdose response team",
        "in_progress",
        "",
        "No data sharing agreement with the hospital",
    ),
]


def _record_commitments(session, report: DemoReport, program: Program, teams: list[Team]) -> None:
    """Each team's commitments after the forum already held: two or three each, owned by
    roster members, with a realistic spread of statuses, notes and a shared barrier."""
    from .commitments.models import Commitment
    from .commitments.recording import (
        Author,
        CommitmentInput,
        ProgressInput,
        add_commitment,
        update_progress,
    )

    held = [forum for forum in program.forums if forum.status == ForumStatus.CLOSED]
    if not held or session.scalar(select(Commitment.id).limit(1)) is not None:
        return
    forum = held[-1]
    made = local_instant(forum.days[-1].date, time(16), TIME_ZONE)
    for team_index, team in enumerate(teams):
        manager = team.project_managers[0]
        roster = [m.person for m in team.memberships]
        for number in range(2 + team_index % 2):
            text, status, progress, barrier = COMMITMENTS[
                (team_index * 3 + number) % len(COMMITMENTS)
            ]
            owner = roster[(number + 1) % len(roster)]
            commitment = add_commitment(
                session,
                team,
                CommitmentInput(forum.id, text, owner_id=owner.id),
                Author(person=manager),
                now=made,
            )
            if status != "planned":
                update_progress(
                    session,
                    commitment,
                    ProgressInput(status, progress, barrier),
                    Author(person=owner),
                    now=made + timedelta(days=20 + number),
                )
            report.count("commitment")


def _load_teams(session, report: DemoReport, program: Program) -> list[Team]:
    teams = []
    name_index = 0
    for team_index, county in enumerate(COUNTIES):
        team = _get_or_create(
            session,
            report,
            Team,
            program_id=program.id,
            name=f"{county} County",
            defaults={"community": f"{county} County, North Carolina"},
        )
        teams.append(team)
        member_count = 8 + (team_index * 3) % 5  # 8 to 12 members
        domain = f"{county.lower()}county.example.org"
        for member_index in range(member_count):
            first = FIRST_NAMES[name_index % len(FIRST_NAMES)]
            last = LAST_NAMES[(name_index * 7) % len(LAST_NAMES)]
            name_index += 1
            organization, job_title, sector = JOB_TITLES[member_index % len(JOB_TITLES)]
            person = _get_or_create(
                session,
                report,
                Person,
                email=f"{first}.{last}@{domain}".lower(),
                defaults={
                    "name": f"{first} {last}",
                    "organization": f"{county} County {organization}",
                    "job_title": "Community Project Manager" if member_index == 0 else job_title,
                },
            )
            _get_or_create(
                session,
                report,
                TeamMembership,
                team_id=team.id,
                person_id=person.id,
                defaults={
                    "role": (TeamRole.PROJECT_MANAGER if member_index == 0 else TeamRole.MEMBER),
                    "sector": sector,
                },
            )
    return teams


def _load_speakers(session, report: DemoReport, teams: list[Team]) -> list[Speaker]:
    speakers = []
    for name, email, kind, affiliation, title, bio in SPEAKERS:
        person = _get_or_create(
            session,
            report,
            Person,
            email=email,
            defaults={"name": name, "organization": affiliation, "job_title": title},
        )
        speakers.append(
            _get_or_create(
                session,
                report,
                Speaker,
                person_id=person.id,
                defaults={
                    "kind": kind,
                    "affiliation": affiliation,
                    "title": title,
                    "bio": bio,
                    "bio_es": SPANISH_BIOS.get(name, ""),
                    "status": SpeakerStatus.CONFIRMED,
                    "is_public": True,
                },
            )
        )
    for team in teams[:TEAM_PANELISTS]:
        manager = team.project_managers[0]
        speakers.append(
            _get_or_create(
                session,
                report,
                Speaker,
                person_id=manager.id,
                defaults={
                    "kind": SpeakerKind.TEAM_PANELIST,
                    "affiliation": team.name,
                    "title": "Community Project Manager",
                    "bio": f"Convenes the {team.name} team.",
                    "status": SpeakerStatus.CONFIRMED,
                    "is_public": True,
                },
            )
        )
    return speakers


def _day_plan(forum_number: int, audience: str) -> list[tuple]:
    """(start, end, kind, title, room, breakout-count) rows for one day."""
    plan = [
        (time(8, 30), time(9, 0), ItemKind.BREAK, "Check-in and breakfast", "Dining Room", 0),
        (time(9, 0), time(10, 15), ItemKind.GENERAL_SESSION, "Welcome and general session",
         "Main Hall", 0),
        (time(10, 30), time(11, 45), ItemKind.BREAKOUT, None, None, 4),
        (time(11, 45), time(12, 45), ItemKind.BREAK, "Lunch", "Dining Room", 0),
        (time(12, 45), time(14, 0), ItemKind.BREAKOUT, None, None, 3),
    ]  # fmt: skip
    if audience == Audience.PUBLIC:
        plan.append(
            (
                time(14, 15),
                time(15, 30),
                ItemKind.PANEL,
                "Panel: what the teams learned",
                "Main Hall",
                0,
            )
        )
    else:
        plan.append(
            (
                time(14, 15),
                time(15, 15),
                ItemKind.DISCUSSION,
                "Collaborative discussion across teams",
                "Main Hall",
                0,
            )
        )
        if forum_number % 2 == 1:
            plan.append((time(15, 15), time(16, 15), ItemKind.BREAKOUT, None, None, 3))
    return plan


def _load_forum(session, report, program, spec, speakers) -> None:
    number, title, theme, venue, address, city, first_date, status, audiences = spec
    forum = _get_or_create(
        session,
        report,
        Forum,
        program_id=program.id,
        number=number,
        defaults={
            "title": title,
            "theme": theme,
            "venue_name": venue,
            "venue_address": address,
            "venue_city": city,
            "parking_info": f"Free parking at {venue}; follow the signs for event parking. "
            "Accessible spaces are by the main entrance.",
            "accessibility_contact": "Jordan Reyes, access coordinator: 919-555-0142, "
            "access@forums.example.org",
            "status": status,
            **(SPANISH_FORUM_5 if number == 5 else {}),
        },
    )
    rooms = {
        name: _get_or_create(
            session, report, Room, forum_id=forum.id, name=name, defaults={"capacity": capacity}
        )
        for name, capacity in ROOMS
    }
    topic_index = (number - 1) * 3
    speaker_index = number
    for day_offset, audience in enumerate(audiences):
        day_date = first_date + timedelta(days=day_offset)
        day = _get_or_create(
            session,
            report,
            ForumDay,
            forum_id=forum.id,
            date=day_date,
            defaults={
                "audience": audience,
                "capacity": 250 if audience == Audience.PUBLIC else 150,
                # Registration for the whole program opened on one day in 2026.
                "registration_opens_at": local_instant(
                    min(REGISTRATION_OPENS, day_date - timedelta(weeks=8)), time(9, 0), TIME_ZONE
                ),
                "registration_closes_at": local_instant(
                    day_date - timedelta(days=3), time(17, 0), TIME_ZONE
                ),
                **(
                    dict(zip(("notes", "notes_es"), PUBLIC_DAY_NOTES, strict=True))
                    if audience == Audience.PUBLIC
                    else {}
                ),
            },
        )
        spanish = audience == Audience.PUBLIC
        for start, end, kind, item_title, room_name, breakouts in _day_plan(number, audience):
            starts_at = local_instant(day_date, start, TIME_ZONE)
            ends_at = local_instant(day_date, end, TIME_ZONE)
            if kind == ItemKind.BREAKOUT:
                for slot_room in list(rooms)[1 : 1 + breakouts]:
                    topic = BREAKOUT_TOPICS[topic_index % len(BREAKOUT_TOPICS)]
                    topic_index += 1
                    item = _get_or_create(
                        session,
                        report,
                        AgendaItem,
                        day_id=day.id,
                        starts_at=starts_at,
                        room_id=rooms[slot_room].id,
                        defaults={
                            "kind": kind,
                            "title": topic,
                            "ends_at": ends_at,
                            "description": f"A facilitated breakout on {topic.lower()}.",
                            "capacity": min(rooms[slot_room].capacity, 30),
                            "title_es": SPANISH_TITLES.get(topic, "") if spanish else "",
                            "description_es": "Una sesión simultánea con facilitación: "
                            f"{SPANISH_TITLES.get(topic, topic).lower()}."
                            if spanish
                            else "",
                        },
                    )
                    speaker = speakers[speaker_index % len(speakers)]
                    speaker_index += 1
                    _get_or_create(
                        session,
                        report,
                        AgendaItemSpeaker,
                        item_id=item.id,
                        speaker_id=speaker.id,
                        defaults={"role": SpeakerRole.FACILITATOR},
                    )
            else:
                item = _get_or_create(
                    session,
                    report,
                    AgendaItem,
                    day_id=day.id,
                    starts_at=starts_at,
                    room_id=rooms[room_name].id,
                    defaults={
                        "kind": kind,
                        "title": item_title,
                        "ends_at": ends_at,
                        "title_es": SPANISH_TITLES.get(item_title, "") if spanish else "",
                    },
                )
                if kind == ItemKind.GENERAL_SESSION:
                    _get_or_create(
                        session,
                        report,
                        AgendaItemSpeaker,
                        item_id=item.id,
                        speaker_id=speakers[number % 5].id,
                        defaults={"role": SpeakerRole.SPEAKER},
                    )
                elif kind == ItemKind.PANEL:
                    _get_or_create(
                        session,
                        report,
                        AgendaItemSpeaker,
                        item_id=item.id,
                        speaker_id=speakers[5].id,
                        defaults={"role": SpeakerRole.MODERATOR},
                    )
                    for panelist in speakers[len(SPEAKERS) :]:
                        _get_or_create(
                            session,
                            report,
                            AgendaItemSpeaker,
                            item_id=item.id,
                            speaker_id=panelist.id,
                            defaults={"role": SpeakerRole.PANELIST},
                        )
