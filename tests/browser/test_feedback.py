"""A faculty member reads the feedback summary, promotes the topic several teams raised, and
finds it as a draft session on the next forum's agenda; an attendee answers on a phone."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from forumapp.attendee import views as personal_page_views
from forumapp.core.models import Role, User
from forumapp.extensions import db
from forumapp.feedback import answering, attendee_views, topic_groups

from .. import builders as build
from ..conftest import PASSWORD
from ..feedback.conftest import answers, build_world
from .conftest import fits_without_sideways_scrolling


@pytest.fixture
def forum_with_feedback(app):
    """Forum 5 has answers from two teams that both ask about sharing data; Forum 6 exists."""
    with app.app_context():
        world = build_world()
        items = world.items
        answering.save_response(
            db.session,
            world.registration("Ana Alvarez"),
            answers(
                5, {items["Opening"]: (4, "Clear goals")}, topics=["Sharing data between agencies"]
            ),
        )
        answering.save_response(
            db.session,
            world.registration("Cy Carter"),
            answers(3, {items["Breakout 1"]: 2}, topics=["Sharing data across agencies"]),
        )
        answering.save_response(
            db.session,
            world.registration("Ben Brooks"),
            answers(4, {items["Breakout 2"]: (3, "Too rushed")}, anonymous=True),
        )
        topic_groups.regroup(db.session, world.forum())
        build.forum(status="draft", number=6, days=((date(2027, 9, 14), "team"),))
        faculty = User(email="fay@staff.example.org", name="Fay Faculty", role=Role.FACULTY)
        faculty.set_password(PASSWORD)
        db.session.add(faculty)
        db.session.commit()
        return world


def test_faculty_promote_a_topic_raised_by_several_teams_into_the_next_forum(
    desktop_page, forum_with_feedback
):
    page = desktop_page
    page.goto("/login")
    page.get_by_label("Email").fill("fay@staff.example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Feedback").click()
    page.get_by_role("link", name="Forum 5: Testing").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Feedback on Forum 5: Testing")
    expect(page.get_by_role("region", name="Responses")).to_contain_text(
        "3 of 4 attendees answered (75%)"
    )
    overall = page.get_by_role("img", name="Overall rating of the forum")
    expect(overall).to_be_visible()
    expect(overall).to_have_accessible_description(re.compile("3 ratings, average 4.0 out of 5"))
    expect(page.get_by_role("img", name="Ratings of “Breakout 2”")).to_be_visible()
    expect(page.get_by_text("Anonymous, Buncombe County · rated 3")).to_be_visible()
    expect(page.get_by_text("Ben Brooks")).to_have_count(0)
    topics_table = page.get_by_role("table", name="Topic groups, most teams first")
    flagged = topics_table.get_by_role("row").filter(has_text="Raised by 2 teams")
    expect(flagged).to_have_count(1)
    label = flagged.get_by_role("rowheader").inner_text().replace("Raised by 2 teams", "").strip()

    page.get_by_role("link", name="Review topics and promote them").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Topics raised after Forum 5")
    group = page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name=label, exact=True)
    )
    expect(group.get_by_text("Several teams: special attention")).to_be_visible()
    group.get_by_text(re.compile(r"^Show the 2 suggestions")).click()
    group.get_by_role("button", name=re.compile("^Promote to Forum 6")).click()
    expect(page.get_by_role("status")).to_contain_text("is now a draft breakout")

    page.get_by_role("link", name=label, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Forum 6: Testing")
    session = page.locator("article").filter(has=page.get_by_role("heading", name=label))
    expect(session).to_contain_text("Proposed from Forum 5 feedback (raised by 2 teams)")


def test_an_attendee_answers_on_a_phone_and_keeps_what_they_typed(
    app, phone_page, forum_with_feedback, monkeypatch
):
    monkeypatch.setattr(attendee_views, "_local_today", lambda: date(2027, 3, 20))
    monkeypatch.setattr(personal_page_views, "_local_today", lambda: date(2027, 3, 20))
    with app.app_context():
        token = forum_with_feedback.token("Pat Public")
    page = phone_page
    page.goto(f"/me/{token}")
    page.get_by_role("link", name="Give feedback on Forum 5: Testing").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your feedback on Forum 5: Testing")
    assert fits_without_sideways_scrolling(page)
    panel = page.get_by_role("group", name="Team panel")
    panel.get_by_role("radio", name="4 Very good").check()
    panel.get_by_label("Comment (optional)").fill("Hearing the sheriff and EMS together")
    page.get_by_label("Topic 1").fill("Naloxone in schools")
    page.get_by_role("button", name="Send my feedback").click()

    expect(page.get_by_role("alert")).to_contain_text("Overall rating: Choose an overall rating")
    expect(panel.get_by_role("radio", name="4 Very good")).to_be_checked()
    expect(panel.get_by_label("Comment (optional)")).to_have_value(
        "Hearing the sheriff and EMS together"
    )
    expect(page.get_by_label("Topic 1")).to_have_value("Naloxone in schools")

    page.get_by_role("group", name="Overall, how would you rate the forum?").get_by_role(
        "radio", name="5 Excellent"
    ).check()
    page.get_by_role("button", name="Send my feedback").click()
    expect(page.get_by_role("status")).to_contain_text("Thank you! Your feedback is saved.")
    expect(page.get_by_role("button", name="Save my changes")).to_be_visible()
    assert fits_without_sideways_scrolling(page)
