"""Organizer pages for registrations: the live table, exports, manual changes and settings."""

import csv
import html
import io
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from forumapp.agenda.models import AgendaItem
from forumapp.checkin.scanning import check_in_registration
from forumapp.core.audit import AuditEntry
from forumapp.core.clock import local_instant
from forumapp.core.models import Forum, ForumDay
from forumapp.extensions import db
from forumapp.registration.breakouts import choose_breakout
from forumapp.registration.errors import NotAllowed, RegistrationClosed
from forumapp.registration.models import BreakoutPick, DaySeat, Registration
from forumapp.registration.overview import forum_overview

from .. import builders as build
from ..conftest import csrf_token
from ..support.queries import statements_sent
from .conftest import NOW


@pytest.fixture
def organizer(signed_in):
    return signed_in("organizer")


def _public(setup, name, organization="Town of Apex", **fields):
    return build.public_registration(
        setup.forum_id, name, now=NOW, organization=organization, **fields
    )


def _member(setup, name, team="Buncombe County"):
    return build.team_registration(setup.forum_id, name, team, now=NOW)


def _pick(registration, item_id, **options):
    item = db.session.get(AgendaItem, item_id)
    return choose_breakout(db.session, registration, item, now=NOW, **options)


def _post(client, path, data, token_from):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, token_from)})


def _busy_forum(setup):
    """Public day (3 seats): 3 confirmed, 1 waiting. Team day: Buncombe has members in both
    slots, Pitt only in the morning slot. Breakout 1 (2 seats) is full."""
    for name in ["Ann Public", "Bob Public", "Cat Public", "Dan Waiting"]:
        _public(setup, name)
    morning_1, morning_2, afternoon = setup.breakout_ids
    first = _member(setup, "Al One")
    second = _member(setup, "Al Two")
    pitt = _member(setup, "Bo Pitt", "Pitt County")
    _pick(first, morning_1)
    _pick(second, afternoon)
    _pick(pitt, morning_1)
    db.session.commit()


# --- The live table ------------------------------------------------------------------------


def test_overview_counts_seats_waitlists_breakouts_and_team_gaps(app_ctx, setup):
    _busy_forum(setup)
    forum = db.session.get(Forum, setup.forum_id)
    overview = forum_overview(db.session, forum)
    public_day, team_day = overview.days
    assert (public_day.confirmed, public_day.capacity, public_day.waitlisted) == (3, 3, 1)
    assert public_day.seats_left == 0
    assert (team_day.confirmed, team_day.capacity, team_day.seats_left) == (3, None, None)
    morning, afternoon = overview.slots
    assert [(b.item.title, b.confirmed, b.capacity, b.seats_left) for b in morning.breakouts] == [
        ("Breakout 1", 2, 2, 0),
        ("Breakout 2", 0, 2, 2),
    ]
    assert [(b.item.title, b.confirmed) for b in afternoon.breakouts] == [("Breakout 3", 1)]
    coverage = {row.team.name: row.counts for row in overview.coverage}
    assert coverage == {"Buncombe County": [1, 1], "Pitt County": [1, 0]}
    (gappy,) = overview.teams_with_gaps
    assert gappy.team.name == "Pitt County" and gappy.gaps == [afternoon]
    rows = {row.person.name: row for row in overview.registrations}
    assert rows["Dan Waiting"].day_status(public_day.day) == "waitlisted #1"
    assert rows["Al One"].team_names == "Buncombe County"
    assert [item.title for _pick, item, _pos in rows["Al One"].picks] == ["Breakout 1"]


def test_overlapping_breakouts_that_start_apart_are_one_slot_in_the_overview(app_ctx, setup):
    from datetime import time

    from .. import builders as build

    morning = db.session.get(AgendaItem, setup.breakout_ids[0])  # 10:30-11:45
    build.item(morning.day, "Late start", time(10, 45), time(12), capacity=5)
    db.session.flush()

    overview = forum_overview(db.session, db.session.get(Forum, setup.forum_id))

    assert [[b.item.title for b in slot.breakouts] for slot in overview.slots] == [
        ["Breakout 1", "Breakout 2", "Late start"],
        ["Breakout 3"],
    ]


