"""Invitations carry a display reminder (VALARM) a day before, which Outlook, Google and
Apple honour; read back with icalendar and with ``ical``, a strict RFC 5545 parser that
refuses an alarm missing its action, trigger or description."""

from __future__ import annotations

from datetime import timedelta

import pytest
from ical.calendar_stream import IcsCalendarStream

from forumapp.agenda.models import AgendaItem
from forumapp.extensions import db
from forumapp.registration.breakouts import choose_breakout
from forumapp.registration.registering import cancel_days

from .. import builders as build
from .conftest import NOW, calendar_mail, invitation_of, only_event


def _ics(message) -> str:
    return message.alternatives[0]["content"]


def _strict_alarms(message) -> list:
    """The event's alarms as the strict parser reads them (it raises on an invalid file)."""
    (event,) = IcsCalendarStream.calendar_from_ics(_ics(message)).events
    return event.alarm


def test_a_day_invitation_reminds_the_person_a_day_before(app_ctx, setup):
    person = build.public_registration(setup.forum_id, "Ada Lovelace", now=NOW).person

    (message,) = calendar_mail(person.email)
    event = only_event(invitation_of(message))
    (alarm,) = event.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert alarm["TRIGGER"].dt == timedelta(days=-1)
    assert str(alarm["DESCRIPTION"]) == f"Reminder: {event['SUMMARY']}"
    assert "TRIGGER:-P1D" in _ics(message)
    (strict,) = _strict_alarms(message)
    assert (strict.action, strict.trigger) == ("DISPLAY", timedelta(days=-1))
    assert strict.description == f"Reminder: {event['SUMMARY']}"


def test_a_breakout_invitation_has_its_own_reminder(app_ctx, setup):
    registration = build.team_registration(
        setup.forum_id, "Maya Brooks", day_ids=[setup.team_day_id], now=NOW
    )
    item = db.session.get(AgendaItem, setup.breakout_ids[0])
    choose_breakout(db.session, registration, item, now=NOW)

    messages = calendar_mail(registration.person.email)
    breakout = next(m for m in messages if item.title in m.subject)
    (alarm,) = only_event(invitation_of(breakout)).walk("VALARM")
    assert alarm["TRIGGER"].dt == timedelta(days=-1)
    assert len(_strict_alarms(breakout)) == 1


def test_a_cancellation_carries_no_reminder(app_ctx, setup):
    registration = build.public_registration(setup.forum_id, "Ada Lovelace", now=NOW)
    calendar_mail()
    cancel_days(db.session, registration)

    cancellation = calendar_mail(registration.person.email)[-1]
    assert cancellation.kind == "calendar_cancellation"
    assert only_event(invitation_of(cancellation)).walk("VALARM") == []
    assert _strict_alarms(cancellation) == []


@pytest.mark.parametrize(("hours", "trigger"), [(2, "TRIGGER:-PT2H"), (0, None)])
def test_the_reminder_follows_the_setting_or_is_left_out(app, setup, monkeypatch, hours, trigger):
    monkeypatch.setitem(app.config, "CALENDAR_ALARM_BEFORE_HOURS", hours)
    with app.app_context():
        person = build.public_registration(setup.forum_id, "Ada Lovelace", now=NOW).person
        (message,) = calendar_mail(person.email)
        text = _ics(message)
        if trigger is None:
            assert "BEGIN:VALARM" not in text and _strict_alarms(message) == []
        else:
            assert trigger in text
            assert _strict_alarms(message)[0].trigger == timedelta(hours=-2)
        db.session.remove()
