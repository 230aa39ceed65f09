"""Speaker records: create, edit, search, export, availability and per-forum status.

Functions take the database session and plain values (never the request), so the HTML views,
the JSON API and the CLI share them. They ``flush()``; the caller commits once. Bad input
raises ``SpeakerError`` naming the form field at fault.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import BinaryIO

from flask_babel import gettext as _
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import selectinload

from ..core import audit
from ..core.clock import local_instant
from ..core.emails import InvalidEmail, normalise_email
from ..core.i18n import format_local_time, in_language
from ..core.links import revoke_personal_links
from ..core.models import Forum, ForumDay, Person
from ..core.names import name_problem
from ..core.search import contains_text
from ..core.spreadsheet import csv_text
from ..extensions import DbSession
from ..mail.outbox import queue_templated_email
from .errors import SpeakerError
from .models import (
    AgendaItem,
    AgendaItemSpeaker,
    Speaker,
    SpeakerAvailability,
    SpeakerForumStatus,
    SpeakerKind,
    SpeakerStatus,
)
from .speaker_photos import photo_jpeg, remove_photo, save_photo

# --- Creating and editing ------------------------------------------------------------------


@dataclass
class SpeakerInput:
    """What an organizer enters for a speaker; name, email and phone live on the Person."""

    name: str
    email: str
    kind: str
    phone: str = ""
    title: str = ""
    affiliation: str = ""
    bio: str = ""
    bio_es: str = ""
    is_public: bool = True
    status: str = SpeakerStatus.INVITED.value
    staff_notes: str = ""


def _checked(session: DbSession, data: SpeakerInput, speaker: Speaker | None) -> tuple[str, str]:
    """The trimmed name and normalised email, or ``SpeakerError``."""
    name = data.name.strip()
    if problem := name_problem(name, missing="Enter the speaker's name."):
        raise SpeakerError(problem, "name")
    try:
        SpeakerKind(data.kind)
    except ValueError:
        raise SpeakerError("Choose what kind of speaker this is.", "kind") from None
    try:
        SpeakerStatus(data.status)
    except ValueError:
        raise SpeakerError("Choose invited, confirmed or declined.", "status") from None
    try:
        email = normalise_email(data.email)
    except InvalidEmail:
        raise SpeakerError("Enter an email address like name@example.org.", "email") from None
    owner = session.scalar(select(Person).where(Person.email == email))
    if owner is not None and (speaker is None or owner.id != speaker.person_id):
        # A new speaker may be an already known person (a team member), unless that person
        # is a speaker already; an edit may not take over somebody else's address.
        has_record = session.scalar(select(Speaker.id).where(Speaker.person_id == owner.id))
        if has_record is not None:
            raise SpeakerError(
                f"{owner.name} already has a speaker record with that email.", "email"
            )
        if speaker is not None:
            raise SpeakerError(f"That email already belongs to {owner.name}.", "email")
    return name, email


def _apply(speaker: Speaker, data: SpeakerInput) -> None:
    speaker.kind = data.kind
    speaker.title = data.title.strip()
    speaker.affiliation = data.affiliation.strip()
    speaker.bio = data.bio.strip()
    speaker.bio_es = data.bio_es.strip()
    speaker.is_public = data.is_public
    speaker.status = data.status
    speaker.staff_notes = data.staff_notes.strip()


def create_speaker(session: DbSession, data: SpeakerInput) -> Speaker:
    """A new speaker record.

    When a person with this email is already known (a team member who will sit on a panel,
    say), the record is attached to that person and their name and phone are updated.
    """
    name, email = _checked(session, data, None)
    person = session.scalar(select(Person).where(Person.email == email))
    if person is None:
        person = Person(email=email, name=name)
        session.add(person)
    person.name = name
    person.phone = data.phone.strip() or None
    speaker = Speaker(person=person)
    _apply(speaker, data)
    session.add(speaker)
    session.flush()
    return speaker


def update_speaker(
    session: DbSession, speaker: Speaker, data: SpeakerInput, changed_by: int | None = None
) -> Speaker:
    """Save an edit of the speaker and of their person's name, email and phone.

    A new email is a staff member redirecting the person's mail, so it is audited (by
    ``changed_by``, a staff user id), every personal link sent before stops working (the new
    address must not inherit a page that holds someone's registrations), and the old address
    is told, so a person whose address was taken over learns of it.
    """
    name, email = _checked(session, data, speaker)
    person = speaker.person
    old_email = person.email
    person.name = name
    person.email = email
    person.phone = data.phone.strip() or None
    _apply(speaker, data)
    session.flush()
    if email != old_email:
        revoke_personal_links(session, person)
        audit.record(session, changed_by, "person.change_email", f"person:{person.id}")
        # To the old address, in the person's language (as all their mail).
        with in_language(person.language):
            queue_templated_email(
                session,
                "agenda/email/email_changed",
                to_email=old_email,
                to_name=person.name,
                kind="email_changed",
                subject=_("Your email address was changed"),
                new_email=email,
            )
    return speaker


def set_forum_statuses(
    session: DbSession, speaker: Speaker, statuses: dict[int, str | None]
) -> None:
    """Set the speaker's invited/confirmed/declined status per forum id; ``None`` clears it."""
    for forum_id, status in statuses.items():
        if status:
            try:
                SpeakerStatus(status)
            except ValueError:
                raise SpeakerError(
                    "Choose invited, confirmed or declined.", f"forum_status_{forum_id}"
                ) from None
        row = next((r for r in speaker.forum_statuses if r.forum_id == forum_id), None)
        if not status:
            if row is not None:
                speaker.forum_statuses.remove(row)
        elif row is None:
            if session.get(Forum, forum_id) is None:
                raise SpeakerError("That forum does not exist.", f"forum_status_{forum_id}")
            speaker.forum_statuses.append(SpeakerForumStatus(forum_id=forum_id, status=status))
        else:
            row.status = status
    session.flush()


def create_speaker_record(
    session: DbSession,
    data: SpeakerInput,
    forum_statuses: dict[int, str | None],
    photo: BinaryIO | None,
    photo_dir: Path,
) -> Speaker:
    """A new speaker (``create_speaker``) with their status per forum and, when an upload is
    given, their photo. The photo is checked before anything is saved, so a bad file changes
    nothing."""
    jpeg = photo_jpeg(photo) if photo is not None else None
    speaker = create_speaker(session, data)
    set_forum_statuses(session, speaker, forum_statuses)
    if jpeg is not None:
        save_photo(session, speaker, jpeg, photo_dir)
    return speaker


def update_speaker_record(
    session: DbSession,
    speaker: Speaker,
    data: SpeakerInput,
    forum_statuses: dict[int, str | None],
    *,
    photo: BinaryIO | None,
    remove_current_photo: bool,
    photo_dir: Path,
    changed_by: int | None,
) -> str | None:
    """Save an edit of the speaker (``update_speaker``), their status per forum and their
    photo: a new upload replaces it, else ``remove_current_photo`` takes it away. Returns the photo
    file to discard once the transaction has committed."""
    jpeg = photo_jpeg(photo) if photo is not None else None
    update_speaker(session, speaker, data, changed_by)
    set_forum_statuses(session, speaker, forum_statuses)
    if jpeg is not None:
        return save_photo(session, speaker, jpeg, photo_dir)
    if remove_current_photo:
        return remove_photo(session, speaker)
    return None


def delete_speaker(session: DbSession, speaker: Speaker) -> str | None:
    """Remove the speaker record (the person stays); returns the photo file to discard.

    A speaker who still leads sessions is refused, so no agenda loses a speaker silently.
    """
    count = len(speaker.item_links)
    if count:
        sessions = "session" if count == 1 else "sessions"
        raise SpeakerError(
            f"{speaker.name} is on {count} {sessions}. "
            f"Remove them from the agenda first, then delete the speaker record."
        )
    photo = speaker.photo_filename
    session.delete(speaker)
    session.flush()
    return photo


# --- Search, filters and export ------------------------------------------------------------


@dataclass(frozen=True)
class SpeakerFilter:
    """Search text (name, affiliation or email) and optional kind, status and forum.

    With a forum, ``status`` means the status for that forum and the forum alone keeps
    speakers with a status for it or a session at it; without one, ``status`` is the
    speaker's overall status.
    """

    text: str = ""
    kind: str | None = None
    status: str | None = None
    forum_id: int | None = None


def find_speakers(session: DbSession, filters: SpeakerFilter = SpeakerFilter()) -> list[Speaker]:
    """Speakers matching ``filters``, by name, with person and forum statuses loaded."""
    query = (
        select(Speaker)
        .join(Speaker.person)
        .options(selectinload(Speaker.person), selectinload(Speaker.forum_statuses))
        .order_by(Person.name, Speaker.id)
    )
    text = filters.text.strip()
    if text:
        query = query.where(
            or_(
                contains_text(Person.name, text),
                contains_text(Speaker.affiliation, text),
                contains_text(Person.email, text),
            )
        )
    if filters.kind:
        query = query.where(Speaker.kind == filters.kind)
    if filters.forum_id is not None:
        status_row = exists().where(
            SpeakerForumStatus.speaker_id == Speaker.id,
            SpeakerForumStatus.forum_id == filters.forum_id,
        )
        if filters.status:
            query = query.where(status_row.where(SpeakerForumStatus.status == filters.status))
        else:
            leads_session = exists().where(
                AgendaItemSpeaker.speaker_id == Speaker.id,
                AgendaItemSpeaker.item_id == AgendaItem.id,
                AgendaItem.day_id == ForumDay.id,
                ForumDay.forum_id == filters.forum_id,
            )
            query = query.where(or_(status_row, leads_session))
    elif filters.status:
        query = query.where(Speaker.status == filters.status)
    return list(session.scalars(query))


CSV_HEADER = [
    "Name",
    "Email",
    "Phone",
    "Kind",
    "Title",
    "Affiliation",
    "Public",
    "Status",
    "Status by forum",
    "Staff notes",
    "Bio",
]


def speakers_csv(speakers: Iterable[Speaker], forums: list[Forum]) -> str:
    """The speakers as CSV for organizers, staff-only fields included."""
    rows = []
    for speaker in speakers:
        by_forum = "; ".join(
            f"Forum {forum.number}: {speaker.status_for(forum.id)}"
            for forum in forums
            if speaker.status_for(forum.id)
        )
        row = [
            speaker.name,
            speaker.person.email,
            speaker.person.phone or "",
            speaker.kind_label,
            speaker.title,
            speaker.affiliation,
            "yes" if speaker.is_public else "no",
            speaker.status,
            by_forum,
            speaker.staff_notes,
            speaker.bio,
        ]
        rows.append(row)
    return csv_text(CSV_HEADER, rows)


def download_speakers_csv(
    session: DbSession, filters: SpeakerFilter, forums: list[Forum], user_id: int | None
) -> str:
    """The speakers matching ``filters`` as CSV (``speakers_csv``), with a byte-order mark so
    Excel reads accented names correctly; recorded in the audit log as ``user_id``'s download.

    Commits the audit entry in a transaction of its own (``audit.record_download``)."""
    speakers = find_speakers(session, filters)
    body = "\ufeff" + speakers_csv(speakers, forums)
    audit.record_download(session, user_id, "export.speakers_csv", speakers=len(speakers))
    return body


# --- Availability --------------------------------------------------------------------------


def add_availability(
    session: DbSession, speaker: Speaker, day: ForumDay, start: time, end: time
) -> SpeakerAvailability:
    """A range on ``day`` when the speaker can be scheduled; times are local wall-clock times.

    Speakers add ranges on their own page too, so the messages follow the page's language."""
    if end <= start:
        raise SpeakerError(_("The end time must be after the start time."), "end")
    zone = day.forum.program.time_zone
    starts_at = local_instant(day.date, start, zone)
    ends_at = local_instant(day.date, end, zone)
    for other in speaker.availability:
        if other.day_id == day.id and other.starts_at < ends_at and starts_at < other.ends_at:
            raise SpeakerError(
                _(
                    "This overlaps the range %(start)s–%(end)s already entered for that day. "
                    "Remove that range first or choose other times.",
                    start=format_local_time(other.starts_at, zone),
                    end=format_local_time(other.ends_at, zone),
                ),
                "start",
            )
    availability = SpeakerAvailability(
        speaker=speaker, day=day, starts_at=starts_at, ends_at=ends_at
    )
    session.add(availability)
    session.flush()
    return availability


def remove_availability(session: DbSession, speaker: Speaker, availability_id: int) -> bool:
    """Remove one of the speaker's ranges; ``False`` if the speaker has no such range."""
    row = next((a for a in speaker.availability if a.id == availability_id), None)
    if row is None:
        return False
    speaker.availability.remove(row)
    session.delete(row)
    session.flush()
    return True
