"""Everything the program holds about a person (``export_person``) and erasure (``erase_person``).

Erasure removes or anonymises the person's details but keeps the rows that figures are made
of: their registration, seats, breakout picks, check-ins and feedback stay, so attendance and
response counts do not change, and their feedback stays as anonymous feedback of their team.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time

from icalendar.parser import foldline
from sqlalchemy import or_, select, update
from sqlalchemy.orm import selectinload

from ..agenda.models import Speaker
from ..attendance.certificates import keep_or_drop_for_erasure
from ..attendance.models import AttendanceCorrection, Certificate, PresenceScan
from ..calendar.models import CalendarFeed, CalendarInvite
from ..checkin.models import BreakoutAttendance, CheckIn, CheckInConflict, Ticket
from ..commitments.models import Commitment, CommitmentUpdate
from ..core import audit
from ..core.clock import utcnow
from ..core.erasure import ERASED_NAME, erased_email, is_erased_address
from ..core.links import hide_personal_links
from ..core.models import Person, User
from ..core.search import contains_text
from ..extensions import DbSession
from ..feedback.models import FeedbackResponse, TopicSuggestion
from ..language_access.models import LanguageRequest
from ..mail.models import OutboxMessage
from ..mail.outbox import RenderedMessage, preview_of
from ..registration.models import Registration

EXPORT_FORMAT = "forumapp-person-export/1"


def is_erased(person: Person) -> bool:
    """Whether ``person``'s details were erased (``erase_person``)."""
    return is_erased_address(person.email)


def find_people(session: DbSession, query: str, limit: int = 50) -> list[Person]:
    """People whose name or email contains ``query`` (case-insensitive), by name."""
    words = query.strip().lower()
    if not words:
        return []
    return list(
        session.scalars(
            select(Person)
            .where(or_(contains_text(Person.name, words), contains_text(Person.email, words)))
            .order_by(Person.name, Person.id)
            .limit(limit)
        )
    )


def staff_account_of(session: DbSession, person: Person) -> User | None:
    """A staff account with the person's email: it is not part of the person's record."""
    return session.scalar(select(User).where(User.email == person.email))


# --- Export ------------------------------------------------------------------------------------


def _plain(value):
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def _row(instance, *names: str) -> dict:
    return {name: _plain(getattr(instance, name)) for name in names}


def _messages_to(session: DbSession, person: Person) -> list[OutboxMessage]:
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(
                or_(OutboxMessage.person_id == person.id, OutboxMessage.to_email == person.email)
            )
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
        )
    )


def _message_content_export(session: DbSession, message: OutboxMessage) -> dict:
    # A message rendered when it is sent is exported as it would read now.
    content = preview_of(session, message) or RenderedMessage("")
    return {
        # The export may be passed on; links in it would still open the person's page.
        "text_body": hide_personal_links(content.text_body),
        "attachments": [a.get("filename") for a in content.attachments],
    }


