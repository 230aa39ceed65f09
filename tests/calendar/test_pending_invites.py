"""Calendar invitations are written by the mail worker, not inside the request that caused
them: a registration stays quick, an organizer's edit on a full day answers at once, and
changes that come before the worker are sent as one up-to-date email."""

from __future__ import annotations

from datetime import time

import sqlalchemy as sa

from forumapp.agenda.models import AgendaItem
from forumapp.calendar.models import CalendarFeed, PendingInvite
from forumapp.extensions import db
from forumapp.mail.models import OutboxMessage
from forumapp.mail.worker import deliver_due
from forumapp.registration.registering import cancel_days

from .. import builders as build
from .conftest import NOW, calendar_mail, invitation_of, only_event, write_pending
from .test_invitations import _edit


def _register(setup, name: str):
    email = f"{name.split()[0].lower()}@public.example.org"
    return build.public_registration(setup.forum_id, name, email, now=NOW)


def _count(model, *conditions) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*conditions))


def _calendar_messages() -> int:
    return _count(OutboxMessage, OutboxMessage.kind.like("calendar%"))


def test_a_registration_leaves_its_invitation_to_the_mail_worker(app_ctx, setup, smtp_server):
    person = _register(setup, "Zoe Brien").person
    db.session.commit()

    assert _calendar_messages() == 0  # nothing was built inside the registration
    assert _count(PendingInvite) == 1
    assert _count(CalendarFeed, CalendarFeed.person_id == person.id) == 1  # offered at once

    report = deliver_due(db.session)

    assert report.sent == 2 and _count(PendingInvite) == 0
    subjects = sorted(received.message["Subject"] for received in smtp_server.wait_for(2))
    assert subjects[0].startswith("Invitation: Forum 5: Testing")
    assert subjects[1] == "Your registration: Forum 5: Testing"


def test_an_edit_on_a_full_day_answers_at_once_and_the_worker_updates_everyone(app_ctx, setup):
    people = [_register(setup, f"Person{n} Public").person for n in range(3)]
    write_pending()
    before = _calendar_messages()

    _edit(db.session.get(AgendaItem, setup.opening_id), start=time(9, 30), end=time(10, 30))

    assert _calendar_messages() == before  # the organizer's request wrote rows, not emails
    assert _count(PendingInvite) == len(people)
    for person in people:
        update = calendar_mail(person.email)[-1]
        event = only_event(invitation_of(update))
        assert event["SEQUENCE"] == 1
        assert "9:30 AM–10:30 AM Opening, welcome; and goals" in str(event["DESCRIPTION"])
    assert _count(PendingInvite) == 0


def test_a_seat_taken_and_given_back_before_the_worker_comes_sends_no_calendar_mail(app_ctx, setup):
    taken = _register(setup, "Quick Changer")
    cancel_days(db.session, taken)

    assert calendar_mail(taken.person.email) == []  # neither an invitation nor a cancellation
    assert _count(PendingInvite) == 0


def test_two_changes_before_the_worker_comes_make_one_update_naming_both(app_ctx, setup):
    person = _register(setup, "Zoe Brien").person
    write_pending()
    opening = db.session.get(AgendaItem, setup.opening_id)

    _edit(opening, start=time(9, 30), end=time(10, 30))
    _edit(opening, start=time(9, 45), end=time(10, 45))

    invitation, update = calendar_mail(person.email)
    event = only_event(invitation_of(update))
    assert event["SEQUENCE"] == 1
    assert "9:45 AM–10:45 AM Opening" in str(event["DESCRIPTION"])
    assert "now 9:30 AM–10:30 AM" in update.text_body and "now 9:45 AM–10:45 AM" in update.text_body
