"""“Add to calendar” downloads, the public program feed and the personal subscription feed."""

from __future__ import annotations

import html
import re
import threading
from datetime import time

import pytest
import sqlalchemy as sa

from forumapp.agenda.models import AgendaItem
from forumapp.calendar.feeds import ensure_feed
from forumapp.calendar.models import CalendarFeed
from forumapp.core.links import personal_token
from forumapp.core.models import Forum, Person, Program
from forumapp.extensions import db
from forumapp.registration.breakouts import choose_breakout
from forumapp.registration.registering import cancel_days, get_registration

from .. import builders as build
from ..conftest import csrf_token
from .conftest import (
    NOW,
    TRICKY,
    ZONE,
    invite_of,
    only_event,
    parse,
    write_pending,
)

HOST = "127.0.0.1"


def _get_calendar(client, path: str):
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.mimetype == "text/calendar"
    assert response.mimetype_params["charset"] == "utf-8"
    return response, parse(response.get_data())


def _assert_not_found_like_missing(client, path: str, missing: str) -> None:
    response, absent = client.get(path), client.get(missing)
    assert response.status_code == absent.status_code == 404
    # The same page but for its own address (in the language switch's links).
    assert response.get_data(as_text=True).replace(path, missing) == absent.get_data(as_text=True)


# --- Downloads ---------------------------------------------------------------------------------


def test_a_public_day_downloads_as_one_published_event_in_the_programs_time_zone(client, setup):
    response, calendar = _get_calendar(
        client, f"/forums/{setup.forum_id}/days/{setup.public_day_id}.ics"
    )

    assert "attachment" in response.headers["Content-Disposition"]
    assert str(calendar["METHOD"]) == "PUBLISH"
    event = only_event(calendar)
    assert str(event["UID"]) == f"day-{setup.public_day_id}@{HOST}"
    assert "ATTENDEE" not in event
    assert str(event["ORGANIZER"]) == "mailto:forums@test.example.org"
    assert event["DTSTART"].params["TZID"] == ZONE
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == [ZONE]
    assert event["DTSTART"].dt.time() == time(8, 30) and event["DTEND"].dt.time() == time(16, 30)
    assert str(event["LOCATION"]) == f"{TRICKY}, 1 Main Street, Durham"
    description = str(event["DESCRIPTION"])
    assert "9:00 AM–10:00 AM Opening, welcome; and goals" in description
    assert "Team debrief" not in description  # confidential
    assert str(event["URL"]).endswith(f"/forums/{setup.forum_id}#day-{setup.public_day_id}")


def test_a_session_downloads_with_its_room_and_its_description_intact(client, setup):
    _, calendar = _get_calendar(client, f"/sessions/{setup.opening_id}.ics")

    event = only_event(calendar)
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(event["UID"]) == f"item-{setup.opening_id}@{HOST}"
    assert str(event["SUMMARY"]) == "Opening, welcome; and goals – Forum 5: Testing"
    assert TRICKY in str(event["DESCRIPTION"])
    assert event["DTSTART"].dt.time() == time(9)


def test_team_days_confidential_sessions_and_drafts_are_missing_for_the_public(app, client, setup):
    with app.app_context():
        draft = build.forum(status="draft", number=9)
        draft_item = build.item(draft.days[0], "Draft talk", time(9), time(10), kind="panel")
        team_item = setup.breakout_ids[0]
        db.session.commit()
        draft_ids = (draft.id, draft.days[0].id, draft_item.id)
    missing_day = f"/forums/{setup.forum_id}/days/999999.ics"
    for path in (
        f"/forums/{setup.forum_id}/days/{setup.team_day_id}.ics",
        f"/forums/{draft_ids[0]}/days/{draft_ids[1]}.ics",
        f"/forums/{draft_ids[0]}/days/{setup.public_day_id}.ics",  # day of another forum
    ):
        _assert_not_found_like_missing(client, path, missing_day)
    for item_id in (setup.confidential_id, team_item, draft_ids[2]):
        _assert_not_found_like_missing(client, f"/sessions/{item_id}.ics", "/sessions/999999.ics")


def test_staff_may_download_team_days(client, signed_in, setup):
    signed_in("organizer")
    _, calendar = _get_calendar(client, f"/forums/{setup.forum_id}/days/{setup.team_day_id}.ics")
    assert "Lunch" in str(only_event(calendar)["DESCRIPTION"])


