"""What a reviewer found on a phone: pages that scrolled sideways, messages shown far above where
the browser landed, a form whose error summary pointed nowhere in particular."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from forumapp.core.clock import utcnow
from forumapp.core.links import personal_token
from forumapp.core.models import ForumDay
from forumapp.extensions import db

from .. import builders as build
from ..checkin.people import register_public
from ..conftest import PASSWORD
from ..registration.conftest import NOW, make_forum
from .conftest import PHONE, fits_without_sideways_scrolling


@pytest.fixture
def forum(app):
    """Forum 5 with a public and a team day, open for registration both now (for the browser)
    and at the builders' ``NOW``."""
    with app.app_context():
        setup = make_forum(public_capacity=50)
        for day in db.session.scalars(db.select(ForumDay)):
            day.registration_opens_at = min(utcnow(), NOW) - timedelta(days=1)
            day.registration_closes_at = max(utcnow(), NOW) + timedelta(days=30)
        db.session.commit()
        return setup


def sign_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff home")


# --- 360 px phones -----------------------------------------------------------------------------


def page_width(page) -> float:
    """How wide the page is laid out. On a phone (``is_mobile``) the browser widens its layout
    viewport to whatever overflows, so the window's own width can hide sideways scrolling."""
    return page.evaluate("document.documentElement.scrollWidth")


def test_door_lookup_cards_fit_a_phone_with_long_emails(
    app, phone_page, make_user, forum, today_is
):
    today_is(date(2027, 3, 15))  # door staff use the public day's door on that day
    for name, email in [
        ("Rosa Baker", "rosa.baker@durhamcounty.example.org"),
        ("Rosa Reyes", "rosa.reyes@pittcounty.example.org"),
    ]:
        register_public(
            app, forum, name, email=email, organization="Durham County Health Department"
        )
    page = phone_page
    sign_in(page, make_user("door"))
    page.goto(f"/door/days/{forum.public_day_id}/lookup?q=rosa")
    results = page.get_by_role("list", name=re.compile("2 matches"))
    expect(results.get_by_role("listitem")).to_have_count(2)
    expect(results).to_contain_text("rosa.baker@durhamcounty.example.org")
    assert fits_without_sideways_scrolling(page)
    assert page_width(page) <= PHONE["width"]
    for card in results.get_by_role("listitem").all():
        assert card.evaluate("card => card.getBoundingClientRect().right") <= PHONE["width"]


def clipped_sideways(page) -> list[str]:
    """Elements whose content is cut off at the side (a box that scrolls or hides overflow),
    leaving out what is hidden on purpose for screen readers (1 px boxes)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('main *')]
            .filter(e => e.clientWidth > 1 && e.scrollWidth > e.clientWidth + 1
                         && getComputedStyle(e).overflowX !== 'visible')
            .map(e => e.tagName + '.' + e.className)"""
    )


def test_project_manager_sees_every_column_of_the_roster_on_a_phone(app, phone_page, forum):
    with app.app_context():
        manager = build.team_member("Aisha Adams", "Brunswick County", role="project_manager")
        for name in ("Ben Hughes", "Carmen Patel", "Felix Oxendine"):
            build.team_member(name, "Brunswick County")
        team_id = manager.memberships[0].team_id
        link = f"/me/{personal_token(manager)}/team/{team_id}/roster"
        db.session.commit()

    page = phone_page
    page.goto(link)
    roster = page.get_by_role("table", name="Brunswick County roster")
    expect(roster).to_contain_text("felix.oxendine@county.example.org")
    assert page_width(page) <= PHONE["width"]
    assert not clipped_sideways(page)
    for seen in (
        roster.get_by_text("Project manager"),
        roster.get_by_text("Member").first,
        roster.get_by_text("Remove Felix Oxendine", exact=True),
    ):
        expect(seen).to_be_visible()
        box = seen.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]

    # Asked first: the summary opens the question, whose button removes.
    roster.get_by_text("Remove Felix Oxendine", exact=True).click()
    expect(roster).to_contain_text("Take Felix Oxendine off the roster?")
    yes = roster.get_by_role("button", name="Yes, remove Felix Oxendine")
    box = yes.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    yes.click()
    expect(page.get_by_role("table", name="Brunswick County roster")).not_to_contain_text(
        "Felix Oxendine"
    )


