"""Certificates of attendance: what one says (a snapshot of the credit a registration earned
in the days that are over), its verification code, reissues and revocations, and the retention
record that outlives an erased holder when the program keeps credit records.

A certificate is issued the first time someone asks for it. When what it would say changes
(an organizer's correction, another day over), the next request issues a **reissue** (issue
2, 3 ...) and the old one is revoked as "replaced by a reissue"; ``/verify/<code>`` answers
for every code ever issued.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Collection, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import contains_eager

from ..agenda.models import AgendaItemSpeaker, Speaker
from ..checkin.models import CheckIn
from ..core import audit, clock
from ..core.actions import DomainError
from ..core.clock import local_today, to_local
from ..core.models import Forum, Person
from ..core.pagination import Page, paginate
from ..extensions import DbSession
from ..feedback.models import FeedbackResponse
from ..registration.models import Registration
from .models import Certificate, CertificateSettings, CreditType
from .presence import SessionAttendance, credit_units, forum_attendance, rounded_minutes

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
CODE_LENGTH = 10
REPLACED = "Replaced by a reissue"


def new_certificate_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_certificate_code(raw: str) -> str | None:
    """A typed or linked code in its stored form, or None when it cannot be one."""
    code = (raw or "").strip().upper().replace("-", "").replace(" ", "")
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    return code


def settings_of(session: DbSession, program_id: int) -> CertificateSettings:
    """The program's certificate settings (defaults until an organizer saves some)."""
    found = session.get(CertificateSettings, program_id)
    return found or CertificateSettings(
        program_id=program_id, sponsor="", signer_name="", signer_title="",
        require_feedback=False, retention_years=5,
    )  # fmt: skip


