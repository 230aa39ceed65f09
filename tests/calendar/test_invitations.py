"""Invitations by email (iTIP over iMIP): one per day and per breakout, kept up to date."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
import sqlalchemy as sa

from forumapp.agenda import forums, items
from forumapp.agenda.errors import AgendaError
from forumapp.agenda.models import AgendaItem
from forumapp.calendar.models import CalendarInvite
from forumapp.core.clock import to_local
from forumapp.core.links import personal_token
from forumapp.core.models import Forum, ForumDay
from forumapp.extensions import db
from forumapp.registration.breakouts import choose_breakout, drop_breakout
from forumapp.registration.registering import cancel_days

from .. import builders as build
from .conftest import (
    NOW,
    TRICKY,
    ZONE,
    calendar_mail,
    invitation_of,
    invite_of,
    only_event,
    write_pending,
)

HOST = "127.0.0.1"  # of the test configuration's PUBLIC_BASE_URL


def _public(setup, name: str = "Zoë O'Brien, Jr."):
    email = f"{name.split()[0].lower()}@public.example.org"
    registration = build.public_registration(setup.forum_id, name, email, now=NOW)
    write_pending()  # the mail worker comes by before the next step
    return registration


def _team_member(setup, name: str = "Maya Brooks", days: str = "both"):
    day_ids = {"both": [setup.public_day_id, setup.team_day_id], "team": [setup.team_day_id]}
    registration = build.team_registration(setup.forum_id, name, day_ids=day_ids[days], now=NOW)
    write_pending()
    return registration.person, registration


def _pick(registration_, item_id: int, join_waitlist: bool = False):
    item = db.session.get(AgendaItem, item_id)
    pick = choose_breakout(db.session, registration_, item, join_waitlist=join_waitlist, now=NOW)
    write_pending()
    return pick


def _local(value) -> datetime:
    """A DTSTART/DTEND as the icalendar library decodes it."""
    return value.dt


def test_public_registration_brings_the_day_as_an_invitation_every_client_accepts(app_ctx, setup):
    person = _public(setup).person

    (message,) = calendar_mail(person.email)
    assert message.kind == "calendar_invitation"
    calendar = invitation_of(message)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(calendar["VERSION"]) == "2.0" and calendar["PRODID"]
    event = only_event(calendar)
    assert str(event["UID"]) == f"day-{setup.public_day_id}-person-{person.id}@{HOST}"
    assert event["SEQUENCE"] == 0
    assert str(event["STATUS"]) == "CONFIRMED"
    # Times in the program's zone with a matching VTIMEZONE; DTSTAMP in UTC; never floating.
    (timezone,) = calendar.walk("VTIMEZONE")
    assert str(timezone["TZID"]) == ZONE
    start, end = _local(event["DTSTART"]), _local(event["DTEND"])
    assert event["DTSTART"].params["TZID"] == ZONE and event["DTEND"].params["TZID"] == ZONE
    assert (start.date(), start.time(), end.time()) == (
        date(2027, 3, 15),
        time(8, 30),
        time(16, 30),
    )
    assert start.astimezone(UTC) == datetime(2027, 3, 15, 12, 30, tzinfo=UTC)  # EDT
    assert _local(event["DTSTAMP"]).tzinfo is not None
    assert _local(event["DTSTAMP"]).utcoffset().total_seconds() == 0
    # Organizer and attendee as mailto: addresses; the attendee has already said yes.
    assert str(event["ORGANIZER"]) == "mailto:forums@test.example.org"
    attendee = event["ATTENDEE"]
    assert str(attendee) == f"mailto:{person.email}"
    assert attendee.params["CN"] == "Zoë O'Brien, Jr."
    assert attendee.params["PARTSTAT"] == "ACCEPTED" and attendee.params["RSVP"] == "FALSE"
    # Text with commas, semicolons, a newline and non-ASCII survives the round trip.
    assert str(event["LOCATION"]) == f"{TRICKY}, 1 Main Street, Durham"
    # Day 2 is for the teams alone: to a member of the public this is the forum's one day.
    assert str(event["SUMMARY"]) == "Forum 5: Testing"
    description = str(event["DESCRIPTION"])
    link = f"/me/{personal_token(person)}"
    assert link in description and link in str(event["URL"])
    assert "Opening, welcome; and goals" in description
    # The email body repeats the date, the times and the place.
    assert "Monday, March 15, 2027, 8:30 AM–4:30 PM (EDT)" in message.text_body
    assert TRICKY in message.text_body and link in message.text_body
    assert "Monday, March 15, 2027" in message.html_body
    assert message.subject == "Invitation: Forum 5: Testing, Mar 15, 2027"
    invite = invite_of(person.id, f"day-{setup.public_day_id}")
    assert (invite.uid, invite.sequence, invite.status) == (str(event["UID"]), 0, "active")


def test_a_two_day_registration_is_two_invitations_never_one_long_block(app_ctx, setup):
    person, _ = _team_member(setup)

    messages = calendar_mail(person.email)
    events = [only_event(invitation_of(message)) for message in messages]
    assert [str(e["UID"]) for e in events] == [
        f"day-{setup.public_day_id}-person-{person.id}@{HOST}",
        f"day-{setup.team_day_id}-person-{person.id}@{HOST}",
    ]
    assert [(_local(e["DTSTART"]).date(), _local(e["DTEND"]).date()) for e in events] == [
        (date(2027, 3, 15), date(2027, 3, 15)),
        (date(2027, 3, 16), date(2027, 3, 16)),
    ]


def test_team_members_see_confidential_sessions_in_their_day_but_the_public_never(app_ctx, setup):
    public = _public(setup).person
    member, _ = _team_member(setup)

    public_event = only_event(invitation_of(calendar_mail(public.email)[0]))
    member_event = only_event(invitation_of(calendar_mail(member.email)[0]))
    assert "Team debrief (secret)" not in str(public_event["DESCRIPTION"])
    assert "Team debrief (secret)" in str(member_event["DESCRIPTION"])


def test_a_waitlisted_day_gets_no_invitation_until_a_seat_opens(app_ctx, setup):
    first = _public(setup, "Ann One")
    _public(setup, "Bea Two")
    _public(setup, "Cy Three")
    waiting = _public(setup, "Dee Four")
    assert calendar_mail(waiting.person.email) == []

    cancel_days(db.session, first)

    (cancel,) = calendar_mail(first.person.email)[1:]
    assert str(invitation_of(cancel)["METHOD"]) == "CANCEL"
    (invitation,) = calendar_mail(waiting.person.email)
    assert str(invitation_of(invitation)["METHOD"]) == "REQUEST"


def test_cancelling_a_registration_cancels_the_day_and_its_breakouts_with_the_same_uids(
    app_ctx, setup
):
    person, registration_ = _team_member(setup, days="team")
    _pick(registration_, setup.breakout_ids[0])
    invited = {str(only_event(invitation_of(m))["UID"]) for m in calendar_mail(person.email)}
    assert len(invited) == 2

    cancel_days(db.session, registration_)

    cancels = calendar_mail(person.email)[2:]
    assert len(cancels) == 2
    for message in cancels:
        calendar = invitation_of(message)
        event = only_event(calendar)
        assert str(calendar["METHOD"]) == "CANCEL" and message.kind == "calendar_cancellation"
        assert str(event["STATUS"]) == "CANCELLED"
        assert event["SEQUENCE"] == 1
        assert str(event["ATTENDEE"]) == f"mailto:{person.email}"
        assert message.subject.startswith("Cancelled: ")
    assert {str(only_event(invitation_of(m))["UID"]) for m in cancels} == invited
    statuses = db.session.scalars(sa.select(CalendarInvite.status)).all()
    assert statuses == ["cancelled", "cancelled"]


def test_registering_again_after_cancelling_reinvites_the_same_uid_with_a_higher_sequence(
    app_ctx, setup
):
    registration = _public(setup)
    cancel_days(db.session, registration)
    write_pending()
    _public(setup)

    events = [only_event(invitation_of(m)) for m in calendar_mail()]
    assert [
        (str(invitation_of(m)["METHOD"]), e["SEQUENCE"])
        for m, e in zip(calendar_mail(), events, strict=True)
    ] == [("REQUEST", 0), ("CANCEL", 1), ("REQUEST", 2)]
    assert len({str(e["UID"]) for e in events}) == 1


def test_each_confirmed_breakout_is_its_own_invitation_in_its_room(app_ctx, setup):
    person, registration_ = _team_member(setup, days="team")
    _pick(registration_, setup.breakout_ids[0])

    message = calendar_mail(person.email)[-1]
    event = only_event(invitation_of(message))
    assert str(event["UID"]) == f"item-{setup.breakout_ids[0]}-person-{person.id}@{HOST}"
    assert str(event["SUMMARY"]) == "Breakout 1 – Forum 5: Testing"
    assert str(event["LOCATION"]) == f"Room A, {TRICKY}, 1 Main Street, Durham"
    assert (_local(event["DTSTART"]).time(), _local(event["DTEND"]).time()) == (
        time(10, 30),
        time(11, 45),
    )
    assert "Room A" in message.text_body and "10:30 AM–11:45 AM" in message.text_body
    # The day's own invitation never lists breakouts, so nothing appears twice.
    day_event = only_event(invitation_of(calendar_mail(person.email)[0]))
    assert "Breakout 1" not in str(day_event["DESCRIPTION"])
    assert "Lunch" in str(day_event["DESCRIPTION"])


def test_moving_a_pick_to_another_breakout_cancels_the_old_uid_and_invites_the_new(app_ctx, setup):
    person, registration_ = _team_member(setup, days="team")
    _pick(registration_, setup.breakout_ids[0])
    _pick(registration_, setup.breakout_ids[1])  # the same slot

    cancel, invitation = calendar_mail(person.email)[-2:]
    assert str(invitation_of(cancel)["METHOD"]) == "CANCEL"
    assert str(only_event(invitation_of(cancel))["UID"]).startswith(
        f"item-{setup.breakout_ids[0]}-"
    )
    assert str(invitation_of(invitation)["METHOD"]) == "REQUEST"
    assert str(only_event(invitation_of(invitation))["UID"]).startswith(
        f"item-{setup.breakout_ids[1]}-"
    )


def test_a_waitlisted_pick_gets_its_invitation_only_when_promoted(app_ctx, setup):
    holders = [_team_member(setup, name)[1] for name in ("Ann Full", "Bo Full")]
    for holder in holders:
        _pick(holder, setup.breakout_ids[2])
    waiting_person, waiting = _team_member(setup, "Cal Waiting", days="team")
    before = len(calendar_mail(waiting_person.email))
    pick = _pick(waiting, setup.breakout_ids[2], join_waitlist=True)
    assert pick.status == "waitlisted"
    assert len(calendar_mail(waiting_person.email)) == before

    drop_breakout(db.session, holders[0], holders[0].picks[0], now=NOW)

    message = calendar_mail(waiting_person.email)[-1]
    assert str(invitation_of(message)["METHOD"]) == "REQUEST"
    assert str(only_event(invitation_of(message))["UID"]).startswith(
        f"item-{setup.breakout_ids[2]}-"
    )


def _edit(item: AgendaItem, **changes) -> None:
    zone = item.day.forum.program.time_zone
    data = items.ItemInput(
        kind=item.kind,
        title=item.title,
        start=to_local(item.starts_at, zone).time(),
        end=to_local(item.ends_at, zone).time(),
        room_id=item.room_id,
        description=item.description,
        capacity=item.capacity,
        confidential=item.confidential,
        status=item.status,
    )
    for key, value in changes.items():
        setattr(data, key, value)
    items.update_item(db.session, item, data)


def test_a_spanish_speaker_reads_what_changed_in_spanish(app_ctx, setup):
    person, registration_ = _team_member(setup, days="team")
    person.language = "es"
    _pick(registration_, setup.breakout_ids[0])
    english, english_registration = _team_member(setup, "Noah English", days="team")
    _pick(english_registration, setup.breakout_ids[0])

    item = db.session.get(AgendaItem, setup.breakout_ids[0])
    _edit(item, start=time(15), end=time(16), room_id=setup.room_ids[1])

    update = calendar_mail(person.email)[-1]
    assert "Horario: antes 10:30–11:45, ahora 15:00–16:00" in update.text_body
    assert "Sala: antes Room A, ahora Room B" in update.text_body
    assert "Time: was" not in update.text_body
    assert "Time: was 10:30 AM–11:45 AM, now 3:00 PM–4:00 PM" in (
        calendar_mail(english.email)[-1].text_body
    )


def test_moving_a_breakout_sends_one_update_per_person_with_the_same_uid(app_ctx, setup):
    person, registration_ = _team_member(setup, days="team")
    _pick(registration_, setup.breakout_ids[0])
    other, _ = _team_member(setup, "Noah Other", days="team")  # no pick: not affected
    first = only_event(invitation_of(calendar_mail(person.email)[-1]))
    other_before = len(calendar_mail(other.email))

    item = db.session.get(AgendaItem, setup.breakout_ids[0])
    # Time, end and room change at once: still one email.
    _edit(item, start=time(15), end=time(16), room_id=setup.room_ids[1])

    update = calendar_mail(person.email)[-1]
    assert update.kind == "calendar_update" and update.subject.startswith("Updated: ")
    calendar = invitation_of(update)
    event = only_event(calendar)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == str(first["UID"])
    assert event["SEQUENCE"] == first["SEQUENCE"] + 1
    assert (_local(event["DTSTART"]).time(), _local(event["DTEND"]).time()) == (time(15), time(16))
    assert str(event["LOCATION"]).startswith("Room B, ")
    assert "Time: was 10:30 AM–11:45 AM, now 3:00 PM–4:00 PM" in update.text_body
    assert "Room: was Room A, now Room B" in update.text_body
    assert "3:00 PM–4:00 PM" in update.text_body
    assert len(calendar_mail(person.email)) == 3  # the day, the pick, one update
    assert len(calendar_mail(other.email)) == other_before


def test_cancelling_a_breakout_sends_cancel_and_restoring_it_invites_again(app_ctx, setup):
    person, registration_ = _team_member(setup, days="team")
    _pick(registration_, setup.breakout_ids[0])
    item = db.session.get(AgendaItem, setup.breakout_ids[0])

    _edit(item, status="cancelled")
    cancel = calendar_mail(person.email)[-1]
    assert str(invitation_of(cancel)["METHOD"]) == "CANCEL"
    assert str(only_event(invitation_of(cancel))["STATUS"]) == "CANCELLED"
    assert "This session is cancelled." in cancel.text_body

    _edit(item, status="scheduled")
    again = only_event(invitation_of(calendar_mail(person.email)[-1]))
    assert again["SEQUENCE"] == 2 and str(again["STATUS"]) == "CONFIRMED"


def test_deleting_a_breakout_cancels_it_in_calendars(app_ctx, setup):
    person, registration_ = _team_member(setup, days="team")
    _pick(registration_, setup.breakout_ids[0])
    breakout = db.session.get(AgendaItem, setup.breakout_ids[0])
    # People have seats: it is cancelled first (they are told), and only then deleted.
    with pytest.raises(AgendaError, match="cancel it first"):
        items.delete_item(db.session, breakout)
    _edit(breakout, status="cancelled")
    items.delete_item(db.session, breakout)

    calendar = invitation_of(calendar_mail(person.email)[-1])
    assert str(calendar["METHOD"]) == "CANCEL"
    assert only_event(calendar)["SEQUENCE"] == 1


def test_a_change_to_a_general_session_sends_the_day_again_to_those_who_may_see_it(app_ctx, setup):
    public = _public(setup).person
    member, _ = _team_member(setup)
    counts = {p.email: len(calendar_mail(p.email)) for p in (public, member)}

    _edit(db.session.get(AgendaItem, setup.confidential_id), start=time(15), end=time(16))
    # The public never saw the confidential session, so their calendar has nothing to update.
    assert len(calendar_mail(public.email)) == counts[public.email]
    assert len(calendar_mail(member.email)) == counts[member.email] + 1

    _edit(db.session.get(AgendaItem, setup.opening_id), start=time(9, 30), end=time(10, 30))
    update = calendar_mail(public.email)[-1]
    event = only_event(invitation_of(update))
    assert str(event["UID"]) == f"day-{setup.public_day_id}-person-{public.id}@{HOST}"
    assert event["SEQUENCE"] == 1
    assert "9:30 AM–10:30 AM Opening, welcome; and goals" in str(event["DESCRIPTION"])
    assert "“Opening, welcome; and goals” changed." in update.text_body


def test_changing_a_days_times_updates_everyone_registered_for_it(app_ctx, setup):
    person = _public(setup).person
    forum = db.session.get(Forum, setup.forum_id)
    day = db.session.get(ForumDay, setup.public_day_id)

    forums.save_day(
        db.session,
        forum,
        forums.DayInput(
            date=day.date,
            audience=day.audience,
            starts_at=time(9),
            ends_at=time(17),
            capacity=day.capacity,
        ),
        day,
    )

    update = calendar_mail(person.email)[-1]
    event = only_event(invitation_of(update))
    assert event["SEQUENCE"] == 1
    assert (_local(event["DTSTART"]).time(), _local(event["DTEND"]).time()) == (time(9), time(17))
    assert "9:00 AM–5:00 PM" in update.text_body


def test_an_edit_that_is_rolled_back_sends_nothing(app, setup):
    with app.app_context():
        _public(setup)
        db.session.commit()
        before = len(calendar_mail())
        _edit(db.session.get(AgendaItem, setup.opening_id), start=time(11), end=time(12))
        db.session.rollback()
        assert len(calendar_mail()) == before
        assert db.session.scalar(sa.select(CalendarInvite.sequence)) == 0


def test_renaming_a_breakout_updates_calendars_with_the_new_title(app_ctx, setup):
    person, registration_ = _team_member(setup, days="team")
    _pick(registration_, setup.breakout_ids[0])
    breakout = db.session.get(AgendaItem, setup.breakout_ids[0])

    _edit(breakout, title="Breakout 1: data sharing")

    update = calendar_mail(person.email)[-1]
    event = only_event(invitation_of(update))
    assert "Breakout 1: data sharing" in str(event["SUMMARY"]) and event["SEQUENCE"] == 1
    assert "Title: was “Breakout 1”, now “Breakout 1: data sharing”" in update.text_body
