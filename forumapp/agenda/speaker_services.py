"""Speaker records: create, edit, search, export, photos, availability and per-forum status.

Functions take the database session and plain values (never the request), so the HTML views,
the JSON API and the CLI share them. They ``flush()``; the caller commits once. Bad input
raises ``SpeakerError`` naming the form field at fault.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import tempfile
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageOps
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import selectinload

from ..core import audit
from ..core.actions import DomainError
from ..core.clock import local_instant, to_local
from ..core.emails import InvalidEmail, normalise_email
from ..core.links import revoke_personal_links
from ..core.models import Forum, ForumDay, Person
from ..core.names import name_problem
from ..core.search import contains_text
from ..core.spreadsheet import csv_text
from ..mail.outbox import queue_templated_email
from .models import (
    AgendaItem,
    AgendaItemSpeaker,
    Speaker,
    SpeakerAvailability,
    SpeakerForumStatus,
    SpeakerKind,
    SpeakerStatus,
)


class SpeakerError(DomainError):
    """A speaker edit that cannot be made; ``field`` names the form field at fault, if any."""


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
    is_public: bool = True
    status: str = SpeakerStatus.INVITED.value
    staff_notes: str = ""


def _checked(session, data: SpeakerInput, speaker: Speaker | None) -> tuple[str, str]:
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
    speaker.is_public = data.is_public
    speaker.status = data.status
    speaker.staff_notes = data.staff_notes.strip()


def create_speaker(session, data: SpeakerInput) -> Speaker:
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
    session, speaker: Speaker, data: SpeakerInput, changed_by: int | None = None
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
        queue_templated_email(
            session,
            "email_changed",
            to_email=old_email,
            to_name=person.name,
            kind="email_changed",
            subject="Your email address was changed",
            new_email=email,
        )
    return speaker


def set_forum_statuses(session, speaker: Speaker, statuses: dict[int, str | None]) -> None:
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


def delete_speaker(session, speaker: Speaker) -> str | None:
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


def find_speakers(session, filters: SpeakerFilter = SpeakerFilter()) -> list[Speaker]:
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


# --- Photos --------------------------------------------------------------------------------

PHOTO_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
PHOTO_BOX = (600, 600)
# A small file can still unpack into a huge bitmap (a decompression bomb); refuse those before
# decoding. 40 megapixels is more than any phone or camera writes by default.
MAX_PHOTO_PIXELS = 40_000_000
_PHOTO_NAME = re.compile(r"^[0-9a-f]{32}\.jpg$")


def photo_jpeg(upload: BinaryIO) -> bytes:
    """The uploaded image, upright, fitted within 600×600, without metadata, as JPEG bytes.

    Raises ``SpeakerError`` (field ``photo``) when the file is not a JPEG, PNG, WebP or GIF
    image or is too large to unpack safely.
    """
    not_an_image = SpeakerError(
        "That file is not a photo we can use. Upload a JPEG, PNG, WebP or GIF image.", "photo"
    )
    too_many_pixels = SpeakerError(
        "That image has too many pixels to process. Use a photo under 40 megapixels.", "photo"
    )
    with warnings.catch_warnings():
        # Pillow only warns between its own limit and twice that; make the warning an error.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            upload.seek(0)
            with Image.open(upload, formats=PHOTO_FORMATS) as probe:
                # The size comes from the header, before anything is unpacked.
                if probe.width * probe.height > MAX_PHOTO_PIXELS:
                    raise too_many_pixels
                probe.verify()
            upload.seek(0)  # verify() leaves the image unusable, so open it again
            with Image.open(upload, formats=PHOTO_FORMATS) as image:
                image.draft("RGB", (PHOTO_BOX[0] * 2, PHOTO_BOX[1] * 2))  # JPEG: decode small
                image.load()
                picture = _flattened(ImageOps.exif_transpose(image))
        except SpeakerError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_many_pixels from None
        except (OSError, SyntaxError, ValueError, EOFError):
            # Unknown formats, truncated and corrupt files all land here.
            raise not_an_image from None
    picture.thumbnail(PHOTO_BOX, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # A new RGB image saved without exif or icc_profile carries no metadata (GPS, camera…).
    picture.save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue()


def _flattened(image: Image.Image) -> Image.Image:
    """An RGB copy, transparent areas on white."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def save_photo(session, speaker: Speaker, jpeg: bytes, photo_dir: Path) -> str | None:
    """Store ``jpeg`` under a new random name and give it to the speaker.

    Returns the previous photo's file name so the caller can discard it after committing.
    """
    photo_dir = Path(photo_dir)
    photo_dir.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.jpg"
    # Written to a temporary file first so a half-written photo is never served.
    handle, temporary = tempfile.mkstemp(dir=photo_dir, suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(jpeg)
        os.replace(temporary, photo_dir / name)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    previous = speaker.photo_filename
    speaker.photo_filename = name
    session.flush()
    return previous


def remove_photo(session, speaker: Speaker) -> str | None:
    """Take the speaker's photo away; returns its file name to discard after committing."""
    previous = speaker.photo_filename
    speaker.photo_filename = None
    session.flush()
    return previous


def discard_photo_file(photo_dir: Path, name: str | None) -> None:
    """Delete a stored photo file; names that were never generated here are left alone."""
    if name and _PHOTO_NAME.match(name):
        (Path(photo_dir) / name).unlink(missing_ok=True)


# --- Availability --------------------------------------------------------------------------


def add_availability(
    session, speaker: Speaker, day: ForumDay, start: time, end: time
) -> SpeakerAvailability:
    """A range on ``day`` when the speaker can be scheduled; times are local wall-clock times."""
    if end <= start:
        raise SpeakerError("The end time must be after the start time.", "end")
    zone = day.forum.program.time_zone
    starts_at = local_instant(day.date, start, zone)
    ends_at = local_instant(day.date, end, zone)
    for other in speaker.availability:
        if other.day_id == day.id and other.starts_at < ends_at and starts_at < other.ends_at:
            clock = "%I:%M %p"
            raise SpeakerError(
                "This overlaps the range "
                f"{to_local(other.starts_at, zone).strftime(clock).lstrip('0')}–"
                f"{to_local(other.ends_at, zone).strftime(clock).lstrip('0')} already entered "
                "for that day. Remove that range first or choose other times.",
                "start",
            )
    availability = SpeakerAvailability(
        speaker=speaker, day=day, starts_at=starts_at, ends_at=ends_at
    )
    session.add(availability)
    session.flush()
    return availability


def remove_availability(session, speaker: Speaker, availability_id: int) -> bool:
    """Remove one of the speaker's ranges; ``False`` if the speaker has no such range."""
    row = next((a for a in speaker.availability if a.id == availability_id), None)
    if row is None:
        return False
    speaker.availability.remove(row)
    session.delete(row)
    session.flush()
    return True


def all_forums(session) -> list[Forum]:
    """Every forum with its days and program, in program and number order (staff lists)."""
    return list(
        session.scalars(
            select(Forum)
            .options(selectinload(Forum.days), selectinload(Forum.program))
            .order_by(Forum.program_id, Forum.number)
        )
    )
