"""The audit log: who did which sensitive staff action, when, to what.

The service that carries out an action records its entry with ``record``, in the same
transaction as the action itself, so an action that rolls back leaves no entry, an entry never
describes something that did not happen, and a page, the API and the command line are audited
alike. Entries hold ids and plain values, never names or email addresses: erasing a person
must not leave their details behind in the log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import JSON, ForeignKey, Index, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from ..extensions import DbSession, Model
from .clock import UTCDateTime, utcnow
from .models import Forum, ForumDay, Person, Program, Team, User
from .pagination import Page, paginate

# Every action the log knows, with the words the admin page shows for it.
ACTIONS = {
    "registration.override": "Registered beyond capacity (override)",
    "registration.move_pick": "Moved a breakout pick",
    "registration.cancel_day": "Cancelled someone's day",
    "checkin.walk_in_override": "Let a walk-in in beyond capacity (override)",
    "checkin.undo": "Undid a check-in",
    "export.registrations_csv": "Downloaded registrations (CSV)",
    "export.registrations_api": "Downloaded registrations (API)",
    "export.breakouts_csv": "Downloaded breakout lists (CSV)",
    "export.speakers_csv": "Downloaded speakers (CSV)",
    "export.feedback_csv": "Downloaded feedback answers (CSV)",
    "export.badges_pdf": "Printed name badges (PDF)",
    "roster.import": "Imported team rosters",
    "invitations.team": "Sent team invitations",
    "invitations.feedback": "Sent feedback invitations",
    "invitations.feedback_reminder": "Sent feedback reminders",
    "person.export": "Downloaded everything held about a person",
    "person.erase": "Erased a person",
    "person.change_email": "Changed a person's email address",
    "staff.create": "Created a staff account",
    "staff.password_change": "Changed a staff account's password",
    "staff.deactivate": "Deactivated a staff account",
    "staff.token_create": "Created an API token",
    "staff.token_revoke": "Revoked API tokens",
    "message.sent": "Sent a message to a group",
    "message.scheduled": "Scheduled a message to a group",
    "message.cancelled": "Cancelled a scheduled message",
    "language_request.update": "Changed a language request (interpreters, translations)",
    "attendance.correct": "Corrected someone's attendance in a session",
    "attendance.correction_removed": "Removed an attendance correction",
    "export.attendance_csv": "Downloaded attendance (CSV)",
    "export.attendance_xlsx": "Downloaded attendance (XLSX)",
    "export.attendance_api": "Downloaded attendance (API)",
    "export.sign_in_sheet_pdf": "Printed a sign-in sheet (PDF)",
    "certificate.revoke": "Revoked a certificate",
    "certificate.settings": "Changed the certificate settings",
    "credit_type.save": "Added or changed a credit type",
    "credit.sessions": "Changed which sessions carry credit",
    "export.certificates_pdf": "Downloaded all certificates of a forum (PDF)",
    "export.certificates_zip": "Downloaded all certificates of a forum (zip)",
    "material.upload": "Uploaded a session or forum material",
    "material.link": "Added a link as a material",
    "material.reorder": "Reordered materials",
    "material.delete": "Removed a material",
    "speaker.profile_propose": "A speaker sent a bio or photo change for review",
    "speaker.profile_publish": "Published a speaker's own bio or photo change",
    "speaker.profile_decline": "Declined a speaker's own bio or photo change",
    "speaker.send_links": "Emailed speakers their personal links",
    "materials.plan": "Changed the slides reminder or the packet of a forum",
}

# How entries name actions taken on the command line, where nobody is signed in (``via``).
COMMAND_LINE = "command line"


class AuditEntry(Model):
    """One staff action worth being able to account for later.

    ``action`` is a dotted name such as ``registration.override`` or ``checkin.undo``;
    ``subject`` says what it was about (``"registration:12"``); ``details`` holds plain values.
    """

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(60), index=True)
    subject: Mapped[str] = mapped_column(String(120), default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    user: Mapped[User | None] = relationship()

    @property
    def label(self) -> str:
        return ACTIONS.get(self.action, self.action)


def record(
    session: DbSession, user_id: int | None, action: str, subject: str = "", **details
) -> AuditEntry:
    """Add an entry to the audit log in the caller's transaction.

    ``user_id`` is the signed-in staff user (``None`` for the command line); ``action`` one of
    ``ACTIONS``; ``details`` plain JSON values (ids and counts, never names or emails).
    """
    if action not in ACTIONS:
        raise ValueError(f"Unknown audit action {action!r}; add it to ACTIONS first.")
    entry = AuditEntry(user_id=user_id, action=action, subject=subject, details=details)
    session.add(entry)
    session.flush()
    return entry


def record_download(
    session: DbSession, user_id: int | None, action: str, subject: str = "", **details
) -> AuditEntry:
    """Record a download (an action that only reads) in a transaction of its own, and commit.

    A GET request's transaction on SQLite only reads (``BEGIN``, see ``core.database``); making
    it write after another request wrote meanwhile fails instead of waiting. Ending the reading
    transaction first lets the entry's own one wait for the write lock like any other.
    """
    session.commit()
    entry = record(session, user_id, action, subject, **details)
    session.commit()
    return entry


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to list; ``since`` and ``until`` are instants (``until`` excluded)."""

    action: str | None = None
    user_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def find_entries(
    session: DbSession, wanted: AuditFilter, page: int = 1, per_page: int = 50
) -> Page[AuditEntry]:
    """One page of the entries matching ``wanted``, newest first."""
    conditions = []
    if wanted.action:
        conditions.append(AuditEntry.action == wanted.action)
    if wanted.user_id is not None:
        conditions.append(AuditEntry.user_id == wanted.user_id)
    if wanted.since is not None:
        conditions.append(AuditEntry.at >= wanted.since)
    if wanted.until is not None:
        conditions.append(AuditEntry.at < wanted.until)
    query = (
        select(AuditEntry)
        .where(*conditions)
        .options(selectinload(AuditEntry.user))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )
    return paginate(session, query, page, per_page)


