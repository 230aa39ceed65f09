"""Invitation emails (iMIP): bringing one person's calendar event in line, one email at a time.

``refresh_invite`` compares what the person's calendar should hold (a confirmed seat or pick on
a scheduled session of a published forum) with the stored ``CalendarInvite``, and queues one
email for that one UID when they differ, or when the event itself changed:

* wanted and not yet invited (new, re-registered or promoted): ``REQUEST``, a new SEQUENCE;
* invited and no longer wanted (cancelled, or the session cancelled or deleted): ``CANCEL``,
  ``STATUS:CANCELLED``;
* invited, wanted, and the event changed: an update (``REQUEST``, SEQUENCE + 1).

The email says what changed and repeats the date, times and place; it carries the event's
whole state, so an older message for the same event not yet sent is dropped from the outbox.
Who is brought in line, and when, is for ``receivers`` and ``pending`` to decide.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TypedDict

from flask import current_app, render_template
from flask_babel import gettext as _
from sqlalchemy import Select, select

from ..agenda.models import AgendaItem, ItemStatus
from ..core.clock import to_local, utcnow
from ..core.i18n import format_local_time, format_short_date, in_language
from ..core.models import Forum, ForumDay, ForumStatus, Person
from ..mail.outbox import queue_email
from ..registration.models import BreakoutPick, DaySeat, Registration, SeatStatus
from ..registration.notices import personal_link
from .events import (
    day_event,
    event_target,
    forum_zone,
    item_event,
    organizer_for,
    personal_uid,
    viewer_for,
)
from .feeds import ensure_feed
from .ics import Address, Method, build_calendar
from .models import CalendarInvite, InviteStatus

# --- Who holds a place -----------------------------------------------------------------------


def seat_holders(day_id: int) -> Select:
    """The ids of the people with a confirmed seat on the day: only those are invited to it."""
    return (
        select(Registration.person_id)
        .join(DaySeat)
        .where(DaySeat.day_id == day_id, DaySeat.status == SeatStatus.CONFIRMED.value)
    )


def pick_holders(item_id: int) -> Select:
    """The ids of the people with a confirmed pick of the breakout: only those are invited."""
    return (
        select(Registration.person_id)
        .join(BreakoutPick)
        .where(BreakoutPick.item_id == item_id, BreakoutPick.status == SeatStatus.CONFIRMED.value)
    )


def _holds(session, holders: Select, person_id: int) -> bool:
    return session.scalar(holders.where(Registration.person_id == person_id).limit(1)) is not None


# --- One person's event ----------------------------------------------------------------------


def _forum_of(target: ForumDay | AgendaItem) -> Forum:
    return target.forum if isinstance(target, ForumDay) else target.day.forum


def _invite_for_update(session, person_id: int, event_key: str) -> CalendarInvite | None:
    # Locked until commit on PostgreSQL, so two concurrent edits never send the same SEQUENCE.
    return session.scalar(
        select(CalendarInvite)
        .where(CalendarInvite.person_id == person_id, CalendarInvite.event_key == event_key)
        .with_for_update()
    )


def refresh_invite(
    session,
    person: Person,
    event_key: str,
    *,
    changed: bool = False,
    gone: bool = False,
    exclude_item_id: int | None = None,
    what_changed: list[str] | None = None,
) -> CalendarInvite | None:
    """Bring one person's calendar event (``day-<id>`` or ``item-<id>``) in line: invite,
    update (when ``changed``) or cancel, queueing at most one email. ``gone``: the session is
    being deleted. Returns the invite, if there is one. Flushes; the caller commits."""
    target = event_target(session, event_key)
    if target is None:
        return None
    invite = _invite_for_update(session, person.id, event_key)
    forum = _forum_of(target)
    if isinstance(target, ForumDay):
        wanted = _holds(session, seat_holders(target.id), person.id)
    else:
        wanted = (
            not gone
            and target.status == ItemStatus.SCHEDULED
            and _holds(session, pick_holders(target.id), person.id)
        )
    wanted = wanted and forum.status != ForumStatus.DRAFT
    active = invite is not None and invite.status == InviteStatus.ACTIVE
    if wanted and active and not changed:
        return invite
    if not wanted and not active:
        return invite
    if invite is None:
        invite = CalendarInvite(
            person_id=person.id,
            event_key=event_key,
            uid=personal_uid(event_key, person.id),
            sequence=0,
        )
        session.add(invite)
    else:
        invite.sequence += 1
    invite.status = (InviteStatus.ACTIVE if wanted else InviteStatus.CANCELLED).value
    invite.last_sent_at = utcnow()
    session.flush()
    _queue_invitation(
        session,
        person,
        target,
        invite,
        method=Method.REQUEST if wanted else Method.CANCEL,
        is_update=wanted and active,
        exclude_item_id=exclude_item_id,
        what_changed=what_changed or [],
    )
    if wanted:
        ensure_feed(session, person)
    return invite


# --- The email -------------------------------------------------------------------------------


def invitation_alarm() -> timedelta | None:
    """How long before an event its invitation has the calendar remind the person
    (``CALENDAR_ALARM_BEFORE_HOURS``, a day by default; 0: no reminder)."""
    hours = current_app.config["CALENDAR_ALARM_BEFORE_HOURS"]
    return timedelta(hours=hours) if hours > 0 else None


class _Addressed(TypedDict):
    """What a day's event and a session's event share when sent to one person."""

    uid: str
    sequence: int
    link: str | None
    attendee: Address | None
    cancelled: bool


@dataclass
class _When:
    date: date
    start: str
    end: str
    zone: str


def _queue_invitation(
    session,
    person: Person,
    target: ForumDay | AgendaItem,
    invite: CalendarInvite,
    *,
    method: Method,
    is_update: bool,
    exclude_item_id: int | None,
    what_changed: list[str],
) -> None:
    """The invitation, its text and its calendar file in the person's language."""
    with in_language(person.language):
        forum = _forum_of(target)
        viewer = viewer_for(session, person, forum)
        link = personal_link(person)
        attendee = Address(person.email, person.name)
        common = _Addressed(
            uid=invite.uid,
            sequence=invite.sequence,
            link=link,
            attendee=attendee,
            cancelled=method == Method.CANCEL,
        )
        if isinstance(target, ForumDay):
            event = day_event(session, target, viewer, exclude_item_id=exclude_item_id, **common)
        else:
            event = item_event(target, viewer, **common)
        if method != Method.CANCEL:
            event = replace(event, alarm_before=invitation_alarm())
        zone = forum_zone(forum)
        ics = build_calendar(
            [event], method=method, time_zone=zone, organizer=organizer_for(forum.program)
        )
        local_start = to_local(event.starts_at, zone)
        when = _When(
            date=local_start.date(),
            start=format_local_time(event.starts_at, zone),
            end=format_local_time(event.ends_at, zone),
            zone=local_start.tzname() or zone,
        )
        words = {"event": event.summary, "date": format_short_date(when.date)}
        if method == Method.CANCEL:
            template, kind = "calendar_cancellation", "calendar_cancellation"
            subject = _("Cancelled: %(event)s, %(date)s", **words)
        elif is_update:
            template, kind = "calendar_invitation", "calendar_update"
            subject = _("Updated: %(event)s, %(date)s", **words)
        else:
            template, kind = "calendar_invitation", "calendar_invitation"
            subject = _("Invitation: %(event)s, %(date)s", **words)
        context = dict(
            subject=subject,
            to_name=person.name,
            person=person,
            forum=forum,
            program=forum.program,
            event=event,
            when=when,
            link=link,
            is_update=is_update,
            what_changed=what_changed,
            is_breakout=isinstance(target, AgendaItem),
        )
        queue_email(
            session,
            to_email=person.email,
            to_name=person.name,
            subject=subject,
            text_body=render_template(f"calendar/email/{template}.txt", **context),
            html_body=render_template(f"calendar/email/{template}.html", **context),
            kind=kind,
            person_id=person.id,
            # Each message carries the event's whole state: an older one not yet sent is dropped.
            about=f"calendar:{person.id}:{invite.event_key}",
            supersedes=True,
            # RFC 6047: the iTIP object as a text/calendar alternative of the readable text, with
            # the method in the MIME type too; the attachment is for clients that only offer files.
            alternatives=[
                {
                    "content_type": f"text/calendar; method={method.value}; charset=UTF-8",
                    "content": ics,
                }
            ],
            attachments=[
                {
                    "filename": "invite.ics" if method == Method.REQUEST else "cancel.ics",
                    "content_type": "application/ics",
                    "content": ics,
                }
            ],
        )
