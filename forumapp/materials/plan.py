"""Organizers' plan for a forum's materials mail: the slides reminder's lead time and when
the packet goes to attendees. A forum without a saved plan reminds speakers the configured
number of days before (``SPEAKER_SLIDES_REMINDER_DAYS``) and sends no packet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ..core import audit
from ..core.actions import DomainError
from ..core.clock import local_instant, utcnow
from ..core.models import Forum
from ..extensions import DbSession
from .models import MaterialsPlan, PacketTiming


class PlanRefused(DomainError):
    """A plan organizers cannot save, with the field to show the message next to."""


@dataclass(frozen=True)
class Plan:
    slides_reminder_days: int | None
    packet_timing: PacketTiming | None
    packet_send_at: datetime | None


def materials_plan(session: DbSession, forum: Forum, default_days: int = 7) -> Plan:
    """The forum's plan, or the default one when organizers saved none."""
    row = session.scalar(select(MaterialsPlan).where(MaterialsPlan.forum_id == forum.id))
    if row is None:
        return Plan(default_days or None, None, None)
    timing = PacketTiming(row.packet_timing) if row.packet_timing else None
    return Plan(row.slides_reminder_days, timing, row.packet_send_at)


def save_plan(
    session: DbSession,
    forum: Forum,
    *,
    slides_reminder_days: int | None,
    packet_timing: PacketTiming | None,
    packet_send_local: datetime | None,
    user_id: int | None,
    now: datetime | None = None,
) -> Plan:
    """Save the plan; ``packet_send_local`` is a wall-clock time in the program's zone, needed
    (and in the future) when the packet goes at a chosen time. Flushes; the caller commits."""
    if slides_reminder_days is not None and not 1 <= slides_reminder_days <= 60:
        raise PlanRefused("Choose between 1 and 60 days, or no reminder.", "slides_reminder_days")
    send_at = None
    if packet_timing == PacketTiming.AT_TIME:
        if packet_send_local is None:
            raise PlanRefused("Choose when the packet goes.", "packet_send_at")
        send_at = local_instant(
            packet_send_local.date(), packet_send_local.time(), forum.program.time_zone
        )
        if send_at <= (now or utcnow()):
            raise PlanRefused("Choose a time in the future.", "packet_send_at")
    row = session.scalar(select(MaterialsPlan).where(MaterialsPlan.forum_id == forum.id))
    if row is None:
        row = MaterialsPlan(forum_id=forum.id)
        session.add(row)
    row.slides_reminder_days = slides_reminder_days
    row.packet_timing = packet_timing.value if packet_timing else None
    row.packet_send_at = send_at
    row.updated_by_id = user_id
    session.flush()
    audit.record(
        session,
        user_id,
        "materials.plan",
        f"forum:{forum.id}",
        slides_reminder_days=slides_reminder_days,
        packet=row.packet_timing,
    )
    return materials_plan(session, forum)