# --- Naming what an entry is about -----------------------------------------------------------

# kind of subject ("forum") -> function(session, ids) -> {id: words}; see register_subject_kind
_SUBJECT_KINDS: dict[str, Callable[[DbSession, list[int]], dict[int, str]]] = {}


def register_subject_kind(kind: str, describe: Callable[[DbSession, list[int]], dict[int, str]]):
    """Let the log name subjects ``"<kind>:<id>"`` in words: ``describe(session, ids)`` returns
    ``{id: words}`` for the ids that still exist. Features register their own kinds, as the
    log stores only ids (a person erased since is named as the erasure left them)."""
    _SUBJECT_KINDS[kind] = describe


# Details that hold the id of something the log can name, and the kind of that thing.
_DETAIL_KINDS = {
    "day_id": "day",
    "item_id": "item",
    "from_item_id": "item",
    "to_item_id": "item",
    "team_id": "team",
    "registration_id": "registration",
}


def _detail_subjects(entry: AuditEntry) -> Iterable[str]:
    for key, kind in _DETAIL_KINDS.items():
        value = (entry.details or {}).get(key)
        if isinstance(value, int):
            yield f"{kind}:{value}"


def entry_labels(session: DbSession, entries: Iterable[AuditEntry]) -> dict[str, str]:
    """Words for the subjects of ``entries`` and the things their details name by id."""
    subjects = set()
    for entry in entries:
        subjects.add(entry.subject)
        subjects.update(_detail_subjects(entry))
    return subject_labels(session, subjects)


def readable_details(entry: AuditEntry, labels: dict[str, str]) -> list[tuple[str, str]]:
    """The entry's details as (what, value) in words: "day" and "Forum 5, March 15" rather
    than "day id" and 7; an id the log cannot name any more stays a number."""
    shown = []
    for key, value in sorted((entry.details or {}).items()):
        if key == "via":
            continue
        kind = _DETAIL_KINDS.get(key)
        if kind is not None:
            words = key.removesuffix("_id").replace("_", " ")
            label = labels.get(f"{kind}:{value}") if value is not None else "none"
            shown.append((words, label or str(value)))
        elif isinstance(value, list | tuple):
            shown.append((key.replace("_", " "), ", ".join(str(part) for part in value)))
        else:
            shown.append((key.replace("_", " "), str(value)))
    return shown


def subject_labels(session: DbSession, subjects: Iterable[str]) -> dict[str, str]:
    """Words for each subject that can still be named, by subject, a query per kind."""
    wanted: dict[str, set[int]] = {}
    for subject in subjects:
        kind, _, raw_id = subject.partition(":")
        if raw_id.isdigit() and kind in _SUBJECT_KINDS:
            wanted.setdefault(kind, set()).add(int(raw_id))
    labels = {}
    for kind, ids in wanted.items():
        for found_id, words in _SUBJECT_KINDS[kind](session, sorted(ids)).items():
            labels[f"{kind}:{found_id}"] = words
    return labels


# The models whose rows the log names by one of their columns.
_Named = TypeVar("_Named", Forum, Program, Person, User, Team, ForumDay)


def _named(
    model: type[_Named], words: Callable[[_Named], str]
) -> Callable[[DbSession, list[int]], dict[int, str]]:
    def describe(session: DbSession, ids: list[int]) -> dict[int, str]:
        return {
            row.id: words(row) for row in session.scalars(select(model).where(model.id.in_(ids)))
        }

    return describe


register_subject_kind("forum", _named(Forum, lambda forum: forum.title))
register_subject_kind("program", _named(Program, lambda program: program.name))
register_subject_kind("person", _named(Person, lambda person: f"{person.name} ({person.email})"))
register_subject_kind("staff_user", _named(User, lambda user: user.email))
register_subject_kind("team", _named(Team, lambda team: team.name))
register_subject_kind(
    "day", _named(ForumDay, lambda day: f"{day.forum.title}, {day.date:%B} {day.date.day}")
)
