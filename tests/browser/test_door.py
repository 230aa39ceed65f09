"""Door staff check people in on a phone: type (or scan) a code, see the result at a glance."""

import re
from datetime import date

import pytest
import qrcode
import sqlalchemy as sa
from PIL import Image
from playwright.sync_api import expect

from forumapp.checkin.models import CheckIn
from forumapp.checkin.tickets import format_code
from forumapp.extensions import db

from .. import builders as build
from ..conftest import PASSWORD
from ..registration.conftest import NOW, make_forum
from .conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, fits_without_sideways_scrolling


@pytest.fixture
def ticket_code(app):
    """Ada is registered for the public day (March 15) and holds a ticket; returns its code."""
    with app.app_context():
        setup = make_forum(public_capacity=50)
        reg = build.public_registration(
            setup.forum_id,
            "Ada Lovelace",
            "ada@public.example.org",
            now=NOW,
            organization="Town of Cary",
            accessibility_needs="Step-free access",
        )
        code = build.ticket_code(reg)
        db.session.commit()
        return code


@pytest.fixture
def door_page(phone_page, make_user, ticket_code, today_is):
    """A phone signed in as door staff, on the scan page for March 15 (today, for the door)."""
    today_is(date(2027, 3, 15))
    page = phone_page
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto("/login")
    page.get_by_label("Email").fill(make_user("door"))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Door").click()
    page.get_by_role("link", name=re.compile("Monday, March 15")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Door: Monday, March 15, 2027")
    # The heading shows before the deferred door.js has run; a code typed then would be posted
    # as a plain form (which works, but is not what these tests are about).
    page.wait_for_load_state("load")
    page.problems = problems
    return page


def check_in_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn))


def test_door_staff_type_a_code_and_a_second_scan_says_already_checked_in(
    app, door_page, ticket_code
):
    page = door_page
    # Headless Chromium has no camera: the page says so and typing still works.
    expect(page.get_by_text(re.compile("Type the code or use a handheld scanner"))).to_be_visible()
    field = page.get_by_label("Ticket code")
    expect(field).to_be_focused()
    page.evaluate("window.stillTheSamePage = true")

    field.fill(format_code(ticket_code).lower())
    field.press("Enter")  # what a handheld scanner sends after the code
    result = page.get_by_role("status", name="Scan result")
    expect(result).to_contain_text("Checked in")
    expect(result).to_contain_text("Ada Lovelace")
    expect(result).to_contain_text("Town of Cary")
    expect(result).to_contain_text("Step-free access")
    expect(result.locator(".result-ok")).to_be_visible()
    expect(field).to_be_focused()
    expect(field).to_have_value("")
    expect(page.get_by_role("list", name="Recent check-ins")).to_contain_text("Ada Lovelace")
    assert fits_without_sideways_scrolling(page)

    field.fill(ticket_code)
    page.get_by_role("button", name="Check in").click()
    expect(result).to_contain_text("Already checked in")
    expect(result).to_contain_text(re.compile(r"already checked in at \d+:\d\d [AP]M by Door"))
    expect(result.locator(".result-warn")).to_be_visible()
    assert page.evaluate("window.stillTheSamePage") is True  # no page load between scans
    assert check_in_count(app) == 1
    assert not [p for p in page.problems if "Content Security Policy" in p], page.problems


def test_a_lost_answer_is_retried_with_the_same_request_and_counted_once(
    app, door_page, ticket_code
):
    page = door_page
    sent = []

    def lose_the_first_answer(route):
        sent.append(route.request.post_data_json["request_id"])
        if len(sent) == 1:
            route.fetch()  # the server checks Ada in, but the answer never reaches the phone
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/scan", lose_the_first_answer)
    field = page.get_by_label("Ticket code")
    field.fill(ticket_code)
    field.press("Enter")
    result = page.get_by_role("status", name="Scan result")
    expect(result).to_contain_text("Checked in")
    expect(result).not_to_contain_text("Already")
    assert len(sent) == 2 and sent[0] == sent[1]
    assert check_in_count(app) == 1


def test_an_invalid_code_is_shown_in_red_with_words(app, door_page, ticket_code):
    page = door_page
    field = page.get_by_label("Ticket code")
    field.fill("HELLO")
    field.press("Enter")
    result = page.get_by_role("status", name="Scan result")
    expect(result).to_contain_text("Invalid code")
    expect(result.locator(".result-stop")).to_be_visible()
    expect(field).to_be_focused()


def fake_camera_video(path, text: str) -> None:
    """A Y4M video of a QR code, for Chromium's fake camera (grey only: U and V stay neutral)."""
    code = qrcode.make(text, box_size=8, border=4).get_image().convert("L").resize((300, 300))
    image = Image.new("L", (640, 480), 235)  # a ticket held up in front of a pale wall
    image.paste(code, (170, 90))
    width, height = image.size
    frame = image.tobytes() + bytes([128]) * (width * height // 2)
    with open(path, "wb") as video:
        video.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(10):
            video.write(b"FRAME\n" + frame)


@pytest.fixture
def camera_phone(browser, live_server, tmp_path, ticket_code):
    """A phone whose camera sees Ada's ticket (Chromium's fake camera plays a QR code video)."""
    video = tmp_path / "ticket.y4m"
    fake_camera_video(video, ticket_code)
    with_camera = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    context = with_camera.new_context(viewport=PHONE, base_url=live_server, is_mobile=True)
    context.grant_permissions(["camera"])
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
    with_camera.close()


def test_the_phone_camera_reads_a_ticket(app, camera_phone, make_user, today_is):
    today_is(date(2027, 3, 15))
    page = camera_phone
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto("/login")
    page.get_by_label("Email").fill(make_user("door"))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Door").click()
    page.get_by_role("link", name=re.compile("Monday, March 15")).click()
    page.get_by_role("button", name="Start camera").click()
    expect(page.get_by_text("Camera on: hold the QR code in view.")).to_be_visible()
    assert page.locator("video").bounding_box()["width"] > 300  # the picture is shown
    result = page.get_by_role("status", name="Scan result")
    expect(result).to_contain_text("Checked in")
    expect(result).to_contain_text("Ada Lovelace")
    # The camera keeps seeing the same code: it is sent once, not over and over.
    page.wait_for_timeout(1500)
    expect(result).to_contain_text("Checked in")
    expect(result).not_to_contain_text("Already")
    expect(page.get_by_role("button", name="Stop camera")).to_have_attribute("aria-pressed", "true")
    assert check_in_count(app) == 1
    assert not [p for p in problems if "Content Security Policy" in p], problems
