"""The entrance door keeps working when the venue's network does not: scans are judged against
the roster snapshot kept on the phone, queued, and synced with their scan times."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from forumapp.checkin.models import CheckIn, CheckInConflict
from forumapp.checkin.tickets import reissue_ticket
from forumapp.core.models import Person, User
from forumapp.extensions import db
from forumapp.registration.models import Registration

from .. import builders as build
from ..conftest import PASSWORD
from ..registration.conftest import NOW, make_forum
from .conftest import PHONE, fits_without_sideways_scrolling

DAY = date(2027, 3, 15)

# What the page keeps in IndexedDB, store by store (the test reads it as a person could in
# the browser's developer tools).
READ_DATABASE = """async () => {
  const names = (await indexedDB.databases()).map((d) => d.name);
  if (!names.includes("forumapp-door")) { return null; }
  const db = await new Promise((resolve, reject) => {
    const r = indexedDB.open("forumapp-door");
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  const out = {};
  for (const name of Array.from(db.objectStoreNames)) {
    out[name] = await new Promise((resolve) => {
      const r = db.transaction(name).objectStore(name).getAll();
      r.onsuccess = () => resolve(r.result);
    });
  }
  db.close();
  return out;
}"""


@pytest.fixture
def holders(app):
    """21 people registered for the public day (March 15), each holding a ticket: their
    (name, code), in order."""
    with app.app_context():
        setup = make_forum(public_capacity=50)
        people = []
        for number in range(1, 22):
            registration = build.public_registration(
                setup.forum_id,
                f"Person {number:02d}",
                f"person{number}@public.example.org",
                now=NOW,
                organization="Town of Cary" if number == 1 else "",
            )
            people.append((f"Person {number:02d}", build.ticket_code(registration)))
        db.session.commit()
        return people


@pytest.fixture
def door_staff(make_user, today_is):
    """``door_staff()``: the email of a new door staff member; March 15 is today."""
    today_is(DAY)
    return lambda: make_user("door")


@pytest.fixture
def new_phone(browser, live_server):
    """``new_phone()``: a page in a fresh 360 px phone browser (its own storage)."""
    contexts = []

    def make():
        context = browser.new_context(viewport=PHONE, base_url=live_server, is_mobile=True)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield make
    for context in contexts:
        context.close()


def open_door(page, email: str):
    """Sign in and open March 15's door; returns once the roster is on the phone and the page
    is kept for a reload without the network."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Door").click()
    page.get_by_role("link", name=re.compile("Monday, March 15")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Door: Monday, March 15, 2027")
    expect(page.get_by_text(re.compile(r"Roster from less than a minute ago"))).to_be_visible()
    expect(page.locator("[data-door-offline]")).to_have_attribute("data-page-kept", "true")
    return page


def scan(page, code: str):
    field = page.get_by_label("Ticket code")
    field.fill(code)
    field.press("Enter")


def banner(page):
    return page.get_by_role("status").filter(has=page.locator("[data-offline-state]"))


def result(page):
    return page.get_by_role("status", name="Scan result")


def check_ins(app) -> list[tuple[str, datetime]]:
    with app.app_context():
        return list(
            db.session.execute(
                sa.select(Registration.person_id, CheckIn.checked_in_at)
                .join(Registration)
                .order_by(CheckIn.checked_in_at)
            )
        )


def conflicts(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(CheckInConflict.kind)))


def test_twenty_scans_offline_are_judged_on_the_phone_and_checked_in_at_their_scan_times(
    app, new_phone, door_staff, holders
):
    page = open_door(new_phone(), door_staff())
    page.context.set_offline(True)

    for number, (name, code) in enumerate(holders[:20], start=1):
        scan(page, code)
        expect(result(page)).to_contain_text(f"Checked in (offline){name}")
        expect(result(page).locator('[data-result="checked_in"]')).to_be_visible()
        expect(banner(page)).to_have_text(
            f"Offline — {number} scan{'s' if number > 1 else ''} waiting to sync"
        )
    expect(result(page)).to_contain_text("Recorded on this phone")
    scan(page, holders[0][1])
    expect(result(page)).to_contain_text("Already checked in (offline)")
    expect(result(page)).to_contain_text("on this phone")
    scan(page, "NOT-A-TICKET")
    expect(result(page)).to_contain_text("Invalid code (offline)")
    assert fits_without_sideways_scrolling(page)
    queued = page.evaluate(READ_DATABASE)["queue"]
    assert [item["code"] for item in queued] == [code for _, code in holders[:20]]
    assert check_ins(app) == []

    page.context.set_offline(False)

    expect(banner(page)).to_have_text("All synced", timeout=15_000)
    # The page's count and latest check-ins come up to date with what was synced.
    expect(page.locator("[data-recent] .door-count")).to_contain_text("20 of")
    expect(page.locator("[data-recent]")).to_contain_text(holders[19][0])
    stamps = [at for _, at in check_ins(app)]
    assert len(stamps) == 20
    for stamp, item in zip(stamps, queued, strict=True):
        scanned_at = datetime.fromisoformat(item["scanned_at"].replace("Z", "+00:00"))
        assert abs((stamp - scanned_at).total_seconds()) < 2
    assert page.evaluate(READ_DATABASE)["queue"] == []
    # Online again, the door asks the server.
    scan(page, holders[20][1])
    expect(result(page)).to_contain_text("Checked in")
    expect(result(page)).not_to_contain_text("offline")
    assert len(check_ins(app)) == 21


def test_two_phones_offline_letting_the_same_person_in_give_one_check_in_and_one_conflict(
    app, new_phone, door_staff, holders
):
    name, code = holders[0]
    phones = [open_door(new_phone(), door_staff()) for _ in range(2)]
    for page in phones:
        page.context.set_offline(True)
        scan(page, code)
        expect(result(page)).to_contain_text(f"Checked in (offline){name}")

    for page in phones:
        page.context.set_offline(False)
        expect(banner(page)).to_contain_text("All synced", timeout=15_000)

    assert len(check_ins(app)) == 1
    assert conflicts(app) == ["already_in"]
    expect(phones[1].get_by_text("organizers see them on the live check-in page")).to_be_visible()


def test_a_ticket_replaced_after_the_roster_was_downloaded_is_flagged_at_sync(
    app, new_phone, door_staff, holders
):
    name, old_code = holders[0]
    page = open_door(new_phone(), door_staff())
    with app.app_context():
        registration = db.session.scalars(
            sa.select(Registration).join(Registration.person).where(Person.name == name)
        ).one()
        reissue_ticket(db.session, registration)
        db.session.commit()
    page.context.set_offline(True)
    scan(page, old_code)
    expect(result(page)).to_contain_text("Checked in (offline)")  # the phone cannot know

    page.context.set_offline(False)

    expect(banner(page)).to_contain_text("All synced", timeout=15_000)
    expect(page.get_by_text(re.compile("1 scan could not be checked in"))).to_be_visible()
    expect(page.get_by_text(re.compile(f"replaced by a newer one for {name}"))).to_be_visible()
    assert check_ins(app) == []
    assert conflicts(app) == ["replaced"]


def test_a_reload_without_the_network_opens_the_kept_page_which_still_judges_scans(
    app, new_phone, door_staff, holders, monkeypatch
):
    page = open_door(new_phone(), door_staff())
    page.context.set_offline(True)
    asked = []
    door_day = app.view_functions["checkin.door_day"]
    monkeypatch.setitem(
        app.view_functions, "checkin.door_day", lambda **kw: asked.append(kw) or door_day(**kw)
    )

    page.reload()

    expect(page.get_by_role("heading", level=1)).to_have_text("Door: Monday, March 15, 2027")
    assert asked == []  # the page came from the phone, not the server
    name, code = holders[1]
    scan(page, code)
    expect(result(page)).to_contain_text(f"Checked in (offline){name}")
    expect(banner(page)).to_have_text("Offline — 1 scan waiting to sync")

    # Lookup by name works on the roster kept.
    page.get_by_label("Find by name, email or organization").fill("cary")
    page.get_by_role("button", name="Search").click()
    found = page.get_by_role("region", name="Found in the roster (offline)")
    expect(found).to_contain_text("Person 01")
    expect(found).to_contain_text("Town of Cary")
    expect(found).to_contain_text("Confirmed")
    expect(found).to_contain_text("Check in by scanning, or when back online")
    assert fits_without_sideways_scrolling(page)

    page.context.set_offline(False)
    expect(banner(page)).to_have_text("All synced", timeout=15_000)
    assert len(check_ins(app)) == 1


def test_after_sign_out_the_phone_holds_no_roster(app, new_phone, door_staff, holders):
    page = open_door(new_phone(), door_staff())
    kept = page.evaluate(READ_DATABASE)
    assert len(kept["snapshots"][0]["tickets"]) == 21
    scan(page, holders[0][1])  # online: the phone remembers who it let in
    expect(result(page)).to_contain_text("Checked in")

    page.get_by_role("button", name=re.compile("Sign out")).click()

    expect(page.get_by_text("You are signed out.")).to_be_visible()
    left = page.evaluate(READ_DATABASE)
    assert left is None or all(not rows for rows in left.values()), left
    assert not page.evaluate(
        "async () => (await caches.keys()).filter((n) => n.startsWith('forumapp-door'))"
    )


def test_a_scan_the_server_does_not_answer_within_seconds_is_judged_on_the_phone(
    app, new_phone, door_staff, holders
):
    page = open_door(new_phone(), door_staff())
    page.route("**/door/days/*/scan", lambda route: None)  # the Wi-Fi hangs: no answer ever
    name, code = holders[0]

    scan(page, code)

    expect(result(page)).to_contain_text(f"Checked in (offline){name}", timeout=6_000)
    # The rest of the network answers: the queue goes at the next probe.
    expect(banner(page)).to_have_text("All synced", timeout=15_000)
    assert len(check_ins(app)) == 1


def test_scans_kept_when_the_sign_in_has_ended_sync_after_signing_in_again(
    app, new_phone, door_staff, holders
):
    email = door_staff()
    page = open_door(new_phone(), email)
    page.context.set_offline(True)
    scan(page, holders[0][1])
    expect(result(page)).to_contain_text("Checked in (offline)")
    with app.app_context():
        user = db.session.scalars(sa.select(User).where(User.email == email)).one()
        user.end_sessions()  # an organizer ended it, or deactivated and reactivated the account
        db.session.commit()

    page.context.set_offline(False)

    expect(banner(page)).to_contain_text(
        "Your sign-in has ended: sign in again to sync 1 scan.", timeout=15_000
    )
    assert len(page.evaluate(READ_DATABASE)["queue"]) == 1
    page.get_by_role("link", name="Sign in again").click()
    expect(page.get_by_role("heading", name="Staff sign-in")).to_be_visible()
    # No roster without a sign-in; the scans waiting (codes and times only) stay to be sent.
    page.wait_for_function(
        f"({READ_DATABASE})().then((kept) => !kept.snapshots.length && !kept.marks.length)"
    )
    assert len(page.evaluate(READ_DATABASE)["queue"]) == 1

    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Door: Monday, March 15, 2027")
    expect(banner(page)).to_have_text("All synced", timeout=15_000)
    assert len(check_ins(app)) == 1
