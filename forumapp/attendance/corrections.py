"""Organizers' corrections of attendance, from a paper sheet or their own knowledge: one
person's presence in one session, replacing what the scans say, with who and why audited."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import select

from ..agenda.models import AgendaItem
from ..core import audit
from ..core.actions import DomainError
from ..core.clock import local_instant, to_local, utcnow
from ..core.i18n import format_local_time
from ..extensions import DbSession
from ..registration.models import Registration
from .models import REASON_MAX, AttendanceCorrection


class CorrectionRefused(DomainError):
    """A correction that cannot be recorded; ``field`` names the input at fault."""


def _stamp(value: datetime | None, zone: str) -> str | None:
    return to_local(value, zone).strftime("%H:%M") if value else None


def correct_attendance(
    session: DbSession,
    registration: Registration,
    item: AgendaItem,
    present_from: time | None,
    present_until: time | None,
    reason: str,
    user_id: int | None,
) -> AttendanceCorrection:
    """Record that ``registration``'s person was in ``item`` from ``present_from`` to
    ``present_until`` (local times on the session's day), or absent when both are None.
    Replaces an earlier correction of the same session. Audited with the times before and
    after and the reason. Flushes; the caller commits."""
    reason = reason.strip()
    if not reason:
        raise CorrectionRefused(
            "Say why, for the record (a paper sheet, a late arrival…).", "reason"
        )
    if len(reason) > REASON_MAX:
        raise CorrectionRefused(f"Use at most {REASON_MAX} characters.", "reason")
    if registration.forum_id != item.day.forum_id:
        raise CorrectionRefused("This person is not registered for this session's forum.")
    if (present_from is None) != (present_until is None):
        field = "present_until" if present_until is None else "present_from"
        raise CorrectionRefused("Give both times, or neither to mark the person absent.", field)
    zone = item.day.forum.program.time_zone
    starts = ends = None
    if present_from is not None and present_until is not None:
        starts = local_instant(item.day.date, present_from, zone)
        ends = local_instant(item.day.date, present_until, zone)
        if ends <= starts:
            raise CorrectionRefused("The time out must be after the time in.", "present_until")
        if ends <= item.starts_at or starts >= item.ends_at:
            # Often a slip (AM for PM, the wrong row): it would credit nothing and hide the
            # scans. Someone who was not there at all is marked absent, with no times.
            session_times = (
                f"{format_local_time(item.starts_at, zone)}–{format_local_time(item.ends_at, zone)}"
            )
            raise CorrectionRefused(
                f"These times are all outside the session ({session_times}). Check them, or "
                "leave both empty to mark the person absent.",
                "present_from",
            )
    correction = session.scalar(
        select(AttendanceCorrection).where(
            AttendanceCorrection.registration_id == registration.id,
            AttendanceCorrection.item_id == item.id,
        )
    )
    before = (
        {
            "from": _stamp(correction.present_from, zone),
            "until": _stamp(correction.present_until, zone),
        }
        if correction
        else None
    )
    if correction is None:
        correction = AttendanceCorrection(registration_id=registration.id, item_id=item.id)
        session.add(correction)
    correction.present_from, correction.present_until = starts, ends
    correction.reason = reason
    correction.set_by_id = user_id
    correction.set_at = utcnow()
    session.flush()
    audit.record(
        session,
        user_id,
        "attendance.correct",
        f"registration:{registration.id}",
        item_id=item.id,
        before=before,
        after={"from": _stamp(starts, zone), "until": _stamp(ends, zone)},
        reason=reason,
    )
    return correction


def remove_correction(
    session: DbSession, correction: AttendanceCorrection, user_id: int | None
) -> None:
    """Go back to what the scans say for this person and session (audited). Flushes."""
    audit.record(
        session,
        user_id,
        "attendance.correction_removed",
        f"registration:{correction.registration_id}",
        item_id=correction.item_id,
    )
    session.delete(correction)
    session.flush()
