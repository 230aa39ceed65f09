"""The door when the venue's network is down: the roster snapshot a door page keeps, and the
sync of the scans it let through meanwhile.

The snapshot holds, for each ticket of the day's forum, a keyed hash of its code (HMAC-SHA256
under a key made for that staff member and day, given with the snapshot), never the code: the
page hashes what it scans and looks the hash up, and nobody can turn the snapshot back into
codes (they are 130-bit random strings). With it go only what the door shows: name,
organization, teams, confirmed or waitlisted, an accessibility-needs flag, checked in or not.

A sync sends scans in the order they happened. Each is checked in with the time of the scan;
a retried request id changes nothing. A scan that cannot be checked in (the person was let in
by another device, the ticket was replaced, the place cancelled) becomes a ``CheckInConflict``
that organizers see on the live check-in page.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..core import clock
from ..core.clock import to_local
from ..core.models import ForumDay, Person, User
from ..extensions import DbSession
from ..registration.models import DaySeat, Registration, SeatStatus
from .access import may_check_in_on
from .models import CheckIn, CheckInConflict, ConflictKind, Ticket
from .outcomes import ScanResult, teams_of_people
from .scanning import scan

BATCH_MAX = 200  # scans per sync request
CLOCK_SKEW = timedelta(minutes=5)  # a phone's clock may run this far ahead


def snapshot_key(secret_key: str, day: ForumDay, user: User) -> bytes:
    """The key a door page hashes codes with: per staff member (and their sign-in, so a new
    sign-in or deactivation makes the old snapshot's key useless for new ones) and per day."""
    message = f"door-snapshot:{day.id}:{user.id}:{user.session_token}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).digest()


def code_hash(key: bytes, code: str) -> str:
    """The hash of a normalised ticket code under ``key``, as the page computes it."""
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class SnapshotEntry:
    hash: str
    name: str
    organization: str
    teams: list[str]
    status: str  # confirmed, waitlisted, not_today, cancelled, replaced
    needs: bool  # has accessibility needs (the door says to look them up)
    checked_in: bool


def roster_snapshot(session: DbSession, day: ForumDay, key: bytes) -> list[SnapshotEntry]:
    """Every ticket of the day's forum as the offline door judges it. Plain rows, no objects:
    four queries and little work per ticket, for forums of thousands."""
    tickets = session.execute(
        select(
            Ticket.code,
            Ticket.voided_at,
            Registration.id,
            Registration.person_id,
            Registration.community,
            Registration.accessibility_needs,
            Person.name,
            Person.organization,
        )
        .join(Registration, Registration.id == Ticket.registration_id)
        .join(Person, Person.id == Registration.person_id)
        .where(Registration.forum_id == day.forum_id)
    ).all()
    seats = dict(
        session.execute(
            select(DaySeat.registration_id, DaySeat.status).where(DaySeat.day_id == day.id)
        )
        .tuples()
        .all()
    )
    checked_in = set(
        session.scalars(
            select(CheckIn.registration_id).where(
                CheckIn.day_id == day.id, CheckIn.undone_at.is_(None)
            )
        )
    )
    teams = teams_of_people(session, list({row.person_id for row in tickets}), day.forum.program_id)
    entries = []
    for row in tickets:
        seat_status = seats.get(row.id)
        if row.voided_at is not None:
            status = "replaced"
        elif seat_status is None:
            status = "not_today"
        else:
            status = {
                SeatStatus.CONFIRMED.value: "confirmed",
                SeatStatus.WAITLISTED.value: "waitlisted",
            }.get(seat_status, "cancelled")
        entries.append(
            SnapshotEntry(
                hash=code_hash(key, row.code),
                name=row.name,
                organization=row.organization or row.community,
                teams=teams[row.person_id],
                status=status,
                needs=bool(row.accessibility_needs.strip()),
                checked_in=row.id in checked_in,
            )
        )
    return entries


# --- Sync ------------------------------------------------------------------------------------


class SyncRefused(ValueError):
    """A scan in a sync that is not taken at all (it names the wrong day or an impossible
    time); the message says why."""


@dataclass(frozen=True)
class OfflineScan:
    code: str
    day: date  # the forum day the door was open for
    request_id: str
    scanned_at: datetime  # aware


@dataclass(frozen=True)
class SyncResult:
    request_id: str
    result: str  # checked_in, conflict, refused
    message: str
    conflict: str | None = None  # a ConflictKind


_CONFLICT_OF = {
    ScanResult.ALREADY_CHECKED_IN: ConflictKind.ALREADY_IN,
    ScanResult.INVALID: ConflictKind.UNKNOWN,
    ScanResult.CANCELLED: ConflictKind.NO_PLACE,
    ScanResult.WAITLISTED: ConflictKind.NO_PLACE,
    ScanResult.NOT_REGISTERED_FOR_DAY: ConflictKind.NO_PLACE,
}


def check_scan_time(on_date: date, time_zone: str, scanned_at: datetime, now: datetime) -> None:
    """Refuse a scan time in the future (beyond a phone clock's skew) or outside the day."""
    if scanned_at > now + CLOCK_SKEW:
        raise SyncRefused("The scan's time is in the future: check the device's clock.")
    if to_local(scanned_at, time_zone).date() != on_date:
        raise SyncRefused("The scan's time is not on the day it names.")


def sync_scan(
    session: DbSession, scan_made: OfflineScan, user_id: int, time_zone: str, now: datetime
) -> SyncResult:
    """Check in one scan an offline door let through, stamped with the time of the scan, or
    record why it could not be (a conflict). A request id seen before answers as then and
    changes nothing; a scan that cannot be taken at all raises ``SyncRefused``. Flushes; the
    caller commits."""
    earlier = session.scalar(
        select(CheckInConflict).where(CheckInConflict.request_id == scan_made.request_id)
    )
    if earlier is not None:
        return SyncResult(scan_made.request_id, "conflict", earlier.message, earlier.kind)
    check_scan_time(scan_made.day, time_zone, scan_made.scanned_at, now)
    outcome = scan(
        session, scan_made.code, scan_made.day, user_id, scan_made.request_id, scan_made.scanned_at
    )
    if outcome.result == ScanResult.CHECKED_IN or outcome.came_back:
        # Back in after leaving is what the offline door said too: nothing to look into.
        return SyncResult(scan_made.request_id, "checked_in", outcome.message)
    registration = outcome.registration
    day = outcome.day or (
        _forum_day(session, registration.forum_id, scan_made.day) if registration else None
    )
    if outcome.result == ScanResult.REQUEST_ID_REUSED or day is None:
        # A reused id, or a code that never was a ticket of a forum meeting that day: no
        # offline door could have let it through.
        raise SyncRefused(outcome.message)
    kind = _CONFLICT_OF.get(outcome.result, ConflictKind.UNKNOWN)
    if outcome.result == ScanResult.INVALID:
        kind = ConflictKind.REPLACED
    conflict = CheckInConflict(
        day_id=day.id,
        registration_id=registration.id if registration else None,
        kind=kind.value,
        message=outcome.message[:300],
        scanned_at=scan_made.scanned_at,
        scanned_by_id=user_id,
        synced_at=now,
        check_in_id=outcome.check_in.id if outcome.check_in else None,
        request_id=scan_made.request_id,
    )
    try:
        with session.begin_nested():
            session.add(conflict)
    except IntegrityError:
        # The same batch sent twice at once: the other request recorded it.
        pass
    return SyncResult(scan_made.request_id, "conflict", outcome.message, kind.value)


def sync_scans(
    session: DbSession,
    scans: list[OfflineScan],
    user: User,
    time_zone: str,
    now: datetime | None = None,
) -> list[SyncResult]:
    """``sync_scan`` each scan in order, answering each; door staff sync today's only (as they
    check in today only). Flushes; the caller commits."""
    now = now or clock.utcnow()
    results = []
    for scan_made in scans:
        if not may_check_in_on(session, user, scan_made.code, scan_made.day):
            results.append(
                SyncResult(scan_made.request_id, "refused", "Door staff sync today's scans only.")
            )
            continue
        try:
            results.append(sync_scan(session, scan_made, user.id, time_zone, now))
        except SyncRefused as refused:
            results.append(SyncResult(scan_made.request_id, "refused", str(refused)))
    return results


def _forum_day(session: DbSession, forum_id: int, on_date: date) -> ForumDay | None:
    return session.scalar(
        select(ForumDay).where(ForumDay.forum_id == forum_id, ForumDay.date == on_date)
    )


def day_conflicts(session: DbSession, day: ForumDay) -> list[CheckInConflict]:
    """The day's conflicts, newest scan first, with who was scanned and by whom."""
    return list(
        session.scalars(
            select(CheckInConflict)
            .where(CheckInConflict.day_id == day.id)
            .options(
                selectinload(CheckInConflict.registration).selectinload(Registration.person),
                selectinload(CheckInConflict.scanned_by),
                selectinload(CheckInConflict.check_in).selectinload(CheckIn.checked_in_by),
            )
            .order_by(CheckInConflict.scanned_at.desc(), CheckInConflict.id.desc())
        )
    )