def test_registrations_page_shows_the_table_gaps_and_searches(app, organizer, setup):
    with app.app_context():
        _busy_forum(setup)
    url = f"/staff/forums/{setup.forum_id}/registrations"
    page = organizer.get(url).get_data(as_text=True)
    assert "Seats by day" in page and "<strong>Full</strong>" in page
    assert "Pitt County: nobody at Mar 16, 2027, 1:00 PM" in page
    assert '<td class="gap"><strong>0</strong>' in page
    assert "People registered (7)" in page and "Waitlisted #1" in page
    page = organizer.get(url, query_string={"q": "PITT"}).get_data(as_text=True)
    assert "People registered matching “PITT” (1)" in page and "Bo Pitt" in page
    assert "Ann Public" not in page
    page = organizer.get(url, query_string={"q": "100%_"}).get_data(as_text=True)
    assert "Nobody matches that search." in page
    agenda = organizer.get(f"/staff/forums/{setup.forum_id}/agenda").get_data(as_text=True)
    assert f'href="{url}">Registrations</a>' in agenda
    with app.app_context():  # a session people chose is cancelled: their row says so
        db.session.get(AgendaItem, setup.breakout_ids[2]).status = "cancelled"
        db.session.commit()
    page = organizer.get(url, query_string={"q": "Al Two"}).get_data(as_text=True)
    assert 'Breakout 3 <span class="muted">(session cancelled)</span>' in page


