"""Calendar invitations that stay up to date, and the events behind downloads and feeds.

What reaches a person's calendar
--------------------------------
* **Each confirmed forum day is its own invitation** (its own UID), spanning the day's times;
  a two-day forum is two events, never one long block.
* **Each confirmed breakout pick is its own invitation** too, exactly like a day. A waitlisted
  day or pick gets nothing until it is promoted; a pick moved to another breakout cancels the
  old UID and invites the new one. So no event ever appears twice.
* The day invitation's description lists the day's agenda *without* breakouts (the sessions
  everyone attends, meals, panels), as the person may see it. Breakouts are never in it: the
  person's own picks are separate events.

UIDs are ``day-<id>-person-<id>@<host>`` and ``item-<id>-person-<id>@<host>`` (host of
``PUBLIC_BASE_URL``), stored in ``CalendarInvite`` with the last ``SEQUENCE`` sent, so they never
change even if the base URL does. The personal feed uses the same UIDs; public downloads and the
public program feed use ``day-<id>@<host>`` and ``item-<id>@<host>``.

What triggers mail (receivers of the registration and agenda signals)
----------------------------------------------------------------------
``refresh_invite`` compares what the person's calendar should hold (a confirmed seat or pick on
a scheduled session of a published forum) with the stored invite, and queues one email for that
one UID when they differ, or when the event itself changed:

* a seat or pick confirmed (new, re-registered or promoted): ``REQUEST``, a new SEQUENCE;
* a seat or pick cancelled, a breakout cancelled or deleted: ``CANCEL``, ``STATUS:CANCELLED``;
* a breakout's time, room or status changed: an update (``REQUEST``, SEQUENCE + 1) to everyone
  holding an invitation for it or a confirmed pick of it;
* any other session's time, room or status changed: the *day* invitation is sent again (its
  description lists that session) to everyone on that day who may see the session;
* a day's date or times changed: the day invitation is sent again.

Each change yields one email per person and event, whatever number of fields changed; the email
says what changed and repeats the date, times and place.

The receivers do not build invitations: inside the sender's transaction they only write a
``PendingInvite`` row per person and event (and the person's feed), so a registration stays
quick and an organizer's edit on a day with hundreds of people answers at once; a rolled-back
edit leaves nothing. The mail worker (``deliver_due``, through ``register_mail_writer``) then
runs ``write_pending_invites``: rows for the same person and event become one email that reads
the state of that moment, so a seat taken and given back before it came sends nothing, and two
quick edits make one update naming both. Only the deletion of a session is written at once,
while the session still exists to describe. An event that cannot be written keeps its rows,
marked failed, and the outbox page shows them with the error and a button to try again.

Creating a session on a published forum sends no signal, so day invitations learn of new
sessions at the next change; the feeds are always current.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import parseaddr
from urllib.parse import urlsplit

from flask import Flask, current_app, render_template
from sqlalchemy import delete, func, select, update

from ..agenda import services as agenda
from ..agenda.models import AgendaChange, AgendaItem, ItemKind, ItemStatus
from ..agenda.signals import agenda_changed, day_changed
from ..core.clock import local_instant, to_local, utcnow
from ..core.links import absolute_url, personal_links_revoked
from ..core.models import Forum, ForumDay, ForumStatus, Person, Program
from ..core.templating import format_date, format_local_time
from ..mail.delivery import (
    MailWriter,
    UnwrittenMail,
    announce_mail_to_write,
    register_mail_writer,
)
from ..mail.outbox import queue_email
from ..registration.models import BreakoutPick, DaySeat, Registration, SeatStatus
from ..registration.services import is_team_member, personal_link
from ..registration.signals import place_changed
from .ics import Address, CalendarEvent, Method, build_calendar
from .models import CalendarFeed, CalendarInvite, InviteStatus, PendingInvite

PENDING_BATCH = 200  # pending invites the worker handles per transaction

# --- Keys, UIDs and the organizer ------------------------------------------------------------


def day_key(day_id: int) -> str:
    return f"day-{day_id}"


def item_key(item_id: int) -> str:
    return f"item-{item_id}"


def _host() -> str:
    return urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or "forumapp.invalid"


def personal_uid(event_key: str, person_id: int) -> str:
    """The UID of an event in one person's calendar (invitation and personal feed)."""
    return f"{event_key}-person-{person_id}@{_host()}"


