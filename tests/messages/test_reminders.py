"""Reminders before each forum day: at 9:00 local 7 and 2 days before (across the clock
changes too), to the people with a seat by then, once each however many workers run, and
delivered with each person's own links."""

from __future__ import annotations

import re
import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from forumapp.core.clock import local_instant, to_local, utcnow
from forumapp.core.links import person_for_token
from forumapp.extensions import db
from forumapp.mail.models import OutboxMessage
from forumapp.mail.worker import deliver_due
from forumapp.messages.models import ReminderKind, SentReminder
from forumapp.messages.reminders import (
    _claim,
    day_reminders,
    due_reminders,
    queue_due_reminders,
    reminder_time,
)
from forumapp.privacy.services import erase_person
from forumapp.registration.breakouts import choose_breakout
from forumapp.registration.models import DaySeat, Registration
from forumapp.registration.registering import cancel_days

from .. import builders as build
from ..builders import ZONE

NOVEMBER_DAY = date(2027, 11, 9)  # a Tuesday; the clocks went back on Sunday, November 7
MARCH_DAY = date(2028, 3, 14)  # a Tuesday; the clocks went forward on Sunday, March 12
JUNE_DAY = date(2027, 6, 15)


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def _forum_on(day: date, capacity: int | None = None, audience: str = "public"):
    forum = build.forum(days=((day, audience),))
    forum.days[0].capacity = capacity
    db.session.flush()
    return forum


def _seated_since(registration: Registration, when: datetime) -> Registration:
    """The registration as it stands when made at ``when`` (weeks before the day, say): the
    services stamp the real clock, and a reminder compares its moment with these times."""
    registration.created_at = when
    for seat in registration.seats:
        seat.created_at = seat.status_changed_at = when
    db.session.flush()
    return registration


def _reminders(kind: str = "day_reminder") -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        )
    )


def _recipients(kind: str = "day_reminder") -> list[str]:
    return [message.to_name for message in _reminders(kind)]


@pytest.mark.parametrize(
    ("day", "week_before", "two_days_before"),
    [
        # 9:00 EDT (UTC-4) a week before, 9:00 EST (UTC-5) two days before.
        (NOVEMBER_DAY, _utc(2027, 11, 2, 13), _utc(2027, 11, 7, 14)),
        # 9:00 EST a week before, 9:00 EDT on the morning the clocks went forward.
        (MARCH_DAY, _utc(2028, 3, 7, 14), _utc(2028, 3, 12, 13)),
    ],
    ids=["just-after-november-change", "just-after-march-change"],
)
def test_reminders_go_at_nine_local_on_either_side_of_a_clock_change(
    app_ctx, day, week_before, two_days_before
):
    forum = _forum_on(day)
    build.public_registration(forum, "Ada Lovelace")
    db.session.commit()

    schedule = day_reminders(forum.days[0])
    assert [(reminder.days_before, reminder.at) for reminder in schedule] == [
        (7, week_before),
        (2, two_days_before),
    ]
    assert {to_local(reminder.at, ZONE).time() for reminder in schedule} == {time(9)}
    # Nothing a minute before each moment, the reminder right at it.
    assert queue_due_reminders(db.session, week_before - timedelta(minutes=1)) == 0
    assert queue_due_reminders(db.session, week_before) == 1
    assert queue_due_reminders(db.session, two_days_before - timedelta(minutes=1)) == 0
    assert queue_due_reminders(db.session, two_days_before) == 1
    db.session.commit()
    long_date = f"{day:%A, %B} {day.day}, {day.year}"
    assert [message.subject for message in _reminders()] == [
        f"In 7 days: Forum 1: Testing, {long_date}",
        f"In 2 days: Forum 1: Testing, {long_date}",
    ]


def test_people_who_registered_after_a_reminder_do_not_get_it_late(app_ctx):
    forum = _forum_on(JUNE_DAY)
    week_before = reminder_time(forum.days[0], 7)
    _seated_since(build.public_registration(forum, "Early Bird"), week_before - timedelta(days=9))
    _seated_since(build.public_registration(forum, "Late Comer"), week_before + timedelta(hours=1))
    db.session.commit()

    queue_due_reminders(db.session, week_before + timedelta(hours=2))
    assert _recipients() == ["Early Bird"]
    # Both had their seat by the reminder two days before.
    queue_due_reminders(db.session, reminder_time(forum.days[0], 2))
    db.session.commit()
    assert _recipients() == ["Early Bird", "Early Bird", "Late Comer"]