def export_person(session: DbSession, person: Person) -> dict:
    """Everything held about ``person``, as plain JSON-ready values.

    Secrets that would let the reader act as the person (the personal-link nonce, the calendar
    feed's token) are left out; ticket codes are included, as the person holds them anyway.
    """
    registrations = session.scalars(
        select(Registration)
        .where(Registration.person_id == person.id)
        .options(selectinload(Registration.seats), selectinload(Registration.picks))
        .order_by(Registration.created_at, Registration.id)
    ).all()
    speaker = session.scalar(select(Speaker).where(Speaker.person_id == person.id))
    feed = session.scalar(select(CalendarFeed).where(CalendarFeed.person_id == person.id))
    invites = session.scalars(
        select(CalendarInvite)
        .where(CalendarInvite.person_id == person.id)
        .order_by(CalendarInvite.id)
    ).all()
    suggestions = session.scalars(
        select(TopicSuggestion)
        .where(TopicSuggestion.person_id == person.id, TopicSuggestion.response_id.is_(None))
        .order_by(TopicSuggestion.created_at, TopicSuggestion.id)
    ).all()
    staff = staff_account_of(session, person)
    return {
        "format": EXPORT_FORMAT,
        "exported_at": utcnow().isoformat(),
        "person": _row(
            person,
            "id",
            "name",
            "email",
            "organization",
            "job_title",
            "phone",
            "language",
            "created_at",
        ),
        "team_memberships": [
            {
                "team": membership.team.name,
                "community": membership.team.community,
                "program": membership.team.program.name,
                "role": membership.role,
            }
            for membership in person.memberships
        ],
        "registrations": [_registration_export(session, r) for r in registrations],
        "topic_suggestions": [
            _row(s, "id", "text", "source", "created_at")
            | {
                "forum": s.forum_id,
                "team": s.team.name if s.team else None,
                "group": s.group.label if s.group else None,
            }
            for s in suggestions
        ],
        "commitments": _commitments_export(session, person),
        "certificates": [
            _row(c, "code", "issue", "issued_at", "revoked_at", "revoked_reason", "retain_until")
            | {"content": c.content}
            for c in session.scalars(
                select(Certificate)
                .where(Certificate.person_id == person.id)
                .order_by(Certificate.issued_at, Certificate.id)
            )
        ],
        "speaker": _speaker_export(speaker) if speaker else None,
        "messages": [
            _row(m, "id", "kind", "to_email", "to_name", "subject", "status", "created_at")
            | _row(m, "sent_at")
            | _message_content_export(session, m)
            for m in _messages_to(session, person)
        ],
        "calendar": {
            "invitations": [
                _row(i, "event_key", "uid", "sequence", "status", "last_sent_at") for i in invites
            ],
            "feed": {"created_at": _plain(feed.created_at)} if feed else None,
        },
        "staff_account": (
            _row(staff, "email", "name", "role", "active", "created_at", "last_login_at")
            if staff
            else None
        ),
    }


def download_person_export(session: DbSession, person: Person, user_id: int | None) -> dict:
    """``export_person``, recorded in the audit log as ``user_id``'s download.

    Commits the audit entry in a transaction of its own (``audit.record_download``)."""
    held = export_person(session, person)
    audit.record_download(session, user_id, "person.export", f"person:{person.id}")
    return held


def _registration_export(session: DbSession, registration: Registration) -> dict:
    forum = registration.forum
    check_ins = session.scalars(
        select(CheckIn).where(CheckIn.registration_id == registration.id).order_by(CheckIn.id)
    ).all()
    attendance = session.scalars(
        select(BreakoutAttendance)
        .where(BreakoutAttendance.registration_id == registration.id)
        .order_by(BreakoutAttendance.id)
    ).all()
    tickets = session.scalars(
        select(Ticket).where(Ticket.registration_id == registration.id).order_by(Ticket.id)
    ).all()
    response = session.scalar(
        select(FeedbackResponse).where(FeedbackResponse.registration_id == registration.id)
    )
    scans = session.scalars(
        select(PresenceScan)
        .where(PresenceScan.registration_id == registration.id)
        .order_by(PresenceScan.scanned_at, PresenceScan.id)
    ).all()
    corrections = session.scalars(
        select(AttendanceCorrection)
        .where(AttendanceCorrection.registration_id == registration.id)
        .order_by(AttendanceCorrection.id)
    ).all()
    language = session.scalar(
        select(LanguageRequest).where(LanguageRequest.registration_id == registration.id)
    )
    return _row(
        registration,
        "id",
        "kind",
        "community",
        "accessibility_needs",
        "dietary_needs",
        "consented_at",
        "created_at",
    ) | {
        "forum": {"id": forum.id, "number": forum.number, "title": forum.title},
        "days": [
            {"date": _plain(seat.day.date)}
            | _row(
                seat,
                "status",
                "override",
                "created_at",
                "status_changed_at",
                "promoted_at",
                "released_via",
            )
            for seat in registration.seats
        ],
        "breakouts": [
            {"session": pick.item.title, "starts_at": _plain(pick.item.starts_at)}
            | _row(pick, "status", "override", "created_at", "status_changed_at")
            for pick in registration.picks
        ],
        "check_ins": [
            {"date": _plain(c.day.date)} | _row(c, "checked_in_at", "method", "undone_at")
            for c in check_ins
        ],
        "breakout_attendance": [
            {"session": a.item.title} | _row(a, "scanned_at", "choice") for a in attendance
        ],
        "tickets": [_row(t, "code", "created_at", "voided_at") for t in tickets],
        "presence_scans": [
            {"date": _plain(scan.day.date), "session": scan.item.title if scan.item else None}
            | _row(scan, "direction", "scanned_at")
            for scan in scans
        ],
        "attendance_corrections": [
            {"session": c.item.title} | _row(c, "present_from", "present_until", "reason", "set_at")
            for c in corrections
        ],
        "language_request": (
            _row(
                language,
                "spanish_interpreter",
                "asl_interpreter",
                "spanish_materials",
                "other_language",
                "status",
                "created_at",
            )
            if language
            else None
        ),
        "feedback": _feedback_export(session, response) if response else None,
    }


