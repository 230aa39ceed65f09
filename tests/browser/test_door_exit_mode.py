"""Door staff on a phone scan people in and out of a session, and out at the entrance at the
end of the day; the minutes credited follow."""

import re
from datetime import date, time

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from forumapp.attendance.models import PresenceScan
from forumapp.core.models import ForumDay
from forumapp.extensions import db

from .. import builders as build
from ..conftest import PASSWORD
from ..registration.conftest import NOW, make_forum
from .conftest import fits_without_sideways_scrolling


@pytest.fixture
def session_world(app):
    with app.app_context():
        setup = make_forum(public_capacity=50)
        day = db.session.get(ForumDay, setup.public_day_id)
        plenary = build.item(day, "Opening plenary", time(9), time(12), kind="general_session")
        ada = build.public_registration(setup.forum_id, "Ada Lovelace", now=NOW)
        code = build.ticket_code(ada)
        db.session.commit()
        return setup.forum_id, setup.public_day_id, plenary.id, code


def _sign_in(page, make_user) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(make_user("door"))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _scan(page, code: str) -> None:
    field = page.get_by_label("Ticket code")
    field.fill(code)
    field.press("Enter")


def _scans(app) -> list[tuple]:
    with app.app_context():
        return list(
            db.session.execute(
                sa.select(PresenceScan.item_id, PresenceScan.direction).order_by(PresenceScan.id)
            )
        )


def test_a_session_door_scans_in_then_out_in_exit_mode_on_a_phone(
    app, phone_page, make_user, session_world, today_is
):
    forum_id, day_id, plenary_id, code = session_world
    today_is(date(2027, 3, 15))
    page = phone_page
    _sign_in(page, make_user)
    page.goto(f"/door/days/{day_id}")
    page.get_by_role("link", name=re.compile("Opening plenary")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Session door: Opening plenary")
    expect(page.get_by_text("ENTRY mode: scan people coming in")).to_be_visible()
    page.wait_for_load_state("load")

    _scan(page, code)
    result = page.get_by_role("status", name="Scan result")
    expect(result).to_contain_text("Welcome, Ada Lovelace")

    page.get_by_role("navigation", name="Scan mode").get_by_role("link", name="Exit").click()
    expect(page.get_by_text("EXIT mode: scan people leaving")).to_be_visible()
    page.wait_for_load_state("load")
    _scan(page, code)
    expect(page.get_by_role("status", name="Scan result")).to_contain_text("Ada Lovelace left")
    assert fits_without_sideways_scrolling(page)
    assert _scans(app) == [(plenary_id, "entry"), (plenary_id, "exit")]
    # Exit mode survives a reload.
    page.reload()
    expect(page.get_by_text("EXIT mode: scan people leaving")).to_be_visible()


def test_the_entrance_runs_in_exit_mode_at_the_end_of_the_day(
    app, phone_page, make_user, session_world, today_is
):
    forum_id, day_id, plenary_id, code = session_world
    today_is(date(2027, 3, 15))
    page = phone_page
    _sign_in(page, make_user)
    page.goto(f"/door/days/{day_id}")
    page.wait_for_load_state("load")
    _scan(page, code)
    expect(page.get_by_role("status", name="Scan result")).to_contain_text("Checked in")

    page.get_by_role("link", name="Exit mode: scan people leaving").click()
    expect(page.get_by_text("EXIT mode: scan people leaving")).to_be_visible()
    page.wait_for_load_state("load")
    _scan(page, code)

    expect(page.get_by_role("status", name="Scan result")).to_contain_text("Ada Lovelace left")
    assert _scans(app) == [(None, "exit")]