def public_uid(event_key: str) -> str:
    """The UID of an event in public downloads and the public feed."""
    return f"{event_key}@{_host()}"


def organizer_for(program: Program | None) -> Address:
    """The organizer: the address mail is sent from (so replies and clients' checks line up),
    named after the program."""
    name, email = parseaddr(current_app.config.get("MAIL_DEFAULT_SENDER") or "")
    return Address(email=email or f"forums@{_host()}", name=program.name if program else name)


# --- Events ----------------------------------------------------------------------------------


def _zone(forum: Forum) -> str:
    return forum.program.time_zone


def _clock(instant: datetime, zone: str) -> str:
    return format_local_time(instant, zone)


def _span(starts_at: datetime, ends_at: datetime, zone: str) -> str:
    return f"{_clock(starts_at, zone)}–{_clock(ends_at, zone)}"


def _day_span(day: ForumDay) -> tuple[datetime, datetime]:
    zone = _zone(day.forum)
    return local_instant(day.date, day.starts_at, zone), local_instant(day.date, day.ends_at, zone)


def _venue(forum: Forum) -> str:
    return ", ".join(
        part for part in (forum.venue_name, forum.venue_address, forum.venue_city) if part
    )


def _day_summary(day: ForumDay, viewer: agenda.Viewer | None = None) -> str:
    """The forum's title, and which of its days this is among those ``viewer`` may attend
    (a public attendee's day is not "day 1 of 2" when day 2 is for the teams alone)."""
    days = agenda.visible_days(viewer, day.forum) if viewer is not None else day.forum.days
    if day not in days:  # e.g. an organizer gave a member of the public a team-day seat
        days = day.forum.days
    if len(days) < 2:
        return day.forum.title
    return f"{day.forum.title} (day {days.index(day) + 1} of {len(days)})"


def _public_url(forum: Forum, day: ForumDay) -> str:
    return absolute_url("site.forum_page", forum_id=forum.id) + f"#day-{day.id}"


def _closing(link: str | None, url: str) -> str:
    return f"Your registration and personal page:\n{link}" if link else f"Details:\n{url}"


def day_event(
    session,
    day: ForumDay,
    viewer: agenda.Viewer,
    *,
    uid: str,
    sequence: int = 0,
    link: str | None = None,
    attendee: Address | None = None,
    cancelled: bool = False,
    exclude_item_id: int | None = None,
) -> CalendarEvent:
    """A forum day as one event; its description lists the sessions ``viewer`` may see, except
    breakouts (separate events). ``link`` is the person's personal page, for invitations."""
    forum = day.forum
    zone = _zone(forum)
    starts_at, ends_at = _day_span(day)
    items = [
        item
        for item in agenda.agenda_items(session, [day])[day.id]
        if item.kind != ItemKind.BREAKOUT
        and item.id != exclude_item_id
        and agenda.can_see_item(viewer, item)
    ]
    has_breakouts = any(item.kind == ItemKind.BREAKOUT for item in day.items)
    lines = [
        forum.title,
        f"{format_date(day.date)}, {_span(starts_at, ends_at, zone)}",
        "Open to the public" if day.is_public else "Community teams only",
        f"Venue: {_venue(forum)}",
    ]
    if forum.theme:
        lines += ["", forum.theme]
    if items:
        lines += ["", "Agenda:"]
        for item in items:
            room = f" ({item.room.name})" if item.room else ""
            off = " (cancelled)" if item.is_cancelled else ""
            lines.append(f"{_span(item.starts_at, item.ends_at, zone)} {item.title}{room}{off}")
    if has_breakouts and (viewer.is_team_member or viewer.is_staff):
        lines += ["", "Breakouts you choose appear in your calendar as events of their own."]
    url = link or _public_url(forum, day)
    lines += ["", _closing(link, url)]
    return CalendarEvent(
        uid=uid,
        starts_at=starts_at,
        ends_at=ends_at,
        summary=_day_summary(day, viewer),
        location=_venue(forum),
        description="\n".join(lines),
        url=url,
        sequence=sequence,
        cancelled=cancelled,
        attendee=attendee,
    )


