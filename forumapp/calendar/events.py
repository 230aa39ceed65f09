"""The iCalendar events of a forum day and of a session, and the names that identify them.

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

This module only describes events; ``invitations`` mails them, ``feeds`` publishes them.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import parseaddr
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _

from ..agenda import visibility as agenda
from ..agenda.models import AgendaItem, ItemKind
from ..agenda.schedule import agenda_items
from ..core.clock import local_instant
from ..core.i18n import format_date, format_local_time, local_text
from ..core.links import absolute_url
from ..core.models import Forum, ForumDay, Person, Program
from ..registration.people import is_team_member
from .ics import Address, CalendarEvent

# --- Keys, UIDs and the organizer ------------------------------------------------------------


def day_key(day_id: int) -> str:
    return f"day-{day_id}"


def item_key(item_id: int) -> str:
    return f"item-{item_id}"


def event_target(session, event_key: str) -> ForumDay | AgendaItem | None:
    """The day or session an event key (``day_key``, ``item_key``) names; None once deleted."""
    kind, _dash, raw_id = event_key.partition("-")
    model = ForumDay if kind == "day" else AgendaItem
    return session.get(model, int(raw_id))


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


def viewer_for(session, person: Person, forum: Forum) -> agenda.Viewer:
    """Who ``person`` is to the agenda of ``forum``, which decides what their events show."""
    return agenda.Viewer(is_team_member=is_team_member(session, person, forum))


# --- Events ----------------------------------------------------------------------------------


def forum_zone(forum: Forum) -> str:
    """The time zone a forum's events are written and read in: its program's."""
    return forum.program.time_zone


def _span(starts_at: datetime, ends_at: datetime, zone: str) -> str:
    return f"{format_local_time(starts_at, zone)}–{format_local_time(ends_at, zone)}"


def _day_span(day: ForumDay) -> tuple[datetime, datetime]:
    zone = forum_zone(day.forum)
    return local_instant(day.date, day.starts_at, zone), local_instant(day.date, day.ends_at, zone)


def _venue(forum: Forum) -> str:
    return forum.venue


def day_summary(day: ForumDay, viewer: agenda.Viewer | None = None) -> str:
    """The forum's title, and which of its days this is among those ``viewer`` may attend
    (a public attendee's day is not "day 1 of 2" when day 2 is for the teams alone), in the
    language being rendered."""
    days = agenda.visible_days(viewer, day.forum) if viewer is not None else day.forum.days
    if day not in days:  # e.g. an organizer gave a member of the public a team-day seat
        days = day.forum.days
    title = local_text(day.forum, "title")
    if len(days) < 2:
        return title
    return _(
        "%(forum)s (day %(number)s of %(count)s)",
        forum=title,
        number=days.index(day) + 1,
        count=len(days),
    )


def _public_url(forum: Forum, day: ForumDay) -> str:
    return absolute_url("agenda.forum_page", forum_id=forum.id) + f"#day-{day.id}"


def _closing(link: str | None, url: str) -> str:
    if link:
        return _("Your registration and personal page:") + f"\n{link}"
    return _("Details:") + f"\n{url}"


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
    zone = forum_zone(forum)
    starts_at, ends_at = _day_span(day)
    items = [
        item
        for item in agenda_items(session, [day])[day.id]
        if item.kind != ItemKind.BREAKOUT
        and item.id != exclude_item_id
        and agenda.can_see_item(viewer, item)
    ]
    has_breakouts = any(item.kind == ItemKind.BREAKOUT for item in day.items)
    lines = [
        local_text(forum, "title"),
        f"{format_date(day.date)}, {_span(starts_at, ends_at, zone)}",
        _("Open to the public") if day.is_public else _("Community teams only"),
        _("Venue: %(venue)s", venue=_venue(forum)),
    ]
    if forum.theme:
        lines += ["", local_text(forum, "theme")]
    if items:
        lines += ["", _("Agenda:")]
        for item in items:
            room = f" ({item.room.name})" if item.room else ""
            off = " " + _("(cancelled)") if item.is_cancelled else ""
            title = local_text(item, "title")
            lines.append(f"{_span(item.starts_at, item.ends_at, zone)} {title}{room}{off}")
    if has_breakouts and (viewer.is_team_member or viewer.is_staff):
        lines += ["", _("Breakouts you choose appear in your calendar as events of their own.")]
    url = link or _public_url(forum, day)
    lines += ["", _closing(link, url)]
    return CalendarEvent(
        uid=uid,
        starts_at=starts_at,
        ends_at=ends_at,
        summary=day_summary(day, viewer),
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
    zone = forum_zone(forum)
    location = _venue(forum)
    if item.room is not None:
        location = f"{item.room.name}, {location}"
    forum_title = local_text(forum, "title")
    lines = [
        _("%(kind)s at %(forum)s", kind=item.kind_label, forum=forum_title),
        f"{format_date(item.day.date)}, {_span(item.starts_at, item.ends_at, zone)}",
        _("Where: %(location)s", location=location),
    ]
    if item.is_cancelled:
        lines.append(_("This session is cancelled."))
    speakers = [
        link_.speaker.name
        for link_ in item.speaker_links
        if agenda.can_see_speaker(viewer, link_.speaker)
    ]
    if speakers:
        lines.append(_("With: %(speakers)s", speakers=", ".join(speakers)))
    if item.description:
        lines += ["", local_text(item, "description")]
    url = link or _public_url(forum, item.day)
    lines += ["", _closing(link, url)]
    return CalendarEvent(
        uid=uid,
        starts_at=item.starts_at,
        ends_at=item.ends_at,
        summary=f"{local_text(item, 'title')} – {forum_title}",
        location=location,
        description="\n".join(lines),
        url=url,
        sequence=sequence,
        cancelled=cancelled or item.is_cancelled,
        attendee=attendee,
    )