def _commitments_export(session: DbSession, person: Person) -> dict:
    """The team commitments the person owns, and the progress they recorded on any."""
    owned = session.scalars(
        select(Commitment)
        .where(Commitment.owner_id == person.id)
        .order_by(Commitment.created_at, Commitment.id)
    ).all()
    updates = session.scalars(
        select(CommitmentUpdate)
        .where(CommitmentUpdate.person_id == person.id)
        .order_by(CommitmentUpdate.at, CommitmentUpdate.id)
    ).all()
    return {
        "owned": [
            {"team": c.team.name, "forum": c.forum_id}
            | _row(c, "text", "due", "status", "progress_note", "barrier_note", "created_at")
            for c in owned
        ],
        "updates_recorded": [
            {"commitment": u.commitment.text}
            | _row(u, "status", "progress_note", "barrier_note", "at")
            for u in updates
        ],
    }


def _feedback_export(session: DbSession, response: FeedbackResponse) -> dict:
    topics = session.scalars(
        select(TopicSuggestion.text)
        .where(TopicSuggestion.response_id == response.id)
        .order_by(TopicSuggestion.id)
    ).all()
    return _row(
        response,
        "anonymous",
        "overall_rating",
        "most_useful",
        "should_change",
        "submitted_at",
        "updated_at",
    ) | {
        "team": response.team.name if response.team else None,
        "sessions": [
            {"session": rating.item.title, "rating": rating.rating, "comment": rating.comment}
            for rating in response.ratings
        ],
        "topics": list(topics),
    }


def _speaker_export(speaker: Speaker) -> dict:
    return _row(
        speaker, "kind", "affiliation", "title", "bio", "is_public", "status", "staff_notes"
    ) | {
        "has_photo": speaker.photo_filename is not None,
        "by_forum": [
            {"forum": row.forum_id, "status": row.status} for row in speaker.forum_statuses
        ],
        "availability": [_row(a, "starts_at", "ends_at") for a in speaker.availability],
        "sessions": [
            {
                "session": link.item.title,
                "starts_at": _plain(link.item.starts_at),
                "role": link.role,
            }
            for link in speaker.item_links
        ],
    }


# --- Erasure -----------------------------------------------------------------------------------


@dataclass
class ErasureReport:
    """What erasure did; ``photos_to_discard`` are speaker photo files (the published one and
    one waiting for review) for the caller to delete once the transaction has committed."""

    person_id: int
    registrations: int = 0
    tickets_voided: int = 0
    feedback_made_anonymous: int = 0
    messages_deleted: int = 0
    messages_redacted: int = 0
    photos_to_discard: list[str] = field(default_factory=list)


def _registrations_by_program(session: DbSession, person: Person) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for registration in session.scalars(
        select(Registration).where(Registration.person_id == person.id)
    ):
        found.setdefault(registration.forum.program_id, []).append(registration.id)
    return found


