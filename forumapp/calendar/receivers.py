"""What the calendar does when registration or the agenda changes: the signal receivers.

What triggers mail
------------------
Each receiver works out whose calendar events a change touches and leaves one
``PendingInvite`` per person and event for the mail worker (``pending``), which brings the
event in line with ``invitations.refresh_invite``:

* a seat or pick confirmed (new, re-registered or promoted), or cancelled: that person's event;
* a breakout's time, room or status changed, or the breakout cancelled: an update to everyone
  holding an invitation for it or a confirmed pick of it;
* any other session's time, room or status changed: the *day* invitation is sent again (its
  description lists that session) to everyone on that day who may see the session;
* a day's date or times changed: the day invitation is sent again.

Each change yields one email per person and event, whatever number of fields changed; the email
says what changed (``describe_change``). Only a breakout's removal (deleted, or taken back to
a draft) is written at once, while the session still exists to describe.

Creating a session on a published forum sends no signal, so day invitations learn of new
sessions at the next change; the feeds are always current.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Flask
from flask_babel import gettext as _
from sqlalchemy import select

from ..agenda.models import AgendaChange, ItemKind, ItemStatus
from ..agenda.signals import agenda_changed, day_changed
from ..core.i18n import current_language, format_local_time, in_language
from ..core.links import personal_links_revoked
from ..core.models import ForumDay, Person
from ..mail.worker import register_mail_writer
from ..registration.models import BreakoutPick, DaySeat, SeatStatus
from ..registration.signals import place_changed
from .events import day_key, forum_zone, item_key
from .feeds import ensure_feed, feed_of, renew_feed
from .invitations import pick_holders, refresh_invite, seat_holders
from .models import CalendarInvite, InviteStatus
from .pending import CALENDAR_WRITER, defer_refresh, people_in_order


def register_calendar(app: Flask) -> None:
    """Connect the receivers. Signals are process-wide; connecting again (another app, as in
    tests) is harmless."""
    place_changed.connect(_on_place_changed)
    agenda_changed.connect(_on_agenda_changed)
    day_changed.connect(_on_day_changed)
    personal_links_revoked.connect(_on_personal_links_revoked)
    register_mail_writer(CALENDAR_WRITER)


# --- Whom a change concerns ------------------------------------------------------------------


def _invited(session, event_key: str) -> set[int]:
    return set(
        session.scalars(
            select(CalendarInvite.person_id).where(
                CalendarInvite.event_key == event_key,
                CalendarInvite.status == InviteStatus.ACTIVE.value,
            )
        )
    )


def _day_people(session, day_id: int) -> list[int]:
    """Everyone a change of the day concerns: invited to it, or holding a confirmed seat."""
    return sorted(_invited(session, day_key(day_id)) | set(session.scalars(seat_holders(day_id))))


def _breakout_people(session, item_id: int) -> list[int]:
    """Everyone a change of the breakout concerns: invited to it, or holding a confirmed pick."""
    invited = _invited(session, item_key(item_id))
    return sorted(invited | set(session.scalars(pick_holders(item_id))))


# --- Receivers -------------------------------------------------------------------------------


def _on_place_changed(sender, session, **_extra) -> None:
    registration = sender.registration
    if sender.status == SeatStatus.CONFIRMED.value:
        # The personal page offers the feed at once; the invitation follows from the worker.
        ensure_feed(session, registration.person)
    if isinstance(sender, DaySeat):
        defer_refresh(session, registration.person_id, day_key(sender.day_id))
    elif isinstance(sender, BreakoutPick):
        defer_refresh(session, registration.person_id, item_key(sender.item_id))


def describe_change(change: AgendaChange, zone: str) -> list[str]:
    """What changed, in words: ``Time: was 10:30 AM–11:45 AM, now 11:00 AM–12:15 PM``."""
    fields = change.changes or {}
    item = change.item
    lines = []
    if "title" in fields:
        old, new = fields["title"]
        lines.append(_("Title: was “%(old)s”, now “%(new)s”", old=old, new=new))
    if "starts_at" in fields or "ends_at" in fields:

        def clock(name: str, index: int) -> str:
            if name in fields:
                return format_local_time(datetime.fromisoformat(fields[name][index]), zone)
            return format_local_time(getattr(item, name), zone) if item is not None else "?"

        lines.append(
            _(
                "Time: was %(old_start)s–%(old_end)s, now %(new_start)s–%(new_end)s",
                old_start=clock("starts_at", 0),
                old_end=clock("ends_at", 0),
                new_start=clock("starts_at", 1),
                new_end=clock("ends_at", 1),
            )
        )
    if "room" in fields:
        old, new = fields["room"]
        lines.append(
            _("Room: was %(old)s, now %(new)s", old=old or _("no room"), new=new or _("no room"))
        )
    if "status" in fields:
        old_status, new_status = fields["status"]
        lines.append(
            {
                "deleted": _("This session has been removed from the agenda."),
                ItemStatus.CANCELLED.value: _("This session is cancelled."),
                ItemStatus.DRAFT.value: _("This session has been taken off the agenda for now."),
            }.get(
                new_status,
                _("This session is new on the agenda.")
                if old_status == ItemStatus.DRAFT
                else _("This session is back on the agenda."),
            )
        )
    return lines


def _on_agenda_changed(sender: AgendaChange, session, **_extra) -> None:
    item = sender.item
    if item is None:
        return
    # A session deleted, or taken back to a draft, leaves the invitations that listed it.
    gone = (sender.changes or {}).get("status", [None, None])[1] in ("deleted", ItemStatus.DRAFT)
    zone = forum_zone(item.day.forum)
    if item.kind == ItemKind.BREAKOUT:
        key = item_key(item.id)
        people = _breakout_people(session, item.id)
        lines = _in_their_languages(session, people, lambda: describe_change(sender, zone))
        if gone:
            # The session is about to be deleted: its cancellations are written now, while
            # it still exists to describe.
            for person in people_in_order(session, people):
                refresh_invite(
                    session, person, key, changed=True, gone=True, what_changed=lines[person.id]
                )
        else:
            for person_id in people:
                defer_refresh(session, person_id, key, changed=True, what_changed=lines[person_id])
        return
    # Other sessions are listed in the day invitation's description: the worker sends the day
    # again to everyone on it who may see the session.
    key = day_key(item.day_id)
    people = _day_people(session, item.day_id)
    lines = _in_their_languages(
        session,
        people,
        lambda: (
            [_("“%(title)s” changed.", title=_changed_title(sender, item))]
            + describe_change(sender, zone)
        ),
    )
    for person_id in people:
        defer_refresh(
            session,
            person_id,
            key,
            changed=True,
            exclude_item_id=item.id if gone else None,
            visible_item_id=None if gone else item.id,
            what_changed=lines[person_id],
        )


def _changed_title(change: AgendaChange, item) -> str:
    """The session's title as the change recorded it, or its Spanish title on Spanish mail."""
    if current_language() != "en" and item.title_es:
        return item.title_es
    return change.item_title


def _on_day_changed(sender: ForumDay, session, **_extra) -> None:
    key = day_key(sender.id)
    people = _day_people(session, sender.id)
    lines = _in_their_languages(session, people, lambda: [_("The day's date or times changed.")])
    for person_id in people:
        defer_refresh(session, person_id, key, changed=True, what_changed=lines[person_id])


def _in_their_languages(
    session, person_ids, describe: Callable[[], list[str]]
) -> dict[int, list[str]]:
    """``describe()``'s lines for each person, in their language (the update email that
    carries them is written in it): described once per language."""
    ids = list(person_ids)
    languages = (
        dict(session.execute(select(Person.id, Person.language).where(Person.id.in_(ids))).all())
        if ids
        else {}
    )
    by_language: dict[str, list[str]] = {}
    for language in set(languages.values()):
        with in_language(language):
            by_language[language] = describe()
    return {person_id: by_language.get(languages.get(person_id, ""), []) for person_id in ids}


def _on_personal_links_revoked(person: Person, session) -> None:
    """A new personal link replaces the feed link too: whoever held the old personal link may
    have subscribed to the feed it showed."""
    if feed_of(session, person) is not None:
        renew_feed(session, person)
