"""Language requests: what a registration asks for, the organizers' changes to it (audited,
with the person's confirmation email once it is arranged), the tally per day and language,
and the booking deadline of each day."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core import audit
from ..core.actions import DomainError
from ..core.clock import local_today, utcnow
from ..core.i18n import local_text
from ..core.links import absolute_url, personal_token
from ..core.models import Forum, ForumDay, Role, User
from ..extensions import DbSession
from ..mail.outbox import queue_email_to_person
from ..registration.models import DaySeat, Registration
from ..registration.seats import ACTIVE
from .models import OTHER_LANGUAGE_MAX, LanguageNeed, LanguageRequest, RequestStatus

# What the organizers' pages call each need (staff pages are in English).
NEED_NAMES = {
    LanguageNeed.SPANISH_INTERPRETER: "Spanish interpreter",
    LanguageNeed.ASL_INTERPRETER: "ASL interpreter",
    LanguageNeed.SPANISH_MATERIALS: "Materials in Spanish",
    LanguageNeed.OTHER: "Other",
}
STATUS_NAMES = {
    RequestStatus.REQUESTED: "Requested",
    RequestStatus.ARRANGED: "Arranged",
    RequestStatus.NOT_POSSIBLE: "Not possible",
}


class InvalidLanguageRequest(DomainError):
    """Answers to the language question the rules refuse; ``field`` names the input."""

    status = 422


# --- What a person asks for ----------------------------------------------------------------


@dataclass(frozen=True)
class LanguageChoices:
    """The answers to "Do you need an interpreter or translated materials?"."""

    spanish_interpreter: bool = False
    asl_interpreter: bool = False
    spanish_materials: bool = False
    other_language: str = ""  # another language in the person's words; empty: none

    @classmethod
    def from_answers(cls, answers: Mapping) -> LanguageChoices:
        """The choices in the plain answers a form gave (``forms.language_answers``): a list
        of ``LanguageNeed`` values under "needs" and the other language under "other".
        Text typed without ticking "other" still counts as another language."""
        needs = answers.get("needs")
        needs = {str(need) for need in needs} if isinstance(needs, list) else set()
        other = answers.get("other")
        other = other.strip() if isinstance(other, str) else ""
        return cls(
            spanish_interpreter=LanguageNeed.SPANISH_INTERPRETER in needs,
            asl_interpreter=LanguageNeed.ASL_INTERPRETER in needs,
            spanish_materials=LanguageNeed.SPANISH_MATERIALS in needs,
            other_language=other,
        )

    @property
    def is_empty(self) -> bool:
        return not (
            self.spanish_interpreter
            or self.asl_interpreter
            or self.spanish_materials
            or self.other_language
        )


def other_language_problem(other_chosen: bool, text: str) -> str | None:
    """What is wrong with the "other language" answer, in the page's language, or None."""
    text = text.strip()
    if other_chosen and not text:
        return _("Tell us which other language you need.")
    if len(text) > OTHER_LANGUAGE_MAX:
        return _(
            "Use at most %(max)d characters for the other language; this has %(count)d.",
            max=OTHER_LANGUAGE_MAX,
            count=len(text),
        )
    return None


def check_answers(answers: Mapping) -> None:
    """Refuse "other" without a language, or one too long (``InvalidLanguageRequest``)."""
    needs = answers.get("needs")
    other_chosen = isinstance(needs, list) and LanguageNeed.OTHER in needs
    other = answers.get("other")
    problem = other_language_problem(other_chosen, other if isinstance(other, str) else "")
    if problem:
        raise InvalidLanguageRequest(problem, "language_other")