def test_waitlisted_people_get_a_note_and_cancelled_or_erased_people_nothing(app_ctx):
    forum = _forum_on(JUNE_DAY, capacity=2)
    names = ["Ada Lovelace", "Erased Person", "Grace Hopper", "Alan Turing"]
    registrations = {name: build.public_registration(forum, name) for name in names}
    assert [seat.status for r in registrations.values() for seat in r.seats] == [
        "confirmed",
        "confirmed",
        "waitlisted",
        "waitlisted",
    ]
    cancel_days(db.session, registrations["Alan Turing"])
    erase_person(db.session, registrations["Erased Person"].person, None)
    db.session.commit()

    queue_due_reminders(db.session, reminder_time(forum.days[0], 7))
    db.session.commit()
    assert _recipients() == ["Ada Lovelace"]
    (note,) = _reminders("waitlist_note")
    assert note.to_name == "Grace Hopper"
    assert note.subject.startswith("Still on the waitlist: Forum 1: Testing")
    assert "still on the waitlist for this day: number 1" in note.text_body
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SentReminder)) == 2


def test_a_reminder_whose_moment_passed_long_ago_does_not_flood_out(app_ctx):
    forum = _forum_on(JUNE_DAY)
    day = forum.days[0]
    _seated_since(build.public_registration(forum, "Ada Lovelace"), _utc(2027, 4, 1))
    db.session.commit()

    # The app first runs after the reminder two days before: only that one goes.
    after_both = reminder_time(day, 2) + timedelta(hours=3)
    assert [reminder.days_before for reminder in due_reminders(db.session, after_both)] == [2]
    queue_due_reminders(db.session, after_both)
    db.session.commit()
    assert [message.subject[:9] for message in _reminders()] == ["In 2 days"]
    # Once the day has begun, nothing is due any more.
    starts = local_instant(day.date, day.starts_at, ZONE)
    assert due_reminders(db.session, starts) == []


@pytest.mark.parametrize(
    ("status", "reminder_days"), [("draft", "7,2"), ("closed", "7,2"), ("published", "")]
)
def test_no_reminders_for_drafts_closed_forums_or_days_with_reminders_off(
    app_ctx, status, reminder_days
):
    forum = _forum_on(JUNE_DAY)
    build.public_registration(forum, "Ada Lovelace")
    forum.status = status
    forum.days[0].reminder_days = reminder_days
    db.session.commit()
    assert queue_due_reminders(db.session, _utc(2027, 6, 8, 13)) == 0
    assert _reminders() == []


def test_a_worker_restarting_mid_round_sends_nobody_a_reminder_twice(app_ctx):
    forum = _forum_on(JUNE_DAY)
    for n in range(5):
        build.public_registration(forum, f"Person {n}")
    db.session.commit()
    moment = reminder_time(forum.days[0], 7)

    assert queue_due_reminders(db.session, moment, limit=2) == 2
    db.session.commit()  # the first batch is in; the worker stops here and starts again
    db.session.remove()
    while queue_due_reminders(db.session, moment + timedelta(minutes=1), limit=2):
        db.session.commit()
    db.session.commit()
    assert sorted(_recipients()) == [f"Person {n}" for n in range(5)]


def test_the_database_refuses_the_same_reminder_twice(app_ctx):
    forum = _forum_on(JUNE_DAY)
    person = build.public_registration(forum, "Ada Lovelace").person
    (reminder, _) = day_reminders(forum.days[0])
    assert _claim(db.session, reminder, person.id, ReminderKind.REMINDER, utcnow()) is True
    # What a second worker finds when the first one's row is in: "already done", no error.
    assert _claim(db.session, reminder, person.id, ReminderKind.REMINDER, utcnow()) is False
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SentReminder)) == 1


def test_two_workers_at_once_send_each_reminder_once(app):
    with app.app_context():
        forum = _forum_on(JUNE_DAY)
        for n in range(30):
            build.public_registration(forum, f"Person {n:02d}")
        db.session.commit()
        moment = reminder_time(forum.days[0], 7)
    start = threading.Barrier(2)
    handled: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        with app.app_context():
            try:
                start.wait()
                while count := queue_due_reminders(db.session, moment, limit=7):
                    db.session.commit()
                    handled.append(count)
                db.session.commit()
            except BaseException as error:  # reported below, in the test's thread
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with app.app_context():
        recipients = _recipients()
        assert sorted(recipients) == [f"Person {n:02d}" for n in range(30)]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SentReminder)) == 30