def erase_person(session: DbSession, person: Person, actor_id: int | None) -> ErasureReport:
    """Remove or anonymise everything identifying ``person``, keeping the rows counts are made
    of; records the erasure in the audit log. Flushes; the caller commits.

    Kept: the person row (as "Erased person" with a placeholder address), team memberships,
    registrations with their seats, picks, check-ins and breakout attendance, feedback (now
    anonymous, still counted for their team), topic suggestions (no longer linked to them) and
    the speaker record's place on the agenda. Removed: contact details, free-text needs, the
    speaker's biography, notes and photo (and a profile change waiting for review), mail to
    them, calendar invitations and feed; their name in an offline door's conflict. Their
    name and address are also taken out of mail to other people (an agenda naming a speaker).
    Old personal links stop working and live tickets are voided.
    """
    report = ErasureReport(person.id)
    old_name, old_email = person.name, person.email
    now = utcnow()
    # First, while the name is still there: credit records the program keeps for its
    # accreditors (or deletes, without a retention period).
    for program_id, registration_ids in _registrations_by_program(session, person).items():
        keep_or_drop_for_erasure(session, registration_ids, program_id, now)

    for registration in session.scalars(
        select(Registration).where(Registration.person_id == person.id)
    ):
        registration.community = ""
        registration.accessibility_needs = ""
        registration.dietary_needs = ""
        report.registrations += 1
        for ticket in session.scalars(
            select(Ticket).where(
                Ticket.registration_id == registration.id, Ticket.voided_at.is_(None)
            )
        ):
            ticket.voided_at = now
            report.tickets_voided += 1
        response = session.scalar(
            select(FeedbackResponse).where(FeedbackResponse.registration_id == registration.id)
        )
        if response is not None:
            report.feedback_made_anonymous += not response.anonymous
            response.anonymous = True

    for suggestion in session.scalars(
        select(TopicSuggestion).where(TopicSuggestion.person_id == person.id)
    ):
        suggestion.person_id = None

    _unname_door_conflicts(session, person, old_name)

    _erase_speaker_profile(session, person, report)

    for message in _messages_to(session, person):
        session.delete(message)
        report.messages_deleted += 1
    session.flush()
    report.messages_redacted = _redact_other_mail(session, [old_name, old_email])

    for model in (CalendarInvite, CalendarFeed):
        for row in session.scalars(select(model).where(model.person_id == person.id)):
            session.delete(row)

    person.name = ERASED_NAME
    person.organization = ""
    person.job_title = ""
    person.phone = None
    person.link_nonce = secrets.token_hex(8)  # every personal link sent before stops working
    session.flush()
    # The placeholder is deliberately not a deliverable address, so it goes around the model's
    # email validator (which would refuse it) in a plain UPDATE.
    session.execute(
        update(Person)
        .where(Person.id == person.id)
        .values(email=erased_email(person.id))
        .execution_options(synchronize_session="fetch")
    )
    session.refresh(person)
    audit.record(
        session,
        actor_id,
        "person.erase",
        f"person:{person.id}",
        registrations=report.registrations,
        tickets_voided=report.tickets_voided,
        messages_deleted=report.messages_deleted,
        messages_redacted=report.messages_redacted,
    )
    return report


def _erase_speaker_profile(session: DbSession, person: Person, report: ErasureReport) -> None:
    """The speaker's biography, notes and photo, and what they sent for review: theirs too,
    which staff must not publish afterwards."""
    speaker = session.scalar(select(Speaker).where(Speaker.person_id == person.id))
    if speaker is None:
        return
    if speaker.photo_filename:
        report.photos_to_discard.append(speaker.photo_filename)
    speaker.photo_filename = None
    speaker.bio = speaker.title = speaker.affiliation = speaker.staff_notes = ""
    speaker.is_public = False
    proposal = speaker.profile_proposal
    if proposal is not None:
        if proposal.photo_filename:
            report.photos_to_discard.append(proposal.photo_filename)
        session.delete(proposal)


def _unname_door_conflicts(session: DbSession, person: Person, old_name: str) -> None:
    """An offline door's conflict is stored as the sentence the door said, with the name."""
    named = _stored_name_pattern(old_name)
    for conflict in session.scalars(
        select(CheckInConflict)
        .join(Registration, Registration.id == CheckInConflict.registration_id)
        .where(Registration.person_id == person.id)
    ):
        conflict.message = named.sub(ERASED_NAME, conflict.message)


