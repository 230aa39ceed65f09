"""The door pages as door staff use them: scan (form and JSON), lookup, walk-ins, undo,
breakout doors, and the organizers' live counts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time

import pytest
import sqlalchemy as sa

from forumapp.agenda.models import AgendaItem
from forumapp.checkin.breakouts import breakout_scan
from forumapp.checkin.models import BreakoutAttendance, CheckIn
from forumapp.core.models import Forum, ForumDay, User
from forumapp.extensions import db
from forumapp.registration.breakouts import choose_breakout
from forumapp.registration.models import Registration
from forumapp.registration.registering import cancel_days

from .. import builders as build
from ..conftest import csrf_token
from ..registration.conftest import NOW

META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
PUBLIC_DATE, TEAM_DATE = date(2027, 3, 15), date(2027, 3, 16)  # forum_setup's days


@dataclass
class Ticket:
    registration_id: int
    code: str


@pytest.fixture(autouse=True)
def _held_on_the_public_day(today_is):
    """Door staff use a day's door on that day only: these tests happen on the public day,
    unless they say otherwise."""
    today_is(PUBLIC_DATE)


def register_public(app, setup, name: str, organization: str = "", needs: str = "") -> Ticket:
    with app.app_context():
        reg = build.public_registration(
            setup.forum_id, name, now=NOW, organization=organization, accessibility_needs=needs
        )
        ticket = Ticket(reg.id, build.ticket_code(reg))
        db.session.commit()
        return ticket


def register_team_member(app, setup, name: str, team: str = "Buncombe County") -> Ticket:
    with app.app_context():
        reg = build.team_registration(setup.forum_id, name, team, now=NOW)
        ticket = Ticket(reg.id, build.ticket_code(reg))
        db.session.commit()
        return ticket


def door_page(client, day_id: int) -> str:
    return client.get(f"/door/days/{day_id}").get_data(as_text=True)


def json_scan(client, day_id: int, code: str, request_id: str | None = None):
    token = META_CSRF.search(door_page(client, day_id)).group(1)
    return client.post(
        f"/door/days/{day_id}/scan",
        json={"code": code, "request_id": request_id or f"req-{code[:12]}"},
        headers={"X-CSRFToken": token},
    )


def form_scan(client, day_id: int, code: str):
    token = csrf_token(client, f"/door/days/{day_id}")
    return client.post(f"/door/days/{day_id}/scan", data={"code": code, "csrf_token": token})


def post_button(client, url: str, page: str):
    return client.post(url, data={"csrf_token": csrf_token(client, page)})


def check_ins(app) -> list[CheckIn]:
    with app.app_context():
        rows = db.session.scalars(sa.select(CheckIn).order_by(CheckIn.id)).all()
        db.session.expunge_all()
        return rows


# --- Scanning --------------------------------------------------------------------------------


def test_door_staff_scan_a_ticket_and_see_the_green_result(app, signed_in, forum_setup):
    ada = register_public(app, forum_setup, "Ada Lovelace", "Town of Cary", "Step-free access")
    client = signed_in("door")
    page = door_page(client, forum_setup.public_day_id)
    assert 'aria-live="assertive"' in page and "Ready for the next ticket" in page
    response = form_scan(client, forum_setup.public_day_id, ada.code)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "result-ok" in page and "Checked in" in page and "Ada Lovelace" in page
    assert "Town of Cary" in page and "Monday, March 15" in page
    assert re.search(r"March 15, 2027 · checked in at \d+:\d\d [AP]M", page)
    assert "Step-free access" in page
    # The result is shown once; the next visit is ready for the next ticket.
    assert "Ready for the next ticket" in door_page(client, forum_setup.public_day_id)


def test_second_scan_says_already_checked_in_with_when_and_by_whom(app, signed_in, forum_setup):
    ada = register_public(app, forum_setup, "Ada Lovelace")
    client = signed_in("door")
    assert json_scan(client, forum_setup.public_day_id, ada.code, "first-scan").json["tone"] == "ok"
    answer = json_scan(client, forum_setup.public_day_id, ada.code, "second-scan").json
    assert answer["result"] == "already_checked_in" and answer["tone"] == "warn"
    assert "Already checked in" in answer["card_html"]
    assert re.search(r"already checked in at \d+:\d\d [AP]M by Door", answer["message"])
    assert len(check_ins(app)) == 1


def test_every_result_is_said_in_words_as_well_as_colour(app, signed_in, forum_setup):
    first = register_public(app, forum_setup, "A One")
    cancelled = register_public(app, forum_setup, "B Two")
    waiting = register_public(app, forum_setup, "C Three")  # the day holds two
    team_only = register_team_member(app, forum_setup, "Tia Member")
    with app.app_context():
        cancelling = db.session.get(Registration, cancelled.registration_id)
        cancel_days(db.session, cancelling)
        db.session.commit()
    client = signed_in("door")
    expected = [
        (first.code, "checked_in", "ok", "Checked in"),
        (first.code, "already_checked_in", "warn", "Already checked in"),
        (team_only.code, "not_registered_for_day", "stop", "Not registered for this day"),
        (cancelled.code, "cancelled", "stop", "Cancelled"),
        ("NOT-A-CODE", "invalid", "stop", "Invalid code"),
        ("0" * 26, "invalid", "stop", "Invalid code"),
    ]
    for n, (code, result, tone, title) in enumerate(expected):
        answer = json_scan(client, forum_setup.public_day_id, code, f"request-{n:04d}").json
        assert (answer["result"], answer["tone"], answer["title"]) == (result, tone, title)
        assert title in answer["card_html"] and f"result-{tone}" in answer["card_html"]
    # The cancellation gave the waiting person a seat, so they are let in.
    answer = json_scan(client, forum_setup.public_day_id, waiting.code, "request-wait").json
    assert answer["result"] == "checked_in"
    not_today = json_scan(client, forum_setup.public_day_id, team_only.code, "request-tia").json
    assert "registered for Tuesday, March 16" in not_today["message"]
    assert not_today["teams"] == ["Buncombe County"]


def test_waitlisted_person_is_told_their_place(app, signed_in, forum_setup):
    register_public(app, forum_setup, "A One")
    register_public(app, forum_setup, "B Two")
    waiting = register_public(app, forum_setup, "C Three")
    client = signed_in("door")
    answer = json_scan(client, forum_setup.public_day_id, waiting.code).json
    assert (answer["result"], answer["title"]) == ("waitlisted", "Waitlisted, not confirmed")
    assert "number 1 on the waitlist" in answer["message"]
    assert check_ins(app) == []


def test_a_retried_request_id_counts_once(app, signed_in, forum_setup):
    ada = register_public(app, forum_setup, "Ada Lovelace")
    client = signed_in("door")
    first = json_scan(client, forum_setup.public_day_id, ada.code, "3f1c9a1e-retry")
    retry = json_scan(client, forum_setup.public_day_id, ada.code, "3f1c9a1e-retry")
    assert first.json["result"] == retry.json["result"] == "checked_in"
    assert first.json["check_in_id"] == retry.json["check_in_id"]
    assert len(check_ins(app)) == 1


def test_json_scan_returns_the_recent_list_and_count(app, signed_in, forum_setup):
    ada = register_public(app, forum_setup, "Ada Lovelace")
    register_public(app, forum_setup, "Grace Hopper")
    client = signed_in("door")
    answer = json_scan(client, forum_setup.public_day_id, ada.code).json
    assert "<strong>1</strong> of 2 expected checked in" in answer["recent_html"]
    assert "Ada Lovelace" in answer["recent_html"] and "Undo" in answer["recent_html"]


def test_a_scan_needs_the_csrf_token(app, signed_in, forum_setup):
    ada = register_public(app, forum_setup, "Ada Lovelace")
    client = signed_in("door")
    response = client.post(f"/door/days/{forum_setup.public_day_id}/scan", json={"code": ada.code})
    assert response.status_code == 400
    assert check_ins(app) == []


def test_an_empty_scan_is_explained(app, signed_in, forum_setup):
    client = signed_in("door")
    response = form_scan(client, forum_setup.public_day_id, "  ")
    assert response.status_code == 400
    assert "Scan or type the code on the ticket." in response.get_data(as_text=True)
    token = META_CSRF.search(door_page(client, forum_setup.public_day_id)).group(1)
    url = f"/door/days/{forum_setup.public_day_id}/scan"
    answer = client.post(url, json={"code": ""}, headers={"X-CSRFToken": token})
    assert answer.status_code == 400 and "Scan or type" in answer.json["error"]
    odd = client.post(url, json={"code": 42}, headers={"X-CSRFToken": token})
    assert odd.status_code == 400


def test_scan_page_loads_the_vendored_scanner_and_allows_its_worker(app, signed_in, forum_setup):
    client = signed_in("door")
    response = client.get(f"/door/days/{forum_setup.public_day_id}")
    page = response.get_data(as_text=True)
    assert "/static/vendor/qr-scanner-1.4.2/qr-scanner.umd.min.js" in page
    assert "/static/js/door.js" in page and "<script>" not in page
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "worker-src 'self' blob:" in policy
    for asset in (
        "vendor/qr-scanner-1.4.2/qr-scanner.umd.min.js",
        "vendor/qr-scanner-1.4.2/qr-scanner-worker.min.js",
        "js/door.js",
    ):
        assert client.get(f"/static/{asset}").status_code == 200


# --- Lookup, walk-ins and undo ---------------------------------------------------------------


def test_lookup_shows_status_and_checks_in_from_the_list(app, signed_in, forum_setup):
    ada = register_public(app, forum_setup, "Ada Lovelace", "Town of Cary")
    register_public(app, forum_setup, "Grace Hopper")
    client = signed_in("door")
    day_id = forum_setup.public_day_id
    lookup_url = f"/door/days/{day_id}/lookup?q=cary"
    page = client.get(lookup_url).get_data(as_text=True)
    assert "1 match for" in page and "Ada Lovelace" in page and "Grace Hopper" not in page
    assert "Confirmed" in page and "Check in<span" in page
    response = post_button(
        client, f"/door/days/{day_id}/registrations/{ada.registration_id}/check-in", lookup_url
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Checked in" in page and "Ada Lovelace" in page
    assert [c.method for c in check_ins(app)] == ["lookup"]
    page = client.get(lookup_url).get_data(as_text=True)
    assert "<strong>Checked in</strong> at" in page and "Undo check-in" in page


def test_lookup_tells_who_is_not_registered_for_the_day(app, signed_in, forum_setup):
    register_team_member(app, forum_setup, "Tia Member")
    client = signed_in("door")
    page = client.get(f"/door/days/{forum_setup.public_day_id}/lookup?q=tia").get_data(as_text=True)
    assert "Not registered for this day" in page and "Check in<span" not in page
    page = client.get(f"/door/days/{forum_setup.public_day_id}/lookup?q=nobody").get_data(
        as_text=True
    )
    assert "0 matches" in page and "register a walk-in" in page


def walk_in(client, day_id: int, **fields):
    url = f"/door/days/{day_id}/walk-in"
    data = {"name": "", "email": "", "organization": "", **fields}
    if data.get("override") is False:
        del data["override"]
    return client.post(url, data={**data, "csrf_token": csrf_token(client, url)})


def test_walk_in_is_registered_and_checked_in(app, signed_in, forum_setup):
    client = signed_in("door")
    response = walk_in(
        client,
        forum_setup.public_day_id,
        name="Walk In",
        email="walk@public.example.org",
        organization="Town of Apex",
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Checked in" in page and "Walk In" in page and "Town of Apex" in page
    assert [c.method for c in check_ins(app)] == ["walk_in"]


def test_a_full_day_waitlists_a_walk_in_until_capacity_is_overridden(app, signed_in, forum_setup):
    register_public(app, forum_setup, "A One")
    register_public(app, forum_setup, "B Two")
    client = signed_in("door")
    details = {"name": "Late Comer", "email": "late@public.example.org"}
    response = walk_in(client, forum_setup.public_day_id, **details)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Waitlisted, not confirmed" in page
    assert "The day is full." in page and 'value="Late Comer"' in page
    assert check_ins(app) == []
    response = walk_in(client, forum_setup.public_day_id, override="y", **details)
    assert response.status_code == 303
    assert "Checked in" in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        day = db.session.get(ForumDay, forum_setup.public_day_id)
        assert (day.seats_taken, day.seats_overridden) == (3, 1)


def test_walk_in_mistakes_are_shown_on_the_fields(app, signed_in, forum_setup):
    client = signed_in("door")
    response = walk_in(client, forum_setup.public_day_id, email="not an email")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter the person&#39;s name." in page and "Enter a valid email address." in page
    assert 'aria-invalid="true"' in page


def test_a_walk_in_form_sent_without_its_fields_asks_for_them(app, signed_in, forum_setup):
    # Only the CSRF token, as a tampered or truncated post sends it: the same messages as for
    # a form sent blank, and nobody registered.
    client = signed_in("door")
    url = f"/door/days/{forum_setup.public_day_id}/walk-in"
    response = client.post(url, data={"csrf_token": csrf_token(client, url)})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter the person&#39;s name." in page and 'aria-invalid="true"' in page
    assert check_ins(app) == []


def test_walk_ins_are_only_for_public_days(app, signed_in, forum_setup, today_is):
    today_is(TEAM_DATE)
    client = signed_in("door")
    page = client.get(f"/door/days/{forum_setup.team_day_id}/walk-in").get_data(as_text=True)
    assert "Walk-ins are only for days open to the public." in page
    assert "Register a walk-in" not in door_page(client, forum_setup.team_day_id)


def test_undo_is_recorded_with_who_undid_it(app, signed_in, forum_setup):
    ada = register_public(app, forum_setup, "Ada Lovelace")
    client = signed_in("door")
    day_id = forum_setup.public_day_id
    check_in_id = json_scan(client, day_id, ada.code).json["check_in_id"]
    response = post_button(client, f"/door/check-ins/{check_in_id}/undo", f"/door/days/{day_id}")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Check-in undone for Ada Lovelace" in page and "<strong>Undone</strong> at" in page
    (row,) = check_ins(app)
    with app.app_context():
        assert row.undone_at is not None
        assert db.session.get(User, row.undone_by_id).role == "door"
    # Undone, the ticket can be scanned again.
    assert json_scan(client, day_id, ada.code, "again-123").json["result"] == "checked_in"


# --- Breakout doors --------------------------------------------------------------------------


def test_breakout_door_says_whether_the_person_chose_this_breakout(
    app, signed_in, forum_setup, today_is
):
    tickets = [register_team_member(app, forum_setup, f"Member {n}", f"Team {n}") for n in "ABCD"]
    with app.app_context():
        items = [db.session.get(AgendaItem, i) for i in forum_setup.breakout_ids]
        regs = [db.session.get(Registration, t.registration_id) for t in tickets]
        choose_breakout(db.session, regs[0], items[0], now=NOW)
        choose_breakout(db.session, regs[1], items[0], now=NOW)
        choose_breakout(db.session, regs[2], items[0], join_waitlist=True, now=NOW)
        choose_breakout(db.session, regs[3], items[1], now=NOW)
        db.session.commit()
    today_is(TEAM_DATE)
    client = signed_in("door")
    item_id = forum_setup.breakout_ids[0]
    page = door_page(client, forum_setup.team_day_id)
    assert "Session doors" in page and f"/door/sessions/{item_id}" in page
    page = client.get(f"/door/breakouts/{item_id}").get_data(as_text=True)
    assert "Breakout door: Breakout 1" in page
    token = META_CSRF.search(page).group(1)
    answers = [
        client.post(
            f"/door/breakouts/{item_id}/scan", json={"code": t.code}, headers={"X-CSRFToken": token}
        ).json
        for t in tickets
    ]
    assert [a["title"] for a in answers] == [
        "Yes: chose this breakout",
        "Yes: chose this breakout",
        "Scanned in: waitlisted for this breakout",
        "Scanned in: chose another breakout",
    ]
    assert [a["tone"] for a in answers] == ["ok", "ok", "warn", "warn"]
    assert "“Breakout 2”" in answers[3]["message"]
    assert "<strong>4</strong> scanned in at this door" in answers[3]["recent_html"]
    # Without JavaScript: a posted form and the answer after the redirect.
    later = f"/door/breakouts/{forum_setup.breakout_ids[2]}"
    response = client.post(
        f"{later}/scan", data={"code": tickets[0].code, "csrf_token": csrf_token(client, later)}
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    # Someone who chose no breakout at that time is in the room all the same: counted, in amber.
    assert "Scanned in: chose no breakout at this time" in page and "result-warn" in page
    assert "<strong>1</strong> scanned in at this door" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BreakoutAttendance)) == 5
    # A code that is no ticket of this forum is refused in red and not counted.
    response = client.post(
        f"{later}/scan", data={"code": "NOPE1234", "csrf_token": csrf_token(client, later)}
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Not a ticket for this forum" in page and "result-stop" in page
    assert "<strong>1</strong> scanned in at this door" in page


def test_the_breakout_table_shows_who_was_scanned_in_at_each_door(app, signed_in, forum_setup):
    tickets = [register_team_member(app, forum_setup, f"Member {n}", f"Team {n}") for n in "AB"]
    with app.app_context():
        full = db.session.get(AgendaItem, forum_setup.breakout_ids[0])
        for ticket in tickets:
            breakout_scan(db.session, ticket.code, full, None)
        db.session.commit()
    page = signed_in("organizer").get(f"/staff/forums/{forum_setup.forum_id}/breakouts")
    page = page.get_data(as_text=True)
    assert '<th scope="col">Checked in at the door</th>' in page
    row = re.search(r"Breakout 1</th>(.*?)</tr>", page, re.S).group(1)
    assert row.rstrip().endswith("<td>2</td>")
    row = re.search(r"Breakout 2</th>(.*?)</tr>", page, re.S).group(1)
    assert row.rstrip().endswith("<td>0</td>")


def test_only_breakouts_have_a_breakout_door(app, signed_in, forum_setup, today_is):
    today_is(TEAM_DATE)
    with app.app_context():
        day = db.session.get(ForumDay, forum_setup.team_day_id)
        lunch = build.item(day, "Lunch", time(12), time(13), kind="break")
        db.session.commit()
        lunch_id = lunch.id
    client = signed_in("door")
    assert client.get(f"/door/breakouts/{lunch_id}").status_code == 404


# --- Choosing the day ------------------------------------------------------------------------


def test_organizers_see_today_first_and_other_days_to_choose_from(
    app, signed_in, forum_setup, today_is
):
    today_is(TEAM_DATE)
    client = signed_in("organizer")
    page = client.get("/door").get_data(as_text=True)
    today_section = page.split('id="today-heading"')[1].split("</section>")[0]
    assert f"/door/days/{forum_setup.team_day_id}" in today_section
    assert f"/door/days/{forum_setup.public_day_id}" not in today_section
    assert f"/door/days/{forum_setup.public_day_id}" in page and "Earlier" in page
    assert "not today" not in door_page(client, forum_setup.team_day_id)
    assert "not today" in door_page(client, forum_setup.public_day_id)


def test_door_staff_see_only_todays_days_of_published_forums(
    app, client, signed_in, forum_setup, today_is
):
    with app.app_context():
        draft = build.forum(number=8, status="draft", days=((PUBLIC_DATE, "public"),))
        draft_day_id = draft.days[0].id
        db.session.commit()
    ada = register_public(app, forum_setup, "Ada Lovelace")
    breakout = forum_setup.breakout_ids[0]  # on the team day
    signed_in("door")
    page = client.get("/door").get_data(as_text=True)
    assert f"/door/days/{forum_setup.public_day_id}" in page
    for hidden in (forum_setup.team_day_id, draft_day_id):
        assert f"/door/days/{hidden}" not in page
    assert "Coming up" not in page and "Choose a day below" not in page
    token = csrf_token(client, f"/door/days/{forum_setup.public_day_id}")
    # Another day of an announced forum: refused, saying when that door opens. A draft's
    # day is answered as an unknown one.
    for day_id, status in ((forum_setup.team_day_id, 403), (draft_day_id, 404)):
        for url in (
            f"/door/days/{day_id}",
            f"/door/days/{day_id}/lookup?q=ada",
            f"/door/days/{day_id}/walk-in",
            f"/door/days/{day_id}/exit",
        ):
            assert client.get(url).status_code == status, url
        scan = client.post(
            f"/door/days/{day_id}/scan", data={"csrf_token": token, "code": ada.code}
        )
        assert scan.status_code == status
    assert client.get(f"/door/breakouts/{breakout}").status_code == 404
    page = client.get(f"/door/days/{forum_setup.team_day_id}").get_data(as_text=True)
    assert "This door is not open today" in page
    assert "on Tuesday, March 16, 2027 opens on that day" in page
    assert "Ada Lovelace" not in page
    assert check_ins(app) == []

    today_is(TEAM_DATE)  # the next day, the team day's doors open and the public day's close
    assert client.get(f"/door/days/{forum_setup.team_day_id}").status_code == 200
    assert client.get(f"/door/breakouts/{breakout}").status_code == 200
    yesterday = client.get(f"/door/days/{forum_setup.public_day_id}")
    assert yesterday.status_code == 403
    assert "on Monday, March 15, 2027 was open on that day" in yesterday.get_data(as_text=True)


def test_door_staff_cannot_undo_another_days_check_in(app, signed_in, forum_setup, today_is):
    ada = register_public(app, forum_setup, "Ada Lovelace")
    client = signed_in("door")
    day_id = forum_setup.public_day_id
    check_in_id = json_scan(client, day_id, ada.code).json["check_in_id"]
    today_is(TEAM_DATE)
    token = csrf_token(client, f"/door/days/{forum_setup.team_day_id}")
    undo = client.post(f"/door/check-ins/{check_in_id}/undo", data={"csrf_token": token})
    assert undo.status_code == 404
    assert check_ins(app)[0].undone_at is None


def test_door_staff_do_not_get_a_draft_breakouts_door(app, signed_in, forum_setup, today_is):
    with app.app_context():
        item = db.session.get(AgendaItem, forum_setup.breakout_ids[0])
        item.status = "draft"
        db.session.commit()
    today_is(TEAM_DATE)
    assert (
        signed_in("door").get(f"/door/breakouts/{forum_setup.breakout_ids[0]}").status_code == 404
    )


def test_door_page_says_so_when_no_day_is_today(app, client, signed_in):
    with app.app_context():
        build.forum(number=2, days=((date(2020, 1, 6), "team"),))
        db.session.commit()
    page = signed_in("door").get("/door").get_data(as_text=True)
    assert "No forum day is held today." in page and "Earlier" not in page
    client.post("/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    page = signed_in("organizer").get("/door").get_data(as_text=True)
    assert "No forum day is held today. Choose a day below." in page and "Earlier" in page


# --- Roles -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["door", "organizer", "admin"])
def test_door_staff_organizers_and_admins_use_the_door(app, signed_in, forum_setup, role):
    client = signed_in(role)
    assert client.get("/door").status_code == 200
    assert client.get(f"/door/days/{forum_setup.public_day_id}").status_code == 200
    assert b'href="/door"' in client.get("/staff/").data


def test_faculty_may_not_use_the_door(app, signed_in, forum_setup):
    client = signed_in("faculty")
    assert client.get("/door").status_code == 403
    assert client.get(f"/door/days/{forum_setup.public_day_id}").status_code == 403
    assert client.get(f"/door/breakouts/{forum_setup.breakout_ids[0]}").status_code == 403
    assert b'href="/door"' not in client.get("/staff/").data
    assert client.get(f"/staff/forums/{forum_setup.forum_id}/checkin").status_code == 200


def test_door_staff_do_not_see_the_counts_page(app, signed_in, forum_setup):
    client = signed_in("door")
    assert client.get(f"/staff/forums/{forum_setup.forum_id}/checkin").status_code == 403
    assert client.get("/staff/checkin").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, forum_setup):
    response = client.get(f"/door/days/{forum_setup.public_day_id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- Live counts -----------------------------------------------------------------------------


def test_organizer_sees_live_counts_per_day_and_team_with_a_chart(app, signed_in, forum_setup):
    ada = register_public(app, forum_setup, "Ada Lovelace")
    register_public(app, forum_setup, "Grace Hopper")
    tia = register_team_member(app, forum_setup, "Tia Member", "Dare County")
    register_team_member(app, forum_setup, "Tom Member", "Dare County")
    register_team_member(app, forum_setup, "Uma Member", "Wake County")
    door = signed_in("organizer")  # scans both days' doors, ahead of time
    json_scan(door, forum_setup.public_day_id, ada.code)
    json_scan(door, forum_setup.team_day_id, tia.code)
    door.post("/logout", data={"csrf_token": csrf_token(door, "/staff/")})

    client = signed_in("organizer")
    index = client.get("/staff/checkin").get_data(as_text=True)
    assert f"/staff/forums/{forum_setup.forum_id}/checkin" in index
    page = client.get(f"/staff/forums/{forum_setup.forum_id}/checkin").get_data(as_text=True)
    numbers = re.findall(r"<strong>(\d+)</strong> of (\d+) expected checked in", page)
    assert numbers == [("1", "2"), ("1", "3")]
    assert "(50%)" in page and "(33%)" in page
    assert re.search(r"Dare County</th><td>1</td><td>2</td>", page)
    assert re.search(r"Wake County</th><td>0</td><td>1</td>", page)
    assert page.count('<svg class="arrivals-chart" role="img"') == 2
    assert page.count('class="chart-bar"') == 2
    assert "Arrivals as a table" in page
    assert page.count("<td>1</td></tr>") >= 2  # each day's one arrival, in the table too


def test_door_staff_reach_nothing_of_a_draft_forum(app, signed_in, forum_setup):
    with app.app_context():
        forum = db.session.get(Forum, forum_setup.forum_id)
        forum.status = "draft"
        db.session.commit()
        breakout_id = forum_setup.breakout_ids[0]
    door = signed_in("door")
    assert door.get(f"/door/days/{forum_setup.public_day_id}").status_code == 404
    assert door.get(f"/door/breakouts/{breakout_id}").status_code == 404
    assert f"/door/days/{forum_setup.public_day_id}" not in door.get("/door").get_data(as_text=True)
    organizer = app.test_client()
    from ..conftest import sign_in

    email = f"org-{forum_setup.forum_id}@staff.example.org"
    with app.app_context():
        user = User(email=email, role="organizer", name="Org")
        user.set_password("correct horse battery")
        db.session.add(user)
        db.session.commit()
    sign_in(organizer, email)
    assert organizer.get(f"/door/days/{forum_setup.public_day_id}").status_code == 200
