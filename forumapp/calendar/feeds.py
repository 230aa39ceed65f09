"""Published calendars: a person's secret feed link, and what feeds and downloads hold.

A person's feed (``CalendarFeed``) is found by its token and created with their first
invitation; renewing it replaces the token, so the old URL stops working at once. The personal
feed lists the same events, with the same UIDs and SEQUENCEs, as the person's invitations; the
public program feed and the "Add to calendar" downloads use the public UIDs. All are
``PUBLISH``: nothing here is mailed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import cast

from flask import current_app
from sqlalchemy import select

from ..agenda import visibility as agenda
from ..core.database import insert_unless_taken
from ..core.links import absolute_url
from ..core.models import Forum, ForumStatus, Person, Program
from ..extensions import DbSession
from ..registration.models import Registration, SeatStatus
from .events import (
    day_event,
    day_key,
    forum_zone,
    item_event,
    item_key,
    organizer_for,
    personal_uid,
    public_uid,
    viewer_for,
)
from .ics import Address, CalendarEvent, Method, build_calendar
from .models import CalendarFeed, CalendarInvite

# --- The feed link ---------------------------------------------------------------------------


def ensure_feed(session, person: Person) -> CalendarFeed:
    """The person's feed, created on first use. Flushes.

    The insert comes first and is refused by the unique person when a feed exists (then it
    is read): a first use, which every new registration is, costs one statement. Two requests
    may both make a first use (two of the person's places changed at once): one inserts, and
    the other reads that one rather than failing."""
    # The token and creation time are the columns' defaults, as for an ORM insert.
    created = session.scalar(
        insert_unless_taken(session, CalendarFeed, ["person_id"], person_id=person.id).returning(
            CalendarFeed
        )
    )
    return created or cast(CalendarFeed, feed_of(session, person))


def feed_of(session, person: Person) -> CalendarFeed | None:
    """The person's feed, if they have one yet."""
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
    """The feed a URL's token opens, or None."""
    if not token or len(token) > 64:
        return None
    return session.scalar(select(CalendarFeed).where(CalendarFeed.token == token))


def feed_urls(feed: CalendarFeed) -> tuple[str, str]:
    """``(webcal://…, https://…)`` for the same feed: calendar apps subscribe to the first."""
    url = absolute_url("calendar.personal_feed", token=feed.token)
    return "webcal://" + url.split("://", 1)[1], url


@dataclass(frozen=True)
class PersonalCalendar:
    """The calendar links of a person's page: their feed's ``webcal://`` and ``https://``
    URLs, both None before their first invitation."""

    webcal_url: str | None = None
    https_url: str | None = None


def personal_calendar(session: DbSession, person: Person) -> PersonalCalendar:
    """The person's feed links, for their personal page."""
    feed = feed_of(session, person)
    return PersonalCalendar(*feed_urls(feed)) if feed else PersonalCalendar()


# --- What feeds and downloads hold -----------------------------------------------------------


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
        viewer = viewer_for(session, person, registration.forum)
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
        return Feed(
            f"{program.name}: {person.name}", program.time_zone, organizer_for(program), events
        )
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
    """A feed as the text of a subscribed calendar (``PUBLISH``)."""
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
        time_zone=forum_zone(forum),
        organizer=organizer_for(forum.program),
    )
