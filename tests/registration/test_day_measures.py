"""Per day: seats given back through reminders, people promoted from the waitlist, and the
no-show rate (confirmed, not checked in) once the day is over; on the registrations page and
the program's measures page, which faculty may read too."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime

import pytest

from forumapp.checkin.scanning import scan, undo_check_in
from forumapp.core.models import Forum
from forumapp.extensions import db
from forumapp.registration.day_measures import day_measures
from forumapp.registration.models import ReleasedVia
from forumapp.registration.registering import cancel_days

from .. import builders as build

HELD = date(2026, 10, 15)
COMING = date(2027, 6, 15)
BEFORE_BOTH = datetime(2026, 9, 1, tzinfo=UTC)
AFTER_HELD = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def forum_id(app) -> int:
    """A day that was held (five seats, one released through a reminder and taken by the
    first person waiting; three of the five confirmed came in) and a day still to come."""
    with app.app_context():
        return _build_forum()


def _build_forum() -> int:
    forum = build.forum(days=((HELD, "public"), (COMING, "public")))
    held, coming = forum.days
    held.capacity = 5
    names = [f"Person {n}" for n in range(7)]
    registrations = [
        build.public_registration(forum, name, day_ids=[held.id], now=BEFORE_BOTH) for name in names
    ]
    cancel_days(db.session, registrations[0], [held.id], released_via=ReleasedVia.REMINDER)
    cancel_days(db.session, registrations[1], [held.id])  # from the personal page: not counted
    for registration in registrations[2:5]:
        scan(db.session, build.ticket_code(registration), held, None)
    undone = scan(db.session, build.ticket_code(registrations[5]), held, None)
    undo_check_in(db.session, undone.check_in, None)
    build.public_registration(forum, "Coming Soon", day_ids=[coming.id], now=BEFORE_BOTH)
    db.session.commit()
    return forum.id


@pytest.fixture
def forum(app_ctx, forum_id):
    return db.session.get(Forum, forum_id)


def test_a_held_day_counts_releases_promotions_and_no_shows(forum):
    held, coming = day_measures(db.session, forum.days, AFTER_HELD)
    assert held.released_through_reminders == 1
    assert held.promoted == 2  # both freed seats went to the two people waiting
    assert held.confirmed == 5
    assert held.checked_in == 3
    assert held.no_shows == 2  # the undone check-in does not count as coming
    assert held.no_show_rate == pytest.approx(0.4)
    # A day still to come has no no-show rate yet.
    assert (coming.confirmed, coming.checked_in, coming.no_show_rate) == (1, None, None)


def test_the_no_show_rate_waits_until_the_day_is_over(forum):
    on_the_day = datetime(2026, 10, 15, 18, tzinfo=UTC)
    held, _coming = day_measures(db.session, forum.days, on_the_day)
    assert held.no_show_rate is None and held.released_through_reminders == 1


def _row_cells(page: str, day_label: str) -> list[str]:
    row = page.split(day_label, 1)[1].split("</tr>", 1)[0]
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row)]


@pytest.mark.parametrize("role", ["organizer", "faculty"])
def test_the_program_measures_page_shows_each_day(forum_id, signed_in, role):
    client = signed_in(role)
    response = client.get("/staff/program/measures")
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert "Reminders, waitlists and no-shows, day by day" in page
    cells = _row_cells(page, "Thursday, October 15, 2026")
    assert cells == [
        "7 and 2 days before",
        "1",
        "2",
        "5",
        "40% (2 of 5 not checked in)",
    ]
    assert _row_cells(page, "Tuesday, June 15, 2027")[-1] == "After the day"


def test_door_staff_may_not_read_the_measures(forum_id, signed_in):
    assert signed_in("door").get("/staff/program/measures").status_code == 403


def test_the_registrations_page_shows_the_no_show_rate_of_a_held_day(forum_id, signed_in):
    page = html.unescape(
        signed_in("organizer").get(f"/staff/forums/{forum_id}/registrations").get_data(True)
    )
    section = page.split('id="reminders-heading"', 1)[1]
    assert _row_cells(section, "Thursday, October 15, 2026")[1:] == [
        "1",
        "2",
        "5",
        "40% (2 of 5 not checked in)",
    ]