# How a character of a name may be stored in mail besides itself: HTML-escaped (markupsafe
# writes ' as &#39; and " as &#34;, the standard library &#x27; and &quot;), iCalendar-escaped
# (RFC 5545 TEXT escapes , ; \ and newlines with a backslash) and CSV-quoted (" doubled).
_STORED_FORMS = {
    "'": ("&#39;", "&#039;", "&#x27;", "&apos;"),
    '"': ("&#34;", "&#x22;", "&quot;", '""', '\\"'),
    "&": ("&amp;", "&#38;", "&#x26;"),
    "<": ("&lt;", "&#60;", "&#x3c;"),
    ">": ("&gt;", "&#62;", "&#x3e;"),
    ",": ("\\,",),
    ";": ("\\;",),
    "\\": ("\\\\",),
    "\n": ("\\n", "\\N", "<br>"),
}
# An iCalendar line folding (RFC 5545 3.1): a line break and one space or tab, anywhere.
_FOLD = re.compile(r"\r?\n[ \t]")
_ICS_LINE_LIMIT = 75


def _stored_name_pattern(needle: str) -> re.Pattern:
    """Matches ``needle`` in any of the forms mail stores it in (see ``_STORED_FORMS``)."""
    units = []
    for char in needle:
        forms = sorted({char, *_STORED_FORMS.get(char, ())}, key=len, reverse=True)
        units.append("(?:" + "|".join(re.escape(form) for form in forms) + ")")
    return re.compile("".join(units), re.IGNORECASE)


def _is_calendar(part: dict) -> bool:
    content_type = str(part.get("content_type", "")).lower()
    return (
        content_type.startswith(("text/calendar", "application/ics"))
        or str(part.get("filename", "")).lower().endswith(".ics")
        or part.get("content", "").lstrip().startswith("BEGIN:VCALENDAR")
    )


def _redact_calendar(content: str, redact) -> str:
    """``content`` (iCalendar text) with ``redact`` applied to its unfolded lines, folded
    again at 75 octets; unchanged (byte for byte) when ``redact`` finds nothing."""
    unfolded = _FOLD.sub("", content)
    cleaned = redact(unfolded)
    if cleaned == unfolded:
        return content
    separator = "\r\n" if "\r\n" in content else "\n"
    return separator.join(
        foldline(line, limit=_ICS_LINE_LIMIT, fold_sep=separator + " ")
        for line in cleaned.split(separator)
    )


def _redact_other_mail(session: DbSession, needles: list[str]) -> int:
    """Replace ``needles`` in every stored message (recipient names, subjects, text and HTML
    bodies, calendar parts, text attachments), in every form they are stored in (plain,
    HTML-escaped, iCalendar-escaped and folded), with the erased-person wording; returns how
    many messages really changed."""
    patterns = [
        _stored_name_pattern(needle) for needle in needles if needle and len(needle.strip()) >= 3
    ]
    if not patterns:
        return 0

    def clean(text):
        if not isinstance(text, str):
            return text
        for pattern in patterns:
            text = pattern.sub(ERASED_NAME, text)
        return text

    def clean_part(part: dict) -> dict:
        content = part.get("content")
        if not isinstance(content, str):
            return part  # binary parts (QR images) hold no text
        if _is_calendar(part):
            # iCalendar folds long lines, which can split a name in two: unfold, then refold.
            return part | {"content": _redact_calendar(content, clean)}
        return part | {"content": clean(content)}

    changed = 0
    for message in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)):
        fields = ("to_name", "subject", "text_body", "html_body")
        cleaned = {name: clean(getattr(message, name)) for name in fields}
        cleaned["alternatives"] = [clean_part(p) for p in message.alternatives]
        cleaned["attachments"] = [clean_part(p) for p in message.attachments]
        if any(getattr(message, name) != value for name, value in cleaned.items()):
            for name, value in cleaned.items():
                setattr(message, name, value)
            changed += 1
    session.flush()
    return changed