def test_forum_page_offers_add_to_calendar_for_each_day_and_session(client, setup):
    page = client.get(f"/forums/{setup.forum_id}").get_data(as_text=True)

    assert f'href="/forums/{setup.forum_id}/days/{setup.public_day_id}.ics"' in page
    assert f'href="/sessions/{setup.opening_id}.ics"' in page
    assert "Add this day to your calendar" in page and "Add to calendar" in page
    assert f"/sessions/{setup.confidential_id}.ics" not in page
    assert f"/days/{setup.team_day_id}.ics" not in page


def test_a_team_members_agenda_links_only_downloads_that_would_work(app, client, setup):
    with app.app_context():
        token = personal_token(build.team_member("Maya Brooks"))
        db.session.commit()
    page = client.get(f"/me/{token}/forums/{setup.forum_id}").get_data(as_text=True)

    assert "Lunch" in page  # the team member sees the team day ...
    assert f"/sessions/{setup.lunch_id}.ics" not in page  # ... which the public cannot download
    assert f"/sessions/{setup.opening_id}.ics" in page


# --- The public program feed -------------------------------------------------------------------


def test_the_public_feed_holds_the_programs_public_days_only(app, client, setup):
    with app.app_context():
        program_id = db.session.scalar(sa.select(Program.id))
        build.forum(status="draft", number=9)
        db.session.commit()

    response, calendar = _get_calendar(client, f"/programs/{program_id}/public.ics")

    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == "Test program: public days"
    refresh = calendar["REFRESH-INTERVAL"]
    assert refresh.params["VALUE"] == "DURATION"
    assert str(refresh.to_ical().decode()) == "PT1H"
    assert calendar["X-PUBLISHED-TTL"].to_ical() == b"PT1H"
    assert [str(e["UID"]) for e in calendar.walk("VEVENT")] == [f"day-{setup.public_day_id}@{HOST}"]
    text = response.get_data(as_text=True)
    assert "Team debrief" not in text and "Lunch" not in text and "Breakout" not in text
    assert client.get("/programs/999999/public.ics").status_code == 404


# --- The personal feed -------------------------------------------------------------------------


def _team_member_with_a_pick_and_a_waitlisted_pick(setup) -> Person:
    both = [setup.public_day_id, setup.team_day_id]
    registration = build.team_registration(setup.forum_id, "Maya Brooks", day_ids=both, now=NOW)
    choose_breakout(
        db.session, registration, db.session.get(AgendaItem, setup.breakout_ids[0]), now=NOW
    )
    full = db.session.get(AgendaItem, setup.breakout_ids[2])
    for name in ("Ann Full", "Bo Full"):
        other = build.team_registration(setup.forum_id, name, now=NOW)
        choose_breakout(db.session, other, full, now=NOW)
    choose_breakout(db.session, registration, full, join_waitlist=True, now=NOW)
    write_pending()  # the mail worker sends the invitations
    db.session.commit()
    return registration.person


def _feed_path(person: Person) -> str:
    feed = db.session.scalar(sa.select(CalendarFeed).filter_by(person_id=person.id))
    return f"/calendar/{feed.token}.ics"


