"""The organizer's registration table a page at a time, and the breakout table: what an
organizer sees on a forum of hundreds."""

from __future__ import annotations

import html
import re

import pytest

from forumapp.extensions import db
from forumapp.registration.overview import PER_PAGE

from .test_query_counts import _add_registrations
from .test_staff import _member, _pick, _public


@pytest.fixture
def organizer(signed_in):
    return signed_in("organizer")


@pytest.fixture
def crowd(app, setup):
    """230 people, "Person 0000" to "Person 0229" (see ``_add_registrations``), and Ann."""
    with app.app_context():
        _add_registrations(setup, 0, 230)
        _public(setup, "Ann Public")
        db.session.commit()
    return setup


def _page(client, setup, query: str = "") -> str:
    response = client.get(f"/staff/forums/{setup.forum_id}/registrations{query}")
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def _names(page: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/staff/registrations/\d+">([^<]+)</a></th>', page)


def test_the_table_shows_a_hundred_people_a_page(organizer, crowd):
    assert PER_PAGE == 100
    first = _page(organizer, crowd)
    assert "People registered (231)" in first
    assert "Showing 1–100 of 231 · page 1 of 3" in first
    names = _names(first)
    assert names[0] == "Ann Public" and names[1] == "Person 0000" and len(names) == 100
    assert 'aria-current="page">Page 1 of 3</a>' in first
    assert 'rel="next">Next page</a>' in first and "Previous page" not in first

    second = _page(organizer, crowd, "?page=2")
    assert "Showing 101–200 of 231" in second
    assert _names(second)[0] == "Person 0099" and _names(second)[-1] == "Person 0198"
    assert 'aria-current="page">Page 2 of 3</a>' in second
    assert 'rel="prev">Previous page</a>' in second and 'rel="next">Next page</a>' in second
    # The counts at the top count everyone, not the page: 230 hold a seat on the team day.
    assert "<td>230</td>" in second


def test_a_page_past_the_end_shows_the_last_page_and_says_so(organizer, crowd):
    last = _page(organizer, crowd, "?page=99")
    assert "There is no page 99: showing the last page, 3 of 3." in last
    assert "Showing 201–231 of 231" in last and _names(last)[-1] == "Person 0229"


@pytest.mark.parametrize("page", ["abc", "-4", "0", "", "99999999999999999999999"])
def test_a_page_that_is_no_number_shows_a_page_not_an_error(organizer, crowd, page):
    shown = _page(organizer, crowd, f"?page={page}")
    assert "Showing 1–100 of 231" in shown or "showing the last page, 3 of 3" in shown


def test_search_and_pages_work_together(organizer, crowd):
    first = _page(organizer, crowd, "?q=person+0")
    assert "People registered matching “person 0” (230)" in first
    assert "Ann Public" not in _names(first)
    next_link = re.search(r'<a href="([^"]+)#people-heading" rel="next">', first).group(1)
    assert "q=person+0" in next_link and "page=2" in next_link

    third = _page(organizer, crowd, "?q=person+0&page=3")
    assert "Showing 201–230 of 230" in third
    assert _names(third) == [f"Person {n:04d}" for n in range(200, 230)]
    assert _page(organizer, crowd, "?q=nobody&page=2").count("Nobody matches that search.") == 1


def test_a_waitlisted_person_on_page_two_shows_their_place(organizer, crowd):
    # Picks go to breakout n % 3; every fourth person waits. Person 0120 waits for Breakout 1
    # behind the people 0, 12, …, 108 (n % 12 == 0): eleventh in line.
    second = _page(organizer, crowd, "?page=2")
    row = re.search(r"Person 0120</a></th>(.*?)</tr>", second, re.S).group(1)
    assert 'Breakout 1 <span class="muted">(waitlisted #11)</span>' in row


def test_breakout_table_counts_each_breakout(app, organizer, setup):
    with app.app_context():
        full, roomy, _later = setup.breakout_ids
        for name in ["Al One", "Bea Two", "Cy Three"]:
            _pick(_member(setup, name), full, join_waitlist=True)
        _pick(_member(setup, "Di Four"), roomy)
        db.session.commit()
    response = organizer.get(f"/staff/forums/{setup.forum_id}/breakouts")
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert '<h1>Breakouts <span class="muted">· Forum 5: Testing</span></h1>' in page
    rows = {
        title: re.findall(r"<td>(.*?)</td>", cells)
        for title, cells in re.findall(r'<th scope="row">(Breakout \d)</th>(.*?)</tr>', page, re.S)
    }
    # Room, capacity, confirmed, waitlisted, seats left, checked in at the breakout's door.
    assert rows["Breakout 1"] == ["Room A", "2", "2", "1", "<strong>Full</strong>", "0"]
    assert rows["Breakout 2"] == ["Room B", "2", "1", "0", "1", "0"]
    assert rows["Breakout 3"] == ["Room A", "2", "0", "0", "2", "0"]
    assert "10:30 AM slot" in page or "10:30 slot" in page
    assert f'href="/staff/forums/{setup.forum_id}/breakouts.csv"' in page
    registrations = _page(organizer, setup)
    assert f'href="/staff/forums/{setup.forum_id}/breakouts">Breakout table</a>' in registrations


@pytest.mark.parametrize("role", ["faculty", "door"])
def test_only_organizers_see_the_breakout_table(signed_in, setup, role):
    assert signed_in(role).get(f"/staff/forums/{setup.forum_id}/breakouts").status_code == 403
