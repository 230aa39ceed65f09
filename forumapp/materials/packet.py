"""The packet after a forum: one email to everyone who attended, in their language, with the
materials of the sessions they attended and of the general sessions (and the forum's own),
the faculty's summary once it went out, and their team's commitments from the forum.

Organizers choose when it goes (``MaterialsPlan``): as soon as feedback closes, or at a time.
The mail worker queues it (``queue_due_packets``), each person's once: a ``PacketDelivery``
row inserted in the same transaction as the mail, so two workers never send it twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..agenda.models import AgendaItem, ItemKind, ItemStatus
from ..commitments.models import Commitment, CommitmentStatus
from ..core import clock
from ..core.database import insert_once
from ..core.i18n import local_text
from ..core.links import absolute_url, personal_token
from ..core.models import Forum, ForumDay, Person, TeamMembership
from ..extensions import DbSession
from ..feedback.attendance import attendee_count, attendees, sessions_attended
from ..feedback.review import sent_summary
from ..feedback.window import feedback_window
from ..mail.outbox import queue_email_to_person
from ..registration.models import Registration
from .access import may_see, reader_for_person
from .models import Material, MaterialsPlan, PacketDelivery, PacketTiming
from .services import forum_materials

BATCH = 50  # people per worker call, so one round never holds a long transaction


@dataclass(frozen=True)
class Packet:
    """What one attendee's packet lists."""

    person: Person
    materials: list[Material]
    summary: str  # empty until the faculty summary went out
    commitments: list[Commitment]


def packet_due_at(session: DbSession, forum: Forum) -> datetime | None:
    """When the forum's packet goes (or went): the feedback's closing time or the chosen time;
    None while not planned, or planned for feedback that has no closing time yet."""
    plan = session.scalar(select(MaterialsPlan).where(MaterialsPlan.forum_id == forum.id))
    if plan is None or plan.packet_timing is None:
        return None
    if plan.packet_timing == PacketTiming.AT_TIME:
        return plan.packet_send_at
    window = feedback_window(session, forum)
    return window.closes_at if window is not None and window.opened_at is not None else None


@dataclass(frozen=True)
class _Forum:
    """What every packet of a forum shares, read once for a batch of them."""

    materials: list[Material]  # all of the forum's, in order; each packet keeps its own
    general_ids: set[int]  # the general sessions, whose materials everyone gets
    summary: str  # empty until the faculty summary went out


def _forum(session: DbSession, forum: Forum) -> _Forum:
    general = session.scalars(
        select(AgendaItem.id)
        .join(ForumDay)
        .where(
            ForumDay.forum_id == forum.id,
            AgendaItem.kind == ItemKind.GENERAL_SESSION.value,
            AgendaItem.status == ItemStatus.SCHEDULED.value,
        )
    )
    sent = sent_summary(session, forum)
    return _Forum(
        forum_materials(session, forum), set(general), sent.summary.strip() if sent else ""
    )


def packet_for(
    session: DbSession, forum: Forum, person: Person, shared: _Forum | None = None
) -> Packet:
    """The packet ``person`` gets for ``forum`` (they may see each material listed)."""
    shared = shared or _forum(session, forum)
    registration = session.scalar(
        select(Registration).where(
            Registration.forum_id == forum.id, Registration.person_id == person.id
        )
    )
    attended = (
        {item.id for item in sessions_attended(session, registration)} if registration else set()
    )
    listed = attended | shared.general_ids
    reader = reader_for_person(session, person, forum)
    materials = [
        material
        for material in shared.materials
        if (material.item_id is None or material.item_id in listed) and may_see(reader, material)
    ]
    commitments = session.scalars(
        select(Commitment)
        .join(TeamMembership, TeamMembership.team_id == Commitment.team_id)
        .where(
            Commitment.forum_id == forum.id,
            TeamMembership.person_id == person.id,
            Commitment.status != CommitmentStatus.DROPPED.value,
        )
        .order_by(Commitment.created_at, Commitment.id)
    ).all()
    return Packet(person, materials, shared.summary, list(commitments))


def _due_forums(session: DbSession, now: datetime) -> list[Forum]:
    forums = session.scalars(
        select(Forum).join(MaterialsPlan).where(MaterialsPlan.packet_timing.is_not(None))
    ).all()
    return [
        forum
        for forum in forums
        if (due := packet_due_at(session, forum)) is not None and due <= now
    ]


def _unsent(session: DbSession, forum: Forum) -> list[Person]:
    sent = set(
        session.scalars(select(PacketDelivery.person_id).where(PacketDelivery.forum_id == forum.id))
    )
    return [person for person in attendees(session, forum) if person.id not in sent]


def queue_due_packets(session: DbSession, now: datetime | None = None, limit: int = BATCH) -> int:
    """Queue the packets whose time has come to up to ``limit`` attendees who have not had
    theirs; returns how many were handled (0: nothing left). Flushes; the caller commits."""
    now = now or clock.utcnow()
    handled = 0
    for forum in _due_forums(session, now):
        unsent = _unsent(session, forum)[: limit - handled]
        shared = _forum(session, forum) if unsent else None
        for person in unsent:
            packet = packet_for(session, forum, person, shared)
            if insert_once(
                session,
                PacketDelivery,
                ["forum_id", "person_id"],
                forum_id=forum.id,
                person_id=person.id,
                queued_at=now,
                materials=len(packet.materials),
            ):
                _queue(session, forum, packet)
            handled += 1
        if handled >= limit:
            break
    return handled


def _queue(session: DbSession, forum: Forum, packet: Packet) -> None:
    person = packet.person
    token = personal_token(person)
    queue_email_to_person(
        session,
        "materials/email/packet",
        person,
        kind="forum_packet",
        subject=lambda: _("Resources from %(forum)s", forum=local_text(forum, "title")),
        about=f"forum:{forum.id}",
        forum=forum,
        packet=packet,
        material_links={
            material.id: material.url
            or absolute_url(
                "materials.personal_file",
                token=token,
                material_id=material.id,
                filename=material.filename,
            )
            for material in packet.materials
        },
        resources_link=absolute_url("materials.resources_page", forum_id=forum.id),
        page_link=absolute_url("attendee.personal_page", token=token),
        program=forum.program,
    )


def packets_waiting(session: DbSession, now: datetime | None = None) -> int:
    """How many attendees wait for a packet now (for the outbox page)."""
    return sum(
        len(_unsent(session, forum)) for forum in _due_forums(session, now or clock.utcnow())
    )


@dataclass(frozen=True)
class PacketProgress:
    due_at: datetime | None
    attendees: int
    sent: int


def packet_progress(session: DbSession, forum: Forum) -> PacketProgress:
    """For the organizers' page: when the packet goes and how many of the attendees have it."""
    sent = session.scalar(
        select(func.count()).select_from(PacketDelivery).where(PacketDelivery.forum_id == forum.id)
    )
    return PacketProgress(packet_due_at(session, forum), attendee_count(session, forum), sent or 0)
