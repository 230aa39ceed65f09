"""Once a forum day is over, or the organizers have closed the forum, attendees can no longer
change their places, breakouts or ticket for it: the record of who came stays as it was.
Organizers may still correct it."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from forumapp.agenda.models import AgendaItem
from forumapp.attendee import views as attendee_views
from forumapp.checkin.models import Ticket
from forumapp.core.links import personal_token
from forumapp.core.models import Forum, ForumDay, ForumStatus, Person
from forumapp.extensions import db
from forumapp.registration import breakouts
from forumapp.registration.breakouts import choose_breakout, drop_breakout
from forumapp.registration.errors import RegistrationClosed
from forumapp.registration.models import BreakoutPick, DaySeat
from forumapp.registration.registering import cancel_own_days, register_team_member
from forumapp.registration.windows import is_held

from .. import builders as build
from ..conftest import csrf_token
from .conftest import NOW

# make_forum's days are March 15 (public) and 16 (team), 2027.
AFTER_THE_FORUM = NOW + timedelta(days=60)
BETWEEN_THE_DAYS = NOW.replace(month=3, day=16)


@pytest.fixture
def member(app, setup):
    """A team member registered for both days, with a seat in Breakout 1; returns the ids."""
    with app.app_context():
        both = [setup.public_day_id, setup.team_day_id]
        registration = build.team_registration(setup.forum_id, "Cy Dunn", day_ids=both, now=NOW)
        person = registration.person
        item = db.session.get(AgendaItem, setup.breakout_ids[0])
        pick = choose_breakout(db.session, registration, item, now=NOW)
        db.session.commit()
        return person.id, registration.id, pick.id


def _seat(registration_id: int, day_id: int) -> DaySeat:
    return db.session.scalar(
        sa.select(DaySeat).filter_by(registration_id=registration_id, day_id=day_id)
    )


def test_a_place_on_a_day_that_is_over_cannot_be_given_up(app_ctx, setup, member):
    _person_id, registration_id, _pick = member
    registration = _seat(registration_id, setup.public_day_id).registration

    with pytest.raises(RegistrationClosed, match="Monday, March 15, 2027 is over"):
        cancel_own_days(db.session, registration, [setup.public_day_id], BETWEEN_THE_DAYS)
    # The day still to come can be given up.
    assert cancel_own_days(db.session, registration, [setup.team_day_id], BETWEEN_THE_DAYS) == 1
    assert _seat(registration_id, setup.public_day_id).status == "confirmed"


def test_breakouts_of_a_day_that_is_over_cannot_be_changed(app_ctx, setup, member):
    _person_id, registration_id, pick_id = member
    pick = db.session.get(BreakoutPick, pick_id)
    other = db.session.get(AgendaItem, setup.breakout_ids[1])

    with pytest.raises(RegistrationClosed, match="is over"):
        choose_breakout(db.session, pick.registration, other, now=AFTER_THE_FORUM)
    with pytest.raises(RegistrationClosed, match="is over"):
        drop_breakout(db.session, pick.registration, pick, now=AFTER_THE_FORUM)
    assert pick.status == "confirmed"
    # Organizers may still correct the record.
    moved = choose_breakout(
        db.session, pick.registration, other, now=AFTER_THE_FORUM, override=True
    )
    assert moved.status == "confirmed"


def test_nobody_registers_for_a_day_that_is_over(app_ctx, setup):
    person = build.team_member("Di Eng")
    day = db.session.get(ForumDay, setup.team_day_id)
    day.registration_closes_at = None  # even with no closing time set

    with pytest.raises(RegistrationClosed, match="Tuesday, March 16, 2027 is over"):
        register_team_member(db.session, day.forum, person, [setup.team_day_id], AFTER_THE_FORUM)


def test_a_closed_forum_is_held_even_before_its_days(app_ctx, setup, member):
    forum = db.session.get(Forum, setup.forum_id)
    assert not is_held(forum, NOW)
    assert is_held(forum, AFTER_THE_FORUM)
    forum.status = ForumStatus.CLOSED
    assert is_held(forum, NOW)
    registration = _seat(member[1], setup.team_day_id).registration
    with pytest.raises(RegistrationClosed):
        cancel_own_days(db.session, registration, [setup.team_day_id], NOW)


def test_the_personal_page_of_a_closed_forum_changes_nothing(app, client, setup, member):
    person_id, registration_id, _pick = member
    with app.app_context():
        forum = db.session.get(Forum, setup.forum_id)
        forum.status = ForumStatus.CLOSED
        seat_id = _seat(registration_id, setup.team_day_id).id
        code = db.session.scalar(sa.select(Ticket.code).filter_by(registration_id=registration_id))
        token = personal_token(db.session.get(Person, person_id))
        db.session.commit()
    page = f"/me/{token}"
    shown = client.get(page).get_data(as_text=True)
    assert "This forum has been held" in shown
    for action in ("Cancel my place", "Get a new ticket code", "Save my choices", ">Register<"):
        assert action not in shown
    token_field = csrf_token(client, page)

    question = client.get(f"{page}/seats/{seat_id}/cancel").get_data(as_text=True)
    assert "can no longer be changed" in question and "Yes, cancel my place" not in question
    cancel = client.post(f"{page}/seats/{seat_id}/cancel", data={"csrf_token": token_field})
    reissue = client.post(
        f"{page}/tickets/{registration_id}/reissue", data={"csrf_token": token_field}
    )

    assert cancel.status_code == reissue.status_code == 302
    shown = client.get(page).get_data(as_text=True)
    assert "Forum 5: Testing is closed: places can no longer be changed." in shown
    assert "has been held" in shown
    with app.app_context():
        assert _seat(registration_id, setup.team_day_id).status == "confirmed"
        live = db.session.scalar(
            sa.select(Ticket.code).filter_by(registration_id=registration_id, voided_at=None)
        )
        assert live == code


def test_saving_breakouts_between_the_days_leaves_the_day_that_is_over_alone(
    app, client, setup, monkeypatch
):
    """The form shows the day that is over as it was and sends nothing back for it."""
    with app.app_context():
        public_day = db.session.get(ForumDay, setup.public_day_id)
        first_day = build.item(
            public_day, "Day-one breakout", time(10, 30), time(11, 45), capacity=5
        )
        both = [setup.public_day_id, setup.team_day_id]
        registration = build.team_registration(setup.forum_id, "Cy Dunn", day_ids=both, now=NOW)
        person = registration.person
        choose_breakout(db.session, registration, first_day, now=NOW)
        db.session.commit()
        token, first_day_id = personal_token(person), first_day.id
    monkeypatch.setattr(breakouts, "utcnow", lambda: BETWEEN_THE_DAYS)
    monkeypatch.setattr(attendee_views, "utcnow", lambda: BETWEEN_THE_DAYS)
    page = client.get(f"/me/{token}").get_data(as_text=True)
    assert "this day is over" in page and 'fieldset class="slot" disabled' in page
    checked = dict(re.findall(r'name="(slot-[^"]+)" value="(\d+)" id="item-\d+" checked', page))
    second_day = setup.breakout_ids[0]
    field = next(
        name
        for name in re.findall(r'name="(slot-[^"]+)"', page)
        if f'name="{name}" value="{second_day}"' in page
    )

    # A browser sends back the checked radios of enabled fieldsets only; even if the day that
    # is over came back unchanged, nothing would be refused.
    response = client.post(
        f"/me/{token}/forums/{setup.forum_id}/breakouts",
        data={**checked, field: str(second_day), "csrf_token": csrf_token(client, f"/me/{token}")},
    )

    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your breakout choices are saved." in shown and "is over: places" not in shown
    with app.app_context():
        picks = db.session.scalars(
            sa.select(BreakoutPick.item_id).where(BreakoutPick.status == "confirmed")
        ).all()
        assert sorted(picks) == sorted([first_day_id, second_day])


def test_a_forum_without_days_yet_is_not_held(app_ctx, setup):
    forum = build.forum(number=7, days=())
    assert not is_held(forum, AFTER_THE_FORUM)
