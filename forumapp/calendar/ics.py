"""iCalendar text (RFC 5545): the one place that turns events into ``.ics``.

Invitations (iTIP ``REQUEST``/``CANCEL`` sent by email, RFC 5546/6047), downloads and feeds
(``PUBLISH``) are all built by ``build_calendar``. An event with ``alarm_before`` (invitations)
carries a display ``VALARM``. Times are written in the program's time zone
with a matching ``VTIMEZONE`` (never floating), ``DTSTAMP`` in UTC; the icalendar library
escapes text (commas, semicolons, newlines), folds lines at 75 octets and quotes parameters.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from icalendar import Alarm, Calendar, Event, Timezone, vCalAddress, vDuration

from ..core.clock import to_local, utcnow
from ..core.i18n import DEFAULT_LANGUAGE, current_language

PRODID = "-//forumapp//Forum calendar//EN"
# How often subscribed feeds should be fetched again (Apple, Outlook; Google decides itself).
FEED_REFRESH = timedelta(hours=1)


class Method(enum.StrEnum):
    REQUEST = "REQUEST"  # an invitation or an update to one (same UID, higher SEQUENCE)
    CANCEL = "CANCEL"  # the event is off for this attendee
    PUBLISH = "PUBLISH"  # downloads and subscription feeds: no reply expected


@dataclass(frozen=True)
class Address:
    """A calendar user: the organizer, or the person an invitation is for."""

    email: str
    name: str = ""


@dataclass(frozen=True)
class CalendarEvent:
    """One event as plain values; ``starts_at``/``ends_at`` are timezone-aware instants."""

    uid: str
    starts_at: datetime
    ends_at: datetime
    summary: str
    location: str
    description: str
    url: str
    sequence: int = 0
    cancelled: bool = False
    # Set for invitations only; downloads and feeds carry no attendee.
    attendee: Address | None = None
    # How long before the start the person's calendar shows a reminder (a ``VALARM``);
    # None: no alarm. Invitations carry one (``CALENDAR_ALARM_BEFORE_HOURS``).
    alarm_before: timedelta | None = None


def build_calendar(
    events: Sequence[CalendarEvent],
    *,
    method: Method,
    time_zone: str,
    organizer: Address,
    feed_name: str | None = None,
    now: datetime | None = None,
) -> str:
    """The ``.ics`` text of a calendar holding ``events``.

    An iMIP invitation (``REQUEST``/``CANCEL``) must hold exactly one event: one UID per
    message. ``feed_name`` marks a subscription feed: it adds ``X-WR-CALNAME``,
    ``REFRESH-INTERVAL`` and ``X-PUBLISHED-TTL``.
    """
    if method != Method.PUBLISH and len(events) != 1:
        raise ValueError("an invitation describes exactly one event")
    stamp = (now or utcnow()).replace(microsecond=0)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method.value)
    if feed_name is not None:
        calendar.add("x-wr-calname", feed_name)
        calendar.add("x-wr-timezone", time_zone)
        calendar.add("refresh-interval", vDuration(FEED_REFRESH), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(FEED_REFRESH))
    if events:
        dates = [
            to_local(when, time_zone).date() for e in events for when in (e.starts_at, e.ends_at)
        ]
        # Transitions only for the years the events need, so the object stays small.
        calendar.add_component(
            Timezone.from_tzid(
                time_zone,
                first_date=min(dates).replace(month=1, day=1),
                last_date=max(dates).replace(month=12, day=31),
            )
        )
    for event in events:
        calendar.add_component(_event(event, method, time_zone, organizer, stamp))
    return calendar.to_ical().decode("utf-8")


def _event(
    event: CalendarEvent, method: Method, time_zone: str, organizer: Address, stamp: datetime
) -> Event:
    cancelled = event.cancelled or method == Method.CANCEL
    component = Event()
    component.add("uid", event.uid)
    component.add("dtstamp", stamp)  # an aware UTC datetime is written with "Z"
    component.add("sequence", event.sequence)
    component.add("dtstart", to_local(event.starts_at, time_zone))
    component.add("dtend", to_local(event.ends_at, time_zone))
    # Text written in the language being rendered says so (RFC 5545 LANGUAGE), unless English.
    language = current_language()
    text_params = {"LANGUAGE": language} if language != DEFAULT_LANGUAGE else {}
    component.add("summary", event.summary, parameters=text_params)
    component.add("location", event.location)
    component.add("description", event.description, parameters=text_params)
    component.add("url", event.url, parameters={"VALUE": "URI"})
    component.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    component.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    component.add("organizer", _address(organizer))
    if event.attendee is not None:
        # The person registered, so they have already said yes: ACCEPTED, and no reply asked.
        component.add(
            "attendee",
            _address(
                event.attendee,
                CUTYPE="INDIVIDUAL",
                ROLE="REQ-PARTICIPANT",
                PARTSTAT="ACCEPTED",
                RSVP="FALSE",
            ),
        )
    if event.alarm_before is not None and not cancelled:
        component.add_component(_alarm(event.summary, event.alarm_before))
    return component


def _alarm(summary: str, before: timedelta) -> Alarm:
    """A display reminder ``before`` the start (``TRIGGER:-P1D`` for a day), which Outlook,
    Google Calendar and Apple Calendar show."""
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", -before)
    alarm.add("description", _("Reminder: %(event)s", event=summary))
    return alarm


def _address(address: Address, **params: str) -> vCalAddress:
    value = vCalAddress(f"mailto:{address.email}")
    if address.name:
        value.params["CN"] = address.name
    value.params.update(params)
    return value