def item_event(
    item: AgendaItem,
    viewer: agenda.Viewer,
    *,
    uid: str,
    sequence: int = 0,
    link: str | None = None,
    attendee: Address | None = None,
    cancelled: bool = False,
) -> CalendarEvent:
    """One session as an event, located in its room at the venue."""
    forum = item.day.forum
    zone = _zone(forum)
    location = _venue(forum)
    if item.room is not None:
        location = f"{item.room.name}, {location}"
    lines = [
        f"{item.kind_label} at {forum.title}",
        f"{format_date(item.day.date)}, {_span(item.starts_at, item.ends_at, zone)}",
        f"Where: {location}",
    ]
    if item.is_cancelled:
        lines.append("This session is cancelled.")
    speakers = [
        link_.speaker.name
        for link_ in item.speaker_links
        if agenda.can_see_speaker(viewer, link_.speaker)
    ]
    if speakers:
        lines.append(f"With: {', '.join(speakers)}")
    if item.description:
        lines += ["", item.description]
    url = link or _public_url(forum, item.day)
    lines += ["", _closing(link, url)]
    return CalendarEvent(
        uid=uid,
        starts_at=item.starts_at,
        ends_at=item.ends_at,
        summary=f"{item.title} – {forum.title}",
        location=location,
        description="\n".join(lines),
        url=url,
        sequence=sequence,
        cancelled=cancelled or item.is_cancelled,
        attendee=attendee,
    )


# --- Invitations -----------------------------------------------------------------------------


def _viewer_for(session, person: Person, forum: Forum) -> agenda.Viewer:
    return agenda.Viewer(is_team_member=is_team_member(session, person, forum))


def _invite_for_update(session, person_id: int, event_key: str) -> CalendarInvite | None:
    # Locked until commit on PostgreSQL, so two concurrent edits never send the same SEQUENCE.
    return session.scalar(
        select(CalendarInvite)
        .where(CalendarInvite.person_id == person_id, CalendarInvite.event_key == event_key)
        .with_for_update()
    )


def _has_confirmed_seat(session, person_id: int, day_id: int) -> bool:
    return (
        session.scalar(
            select(DaySeat.id)
            .join(Registration)
            .where(
                Registration.person_id == person_id,
                DaySeat.day_id == day_id,
                DaySeat.status == SeatStatus.CONFIRMED.value,
            )
            .limit(1)
        )
        is not None
    )


def _has_confirmed_pick(session, person_id: int, item_id: int) -> bool:
    return (
        session.scalar(
            select(BreakoutPick.id)
            .join(Registration)
            .where(
                Registration.person_id == person_id,
                BreakoutPick.item_id == item_id,
                BreakoutPick.status == SeatStatus.CONFIRMED.value,
            )
            .limit(1)
        )
        is not None
    )