def test_the_personal_feed_holds_confirmed_days_and_picks_with_the_invitations_uids(
    app, client, setup
):
    with app.app_context():
        person = _team_member_with_a_pick_and_a_waitlisted_pick(setup)
        # An update raises the SEQUENCE; the feed carries the same number.
        item = db.session.get(AgendaItem, setup.breakout_ids[0])
        from .test_invitations import _edit

        _edit(item, start=time(10, 45), end=time(12))
        write_pending()
        db.session.commit()
        path = _feed_path(person)
        expected = {
            key: (invite.uid, invite.sequence)
            for key in (
                f"day-{setup.public_day_id}",
                f"day-{setup.team_day_id}",
                f"item-{setup.breakout_ids[0]}",
            )
            if (invite := invite_of(person.id, key))
        }
        link = f"/me/{personal_token(person)}"

    response, calendar = _get_calendar(client, path)

    assert response.headers["Cache-Control"] == "private, no-store"
    assert str(calendar["X-WR-CALNAME"]) == "Test program: Maya Brooks"
    assert calendar["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert calendar["X-PUBLISHED-TTL"].to_ical() == b"PT1H"
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {uid for uid, _ in expected.values()}  # no waitlisted pick
    for uid, sequence in expected.values():
        assert events[uid]["SEQUENCE"] == sequence
        # A feed goes to calendar services: it never carries the personal link.
        assert link not in str(events[uid]["DESCRIPTION"]) + str(events[uid]["URL"])
        assert "/forums/" in str(events[uid]["URL"])
    moved = events[expected[f"item-{setup.breakout_ids[0]}"][0]]
    assert moved["SEQUENCE"] == 1 and moved["DTSTART"].dt.time() == time(10, 45)


def test_a_cancelled_place_leaves_the_feed(app, client, setup):
    with app.app_context():
        person = _team_member_with_a_pick_and_a_waitlisted_pick(setup)
        forum = db.session.get(Forum, setup.forum_id)
        reg = get_registration(db.session, forum, person)
        cancel_days(db.session, reg, [setup.team_day_id])
        db.session.commit()
        path = _feed_path(person)

    _, calendar = _get_calendar(client, path)
    assert [str(e["UID"]) for e in calendar.walk("VEVENT")] == [
        f"day-{setup.public_day_id}-person-{person.id}@{HOST}"
    ]


def test_personal_page_links_the_feed_and_a_new_link_revokes_the_old_one(app, client, setup):
    with app.app_context():
        person = _team_member_with_a_pick_and_a_waitlisted_pick(setup)
        old_path = _feed_path(person)
        page_path = f"/me/{personal_token(person)}"

    page = html.unescape(client.get(page_path).get_data(as_text=True))
    assert f'href="webcal://{HOST}:5000{old_path}"' in page
    assert f'href="http://{HOST}:5000{old_path}"' in page
    assert "Get a new calendar link" in page

    assert client.post(f"{page_path}/calendar-link").status_code == 400  # no CSRF token
    response = client.post(
        f"{page_path}/calendar-link", data={"csrf_token": csrf_token(client, page_path)}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("#calendar")

    assert client.get(old_path).status_code == 404
    with app.app_context():
        new_path = _feed_path(db.session.get(Person, person.id))
    assert new_path != old_path and client.get(new_path).status_code == 200
    page = client.get(page_path).get_data(as_text=True)
    assert f"webcal://{HOST}:5000{new_path}" in page and old_path not in page


def test_someone_without_a_feed_can_create_one_from_the_personal_page(app, client, setup):
    with app.app_context():
        person = build.team_member("Noah New")
        db.session.commit()
        page_path = f"/me/{personal_token(person)}"
    page = client.get(page_path).get_data(as_text=True)
    assert "webcal://" not in page and "Get a calendar subscription link" in page

    client.post(f"{page_path}/calendar-link", data={"csrf_token": csrf_token(client, page_path)})

    assert re.search(r'href="webcal://[^"]+/calendar/[^"]+\.ics"', client.get(page_path).text)


@pytest.mark.parametrize("token", ["nope", "x" * 80])
def test_an_unknown_feed_token_is_not_found(client, setup, token):
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_a_forged_personal_link_cannot_renew_a_feed(client, setup):
    token = csrf_token(client, "/link")
    assert client.post("/me/forged/calendar-link", data={"csrf_token": token}).status_code == 404


def test_two_first_uses_of_a_persons_feed_at_once_share_one_feed(app):
    """Two transactions both find no feed; the second's insert waits for the first's commit
    (PostgreSQL's unique index; SQLite's write lock) and then reads the feed it made."""
    with app.app_context():
        person = Person(name="Ada Lovelace", email=build.email_for("Ada Lovelace"))
        db.session.add(person)
        db.session.commit()
        person_id = person.id
    first_inserted, tokens = threading.Event(), {}

    def first():
        with app.app_context():
            tokens["first"] = ensure_feed(db.session, db.session.get(Person, person_id)).token
            first_inserted.set()
            threading.Event().wait(0.3)  # the second runs into the insert meanwhile
            db.session.commit()
            db.session.remove()

    def second():
        first_inserted.wait(5)
        with app.app_context():
            tokens["second"] = ensure_feed(db.session, db.session.get(Person, person_id)).token
            db.session.commit()
            db.session.remove()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    assert tokens["second"] == tokens["first"]
    with app.app_context():
        feeds = db.session.scalars(
            sa.select(CalendarFeed).where(CalendarFeed.person_id == person_id)
        )
        assert len(feeds.all()) == 1
