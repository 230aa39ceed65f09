"""The reminder's "I can't come: give my seat to someone else": it asks once, then releases
the day and its breakouts and promotes the first person waiting, without signing in; a
second time it says it is done. The measures count what came through it."""

from __future__ import annotations

import html
import re
from datetime import date, time

import pytest
import sqlalchemy as sa

from forumapp.extensions import db
from forumapp.mail.models import OutboxMessage
from forumapp.messages.reminders import queue_due_reminders, reminder_time
from forumapp.registration.breakouts import choose_breakout
from forumapp.registration.models import BreakoutPick, DaySeat

from .. import builders as build
from ..conftest import csrf_token

DAY = date(2027, 6, 15)


@pytest.fixture
def full_day(app):
    """A team day with one seat: Ada holds it (and a breakout), Grace then Alan wait; Ada's
    reminder a week before has been queued."""
    with app.app_context():
        forum = build.forum(days=((DAY, "team"),))
        day = forum.days[0]
        day.capacity = 1
        breakout = build.item(day, "Naloxone in schools", time(10, 30), time(11, 45))
        ada = build.team_registration(forum, "Ada Lovelace")
        choose_breakout(db.session, ada, breakout)
        for name in ("Grace Hopper", "Alan Turing"):
            build.team_registration(forum, name)
        queue_due_reminders(db.session, reminder_time(day, 7))
        db.session.commit()
        body = db.session.scalar(sa.select(OutboxMessage.text_body).filter_by(kind="day_reminder"))
        link = re.search(r"http://[^/]+(/me/\S+/cancel\?via=reminder)", body).group(1)
        return {"link": link, "day_id": day.id, "forum_id": forum.id}


def _statuses(app, day_id: int) -> dict[str, str]:
    with app.app_context():
        seats = db.session.scalars(sa.select(DaySeat).where(DaySeat.day_id == day_id))
        return {seat.registration.person.name: seat.status for seat in seats}


def test_the_link_asks_once_and_changes_nothing_until_confirmed(client, app, full_day):
    page = html.unescape(client.get(full_day["link"]).get_data(as_text=True))
    assert "Can't come on Tuesday, June 15, 2027?" in page
    assert "Your seat goes to the next person on the waitlist." in page
    assert "Your breakout that day (Naloxone in schools) is given up too." in page
    assert "Give my seat to someone else" in page and "No, I'm coming" in page
    assert _statuses(app, full_day["day_id"])["Ada Lovelace"] == "confirmed"


def test_confirming_gives_the_seat_to_the_first_person_waiting(client, app, full_day):
    link = full_day["link"]
    response = client.post(link, data={"csrf_token": csrf_token(client, link)})
    assert response.status_code == 302
    page = html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "Done: your seat on Tuesday, June 15 is free for someone else." in page
    assert _statuses(app, full_day["day_id"]) == {
        "Ada Lovelace": "cancelled",
        "Grace Hopper": "confirmed",
        "Alan Turing": "waitlisted",
    }
    with app.app_context():
        ada_seat, grace_seat = db.session.scalars(
            sa.select(DaySeat).where(DaySeat.day_id == full_day["day_id"]).order_by(DaySeat.id)
        ).all()[:2]
        assert ada_seat.released_via == "reminder"
        assert grace_seat.promoted_at is not None and ada_seat.promoted_at is None
        assert db.session.scalar(sa.select(BreakoutPick.status)) == "cancelled"
        promotion = db.session.scalars(sa.select(OutboxMessage).filter_by(kind="promotion")).one()
        assert promotion.to_name == "Grace Hopper"
        assert promotion.subject == "A seat opened up for you: Forum 1: Testing"


def test_used_twice_it_says_it_is_already_done(client, app, full_day):
    link = full_day["link"]
    token = csrf_token(client, link)
    client.post(link, data={"csrf_token": token})
    again = client.post(link, data={"csrf_token": token}, follow_redirects=True)
    assert again.status_code == 200
    page = html.unescape(again.get_data(as_text=True))
    assert "Your place on Tuesday, June 15 was already given up: nothing more to do." in page
    shown = html.unescape(client.get(link).get_data(as_text=True))
    assert "Your seat is already given back: nothing more to do." in shown
    assert "Give my seat to someone else" not in shown
    # Still one promotion: Alan keeps waiting.
    assert _statuses(app, full_day["day_id"])["Alan Turing"] == "waitlisted"
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).select_from(OutboxMessage).filter_by(kind="promotion")
            )
            == 1
        )


def test_cancelling_from_the_personal_page_is_not_counted_as_through_a_reminder(
    client, app, full_day
):
    link = full_day["link"].removesuffix("?via=reminder")
    client.post(link, data={"csrf_token": csrf_token(client, link)})
    with app.app_context():
        seat = db.session.scalar(sa.select(DaySeat).order_by(DaySeat.id))
        assert seat.status == "cancelled" and seat.released_via is None


def test_a_forged_link_finds_nothing(client, full_day):
    forged = re.sub(r"/me/[^/]+/", "/me/not-a-token/", full_day["link"])
    assert client.get(forged).status_code == 404


def test_the_registrations_page_counts_released_promoted_and_no_shows(
    client, app, full_day, signed_in
):
    link = full_day["link"]
    client.post(link, data={"csrf_token": csrf_token(client, link)})
    organizer = signed_in("organizer")
    page = html.unescape(
        organizer.get(f"/staff/forums/{full_day['forum_id']}/registrations").get_data(as_text=True)
    )
    section = page.split('id="reminders-heading"', 1)[1].split("</section>", 1)[0]
    row = re.sub(r"\s+", " ", section.split("Tuesday, June 15, 2027", 1)[1].split("</tr>")[0])
    # Reminders 7 and 2 days before; 1 seat given back, 1 promoted, 1 confirmed; the day
    # is still to come, so no-shows are not counted yet.
    cells = re.findall(r"<td>(.*?)</td>", row)
    assert cells[:4] == ["7 and 2 days before", "1", "1", "1"]
    assert "After the day" in cells[4]