def test_a_search_with_control_characters_is_refused_next_to_the_box(app, organizer, setup):
    # PostgreSQL cannot compare text with NUL: the search is refused, not run.
    url = f"/staff/forums/{setup.forum_id}/registrations"
    response = organizer.get(url, query_string={"q": "Pitt\x00"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Remove the control characters from this text." in page
    assert 'aria-invalid="true"' in page and "matching" not in page


def _count_queries(app, client, url) -> int:
    with statements_sent(app) as sent:
        assert client.get(url).status_code == 200
    return len(sent)


def test_the_registrations_page_needs_the_same_queries_for_many_people(app, organizer, setup):
    url = f"/staff/forums/{setup.forum_id}/registrations"
    with app.app_context():
        _pick(_member(setup, "First Member"), setup.breakout_ids[0])
        _public(setup, "First Public")
        db.session.commit()
    few = _count_queries(app, organizer, url)
    with app.app_context():
        for n in range(6):
            registration = _member(setup, f"More Member{n}", f"Team {n}")
            _pick(registration, setup.breakout_ids[n % 3], join_waitlist=True)
            _public(setup, f"More Public{n}")
        db.session.commit()
    assert _count_queries(app, organizer, url) == few
    assert few < 25


@pytest.mark.parametrize("role", ["faculty", "door"])
def test_other_staff_roles_are_refused(signed_in, setup, role):
    client = signed_in(role)
    assert client.get(f"/staff/forums/{setup.forum_id}/registrations").status_code == 403
    assert client.get(f"/staff/forums/{setup.forum_id}/registrations.csv").status_code == 403


# --- Registering and moving people by hand -------------------------------------------------


def test_placing_someone_on_no_team_on_a_team_day_warns_the_organizer(app, organizer, setup):
    url = f"/staff/forums/{setup.forum_id}/registrations/new"
    data = {"email": "guest@example.org", "name": "Gus Guest", "day_ids": [setup.team_day_id]}
    response = _post(organizer, url, data, url)
    page = html.unescape(organizer.get(response.headers["Location"]).get_data(as_text=True))
    assert "Gus Guest is on no team's roster, yet now has a place on a day for" in page
    with app.app_context():  # a team member gets no such warning
        build.team_member("Tia Team")
        db.session.commit()
    data = {"email": "tia.team@county.example.org", "name": "", "day_ids": [setup.team_day_id]}
    response = _post(organizer, url, data, url)
    page = html.unescape(organizer.get(response.headers["Location"]).get_data(as_text=True))
    assert "on no team's roster" not in page


def test_organizer_registers_onto_a_full_day_waitlist_then_by_override(app, organizer, setup):
    with app.app_context():
        for name in ["Ann Public", "Bob Public", "Cat Public"]:
            _public(setup, name)
        db.session.commit()
    url = f"/staff/forums/{setup.forum_id}/registrations/new"
    data = {
        "email": "Walk.In@example.org",
        "name": "Walk In",
        "organization": "Apex",
        "day_ids": [setup.public_day_id],
    }
    response = _post(organizer, url, data, url)
    assert response.status_code == 302
    page = organizer.get(response.headers["Location"]).get_data(as_text=True)
    assert "Monday, March 15 is full: Walk In is on the waitlist as number 1." in page
    assert "Tick “Override capacity” to give them a seat anyway." in page
    # The same person again, by email only, with the override ticked.
    response = _post(
        organizer,
        url,
        {
            "email": "walk.in@example.org",
            "name": "",
            "day_ids": [setup.public_day_id],
            "override": "y",
        },
        url,
    )
    page = organizer.get(response.headers["Location"]).get_data(as_text=True)
    assert "Walk In is confirmed for Monday, March 15 beyond capacity (override recorded)." in page
    with app.app_context():
        seat = db.session.scalar(
            sa.select(DaySeat)
            .join(Registration)
            .where(Registration.kind == "public")
            .order_by(DaySeat.id.desc())
            .limit(1)
        )
        assert (seat.status, seat.override) == ("confirmed", True)
        day = db.session.get(ForumDay, setup.public_day_id)
        assert (day.seats_taken, day.seats_overridden) == (4, 1)


def test_manual_registration_explains_what_is_missing(app, organizer, setup):
    url = f"/staff/forums/{setup.forum_id}/registrations/new"
    response = _post(organizer, url, {"email": "nobody@example.org", "name": ""}, url)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nobody has this email yet: enter the new person&#39;s full name." in page
    assert "Choose at least one day." in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0


def test_organizer_cancels_a_day_and_the_first_person_waiting_gets_the_seat(app, organizer, setup):
    with app.app_context():
        first = _public(setup, "Ann Public")
        for name in ["Bob Public", "Cat Public", "Dan Waiting"]:
            _public(setup, name)
        db.session.commit()
        first_id = first.id
    page_url = f"/staff/registrations/{first_id}"
    page = organizer.get(page_url).get_data(as_text=True)
    # Asked first: the button that cancels is inside the question.
    assert re.search(
        r'<details class="confirm-step">\s*<summary>Cancel….*?</summary>\s*'
        r"<p>Cancel Ann Public's place on Mar 15, 2027\?.*?</p>.*?Yes, cancel the place",
        page,
        re.S,
    )
    response = _post(organizer, f"{page_url}/days/{setup.public_day_id}/cancel", {}, page_url)
    assert response.status_code == 302
    page = organizer.get(page_url).get_data(as_text=True)
    assert "Cancelled Ann Public&#39;s place on Monday, March 15" in page
    assert "The first person waiting got the seat and is told by email." in page
    with app.app_context():
        statuses = db.session.scalars(sa.select(DaySeat.status).order_by(DaySeat.id)).all()
        assert statuses == ["cancelled", "confirmed", "confirmed", "confirmed"]


def _move(client, registration_id, item_id, override=False):
    page_url = f"/staff/registrations/{registration_id}"
    page = client.get(page_url).get_data(as_text=True)
    key = page.split("/picks?slot=")[1].split('"')[0]  # the morning slot comes first
    data = {f"slot-{key}-item_id": str(item_id)}
    if override:
        data[f"slot-{key}-override"] = "y"
    token = page.split(f'name="slot-{key}-csrf_token" type="hidden" value="')[1].split('"')[0]
    data[f"slot-{key}-csrf_token"] = token
    response = client.post(f"{page_url}/picks?slot={key}", data=data)
    assert response.status_code == 302
    return client.get(page_url).get_data(as_text=True)


def test_organizer_moves_a_pick_into_a_full_breakout_with_override(app, organizer, setup):
    full, other, _ = setup.breakout_ids
    with app.app_context():
        _pick(_member(setup, "Al One", "A"), full)
        _pick(_member(setup, "Al Two", "B"), full)
        mover = _member(setup, "Mo Ver", "C")
        _pick(mover, other)
        db.session.commit()
        mover_id = mover.id
    page = _move(organizer, mover_id, full, override=True)
    assert "Mo Ver now has a seat in “Breakout 1” (override recorded)." in page
    with app.app_context():
        picks = dict(
            db.session.execute(
                sa.select(BreakoutPick.item_id, BreakoutPick.status).where(
                    BreakoutPick.registration_id == mover_id
                )
            ).all()
        )
        assert picks == {full: "confirmed", other: "cancelled"}
        item = db.session.get(AgendaItem, full)
        assert (item.seats_taken, item.seats_overridden) == (3, 1)


def test_without_override_a_full_breakout_means_the_waitlist_then_override_lifts_it(
    app, organizer, setup
):
    full = setup.breakout_ids[0]
    with app.app_context():
        _pick(_member(setup, "Al One", "A"), full)
        _pick(_member(setup, "Al Two", "B"), full)
        mover_id = _member(setup, "Mo Ver", "C").id
        db.session.commit()
    page = _move(organizer, mover_id, full)
    assert "“Breakout 1” is full: Mo Ver is number 1 on its waitlist." in page
    page = _move(organizer, mover_id, full, override=True)
    assert "Mo Ver now has a seat in “Breakout 1” (override recorded)." in page
    with app.app_context():
        pick = db.session.scalar(
            sa.select(BreakoutPick).where(BreakoutPick.registration_id == mover_id)
        )
        assert (pick.status, pick.override) == ("confirmed", True)


def test_after_the_deadline_only_an_override_moves_a_pick(app, organizer, setup):
    first, second, _ = setup.breakout_ids
    with app.app_context():
        registration = _member(setup, "Late Mover")
        _pick(registration, first)
        db.session.get(Forum, setup.forum_id).choice_deadline = datetime.now(UTC) - timedelta(
            hours=1
        )
        db.session.commit()
        registration_id = registration.id
    page = _move(organizer, registration_id, second)
    assert "Breakout choices closed on" in page and "Tick “Override”" in page
    page = _move(organizer, registration_id, second, override=True)
    assert "Late Mover now has a seat in “Breakout 2”" in page


# --- Settings ------------------------------------------------------------------------------


def test_breakout_settings_are_saved_in_utc_and_enforced(app, organizer, setup):
    url = f"/staff/forums/{setup.forum_id}/registration-settings"
    response = _post(
        organizer, url, {"choice_deadline": "2027-03-10T17:00", "team_breakout_cap": "1"}, url
    )
    assert response.status_code == 302
    page = organizer.get(response.headers["Location"]).get_data(as_text=True)
    assert "Breakout settings saved." in page
    assert "Breakout choices close: Mar 10, 2027, 5:00 PM EST" in page
    assert 'value="2027-03-10T17:00"' in organizer.get(url).get_data(as_text=True)
    with app.app_context():
        forum = db.session.get(Forum, setup.forum_id)
        assert forum.choice_deadline == datetime(2027, 3, 10, 22, 0, tzinfo=UTC)
        assert forum.team_breakout_cap == 1
        item = db.session.get(AgendaItem, setup.breakout_ids[0])
        first, second = _member(setup, "Same One"), _member(setup, "Same Two")
        choose_breakout(db.session, first, item, now=NOW)
        with pytest.raises(NotAllowed, match="already chose"):
            choose_breakout(db.session, second, item, now=NOW)
        late = forum.choice_deadline + timedelta(minutes=1)
        with pytest.raises(RegistrationClosed, match="Mar 10, 2027, 5:00 PM EST"):
            choose_breakout(db.session, second, item, now=late)
        db.session.rollback()
    _post(organizer, url, {"choice_deadline": "", "team_breakout_cap": ""}, url)
    with app.app_context():
        forum = db.session.get(Forum, setup.forum_id)
        assert (forum.choice_deadline, forum.team_breakout_cap) == (None, None)


def test_a_team_limit_below_one_is_refused(organizer, setup):
    url = f"/staff/forums/{setup.forum_id}/registration-settings"
    response = _post(organizer, url, {"team_breakout_cap": "0"}, url)
    assert response.status_code == 400
    assert "Use a number from 1 to 999." in response.get_data(as_text=True)


# --- CSV exports ---------------------------------------------------------------------------


def _csv_rows(response):
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_registrations_csv_has_each_days_status_needs_and_guards_formulas(app, organizer, setup):
    with app.app_context():
        for name in ["Ann Public", "Bob Public", "Cat Public"]:
            _public(setup, name)
        _public(
            setup,
            "Dan Waiting",
            organization='=HYPERLINK("http://evil.example")',
            community="+Wake",
            dietary_needs="-vegan",
            accessibility_needs="@ramp",
        )
        _member(setup, "Al One")
        db.session.commit()
    response = organizer.get(f"/staff/forums/{setup.forum_id}/registrations.csv")
    assert "forum-5-registrations.csv" in response.headers["Content-Disposition"]
    header, *rows = _csv_rows(response)
    assert header == [
        "Name",
        "Email",
        "Organization",
        "Community",
        "Kind",
        "Team",
        "Mon Mar 15, 2027 (public day)",
        "Tue Mar 16, 2027 (team day)",
        "Accessibility needs",
        "Dietary needs",
        "Checked in Mon Mar 15",
        "Checked in Tue Mar 16",
    ]
    by_name = {row[0]: row for row in rows}
    assert by_name["Al One"][4:8] == ["team", "Buncombe County", "", "confirmed"]
    assert by_name["Ann Public"][6] == "confirmed"
    waiting = by_name["Dan Waiting"]
    assert waiting[2:4] == ['\'=HYPERLINK("http://evil.example")', "'+Wake"]
    assert waiting[6] == "waitlisted #1"
    assert waiting[8:10] == ["'@ramp", "'-vegan"]


def test_registrations_csv_says_when_each_person_was_checked_in(app, organizer, setup):
    with app.app_context():
        ann = _public(setup, "Ann Public")
        _public(setup, "Bob Public")
        outcome = check_in_registration(
            db.session, ann, db.session.get(ForumDay, setup.public_day_id), None
        )
        outcome.check_in.checked_in_at = local_instant(
            date(2027, 3, 15), time(8, 47), "America/New_York"
        )
        db.session.commit()

    header, *rows = _csv_rows(organizer.get(f"/staff/forums/{setup.forum_id}/registrations.csv"))

    by_name = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert by_name["Ann Public"]["Checked in Mon Mar 15"] == "08:47"
    assert by_name["Ann Public"]["Checked in Tue Mar 16"] == ""
    assert by_name["Bob Public"]["Checked in Mon Mar 15"] == ""


def test_registrations_csv_is_safe_opened_in_a_semicolon_locale(app, organizer, setup):
    """Excel with a decimal comma reads the file as ``;``-separated: no cell it makes there
    may start a formula either."""
    with app.app_context():
        _public(
            setup,
            "Eve Sly",
            organization='Town;=HYPERLINK("http://evil.example")',
            community="Wake,+cmd",
            dietary_needs="none\t@SUM(A1)",
            accessibility_needs="ramp; -2+3",
        )
        db.session.commit()
    response = organizer.get(f"/staff/forums/{setup.forum_id}/registrations.csv")
    text = response.get_data(as_text=True)[1:]
    for delimiter in (",", ";", "\t"):
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (delimiter, cell)
    eve = next(row for row in csv.reader(io.StringIO(text)) if row[0] == "Eve Sly")
    assert eve[2:4] == ['Town;\'=HYPERLINK("http://evil.example")', "Wake,'+cmd"]
    assert eve[8:10] == ["ramp; -2+3", "none\t'@SUM(A1)"]  # a space before it is no formula


def test_breakouts_csv_lists_people_per_breakout_with_local_start_and_waitlist(
    app, organizer, setup
):
    full = setup.breakout_ids[0]
    with app.app_context():
        _pick(_member(setup, "Al One", "Buncombe County"), full)
        _pick(_member(setup, "=Evil Name", "Pitt County"), full)
        _pick(_member(setup, "Cy Waiting", "Dare County"), full, join_waitlist=True)
        db.session.commit()
    response = organizer.get(f"/staff/forums/{setup.forum_id}/breakouts.csv")
    header, *rows = _csv_rows(response)
    assert header == ["Breakout", "Day", "Start", "Room", "Person", "Email", "Team", "Status"]
    assert rows == [
        [
            "Breakout 1",
            "2027-03-16",
            "2027-03-16 10:30",
            "Room A",
            "'=Evil Name",
            "=evil.name@county.example.org".replace("=", "'="),
            "Pitt County",
            "confirmed",
        ],
        [
            "Breakout 1",
            "2027-03-16",
            "2027-03-16 10:30",
            "Room A",
            "Al One",
            "al.one@county.example.org",
            "Buncombe County",
            "confirmed",
        ],
        [
            "Breakout 1",
            "2027-03-16",
            "2027-03-16 10:30",
            "Room A",
            "Cy Waiting",
            "cy.waiting@county.example.org",
            "Dare County",
            "waitlisted #1",
        ],
    ]


def test_lifting_someone_off_a_breakout_waitlist_tells_the_features_above(app_ctx, setup):
    """As when an organizer lifts someone off a day's waitlist, the calendar and the check-in
    hear of the seat (``place_changed``): the person's invitation to the breakout follows."""
    from forumapp.registration.signals import place_changed

    full = setup.breakout_ids[0]
    _pick(_member(setup, "Al One", "A"), full)
    _pick(_member(setup, "Al Two", "B"), full)
    waiting = _pick(_member(setup, "Mo Ver", "C"), full, join_waitlist=True)
    assert waiting.status == "waitlisted"
    heard = []

    def receiver(sender, session, **_extra):
        heard.append((sender, sender.status))

    with place_changed.connected_to(receiver):
        lifted = _pick(waiting.registration, full, override=True)
    assert lifted is waiting and (lifted.status, lifted.override) == ("confirmed", True)
    assert heard == [(waiting, "confirmed")]


def test_a_person_without_a_breakout_has_none_preselected_and_choosing_nothing_books_nothing(
    app, organizer, setup
):
    with app.app_context():
        person_id = _member(setup, "No Choice Yet").id
        db.session.commit()
    page = organizer.get(f"/staff/registrations/{person_id}").get_data(as_text=True)
    assert '<option selected value="">Choose a breakout…</option>' in page

    page = _move(organizer, person_id, "")

    assert "Choose one of the slot&#39;s breakouts." in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BreakoutPick)) == 0


def test_moving_someone_to_the_breakout_they_already_sit_in_changes_nothing(app, organizer, setup):
    first = setup.breakout_ids[0]
    with app.app_context():
        registration = _member(setup, "Sat Already")
        _pick(registration, first)
        db.session.commit()
        registration_id = registration.id

    page = _move(organizer, registration_id, first)

    assert "Sat Already already has a seat in “Breakout 1”: nothing changed." in html.unescape(page)
    with app.app_context():
        moves = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "registration.move_pick")
        )
        assert moves == 0
