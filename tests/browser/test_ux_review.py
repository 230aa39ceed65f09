"""What a reviewer found on a phone: pages that scrolled sideways, messages shown far above where
the browser landed, a form whose error summary pointed nowhere in particular."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from forumapp.core.clock import utcnow
from forumapp.core.links import personal_token
from forumapp.core.models import ForumDay
from forumapp.extensions import db

from ..checkin.people import register_public
from ..conftest import PASSWORD
from ..registration.conftest import NOW, add_team_member, make_forum
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


def test_door_lookup_cards_fit_a_phone_with_long_emails(app, phone_page, make_user, forum):
    for name, email in [("Rosa Baker", "rosa.baker@durhamcounty.example.org"),
                        ("Rosa Reyes", "rosa.reyes@pittcounty.example.org")]:  # fmt: skip
        register_public(app, forum, name, email=email,
                        organization="Durham County Health Department")  # fmt: skip
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
        manager = add_team_member("Aisha Adams", "Brunswick County", role="project_manager")
        for name in ("Ben Hughes", "Carmen Patel", "Felix Oxendine"):
            add_team_member(name, "Brunswick County")
        team_id = manager.memberships[0].team_id
        link = f"/me/{personal_token(manager)}/team/{team_id}/roster"
        db.session.commit()

    page = phone_page
    page.goto(link)
    roster = page.get_by_role("table", name="Brunswick County roster")
    expect(roster).to_contain_text("felix.oxendine@county.example.org")
    assert page_width(page) <= PHONE["width"]
    assert not clipped_sideways(page)
    for seen in (roster.get_by_text("Project manager"), roster.get_by_text("Member").first,
                 roster.get_by_role("button", name="Remove Felix Oxendine")):  # fmt: skip
        expect(seen).to_be_visible()
        box = seen.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]

    roster.get_by_role("button", name="Remove Felix Oxendine").click()
    expect(page.get_by_role("table", name="Brunswick County roster")).not_to_contain_text(
        "Felix Oxendine"
    )


def test_a_very_long_name_does_not_widen_the_personal_page(app, phone_page, forum):
    name = "Wolfeschlegelsteinhausenbergerdorffvoralternwarengewissenhaftschaferswessen" + "abcde"
    assert len(name) == 80 and " " not in name
    someone = register_public(app, forum, name, email=f"{name.lower()}@public.example.org",
                              organization="Department of " + name)  # fmt: skip
    page = phone_page
    page.goto(someone.page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your registrations")
    expect(page.get_by_text(f"Hello {name}.")).to_be_visible()
    assert page_width(page) <= PHONE["width"]
    page.goto(f"{someone.page}/tickets/{someone.registration_id}")
    expect(page.locator("main")).to_contain_text(name)
    assert page_width(page) <= PHONE["width"]