def _target(session, event_key: str) -> ForumDay | AgendaItem | None:
    kind, _, raw_id = event_key.partition("-")
    model = ForumDay if kind == "day" else AgendaItem
    return session.get(model, int(raw_id))


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
    target = _target(session, event_key)
    if target is None:
        return None
    invite = _invite_for_update(session, person.id, event_key)
    if isinstance(target, ForumDay):
        forum = target.forum
        wanted = _has_confirmed_seat(session, person.id, target.id)
    else:
        forum = target.day.forum
        wanted = (
            not gone
            and target.status == ItemStatus.SCHEDULED
            and _has_confirmed_pick(session, person.id, target.id)
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
    forum = target.forum if isinstance(target, ForumDay) else target.day.forum
    viewer = _viewer_for(session, person, forum)
    link = personal_link(person)
    attendee = Address(person.email, person.name)
    common = dict(uid=invite.uid, sequence=invite.sequence, link=link, attendee=attendee,
                  cancelled=method == Method.CANCEL)  # fmt: skip
    if isinstance(target, ForumDay):
        event = day_event(session, target, viewer, exclude_item_id=exclude_item_id, **common)
    else:
        event = item_event(target, viewer, **common)
    zone = _zone(forum)
    ics = build_calendar(
        [event], method=method, time_zone=zone, organizer=organizer_for(forum.program)
    )
    local_start = to_local(event.starts_at, zone)
    when = _When(
        date=local_start.date(),
        start=_clock(event.starts_at, zone),
        end=_clock(event.ends_at, zone),
        zone=local_start.tzname() or zone,
    )
    if method == Method.CANCEL:
        template, kind, prefix = "calendar_cancellation", "calendar_cancellation", "Cancelled"
    elif is_update:
        template, kind, prefix = "calendar_invitation", "calendar_update", "Updated"
    else:
        template, kind, prefix = "calendar_invitation", "calendar_invitation", "Invitation"
    subject = f"{prefix}: {event.summary}, {when.date:%b} {when.date.day}, {when.date.year}"
    context = dict(
        subject=subject, to_name=person.name, person=person, forum=forum, program=forum.program,
        event=event, when=when, link=link, is_update=is_update, what_changed=what_changed,
        is_breakout=isinstance(target, AgendaItem),
    )  # fmt: skip
    queue_email(
        session,
        to_email=person.email,
        to_name=person.name,
        subject=subject,
        text_body=render_template(f"mail/{template}.txt", **context),
        html_body=render_template(f"mail/{template}.html", **context),
        kind=kind,
        person_id=person.id,
        # Each message carries the event's whole state: an older one not yet sent is dropped.
        about=f"calendar:{person.id}:{invite.event_key}",
        supersedes=True,
        # RFC 6047: the iTIP object as a text/calendar alternative of the readable text, with
        # the method in the MIME type too; the attachment is for clients that only offer files.
        alternatives=[
            {"content_type": f"text/calendar; method={method.value}; charset=UTF-8", "content": ics}
        ],
        attachments=[
            {
                "filename": "invite.ics" if method == Method.REQUEST else "cancel.ics",
                "content_type": "application/ics",
                "content": ics,
            }
        ],
    )


# --- Receivers ---------------------------------------------------------------------------------


def _defer_refresh(
    session, person_id: int, event_key: str, *, changed: bool = False,
    exclude_item_id: int | None = None, visible_item_id: int | None = None,
    what_changed: list[str] | None = None,
) -> None:  # fmt: skip
    """Ask the mail worker to bring one person's event in line (see ``PendingInvite``)."""
    session.add(
        PendingInvite(
            person_id=person_id,
            event_key=event_key,
            changed=changed,
            exclude_item_id=exclude_item_id,
            visible_item_id=visible_item_id,
            what_changed=what_changed or [],
        )  # fmt: skip
    )
    announce_mail_to_write()


def _on_place_changed(sender, session, **_extra) -> None:
    registration = sender.registration
    if sender.status == SeatStatus.CONFIRMED.value:
        # The personal page offers the feed at once; the invitation follows from the worker.
        ensure_feed(session, registration.person)
    if isinstance(sender, DaySeat):
        _defer_refresh(session, registration.person_id, day_key(sender.day_id))
    elif isinstance(sender, BreakoutPick):
        _defer_refresh(session, registration.person_id, item_key(sender.item_id))


def write_pending_invites(session, limit: int = PENDING_BATCH) -> int:
    """Bring in line up to ``limit`` events that requests left for the mail worker, queueing
    their invitations, updates and cancellations; returns how many rows were handled.

    Rows for the same person and event are handled once, with every change they describe.
    The state is read now, so an event confirmed and cancelled before the worker came sends
    nothing. An event that cannot be brought in line keeps its rows, marked failed with the
    error (``unwritten_invites``), and the others go on. On PostgreSQL a second worker skips
    the rows this one holds. Flushes; the caller commits.
    """
    rows = session.scalars(
        select(PendingInvite)
        .where(PendingInvite.failed_at.is_(None))
        .order_by(PendingInvite.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    batches: dict[tuple[int, str], list[PendingInvite]] = {}
    for row in rows:
        batches.setdefault((row.person_id, row.event_key), []).append(row)
    for (person_id, event_key), batch in batches.items():
        written, error = _write_batch(session, person_id, event_key, batch)
        if error is not None:
            now = utcnow()
            for row in batch:
                row.failed_at, row.last_error = now, error
        else:
            _forget(session, person_id, event_key, batch, with_failures=written)
    session.flush()
    return len(rows)


def _write_batch(
    session, person_id: int, event_key: str, batch: list[PendingInvite]
) -> tuple[bool, str | None]:
    """Bring one person's event in line with every change in ``batch``. Returns whether it
    was written (False when the changes were not for this person to see) and the error."""
    person = session.get(Person, person_id)
    visible = [row.visible_item_id for row in batch if row.visible_item_id is not None]
    if person is None or not all(_may_see(session, person, item_id) for item_id in visible):
        return False, None
    lines = list(dict.fromkeys(line for row in batch for line in row.what_changed))
    excluded = [row.exclude_item_id for row in batch if row.exclude_item_id is not None]
    try:
        with session.begin_nested():
            refresh_invite(
                session, person, event_key,
                changed=any(row.changed for row in batch),
                exclude_item_id=excluded[-1] if excluded else None,
                what_changed=lines,
            )  # fmt: skip
    except Exception as exc:  # one broken event must not hold up everyone else's mail
        current_app.logger.exception(
            "Could not bring %s in line for person %s", event_key, person_id
        )
        return False, f"{type(exc).__name__}: {exc}"[:300]
    return True, None


def _forget(
    session, person_id: int, event_key: str, batch: list[PendingInvite], with_failures: bool
) -> None:
    """Drop the rows just handled and, ``with_failures`` (the event was written: it is in line
    now), its earlier failed ones. Rows another request added since stay, as their change may
    have come after the state was read."""
    for row in batch:
        session.delete(row)
    if not with_failures:
        return
    session.execute(
        delete(PendingInvite).where(
            PendingInvite.person_id == person_id,
            PendingInvite.event_key == event_key,
            PendingInvite.failed_at.is_not(None),
        )
    )


def waiting_invites(session) -> int:
    """How many calendar updates wait for the mail worker (failed ones not counted)."""
    return session.scalar(
        select(func.count()).select_from(PendingInvite).where(PendingInvite.failed_at.is_(None))
    )


FAILURES_SHOWN = 50


def unwritten_invites(session, limit: int = FAILURES_SHOWN) -> list[UnwrittenMail]:
    """The calendar updates that could not be written, one per person and event, newest first."""
    rows = session.execute(
        select(PendingInvite.person_id, PendingInvite.event_key,
               func.max(PendingInvite.failed_at), func.max(PendingInvite.last_error))
        .where(PendingInvite.failed_at.is_not(None))
        .group_by(PendingInvite.person_id, PendingInvite.event_key)
        .order_by(func.max(PendingInvite.failed_at).desc())
        .limit(limit)
    ).all()  # fmt: skip
    people = {person.id: person for person in _people(session, [row[0] for row in rows])}
    return [
        UnwrittenMail(
            about=f"{_who(people.get(person_id))}: {_what(session, event_key)}",
            error=error or "",
            failed_at=failed_at,
        )
        for person_id, event_key, failed_at, error in rows
    ]


def _who(person: Person | None) -> str:
    return f"{person.name} <{person.email}>" if person else "someone since erased"


def _what(session, event_key: str) -> str:
    target = _target(session, event_key)
    if isinstance(target, ForumDay):
        return _day_summary(target)
    if isinstance(target, AgendaItem):
        return f"{target.title}, {_day_summary(target.day)}"
    return "a session since deleted"


def failed_invites(session) -> int:
    """How many people's calendar events could not be brought in line."""
    failed_events = (
        select(PendingInvite.person_id, PendingInvite.event_key)
        .where(PendingInvite.failed_at.is_not(None))
        .distinct()
    )
    return session.scalar(select(func.count()).select_from(failed_events.subquery()))


def retry_unwritten_invites(session) -> int:
    """Put the failed calendar updates back in line for the worker; returns how many people's
    events. Flushes; the caller commits."""
    count = failed_invites(session)
    session.execute(
        update(PendingInvite)
        .where(PendingInvite.failed_at.is_not(None))
        .values(failed_at=None, last_error=None)
    )
    if count:
        announce_mail_to_write()
    return count


CALENDAR_WRITER = MailWriter(
    name="calendar updates",
    write=write_pending_invites,
    waiting=waiting_invites,
    failed=failed_invites,
    failures=unwritten_invites,
    retry=retry_unwritten_invites,
)


def _may_see(session, person: Person, item_id: int) -> bool:
    item = session.get(AgendaItem, item_id)
    if item is None:
        return True  # deleted since: the day invitation no longer lists it
    return agenda.can_see_item(_viewer_for(session, person, item.day.forum), item)


def _people(session, person_ids) -> list[Person]:
    ids = sorted(set(person_ids))
    if not ids:
        return []
    return list(session.scalars(select(Person).where(Person.id.in_(ids)).order_by(Person.id)))


def _invited(session, event_key: str) -> set[int]:
    return set(
        session.scalars(
            select(CalendarInvite.person_id).where(
                CalendarInvite.event_key == event_key,
                CalendarInvite.status == InviteStatus.ACTIVE.value,
            )
        )
    )


def _seated(session, day_id: int) -> set[int]:
    return set(
        session.scalars(
            select(Registration.person_id)
            .join(DaySeat)
            .where(DaySeat.day_id == day_id, DaySeat.status == SeatStatus.CONFIRMED.value)
        )
    )


def _picked(session, item_id: int) -> set[int]:
    return set(
        session.scalars(
            select(Registration.person_id)
            .join(BreakoutPick)
            .where(
                BreakoutPick.item_id == item_id, BreakoutPick.status == SeatStatus.CONFIRMED.value
            )
        )
    )


def describe_change(change: AgendaChange, zone: str) -> list[str]:
    """What changed, in words: ``Time: was 10:30 AM–11:45 AM, now 11:00 AM–12:15 PM``."""
    fields = change.changes or {}
    item = change.item
    lines = []
    if "title" in fields:
        old, new = fields["title"]
        lines.append(f"Title: was “{old}”, now “{new}”")
    if "starts_at" in fields or "ends_at" in fields:

        def clock(name: str, index: int) -> str:
            if name in fields:
                return _clock(datetime.fromisoformat(fields[name][index]), zone)
            return _clock(getattr(item, name), zone) if item is not None else "?"

        lines.append(
            f"Time: was {clock('starts_at', 0)}–{clock('ends_at', 0)}, "
            f"now {clock('starts_at', 1)}–{clock('ends_at', 1)}"
        )
    if "room" in fields:
        old, new = fields["room"]
        lines.append(f"Room: was {old or 'no room'}, now {new or 'no room'}")
    if "status" in fields:
        old_status, new_status = fields["status"]
        lines.append(
            {
                "deleted": "This session has been removed from the agenda.",
                ItemStatus.CANCELLED.value: "This session is cancelled.",
                ItemStatus.DRAFT.value: "This session has been taken off the agenda for now.",
            }.get(
                new_status,
                "This session is new on the agenda."
                if old_status == ItemStatus.DRAFT
                else "This session is back on the agenda.",
            )
        )
    return lines


def _on_agenda_changed(sender: AgendaChange, session, **_extra) -> None:
    item = sender.item
    if item is None:
        return
    # A session deleted, or taken back to a draft, leaves the invitations that listed it.
    gone = (sender.changes or {}).get("status", [None, None])[1] in ("deleted", ItemStatus.DRAFT)
    lines = describe_change(sender, _zone(item.day.forum))
    if item.kind == ItemKind.BREAKOUT:
        key = item_key(item.id)
        people = _invited(session, key) | _picked(session, item.id)
        if gone:
            # The session is about to be deleted: its cancellations are written now, while
            # it still exists to describe.
            for person in _people(session, people):
                refresh_invite(session, person, key, changed=True, gone=True, what_changed=lines)
        else:
            for person_id in sorted(people):
                _defer_refresh(session, person_id, key, changed=True, what_changed=lines)
        return
    # Other sessions are listed in the day invitation's description: the worker sends the day
    # again to everyone on it who may see the session.
    key = day_key(item.day_id)
    lines = [f"“{sender.item_title}” changed."] + lines
    for person_id in sorted(_invited(session, key) | _seated(session, item.day_id)):
        _defer_refresh(
            session, person_id, key, changed=True, exclude_item_id=item.id if gone else None,
            visible_item_id=None if gone else item.id, what_changed=lines,
        )  # fmt: skip


def _on_day_changed(sender: ForumDay, session, **_extra) -> None:
    key = day_key(sender.id)
    lines = ["The day's date or times changed."]
    for person_id in sorted(_invited(session, key) | _seated(session, sender.id)):
        _defer_refresh(session, person_id, key, changed=True, what_changed=lines)


def register_calendar(app: Flask) -> None:
    """Connect the receivers. Signals are process-wide; connecting again (another app, as in
    tests) is harmless."""
    place_changed.connect(_on_place_changed)
    agenda_changed.connect(_on_agenda_changed)
    day_changed.connect(_on_day_changed)
    personal_links_revoked.connect(_on_personal_links_revoked)
    register_mail_writer(CALENDAR_WRITER)


def _on_personal_links_revoked(person: Person, session) -> None:
    """A new personal link replaces the feed link too: whoever held the old personal link may
    have subscribed to the feed it showed."""
    if feed_of(session, person) is not None:
        renew_feed(session, person)


# --- Feeds -----------------------------------------------------------------------------------


def ensure_feed(session, person: Person) -> CalendarFeed:
    """The person's feed, created on first use. Flushes."""
    feed = feed_of(session, person)
    if feed is None:
        feed = CalendarFeed(person_id=person.id)
        session.add(feed)
        session.flush()
    return feed


def feed_of(session, person: Person) -> CalendarFeed | None:
    return session.scalar(select(CalendarFeed).where(CalendarFeed.person_id == person.id))


def renew_feed(session, person: Person) -> CalendarFeed:
    """Give the person a new feed URL; the old one stops working at once. Flushes."""
    feed = feed_of(session, person)
    if feed is None:
        return ensure_feed(session, person)
    feed.token = secrets.token_urlsafe(32)
    session.flush()
    return feed


def feed_for_token(session, token: str) -> CalendarFeed | None:
    if not token or len(token) > 64:
        return None
    return session.scalar(select(CalendarFeed).where(CalendarFeed.token == token))


def feed_urls(feed: CalendarFeed) -> tuple[str, str]:
    """``(webcal://…, https://…)`` for the same feed: calendar apps subscribe to the first."""
    url = absolute_url("calendar.personal_feed", token=feed.token)
    return "webcal://" + url.split("://", 1)[1], url


@dataclass
class Feed:
    """What a feed holds, ready for ``build_calendar``."""

    name: str
    time_zone: str
    organizer: Address
    events: list[CalendarEvent]


def personal_feed(session, person: Person) -> Feed:
    """The person's whole schedule: confirmed days and confirmed picks of scheduled breakouts
    in published forums, with the invitations' UIDs and SEQUENCEs."""
    registrations = session.scalars(
        select(Registration)
        .join(Forum)
        .where(Registration.person_id == person.id, Forum.status != ForumStatus.DRAFT)
        .order_by(Forum.program_id, Forum.number)
    ).all()
    invites = {
        invite.event_key: invite
        for invite in session.scalars(
            select(CalendarInvite).where(CalendarInvite.person_id == person.id)
        )
    }
    # A feed is handed to calendar services and shared devices; the personal link, which can
    # cancel places and reissue tickets, stays in the person's email only.
    link = None

    def identity(key: str) -> dict:
        invite = invites.get(key)
        if invite is None:
            return {"uid": personal_uid(key, person.id), "sequence": 0}
        return {"uid": invite.uid, "sequence": invite.sequence}

    events = []
    for registration in registrations:
        viewer = _viewer_for(session, person, registration.forum)
        for seat in registration.seats:
            if seat.status == SeatStatus.CONFIRMED:
                key = day_key(seat.day_id)
                events.append(day_event(session, seat.day, viewer, link=link, **identity(key)))
        for pick in registration.picks:
            if pick.status == SeatStatus.CONFIRMED and pick.item.is_scheduled:
                key = item_key(pick.item_id)
                events.append(item_event(pick.item, viewer, link=link, **identity(key)))
    events.sort(key=lambda event: (event.starts_at, event.uid))
    if registrations:
        program = registrations[0].forum.program
        return Feed(f"{program.name}: {person.name}", program.time_zone, organizer_for(program),
                    events)  # fmt: skip
    return Feed(
        f"Forums: {person.name}", current_app.config["PROGRAM_TIME_ZONE"], organizer_for(None), []
    )


def public_program_feed(session, program: Program) -> Feed:
    """The program's days open to the public, as the public sees them."""
    events = []
    for forum in agenda.visible_forums(session, agenda.PUBLIC):
        if forum.program_id != program.id:
            continue
        for day in agenda.visible_days(agenda.PUBLIC, forum):
            events.append(day_event(session, day, agenda.PUBLIC, uid=public_uid(day_key(day.id))))
    return Feed(f"{program.name}: public days", program.time_zone, organizer_for(program), events)


def render_feed(feed: Feed) -> str:
    return build_calendar(
        feed.events,
        method=Method.PUBLISH,
        time_zone=feed.time_zone,
        organizer=feed.organizer,
        feed_name=feed.name,
    )


def render_download(event: CalendarEvent, forum: Forum) -> str:
    """One event to import (``PUBLISH``): the "Add to calendar" download."""
    return build_calendar(
        [event],
        method=Method.PUBLISH,
        time_zone=_zone(forum),
        organizer=organizer_for(forum.program),
    )
