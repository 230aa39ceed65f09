"""An organizer builds and publishes an agenda; the public sees it on a phone."""

from datetime import date

import pytest
from playwright.sync_api import expect

from forumapp.extensions import db

from .. import builders as build
from ..conftest import PASSWORD
from .conftest import PHONE, fits_without_sideways_scrolling


@pytest.fixture
def draft_forum(app):
    with app.app_context():
        forum = build.forum(status="draft", number=3, days=((date(2027, 6, 10), "public"),))
        build.room(forum, "Room A", 30)
        build.speaker(
            "Renee Castillo",
            title="Lecturer in Public Health Law",
            affiliation="School of Government",
        )
        db.session.commit()
        return forum.id


def test_organizer_adds_a_breakout_with_a_speaker_and_publishes_it(
    browser, live_server, desktop_page, make_user, draft_forum
):
    page = desktop_page
    email = make_user("organizer")
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Manage forums").click()
    page.get_by_role("link", name="Forum 3: Testing").click()
    page.get_by_role("link", name="Add a session on Thursday, June 10, 2027").click()
    page.get_by_label("Kind").select_option(label="Breakout")
    page.get_by_label("Title", exact=True).fill("Spending settlement funds")
    page.get_by_label("Starts").fill("10:30")
    page.get_by_label("Ends").fill("11:45")
    page.get_by_label("Room").select_option(label="Room A (30 seats)")
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_role("status")).to_contain_text("Saved “Spending settlement funds”")

    grid = page.get_by_role("table", name="Agenda for Thursday, June 10, 2027")
    expect(grid.get_by_role("columnheader", name="Room A")).to_be_visible()
    expect(grid.get_by_role("row", name="10:30 AM")).to_contain_text("Spending settlement funds")

    page.get_by_role("link", name="Edit Spending settlement funds").click()
    page.get_by_label("Speaker", exact=True).select_option(label="Renee Castillo (Faculty)")
    page.get_by_label("Role").select_option("facilitator")
    page.get_by_role("button", name="Add speaker").click()
    expect(page.get_by_role("status")).to_contain_text("Added Renee Castillo as facilitator")

    page.get_by_role("link", name="Back to the agenda").click()
    expect(page.get_by_role("region", name="Problems")).to_contain_text("No problems found")
    page.get_by_role("button", name="Publish forum").click()
    expect(page.get_by_role("status")).to_contain_text("Forum published")

    public = browser.new_context(viewport=PHONE, base_url=live_server, is_mobile=True)
    visitor = public.new_page()
    visitor.goto("/")
    visitor.get_by_role("link", name="Forum 3: Testing").click()
    agenda = visitor.get_by_role("region", name="Agenda: Thursday, June 10, 2027")
    expect(agenda).to_contain_text("10:30 AM–11:45 AM")
    expect(agenda).to_contain_text("Spending settlement funds")
    expect(agenda.get_by_role("link", name="Renee Castillo")).to_be_visible()
    assert fits_without_sideways_scrolling(visitor)
    public.close()
