"""A public attendee registers on a phone; a team member picks breakouts and meets a full one."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from forumapp.agenda.models import AgendaItem
from forumapp.core.clock import utcnow
from forumapp.core.links import personal_token
from forumapp.core.models import ForumDay
from forumapp.extensions import db
from forumapp.registration.breakouts import choose_breakout

from .. import builders as build
from ..builders import emailed_personal_link
from ..registration.conftest import make_forum
from .conftest import fits_without_sideways_scrolling


@pytest.fixture
def open_forum(app):
    with app.app_context():
        setup = make_forum(public_capacity=50, breakout_capacity=1)
        for day in db.session.scalars(db.select(ForumDay)):
            day.registration_opens_at = utcnow() - timedelta(days=1)
            day.registration_closes_at = utcnow() + timedelta(days=30)
        db.session.commit()
        return setup


def test_public_attendee_registers_on_a_phone(app, phone_page, open_forum):
    page = phone_page
    page.goto(f"/forums/{open_forum.forum_id}")
    page.get_by_role("link", name="Register for the public day").click()
    assert fits_without_sideways_scrolling(page)
    page.get_by_label("Full name").fill("Grace Hopper")
    page.get_by_label("Email").fill("grace@public.example.org")
    page.get_by_label("Organization (optional)").fill("Town of Cary")
    expect(page.get_by_label("Monday, March 15")).to_be_checked()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("alert")).to_contain_text("Please check this")
    expect(page.get_by_label("I agree to the privacy note above")).to_have_accessible_description(
        re.compile("Tick the box to agree to the privacy note")
    )

    page.get_by_label("I agree to the privacy note above").check()
    page.get_by_role("button", name="Register").click()
    # The result and the personal link go to the inbox, never to this browser.
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    expect(page.get_by_role("status")).to_contain_text("We've emailed grace@public.example.org")
    assert fits_without_sideways_scrolling(page)
    with app.app_context():
        link = emailed_personal_link("grace@public.example.org")
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your registrations")
    expect(page.get_by_text("Monday, March 15, 2027").first).to_be_visible()


def test_team_member_picks_breakouts_and_a_full_one_is_offered_as_waitlist(
    app, phone_page, open_forum
):
    with app.app_context():
        registration = build.team_registration(open_forum.forum_id, "Rival Member", "Dare County")
        item = db.session.get(AgendaItem, open_forum.breakout_ids[0])
        choose_breakout(db.session, registration, item)
        member = build.team_member("Tia Member", "Buncombe County")
        link = "/me/" + personal_token(member)
        db.session.commit()

    page = phone_page
    page.goto(link)
    page.get_by_role("button", name="Register for Forum 5: Testing").click()
    expect(page.get_by_role("status")).to_contain_text("You're registered for Tuesday, March 16")

    first_slot = page.get_by_role("group", name="10:30 AM: choose one breakout")
    expect(first_slot).to_contain_text("Full: choose it to join the waitlist.")
    first_slot.get_by_label("Breakout 2").check()
    page.get_by_role("group", name="1:00 PM: choose one breakout").get_by_label(
        "Breakout 3"
    ).check()
    page.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_role("status")).to_contain_text("Your breakout choices are saved.")
    expect(page.get_by_text("Your choice: you have a seat.")).to_have_count(2)

    page.get_by_role("group", name="10:30 AM: choose one breakout").get_by_label(
        "Breakout 1"
    ).check()
    page.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_role("status")).to_contain_text("you're number 1 on its waitlist")
    assert fits_without_sideways_scrolling(page)