def test_the_reminder_says_what_a_person_needs_to_walk_in(app_ctx):
    forum = _forum_on(JUNE_DAY, audience="team")
    forum.venue_name, forum.venue_address, forum.venue_city = "Civic Center", "1 Main St", "Durham"
    forum.parking_info = "Deck on Church Street, free with the ticket."
    forum.accessibility_contact = "Jordan Reyes, 919-555-0142"
    room = build.room(forum, "Room 2")
    day = forum.days[0]
    breakout = build.item(day, "Naloxone in schools", time(10, 30), time(11, 45), room)
    member = build.team_member("Tess Team")
    registration = build.team_registration(forum, member)
    choose_breakout(db.session, registration, breakout)
    db.session.commit()

    queue_due_reminders(db.session, reminder_time(day, 7))
    db.session.commit()
    (reminder,) = _reminders()
    text = reminder.text_body
    assert "Tuesday, June 15, 2027, 8:30 AM to 4:30 PM (EDT)" in text
    assert "Civic Center, 1 Main St, Durham" in text
    assert "https://www.openstreetmap.org/search?query=Civic+Center%2C+1+Main+St%2C+Durham" in text
    assert "Deck on Church Street, free with the ticket." in text
    assert "Jordan Reyes, 919-555-0142" in text
    assert "10:30 AM to 11:45 AM: Naloxone in schools (Room 2)" in text
    assert re.search(r"staff can type your code: [0-9A-Z-]{30}", text)
    assert re.search(rf"/me/[^/\s]+/tickets/{registration.id}\b", text)
    assert re.search(r"/calendar/[^/\s]+\.ics", text)
    seat_id = registration.seats[0].id
    cancel = re.search(rf"(/me/([^/\s]+)/seats/{seat_id}/cancel\?via=reminder)", text)
    assert cancel and person_for_token(db.session, cancel.group(2)) == member
    assert "I CAN'T COME: GIVE MY SEAT TO SOMEONE ELSE" in text
    html = reminder.html_body
    assert "I can't come: give my seat to someone else" in html
    assert 'src="cid:ticket"' in html
    assert [part["content_id"] for part in reminder.attachments] == ["ticket"]


def test_the_mail_worker_queues_and_delivers_reminders_with_each_persons_own_links(
    app, smtp_server
):
    with app.app_context():
        # A day three days from now: the reminder a week before is due, and everyone here
        # registered a month ago.
        day_date = to_local(utcnow(), ZONE).date() + timedelta(days=3)
        forum = _forum_on(day_date)
        for name in ("Ada Lovelace", "Grace Hopper"):
            _seated_since(build.public_registration(forum, name), utcnow() - timedelta(days=30))
        db.session.commit()
        deliver_due(db.session)
        deliver_due(db.session)  # a second round, as the worker's loop makes: nothing again

    received = [r for r in smtp_server.wait_for(6) if r.message["Subject"].startswith("In 7 days")]
    assert sorted(r.rcpt_tos[0] for r in received) == [
        "ada.lovelace@public.example.org",
        "grace.hopper@public.example.org",
    ]
    with app.app_context():
        for r in received:
            text = r.message.get_body(("plain",)).get_content()
            token = re.search(r"/me/([^/\s]+)/seats/\d+/cancel\?via=reminder", text).group(1)
            assert person_for_token(db.session, token).email == r.rcpt_tos[0]
            seat = db.session.scalar(
                sa.select(DaySeat)
                .join(Registration)
                .where(Registration.person_id == person_for_token(db.session, token).id)
            )
            assert f"/seats/{seat.id}/cancel" in text
        assert len(_reminders()) == 2


def test_the_command_queues_one_round_on_demand(app):
    with app.app_context():
        day_date = to_local(utcnow(), ZONE).date() + timedelta(days=3)
        forum = _forum_on(day_date)
        ada = build.public_registration(forum, "Ada Lovelace")
        _seated_since(ada, utcnow() - timedelta(days=30))
        db.session.commit()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["reminders", "queue"])
    assert first.exit_code == 0, first.output
    assert "Queued reminders for 1 person." in first.output
    again = runner.invoke(args=["reminders", "queue"])
    assert "Queued reminders for 0 people." in again.output
    with app.app_context():
        assert _recipients() == ["Ada Lovelace"]
