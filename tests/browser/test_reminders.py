"""On a phone, someone follows "I can't come" from the reminder they were sent, confirms, and
their seat goes to the first person waiting, who is emailed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from forumapp.core.clock import to_local, utcnow
from forumapp.core.i18n import format_date
from forumapp.extensions import db
from forumapp.mail.models import OutboxMessage
from forumapp.messages.reminders import queue_due_reminders
from forumapp.registration.models import DaySeat

from .. import builders as build
from .conftest import fits_without_sideways_scrolling


@pytest.fixture
def reminded(app):
    """A full public day three days from now: Ada has its one seat since a month ago and was
    sent the reminder a week before; Grace waits."""
    with app.app_context():
        day_date = to_local(utcnow(), build.ZONE).date() + timedelta(days=3)
        forum = build.forum(days=((day_date, "public"),))
        forum.days[0].capacity = 1
        ada = build.public_registration(forum, "Ada Lovelace")
        for seat in ada.seats:
            seat.created_at = seat.status_changed_at = utcnow() - timedelta(days=30)
        build.public_registration(forum, "Grace Hopper")
        db.session.flush()
        # Ada's reminder; Grace joined the waitlist only after its moment, so no note.
        assert queue_due_reminders(db.session) == 1
        db.session.commit()
        return {"day_id": forum.days[0].id, "date": day_date}


def _reminder_link(app) -> str:
    """The "I can't come" link of the reminder in Ada's inbox (the outbox), as a path."""
    with app.app_context():
        body = db.session.scalar(
            sa.select(OutboxMessage.text_body).where(
                OutboxMessage.kind == "day_reminder",
                OutboxMessage.to_email == "ada.lovelace@public.example.org",
            )
        )
    return re.search(r"https?://[^/\s]+(/me/\S+/cancel\?via=reminder)", body).group(1)


def test_i_cant_come_gives_the_seat_to_the_first_person_waiting(app, phone_page, reminded):
    page = phone_page
    when = format_date(reminded["date"])
    page.goto(_reminder_link(app))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Can't come on {when}?")
    expect(page.get_by_text("Your seat goes to the next person on the waitlist.")).to_be_visible()
    assert fits_without_sideways_scrolling(page)

    page.get_by_role("button", name="Give my seat to someone else").click()
    expect(page.get_by_role("status")).to_contain_text("is free for someone else")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your registrations")
    assert fits_without_sideways_scrolling(page)

    with app.app_context():
        statuses = db.session.scalars(
            sa.select(DaySeat.status)
            .where(DaySeat.day_id == reminded["day_id"])
            .order_by(DaySeat.id)
        ).all()
        assert statuses == ["cancelled", "confirmed"]
        promotion = db.session.scalar(
            sa.select(OutboxMessage).where(OutboxMessage.kind == "promotion")
        )
        assert promotion.to_email == "grace.hopper@public.example.org"
        assert promotion.subject == "A seat opened up for you: Forum 1: Testing"

    # Following the link again says it is done, and offers nothing more to press.
    page.goto(_reminder_link(app))
    expect(page.get_by_text("Your seat is already given back: nothing more to do.")).to_be_visible()
    expect(page.get_by_role("button", name="Give my seat to someone else")).to_have_count(0)