def record_request(
    session: DbSession,
    registration: Registration,
    choices: LanguageChoices,
    now: datetime | None = None,
) -> LanguageRequest | None:
    """Store what ``registration`` asks for, in the caller's transaction.

    Asking for nothing changes nothing (a person registering for one more day does not undo
    an interpreter already arranged). A different request replaces the earlier one and is
    ``requested`` again, for the organizers to arrange anew; the same one is left as it is.
    Returns the request, or None when there is none.
    """
    existing = request_of(session, registration)
    if choices.is_empty:
        return existing
    if problem := other_language_problem(False, choices.other_language):
        raise InvalidLanguageRequest(problem, "language_other")
    now = now or utcnow()
    wanted = {
        "spanish_interpreter": choices.spanish_interpreter,
        "asl_interpreter": choices.asl_interpreter,
        "spanish_materials": choices.spanish_materials,
        "other_language": choices.other_language,
    }
    if existing is None:
        existing = LanguageRequest(registration=registration, created_at=now, **wanted)
        session.add(existing)
    elif any(getattr(existing, name) != value for name, value in wanted.items()):
        for name, value in wanted.items():
            setattr(existing, name, value)
        existing.status = RequestStatus.REQUESTED.value
    else:
        return existing
    existing.updated_at = now
    session.flush()
    return existing


def record_answers(session: DbSession, registration: Registration, answers: Mapping) -> None:
    """``record_request`` for the plain answers of a registration form (checked first)."""
    check_answers(answers)
    record_request(session, registration, LanguageChoices.from_answers(answers))


def request_of(session: DbSession, registration: Registration) -> LanguageRequest | None:
    """The registration's language request, if it made one."""
    return session.scalar(
        select(LanguageRequest).where(LanguageRequest.registration_id == registration.id)
    )


def needs_of(request: LanguageRequest) -> list[str]:
    """What ``request`` asks for, in the organizers' words ("Other: Tagalog")."""
    named = []
    if request.spanish_interpreter:
        named.append(NEED_NAMES[LanguageNeed.SPANISH_INTERPRETER])
    if request.asl_interpreter:
        named.append(NEED_NAMES[LanguageNeed.ASL_INTERPRETER])
    if request.spanish_materials:
        named.append(NEED_NAMES[LanguageNeed.SPANISH_MATERIALS])
    if request.other_language:
        named.append(f"{NEED_NAMES[LanguageNeed.OTHER]}: {request.other_language}")
    return named


# --- The organizers' queue -----------------------------------------------------------------


@dataclass(frozen=True)
class QueueEntry:
    """One request as the queue shows it: the days it applies to are the registration's
    confirmed or waitlisted days."""

    request: LanguageRequest
    days: list[ForumDay]


def forum_requests(session: DbSession, forum: Forum) -> list[QueueEntry]:
    """The forum's requests, open ones first, then by when they were made."""
    requests = session.scalars(
        select(LanguageRequest)
        .join(Registration)
        .where(Registration.forum_id == forum.id)
        .options(
            selectinload(LanguageRequest.registration).selectinload(Registration.person),
            selectinload(LanguageRequest.registration)
            .selectinload(Registration.seats)
            .selectinload(DaySeat.day),
            selectinload(LanguageRequest.owner),
        )
        .order_by(LanguageRequest.created_at, LanguageRequest.id)
    ).all()
    entries = [
        QueueEntry(
            request,
            [seat.day for seat in request.registration.seats if seat.status in ACTIVE],
        )
        for request in requests
    ]
    return sorted(entries, key=lambda entry: entry.request.status != RequestStatus.REQUESTED)


def possible_owners(session: DbSession) -> list[User]:
    """Active staff who may own a request: organizers and admins."""
    return list(
        session.scalars(
            select(User)
            .where(User.active.is_(True), User.role.in_([Role.ORGANIZER, Role.ADMIN]))
            .order_by(User.name, User.email)
        )
    )


