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
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from ..agenda.models import AgendaItemSpeaker
from ..checkin.models import CheckIn
from ..core import audit, clock
from ..core.actions import DomainError
from ..core.clock import local_today, to_local
from ..core.models import Forum
from ..extensions import DbSession
from ..feedback.models import FeedbackResponse
from ..registration.models import Registration
from .models import Certificate, CertificateSettings, CreditType
from .presence import credit_units, forum_attendance, rounded_minutes

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


def certificate_content(session: DbSession, registration: Registration, now: datetime) -> dict:
    """What the registration's certificate says now, as plain JSON values; raises
    ``CertificateWithheld`` when there is none to give."""
    forum = registration.forum
    zone = forum.program.time_zone
    today = local_today(zone, now)
    checked_in_days = set(
        session.scalars(
            select(CheckIn.day_id).where(
                CheckIn.registration_id == registration.id, CheckIn.undone_at.is_(None)
            )
        )
    )
    if not checked_in_days:
        raise CertificateWithheld(NOT_CHECKED_IN)
    over = {day.id: day for day in forum.days if day.date < today}
    if not over:
        raise CertificateWithheld(NOT_OVER)
    settings = settings_of(session, forum.program_id)
    if settings.require_feedback and not session.scalar(
        select(FeedbackResponse.id).where(FeedbackResponse.registration_id == registration.id)
    ):
        raise CertificateWithheld(FEEDBACK_FIRST)
    rows = [
        row
        for row in forum_attendance(session, forum, registration.id)
        if row.item.day_id in over and row.credited and any(row.credited.values())
    ]
    if not rows:
        raise CertificateWithheld(NO_CREDIT)
    credit_types = {
        credit_type.id: credit_type
        for credit_type in session.scalars(
            select(CreditType).where(CreditType.program_id == forum.program_id)
        )
    }
    instructors = _instructors(session, [row.item.id for row in rows])
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
    for link in session.scalars(
        select(AgendaItemSpeaker).where(AgendaItemSpeaker.item_id.in_(item_ids))
    ):
        found[link.item_id].append(link.speaker.name)
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


def current_certificate(session: DbSession, registration: Registration) -> Certificate | None:
    """The registration's valid certificate, if one was issued."""
    return session.scalar(
        select(Certificate)
        .where(Certificate.registration_id == registration.id, Certificate.revoked_at.is_(None))
        .order_by(Certificate.issue.desc())
    )


def issue_certificate(
    session: DbSession, registration: Registration, now: datetime | None = None
) -> Certificate:
    """The registration's certificate as it stands now: the one issued before if it still says
    the same, else a new one (a reissue when there was one). Raises ``CertificateWithheld``.
    Flushes; the caller commits."""
    now = now or clock.utcnow()
    content = certificate_content(session, registration, now)
    current = current_certificate(session, registration)
    if current is not None and current.content == content:
        return current
    last_issue = session.scalar(
        select(Certificate.issue)
        .where(Certificate.registration_id == registration.id)
        .order_by(Certificate.issue.desc())
    )
    certificate = Certificate(
        code=new_certificate_code(),
        registration_id=registration.id,
        person_id=registration.person_id,
        forum_id=registration.forum_id,
        issue=(last_issue or 0) + 1,
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


def forum_certificates(
    session: DbSession, forum: Forum, now: datetime | None = None
) -> list[ForumCertificates]:
    """Every checked-in registration of the forum with its certificate, issuing those not yet
    issued (or out of date), by name. Flushes."""
    now = now or clock.utcnow()
    registrations = session.scalars(
        select(Registration).where(
            Registration.forum_id == forum.id,
            Registration.id.in_(select(CheckIn.registration_id).where(CheckIn.undone_at.is_(None))),
        )
    ).all()
    listed = []
    for registration in sorted(registrations, key=lambda r: r.person.name):
        try:
            listed.append(
                ForumCertificates(registration, issue_certificate(session, registration, now), None)
            )
        except CertificateWithheld as withheld:
            listed.append(ForumCertificates(registration, None, withheld.reason))
    return listed


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
