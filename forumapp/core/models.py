"""The program's backbone: program, forums and their days, rooms, teams, people and staff."""

from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import date, datetime, time
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

from flask import current_app
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    Select,
    String,
    Text,
    Time,
    UniqueConstraint,
    bindparam,
    select,
    update,
)
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship, validates
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import DbSession, Model
from .clock import UTCDateTime, utcnow, zone
from .emails import normalise_email


def values_check(column: str, enum_cls: type[enum.Enum]) -> str:
    """SQL for a CHECK constraint that keeps ``column`` within an enum's values."""
    values = ", ".join(f"'{member.value}'" for member in enum_cls)
    return f"{column} IN ({values})"


def hash_password(password: str) -> str:
    """The stored form of ``password``, by the app's ``PASSWORD_HASH_METHOD``."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


class ForumStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"


class Audience(enum.StrEnum):
    PUBLIC = "public"
    TEAM = "team"


class TeamRole(enum.StrEnum):
    PROJECT_MANAGER = "project_manager"
    MEMBER = "member"


class Sector(enum.StrEnum):
    """The part of the community a roster entry speaks for: teams aim to bring every sector."""

    COUNTY_GOVERNMENT = "county_government"
    PUBLIC_HEALTH = "public_health"
    LAW_ENFORCEMENT = "law_enforcement"
    EMS = "ems"
    TREATMENT = "treatment"
    COURTS = "courts"
    SCHOOLS = "schools"
    FAITH = "faith"
    LIVED_EXPERIENCE = "lived_experience"
    OTHER = "other"

    @property
    def label(self) -> str:
        """The sector's name in the language being rendered (staff pages: English)."""
        return str(self.lazy_label)

    @property
    def lazy_label(self) -> LazyString:
        """The name, translated when shown: for a form's choices, made before any request."""
        return _SECTOR_LABELS[self.value]


_SECTOR_LABELS = {
    "county_government": _l("County government"),
    "public_health": _l("Public health"),
    "law_enforcement": _l("Law enforcement"),
    "ems": _l("EMS"),
    "treatment": _l("Treatment"),
    "courts": _l("Courts"),
    "schools": _l("Schools"),
    "faith": _l("Faith community"),
    "lived_experience": _l("Lived experience"),
    "other": _l("Other"),
}


class Role(enum.StrEnum):
    ADMIN = "admin"
    ORGANIZER = "organizer"
    FACULTY = "faculty"
    DOOR = "door"


class Program(Model):
    """A series of forums run by the backbone organization, e.g. a two-year project."""

    __tablename__ = "program"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    time_zone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    forums: Mapped[list[Forum]] = relationship(
        back_populates="program", order_by="Forum.number", cascade="all, delete-orphan"
    )
    teams: Mapped[list[Team]] = relationship(
        back_populates="program", order_by="Team.name", cascade="all, delete-orphan"
    )

    @validates("time_zone")
    def _check_time_zone(self, _key: str, value: str) -> str:
        zone(value)
        return value


