"""On a phone, a project manager records what their team commits to do after a forum, with the
keyboard alone, and on a later visit marks it done; faculty then find it counted as done for
that team on the program's shared measures."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from forumapp.commitments.models import Commitment, CommitmentUpdate
from forumapp.core.clock import to_local, utcnow
from forumapp.core.i18n import format_date
from forumapp.core.models import Person
from forumapp.extensions import db
from forumapp.registration import notices

from .. import builders as build
from ..conftest import PASSWORD
from .conftest import PHONE, fits_without_sideways_scrolling

COMMITMENT = "Bring the county's overdose data to the health board by spring"


@pytest.fixture
def held_forum(app):
    """Forum 1 was held ten days ago and Forum 2 is two months away. Pat Park manages the
    Buncombe County team (Sam Singh is on it), Dare County is another team; Pat has been sent
    their personal link. A faculty member can sign in."""
    with app.app_context():
        today = to_local(utcnow(), build.ZONE).date()
        build.forum(number=1, days=((today - timedelta(days=10), "team"),))
        next_forum = build.forum(number=2, days=((today + timedelta(days=60), "team"),))
        manager = build.team_member("Pat Park", "Buncombe County", role="project_manager")
        build.team_member("Sam Singh", "Buncombe County")
        build.team_member("Dee Dunn", "Dare County", role="project_manager")
        notices.send_personal_link(db.session, manager)
        faculty = build.staff_user("faculty", email="fay@staff.example.org")
        db.session.commit()
        return {
            "manager_email": manager.email,
            "next_forum_starts": format_date(next_forum.days[0].date),
            "faculty_email": faculty.email,
        }


def tab_to(page, locator, limit: int = 40) -> None:
    """Press Tab until ``locator`` has the focus, as a keyboard user would."""
    for _ in range(limit):
        if locator.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{locator} never got the focus in {limit} presses of Tab")


def _on_a_phone(browser, live_server):
    context = browser.new_context(viewport=PHONE, base_url=live_server, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def test_a_commitment_is_added_marked_done_and_counted_for_its_team(
    app, browser, live_server, desktop_page, held_forum
):
    with app.app_context():
        personal_link = build.emailed_personal_link(held_forum["manager_email"])

    # After the forum, Pat opens their personal link on a phone and adds a commitment.
    page = _on_a_phone(browser, live_server)
    page.goto(personal_link)
    panel = page.get_by_role("region", name="Buncombe County: commitments")
    expect(panel).to_contain_text("Nothing open.")
    panel.get_by_role("link", name="See and add the team’s commitments").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Buncombe County: what we committed to do"
    )
    expect(page.get_by_text("No commitments yet.")).to_be_visible()
    assert fits_without_sideways_scrolling(page)

    # The keyboard alone: type the text, choose the owner, leave the due date empty.
    form = page.get_by_role("region", name="Add a commitment")
    text = form.get_by_label("What the team commits to do")
    tab_to(page, text)
    page.keyboard.type(COMMITMENT)
    owner = form.get_by_label("Owner (optional)")
    tab_to(page, owner)
    expect(owner.locator("option:checked")).to_have_text("Nobody named yet")
    page.keyboard.press("ArrowDown")  # the roster, by name: Pat Park, then Sam Singh
    page.keyboard.press("ArrowDown")
    expect(owner.locator("option:checked")).to_have_text("Sam Singh")
    # The forum just held is chosen for Pat already.
    expect(form.get_by_label("Made at").locator("option:checked")).to_have_text("Forum 1: Testing")
    tab_to(page, form.get_by_role("button", name="Add the commitment"))
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_contain_text("Added.")
    since_first = page.get_by_role("region", name="Since Forum 1: Testing")
    listed = since_first.get_by_role("listitem").filter(has_text=COMMITMENT)
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("Planned")
    expect(listed).to_contain_text(f"Due {held_forum['next_forum_starts']}")
    expect(listed).to_contain_text("Owner: Sam Singh")
    assert fits_without_sideways_scrolling(page)
    page.context.close()

    # Weeks later, a new visit from the same link: Pat marks it done, with a note.
    page = _on_a_phone(browser, live_server)
    page.goto(personal_link)
    panel = page.get_by_role("region", name="Buncombe County: commitments")
    expect(panel).to_contain_text("1 commitment still open.")
    panel.get_by_role("link", name="See and add the team’s commitments").click()
    listed = page.get_by_role("listitem").filter(has_text=COMMITMENT)
    listed.get_by_role("link", name=re.compile("^Update")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Where it stands")
    expect(page.get_by_label("Status")).to_have_value("planned")
    assert fits_without_sideways_scrolling(page)
    page.get_by_label("Status").select_option(label="Done")
    page.get_by_label("Progress (optional)").fill("Presented at the March board meeting.")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status")).to_contain_text("Saved.")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Buncombe County: what we committed to do"
    )
    listed = page.get_by_role("listitem").filter(has_text=COMMITMENT)
    expect(listed).to_contain_text("Done")
    expect(listed).not_to_contain_text("Planned")
    expect(listed).to_contain_text("Progress: Presented at the March board meeting.")
    page.context.close()

    with app.app_context():
        commitment = db.session.scalar(sa.select(Commitment))
        assert (commitment.text, commitment.status) == (COMMITMENT, "done")
        steps = db.session.scalars(
            sa.select(CommitmentUpdate.status).order_by(CommitmentUpdate.id)
        ).all()
        assert steps == ["planned", "done"]
        pat = db.session.scalar(sa.select(Person).filter_by(name="Pat Park"))
        assert commitment.owner.name == "Sam Singh"
        assert {step.person_id for step in commitment.updates} == {pat.id}

    # Faculty see it carried out, for Forum 1 and for Buncombe County there.
    page = desktop_page
    page.goto("/login")
    page.get_by_label("Email").fill(held_forum["faculty_email"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/staff/program/measures")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Across forums")

    between = page.get_by_role("table", name="Commitments made at each forum, and how they ended")
    first = between.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="Forum 1: Testing")
    )
    # Forum, made, done, partly, dropped, carried out.
    expect(first.get_by_role("cell")).to_have_text(["1", "1", "0", "0", "100%"])
    second = between.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="Forum 2: Testing")
    )
    expect(second.get_by_role("cell")).to_have_text(["0", "0", "0", "0", "–"])

    teams = page.get_by_role(
        "table",
        name="Roster present, sectors, project manager, returning and new people, commitments",
    )
    commitments_column = 6  # of the cells after the team's row header

    def commitments_of(team: str, forum_number: int):
        row = (
            teams.get_by_role("row")
            .filter(has=page.get_by_role("rowheader", name=team))
            .filter(has=page.get_by_role("cell", name=str(forum_number), exact=True))
        )
        expect(row).to_have_count(1)
        return row.get_by_role("cell").nth(commitments_column)

    expect(commitments_of("Buncombe County", 1)).to_have_text("1 (1, 0, 0)")
    expect(commitments_of("Buncombe County", 2)).to_have_text("0 (0, 0, 0)")
    expect(commitments_of("Dare County", 1)).to_have_text("0 (0, 0, 0)")
