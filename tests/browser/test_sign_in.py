"""Staff sign in on a phone, as a person would: by labels and button names."""

import re

from playwright.sync_api import expect

from ..conftest import PASSWORD
from .conftest import fits_without_sideways_scrolling


def test_door_staff_sign_in_and_out_on_a_phone(phone_page, make_user):
    email = make_user("door")
    page = phone_page
    page.goto("/")
    page.get_by_role("link", name="Staff sign-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff sign-in")
    assert fits_without_sideways_scrolling(page)

    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Sign-in did not work")
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff home")
    expect(page.get_by_role("status")).to_contain_text(f"Signed in as {email}")
    # The door role sees no organizer pages in its navigation.
    expect(page.get_by_role("link", name="Teams")).to_have_count(0)
    assert fits_without_sideways_scrolling(page)

    page.get_by_role("button", name=re.compile("Sign out")).click()
    expect(page.get_by_role("status")).to_contain_text("You are signed out")


def test_skip_link_is_the_first_thing_a_keyboard_reaches(desktop_page):
    page = desktop_page
    page.goto("/login")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"