class Forum(Model):
    """One forum of the program, held at one venue over one or more days."""

    __tablename__ = "forum"
    __table_args__ = (
        UniqueConstraint("program_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint(values_check("status", ForumStatus), name="status_known"),
        CheckConstraint(
            "team_breakout_cap IS NULL OR team_breakout_cap > 0", name="team_cap_positive"
        ),
        CheckConstraint(
            "interpreter_booking_days >= 0", name="interpreter_booking_days_not_negative"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    theme: Mapped[str] = mapped_column(Text, default="")
    # Organizer-written text may have a Spanish version beside the English (``<field>_es``,
    # empty: none); ``core.i18n.local_text`` picks the one a page or an email shows.
    title_es: Mapped[str] = mapped_column(String(200), default="")
    theme_es: Mapped[str] = mapped_column(Text, default="")
    venue_name: Mapped[str] = mapped_column(String(200))
    venue_address: Mapped[str] = mapped_column(String(300))
    venue_city: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default=ForumStatus.DRAFT.value)
    # Team members may change their breakout picks until this instant.
    choice_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # At most this many members of one team in the same breakout (None: no limit).
    team_breakout_cap: Mapped[int | None] = mapped_column(Integer)
    # What someone needs to walk in, shown with the venue and in the reminders: where to
    # park, and whom to ask about access (a name with a phone or an email).
    parking_info: Mapped[str] = mapped_column(Text, default="")
    accessibility_contact: Mapped[str] = mapped_column(String(300), default="")
    parking_info_es: Mapped[str] = mapped_column(Text, default="")
    # Shown above the registration form's consent box and in the confirmation; empty: the
    # program's standard wording (from the catalog, in the page's language).
    privacy_note: Mapped[str] = mapped_column(Text, default="")
    privacy_note_es: Mapped[str] = mapped_column(Text, default="")
    # Added to the registration confirmation (page and email), e.g. what to bring.
    confirmation_text: Mapped[str] = mapped_column(Text, default="")
    confirmation_text_es: Mapped[str] = mapped_column(Text, default="")
    # Interpreters must be booked this many days before each day (language_access).
    interpreter_booking_days: Mapped[int] = mapped_column(Integer, default=10, server_default="10")

    program: Mapped[Program] = relationship(back_populates="forums")
    days: Mapped[list[ForumDay]] = relationship(
        back_populates="forum", order_by="ForumDay.date", cascade="all, delete-orphan"
    )
    rooms: Mapped[list[Room]] = relationship(
        back_populates="forum", order_by="Room.name", cascade="all, delete-orphan"
    )

    @property
    def ref(self) -> str:
        """``forum:<id>``: how mail (``OutboxMessage.about``) refers to this forum."""
        return f"forum:{self.id}"

    @classmethod
    def with_days_and_program(cls, session: DbSession, forum_id: int) -> Forum | None:
        """The forum with its days and program loaded in its one query, or None: what a
        registration reads (the days for its dates, the program's time zone for the windows)."""
        return session.execute(cls._with_days_statement(), {"forum_id": forum_id}).unique().scalar()

    @classmethod
    @cache
    def _with_days_statement(cls) -> Select[tuple[Forum]]:
        # Built once: every registration runs it, and ``session.get`` with loader options
        # builds the statement and its cache key again on each call, costing more than the
        # query (0.2 against 0.12 ms, SQLite, in process).
        return (
            select(cls)
            .options(joinedload(cls.days), joinedload(cls.program))
            .where(cls.id == bindparam("forum_id"))
        )

    @property
    def is_published(self) -> bool:
        return self.status != ForumStatus.DRAFT

    @property
    def venue(self) -> str:
        """The venue in one line: name, street address, town."""
        return ", ".join(
            part for part in (self.venue_name, self.venue_address, self.venue_city) if part
        )

    @property
    def map_url(self) -> str:
        """A map search for the venue (OpenStreetMap: no tracking, no API key)."""
        return f"https://www.openstreetmap.org/search?query={quote_plus(self.venue)}"

    @property
    def first_date(self) -> date | None:
        return self.days[0].date if self.days else None

    @property
    def last_date(self) -> date | None:
        return self.days[-1].date if self.days else None


# Reminders before a forum day: how many days before it each goes, written "7,2" (empty:
# none), each at ``REMINDER_LOCAL_TIME`` in the program's time zone on that date, so "7 days
# before" is 9:00 local a week before whatever the daylight-saving changes (see
# ``messages.reminders``).
DEFAULT_REMINDER_DAYS = "7,2"
REMINDER_LOCAL_TIME = time(9, 0)
MOST_DAYS_BEFORE = 60
MOST_REMINDERS = 5


def parse_reminder_days(text: str) -> tuple[int, ...]:
    """The reminder offsets written in ``text`` ("7, 2"; spaces, commas or semicolons
    between), latest first and without repeats; ``ValueError`` with a sentence to show
    for anything else. Empty text: no reminders."""
    parts = [part for part in text.replace(";", ",").replace(" ", ",").split(",") if part]
    if not all(part.isascii() and part.isdigit() for part in parts):
        raise ValueError("Write whole numbers of days, separated by commas, e.g. 7, 2.")
    offsets = sorted({int(part) for part in parts}, reverse=True)
    if any(not 1 <= offset <= MOST_DAYS_BEFORE for offset in offsets):
        raise ValueError(f"Each reminder goes 1 to {MOST_DAYS_BEFORE} days before the day.")
    if len(offsets) > MOST_REMINDERS:
        raise ValueError(f"Send at most {MOST_REMINDERS} reminders.")
    return tuple(offsets)


def format_reminder_days(offsets: tuple[int, ...]) -> str:
    """How offsets are stored and shown: "7,2"."""
    return ",".join(str(offset) for offset in offsets)


class ForumDay(Model):
    """A local date of a forum, open to the public or to the community teams only."""

    __tablename__ = "forum_day"
    __table_args__ = (
        UniqueConstraint("forum_id", "date"),
        CheckConstraint(values_check("audience", Audience), name="audience_known"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        # The backstop behind the conditional UPDATE that takes a seat: never more
        # confirmed seats than capacity, except those an organizer deliberately overrode.
        CheckConstraint(
            "capacity IS NULL OR seats_taken <= capacity + seats_overridden",
            name="seats_within_capacity",
        ),
        CheckConstraint(
            "seats_taken >= 0 AND seats_overridden >= 0", name="seat_counts_not_negative"
        ),
        CheckConstraint(
            "registration_opens_at IS NULL OR registration_closes_at IS NULL "
            "OR registration_closes_at > registration_opens_at",
            name="registration_closes_after_opening",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forum.id", ondelete="CASCADE"))
    date: Mapped[date] = mapped_column(Date)
    audience: Mapped[str] = mapped_column(String(10))
    starts_at: Mapped[time] = mapped_column(Time, default=time(8, 30))
    ends_at: Mapped[time] = mapped_column(Time, default=time(16, 30))
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    capacity: Mapped[int | None] = mapped_column(Integer)
    seats_taken: Mapped[int] = mapped_column(Integer, default=0)
    seats_overridden: Mapped[int] = mapped_column(Integer, default=0)
    # Days before this day that reminders go ("7,2"; empty: none): see ``reminder_offsets``.
    reminder_days: Mapped[str] = mapped_column(String(40), default=DEFAULT_REMINDER_DAYS)
    # A note for the day on the public agenda, e.g. "Doors open at 8:00; lunch provided".
    notes: Mapped[str] = mapped_column(Text, default="")
    notes_es: Mapped[str] = mapped_column(Text, default="")

    forum: Mapped[Forum] = relationship(back_populates="days")

    if TYPE_CHECKING:
        # The day's agenda items in time order: the backref ``AgendaItem.day`` declares.
        # Core cannot name the agenda (features depend one way), so the type checker sees
        # the list's items untyped.
        items: Mapped[list[Any]]

    @property
    def is_public(self) -> bool:
        return self.audience == Audience.PUBLIC

    @property
    def reminder_offsets(self) -> tuple[int, ...]:
        """How many days before this day each reminder goes, latest first: (7, 2)."""
        return parse_reminder_days(self.reminder_days or "")


class Room(Model):
    """A room at a forum's venue."""

    __tablename__ = "room"
    __table_args__ = (
        UniqueConstraint("forum_id", "name"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forum.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    capacity: Mapped[int] = mapped_column(Integer)

    forum: Mapped[Forum] = relationship(back_populates="rooms")


class Person(Model):
    """Anyone the program knows: team member, registrant, speaker (often several at once)."""

    __tablename__ = "person"
    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lower_case"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    organization: Mapped[str] = mapped_column(String(200), default="")
    job_title: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Part of the signed personal link; a new nonce revokes every link sent before.
    link_nonce: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(8))
    # The language of everything sent to this person (mail, calendar files, reminders) and
    # of their personal pages: "en" or "es" (``core.i18n.LANGUAGES``).
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")

    memberships: Mapped[list[TeamMembership]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )

    @validates("email")
    def _normalise_email(self, _key: str, value: str) -> str:
        return normalise_email(value)


class Team(Model):
    """A participating community team, e.g. a county, led by its project manager."""

    __tablename__ = "team"
    __table_args__ = (UniqueConstraint("program_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    community: Mapped[str] = mapped_column(String(200), default="")
    # The project manager's choice: may every member record the team's commitments too?
    members_may_commit: Mapped[bool] = mapped_column(Boolean, default=False)

    program: Mapped[Program] = relationship(back_populates="teams")
    memberships: Mapped[list[TeamMembership]] = relationship(
        back_populates="team", cascade="all, delete-orphan"
    )

    @property
    def project_managers(self) -> list[Person]:
        return [m.person for m in self.memberships if m.role == TeamRole.PROJECT_MANAGER]


class TeamMembership(Model):
    """A person on a team's roster."""

    __tablename__ = "team_membership"
    __table_args__ = (
        UniqueConstraint("team_id", "person_id"),
        CheckConstraint(values_check("role", TeamRole), name="role_known"),
        CheckConstraint(values_check("sector", Sector), name="sector_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20), default=TeamRole.MEMBER.value)
    sector: Mapped[str | None] = mapped_column(String(20))  # a ``Sector``; None: not known
    # The name a project manager typed when adding someone the program already knew: the
    # manager sees this, never the name stored for that email by someone else.
    name_as_added: Mapped[str | None] = mapped_column(String(200))

    team: Mapped[Team] = relationship(back_populates="memberships")
    person: Mapped[Person] = relationship(back_populates="memberships")

    @property
    def roster_name(self) -> str:
        """The name a project manager's roster shows."""
        return self.name_as_added or self.person.name


def new_session_token() -> str:
    return secrets.token_hex(16)


class User(UserMixin, Model):
    """A staff account. Attendees never have one: they use signed personal links.

    Every session (and "keep me signed in" cookie) carries the account's ``session_token``;
    sign-out, a new password and deactivation replace it, which ends every session of the
    account on every device, including cookies copied before.
    """

    __tablename__ = "staff_user"
    __table_args__ = (
        CheckConstraint(values_check("role", Role), name="role_known"),
        CheckConstraint("email = lower(email)", name="email_lower_case"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    session_token: Mapped[str] = mapped_column(String(32), default=new_session_token)

    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @validates("email")
    def _normalise_email(self, _key: str, value: str) -> str:
        return normalise_email(value)

    @validates("active")
    def _deactivation_ends_sessions(self, _key: str, value: bool) -> bool:
        if not value:
            self.end_sessions()
        return value

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    def get_id(self) -> str:
        """What Flask-Login keeps in the session: the id and the current session token."""
        return f"{self.id}:{self.session_token}"

    def end_sessions(self) -> None:
        """Sign the account out everywhere: sessions made before no longer load it."""
        self.session_token = new_session_token()

    def set_password(self, password: str) -> None:
        """Set a new password; every session signed in with the old one ends."""
        self.password_hash = hash_password(password)
        self.end_sessions()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def has_role(self, *roles: str) -> bool:
        """True for the given roles; admins hold every role."""
        return self.role == Role.ADMIN or self.role in roles


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(Model):
    """A bearer token for the JSON API, stored only as a hash; revocable."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="tokens")

    @classmethod
    def issue(cls, user: User) -> tuple[ApiToken, str]:
        """A new token for ``user``; the plain token is returned once and never stored."""
        plain = "fa_" + secrets.token_urlsafe(32)
        token = cls(user=user, token_hash=hash_token(plain), prefix=plain[:10])
        return token, plain

    @classmethod
    def find_active(
        cls, session: DbSession, plain: str
    ) -> tuple[User, int, datetime | None] | None:
        """The user of the unrevoked token ``plain`` with the token's id and last use, or None.

        Whether the user is active is the caller's to check."""
        return (
            session.execute(cls._find_active_statement(), {"token_hash": hash_token(plain)})
            .tuples()
            .first()
        )

    @classmethod
    @cache
    def _find_active_statement(cls) -> Select[tuple[User, int, datetime | None]]:
        # Built once: every API call runs it, and building a statement (and its cache key)
        # costs more CPU than running it. Only the user is loaded as an object.
        return (
            select(User, cls.id, cls.last_used_at)
            .join(cls, cls.user_id == User.id)
            .where(cls.token_hash == bindparam("token_hash"), cls.revoked_at.is_(None))
        )

    @classmethod
    def record_use(cls, session: DbSession, token_id: int, when: datetime) -> None:
        """Note that the token was used at ``when`` (the caller commits)."""
        session.execute(update(cls).where(cls.id == token_id).values(last_used_at=when))