class CertificateWithheld(Exception):
    """No certificate for this registration now; ``reason`` says why (for the page)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


NOT_CHECKED_IN = "not_checked_in"
NO_CREDIT = "no_credit"
NOT_OVER = "not_over"
FEEDBACK_FIRST = "feedback_first"


@dataclass
class _Facts:
    """What certificates of a forum depend on, read for one registration or for all of them
    at once (the organizers' list): a few queries, whatever the number of people."""

    checked_in_days: dict[int, set[int]]  # registration id → days checked in
    answered: set[int]  # registration ids with a feedback response
    attendance: dict[int, list[SessionAttendance]]  # registration id → sessions attended
    settings: CertificateSettings
    credit_types: dict[int, CreditType]
    instructors: dict[int, list[str]]  # agenda item id → speakers' names
    current: dict[int, Certificate]  # registration id → its valid certificate
    last_issue: dict[int, int]  # registration id → highest issue number so far


def _facts(session: DbSession, forum: Forum, registration_ids: Collection[int]) -> _Facts:
    checked_in: dict[int, set[int]] = defaultdict(set)
    for reg_id, day_id in session.execute(
        select(CheckIn.registration_id, CheckIn.day_id)
        .join(Registration, Registration.id == CheckIn.registration_id)
        .where(
            Registration.forum_id == forum.id,
            CheckIn.registration_id.in_(registration_ids),
            CheckIn.undone_at.is_(None),
        )
    ):
        checked_in[reg_id].add(day_id)
    answered = set(
        session.scalars(
            select(FeedbackResponse.registration_id).where(
                FeedbackResponse.forum_id == forum.id,
                FeedbackResponse.registration_id.in_(registration_ids),
            )
        )
    )
    attendance: dict[int, list[SessionAttendance]] = defaultdict(list)
    for row in forum_attendance(session, forum, registration_ids):
        attendance[row.registration.id].append(row)
    current: dict[int, Certificate] = {}
    last_issue: dict[int, int] = {}
    for certificate in session.scalars(
        select(Certificate)
        .where(Certificate.forum_id == forum.id, Certificate.registration_id.in_(registration_ids))
        .order_by(Certificate.issue)
    ):
        reg_id = certificate.registration_id
        assert reg_id is not None  # a detached (retained) record matches no registration id
        last_issue[reg_id] = certificate.issue
        if certificate.revoked_at is None:
            current[reg_id] = certificate
    item_ids = {row.item.id for rows in attendance.values() for row in rows}
    return _Facts(
        checked_in_days=checked_in,
        answered=answered,
        attendance=attendance,
        settings=settings_of(session, forum.program_id),
        credit_types={
            credit_type.id: credit_type
            for credit_type in session.scalars(
                select(CreditType).where(CreditType.program_id == forum.program_id)
            )
        },
        instructors=_instructors(session, sorted(item_ids)),
        current=current,
        last_issue=last_issue,
    )


def certificate_content(
    session: DbSession, registration: Registration, now: datetime, facts: _Facts | None = None
) -> dict:
    """What the registration's certificate says now, as plain JSON values; raises
    ``CertificateWithheld`` when there is none to give. ``facts``: read for the whole forum
    when listing many (``forum_certificates``), else for this registration."""
    forum = registration.forum
    facts = facts or _facts(session, forum, [registration.id])
    zone = forum.program.time_zone
    today = local_today(zone, now)
    checked_in_days = facts.checked_in_days.get(registration.id, set())
    if not checked_in_days:
        raise CertificateWithheld(NOT_CHECKED_IN)
    over = {day.id: day for day in forum.days if day.date < today}
    if not over:
        raise CertificateWithheld(NOT_OVER)
    settings = facts.settings
    if settings.require_feedback and registration.id not in facts.answered:
        raise CertificateWithheld(FEEDBACK_FIRST)
    rows = [
        row
        for row in facts.attendance.get(registration.id, [])
        if row.item.day_id in over and row.credited and any(row.credited.values())
    ]
    if not rows:
        raise CertificateWithheld(NO_CREDIT)
    credit_types = facts.credit_types
    instructors = facts.instructors
    totals: dict[int, int] = defaultdict(int)
    sessions = []
    for row in rows:
        for type_id, minutes in row.credited.items():
            totals[type_id] += minutes
        sessions.append(
            {
                "title": row.item.title,
                "title_es": row.item.title_es,
                "date": to_local(row.item.starts_at, zone).date().isoformat(),
                "start": to_local(row.item.starts_at, zone).strftime("%H:%M"),
                "end": to_local(row.item.ends_at, zone).strftime("%H:%M"),
                "minutes": max(row.credited.values()),
                "instructors": instructors.get(row.item.id, []),
            }
        )
    credit = []
    for type_id, minutes in sorted(totals.items(), key=lambda pair: credit_types[pair[0]].name):
        credit_type = credit_types[type_id]
        if not minutes:
            continue
        credit.append(
            {
                "name": credit_type.name,
                "accrediting_body": credit_type.accrediting_body,
                "provider_number": credit_type.provider_number,
                "minutes": minutes,
                "credited_minutes": rounded_minutes(minutes, credit_type),
                "units": credit_units(minutes, credit_type),
                "unit_name": credit_type.unit_name,
            }
        )
    days = sorted(day.date for day_id, day in over.items() if day_id in checked_in_days)
    person = registration.person
    return {
        "holder": person.name,
        "organization": person.organization or registration.community,
        "program": forum.program.name,
        "sponsor": settings.sponsor,
        "forum": forum.title,
        "forum_es": forum.title_es,
        "dates": [day.isoformat() for day in days],
        "venue": ", ".join(
            part for part in (forum.venue_name, forum.venue_address, forum.venue_city) if part
        ),
        "sessions": sessions,
        "credit": credit,
        "signer_name": settings.signer_name,
        "signer_title": settings.signer_title,
    }


def _instructors(session: DbSession, item_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    if not item_ids:
        return found
    for item_id, name in session.execute(
        select(AgendaItemSpeaker.item_id, Person.name)
        .join(Speaker, Speaker.id == AgendaItemSpeaker.speaker_id)
        .join(Person, Person.id == Speaker.person_id)
        .where(AgendaItemSpeaker.item_id.in_(item_ids))
        .order_by(AgendaItemSpeaker.id)
    ):
        found[item_id].append(name)
    return found


def certificate_offer(
    session: DbSession, registration: Registration, now: datetime | None = None
) -> str | None:
    """For the personal page: "available" when the registration's certificate can be had now,
    "feedback_first" when the feedback form comes first, else None (nothing to show)."""
    try:
        certificate_content(session, registration, now or clock.utcnow())
    except CertificateWithheld as withheld:
        return withheld.reason if withheld.reason == FEEDBACK_FIRST else None
    return "available"


def issue_certificate(
    session: DbSession,
    registration: Registration,
    now: datetime | None = None,
    facts: _Facts | None = None,
) -> Certificate:
    """The registration's certificate as it stands now: the one issued before if it still says
    the same, else a new one (a reissue when there was one). Raises ``CertificateWithheld``.
    Flushes; the caller commits."""
    now = now or clock.utcnow()
    facts = facts or _facts(session, registration.forum, [registration.id])
    content = certificate_content(session, registration, now, facts)
    current = facts.current.get(registration.id)
    if current is not None and current.content == content:
        return current
    certificate = Certificate(
        code=new_certificate_code(),
        registration_id=registration.id,
        person_id=registration.person_id,
        forum_id=registration.forum_id,
        issue=facts.last_issue.get(registration.id, 0) + 1,
        content=content,
        issued_at=now,
    )
    session.add(certificate)
    session.flush()
    if current is not None:
        current.revoked_at = now
        current.revoked_reason = REPLACED
        current.replaced_by_id = certificate.id
        session.flush()
    facts.current[registration.id] = certificate
    facts.last_issue[registration.id] = certificate.issue
    return certificate


def revoke_certificate(
    session: DbSession, certificate: Certificate, reason: str, user_id: int | None
) -> None:
    """Revoke a certificate (``/verify`` says so from now on); audited. Flushes."""
    reason = reason.strip()
    if not reason:
        raise DomainError("Say why the certificate is revoked.", "reason")
    if certificate.revoked_at is None:
        certificate.revoked_at = clock.utcnow()
        certificate.revoked_reason = reason[:500]
        session.flush()
        audit.record(
            session, user_id, "certificate.revoke", f"certificate:{certificate.id}",
            forum_id=certificate.forum_id,
        )  # fmt: skip


def record_bulk_download(session: DbSession, forum: Forum, user_id: int | None, kind: str) -> None:
    """Audit a download of all the forum's certificates (names and hours of people)."""
    audit.record_download(session, user_id, f"export.certificates_{kind}", f"forum:{forum.id}")


def find_certificate(session: DbSession, raw_code: str) -> Certificate | None:
    """The certificate a verification code names, or None."""
    code = normalise_certificate_code(raw_code)
    if code is None:
        return None
    return session.scalar(select(Certificate).where(Certificate.code == code))


@dataclass(frozen=True)
class ForumCertificates:
    registration: Registration
    certificate: Certificate | None
    withheld: str | None


def _checked_in_registrations(forum: Forum) -> Select:
    return (
        select(Registration)
        .join(Person, Person.id == Registration.person_id)
        .where(
            Registration.forum_id == forum.id,
            Registration.id.in_(select(CheckIn.registration_id).where(CheckIn.undone_at.is_(None))),
        )
        .options(contains_eager(Registration.person))
        .order_by(Person.name, Registration.id)
    )


def _with_certificates(
    session: DbSession, forum: Forum, registrations: Sequence[Registration], now: datetime
) -> list[ForumCertificates]:
    facts = _facts(session, forum, [registration.id for registration in registrations])
    listed = []
    for registration in registrations:
        try:
            certificate = issue_certificate(session, registration, now, facts)
            listed.append(ForumCertificates(registration, certificate, None))
        except CertificateWithheld as withheld:
            listed.append(ForumCertificates(registration, None, withheld.reason))
    return listed


def forum_certificates(
    session: DbSession, forum: Forum, now: datetime | None = None
) -> list[ForumCertificates]:
    """Every checked-in registration of the forum with its certificate, issuing those not yet
    issued (or out of date), by name. Flushes."""
    registrations = session.scalars(_checked_in_registrations(forum)).all()
    return _with_certificates(session, forum, registrations, now or clock.utcnow())


def certificates_page(
    session: DbSession, forum: Forum, page: int, per_page: int, now: datetime | None = None
) -> Page[ForumCertificates]:
    """One page of ``forum_certificates``, issuing only that page's: the organizers' list
    costs the same for 200 attendees or 2,000. Flushes."""
    people = paginate(session, _checked_in_registrations(forum), page, per_page)
    listed = _with_certificates(session, forum, people.items, now or clock.utcnow())
    return Page(listed, people.page, people.per_page, people.total, people.requested)


# --- Erasure ---------------------------------------------------------------------------------

# What a retained record keeps: the accreditor's fields, nothing else about the person.
RETAINED_FIELDS = ("holder", "program", "sponsor", "forum", "dates", "venue", "sessions", "credit")


def keep_or_drop_for_erasure(
    session: DbSession, registration_ids: list[int], program_id: int, now: datetime | None = None
) -> tuple[int, int]:
    """Before a person's erasure: under the program's retention rule, make sure each of their
    registrations with credit has an up-to-date certificate, and keep those records (reduced
    to what the accreditor needs, detached from the person, kept until the retention period
    ends); without retention, delete them. Returns (kept, deleted). Flushes."""
    now = now or clock.utcnow()
    years = settings_of(session, program_id).retention_years
    kept = deleted = 0
    for registration_id in registration_ids:
        registration = session.get(Registration, registration_id)
        if years and registration is not None:
            with suppress(CertificateWithheld):
                issue_certificate(session, registration, now)
        for certificate in session.scalars(
            select(Certificate).where(Certificate.registration_id == registration_id)
        ):
            if years:
                certificate.content = {key: certificate.content.get(key) for key in RETAINED_FIELDS}
                certificate.person_id = None
                certificate.registration_id = None
                certificate.retain_until = certificate.issued_at + timedelta(days=365 * years)
                kept += 1
            else:
                session.delete(certificate)
                deleted += 1
    session.flush()
    return kept, deleted


def purge_expired_records(session: DbSession, now: datetime | None = None) -> int:
    """Delete retained certificate records whose retention period is over. Flushes."""
    now = now or clock.utcnow()
    expired = session.scalars(
        select(Certificate).where(
            Certificate.retain_until.is_not(None), Certificate.retain_until < now
        )
    ).all()
    for certificate in expired:
        session.delete(certificate)
    session.flush()
    return len(expired)