def test_a_very_long_name_does_not_widen_the_personal_page(app, phone_page, forum):
    name = "Wolfeschlegelsteinhausenbergerdorffvoralternwarengewissenhaftschaferswessen" + "abcde"
    assert len(name) == 80 and " " not in name
    someone = register_public(
        app,
        forum,
        name,
        email=f"{name.lower()}@public.example.org",
        organization="Department of " + name,
    )
    page = phone_page
    page.goto(someone.page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your registrations")
    expect(page.get_by_text(f"Hello {name}.")).to_be_visible()
    assert page_width(page) <= PHONE["width"]
    page.goto(f"{someone.page}/tickets/{someone.registration_id}")
    expect(page.locator("main")).to_contain_text(name)
    assert page_width(page) <= PHONE["width"]


# --- Messages where the person is ---------------------------------------------------------------


@pytest.fixture
def member_link(app, forum) -> str:
    """Tia, a team member registered for the team day with no breakout chosen yet."""
    with app.app_context():
        registration = build.team_registration(forum.forum_id, "Tia Member")
        link = "/me/" + personal_token(registration.person)
        db.session.commit()
        return link


def test_the_saved_message_shows_where_the_page_lands_after_saving_breakouts(
    phone_page, member_link
):
    page = phone_page
    page.goto(member_link)
    forum_part = page.get_by_role("region", name="Forum 5: Testing")
    forum_part.get_by_role("group", name="10:30 AM: choose one breakout").get_by_label(
        "Breakout 2"
    ).check()
    forum_part.get_by_role("button", name="Save my choices").click()

    expect(page).to_have_url(re.compile(r"#forum-\d+$"))
    message = page.get_by_role("status")
    expect(message).to_have_text("Your breakout choices are saved.")
    expect(message).to_be_in_viewport()
    # Inside the part it is about, after its heading: headings stay in order.
    expect(forum_part.get_by_role("status")).to_be_visible()
    assert page.evaluate(
        """() => {
            const message = document.querySelector('[role=status]');
            const heading = message.closest('section').querySelector('h2');
            return heading.compareDocumentPosition(message) === Node.DOCUMENT_POSITION_FOLLOWING;
        }"""
    )
    assert page_width(page) <= PHONE["width"]


def test_without_javascript_the_message_stays_at_the_top(browser, live_server, member_link):
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, base_url=live_server, java_script_enabled=False
    )
    page = context.new_page()
    try:
        page.goto(member_link)
        page.get_by_label("Breakout 2").check()
        page.get_by_role("button", name="Save my choices").click()
        expect(page).to_have_url(re.compile(r"#forum-\d+$"))
        message = page.get_by_role("status")
        expect(message).to_have_text("Your breakout choices are saved.")
        assert message.evaluate("m => m.parentElement.tagName") == "MAIN"
    finally:
        context.close()


# --- The public registration form --------------------------------------------------------------


def test_after_a_failed_registration_the_focus_is_on_the_error_summary(phone_page, forum):
    page = phone_page
    page.goto(f"/forums/{forum.forum_id}/register")
    page.get_by_label("Full name").fill("Grace Hopper")
    page.get_by_label("Email").fill("grace@public.example.org")
    page.get_by_label("Monday, March 15").uncheck()
    page.get_by_role("button", name="Register").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Please check these")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    # The days' error leads to the first day's checkbox, the consent's to its box.
    days_link = summary.get_by_role("link", name=re.compile("day", re.I))
    expect(days_link).to_have_count(1)
    page.keyboard.press("Tab")
    expect(summary.get_by_role("link").first).to_be_focused()
    days_link.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Monday, March 15")).to_be_focused()
    expect(page.get_by_role("group", name="Which days will you attend?")).to_be_visible()