def update_request(
    session: DbSession,
    request: LanguageRequest,
    *,
    status: str,
    owner_id: int | None,
    staff_note: str,
    acting_user_id: int | None,
    now: datetime | None = None,
) -> LanguageRequest:
    """An organizer changes a request's status, owner or note; audited. When it becomes
    ``arranged`` the person is emailed in their language, in the same transaction."""
    if status not in set(RequestStatus):
        raise InvalidLanguageRequest("Choose one of the statuses.", "status")
    if owner_id is not None:
        owner = session.get(User, owner_id)
        if owner is None or not owner.active or owner.role not in (Role.ORGANIZER, Role.ADMIN):
            raise InvalidLanguageRequest("Choose an active organizer as the owner.", "owner_id")
    if len(staff_note) > 2000:
        raise InvalidLanguageRequest(
            f"Use at most 2000 characters for the note; this has {len(staff_note)}.",
            "staff_note",
        )
    before = {"status": request.status, "owner_id": request.owner_id}
    newly_arranged = status == RequestStatus.ARRANGED and request.status != status
    request.status = status
    request.owner_id = owner_id
    request.staff_note = staff_note.strip()
    request.updated_at = now or utcnow()
    session.flush()
    audit.record(
        session,
        acting_user_id,
        "language_request.update",
        f"registration:{request.registration_id}",
        status_before=before["status"],
        status=status,
        owner_before=before["owner_id"],
        owner=owner_id,
    )
    if newly_arranged:
        send_arranged(session, request)
    return request


def send_arranged(session: DbSession, request: LanguageRequest) -> None:
    """Tell the person what was arranged, in their language."""
    registration = request.registration
    forum = registration.forum
    queue_email_to_person(
        session,
        "language_access/email/arranged",
        registration.person,
        kind="language_arranged",
        subject=lambda: _(
            "Language assistance arranged for %(forum)s", forum=local_text(forum, "title")
        ),
        forum=forum,
        language_request=request,
        days=[seat.day for seat in registration.seats if seat.status in ACTIVE],
        link=absolute_url("attendee.personal_page", token=personal_token(registration.person)),
    )


# --- Per day: the tally and the booking deadline -------------------------------------------


@dataclass
class DayTally:
    """The requests that apply to one day, by what they ask for."""

    day: ForumDay
    booking_deadline: date
    spanish_interpreter: int = 0
    asl_interpreter: int = 0
    spanish_materials: int = 0
    other: int = 0
    requests: int = 0
    still_open: int = 0  # ``requested``: neither arranged nor found not possible


def booking_deadline(forum: Forum, day: ForumDay) -> date:
    """The last local date on which interpreters for ``day`` may be booked."""
    return day.date - timedelta(days=forum.interpreter_booking_days)


def day_tallies(session: DbSession, forum: Forum) -> list[DayTally]:
    """For each of the forum's days, the requests of registrations holding a confirmed or
    waitlisted seat on it, counted per language."""
    tallies = {day.id: DayTally(day, booking_deadline(forum, day)) for day in forum.days}
    rows = session.execute(
        select(DaySeat.day_id, LanguageRequest)
        .join(Registration, Registration.id == DaySeat.registration_id)
        .join(LanguageRequest, LanguageRequest.registration_id == Registration.id)
        .where(Registration.forum_id == forum.id, DaySeat.status.in_(ACTIVE))
    ).all()
    for day_id, request in rows:
        tally = tallies[day_id]
        tally.requests += 1
        tally.spanish_interpreter += request.spanish_interpreter
        tally.asl_interpreter += request.asl_interpreter
        tally.spanish_materials += request.spanish_materials
        tally.other += bool(request.other_language)
        tally.still_open += request.status == RequestStatus.REQUESTED
    return list(tallies.values())


def late_days(session: DbSession, forum: Forum, now: datetime) -> list[DayTally]:
    """Days whose booking deadline has passed (and which are not over) with requests still
    open."""
    today = local_today(forum.program.time_zone, now)
    return [
        tally
        for tally in day_tallies(session, forum)
        if tally.still_open and tally.booking_deadline < today <= tally.day.date
    ]
