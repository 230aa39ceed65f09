"""Once a forum day is over, or the organizers have closed the forum, attendees can no longer
change their places, breakouts or ticket for it: the record of who came stays as it was.
Organizers may still correct it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from forumapp.agenda.models import AgendaItem
from forumapp.checkin.models import Ticket
from forumapp.core.links import personal_token
from forumapp.core.models import Forum, ForumDay, ForumStatus, Person
from forumapp.extensions import db
from forumapp.registration import services
from forumapp.registration.models import BreakoutPick, DaySeat

from ..conftest import csrf_token
from .conftest import NOW, add_team_member

# make_forum's days are March 15 (public) and 16 (team), 2027.
AFTER_THE_FORUM = NOW + timedelta(days=60)
BETWEEN_THE_DAYS = NOW.replace(month=3, day=16)


@pytest.fixture
def member(app, setup):
    """A team member registered for both days, with a seat in Breakout 1; returns the ids."""
    with app.app_context():
        person = add_team_member("Cy Dunn")
        forum = db.session.get(Forum, setup.forum_id)
        result = services.register_team_member(
            db.session, forum, person, [setup.public_day_id, setup.team_day_id], NOW
        )
        item = db.session.get(AgendaItem, setup.breakout_ids[0])
        pick = services.choose_breakout(db.session, result.registration, item, now=NOW)
        db.session.commit()
        return person.id, result.registration.id, pick.id


def _seat(registration_id: int, day_id: int) -> DaySeat:
    return db.session.scalar(sa.select(DaySeat).filter_by(registration_id=registration_id,
                                                          day_id=day_id))  # fmt: skip


def test_a_place_on_a_day_that_is_over_cannot_be_given_up(app_ctx, setup, member):
    _person_id, registration_id, _pick = member
    registration = _seat(registration_id, setup.public_day_id).registration

    with pytest.raises(services.RegistrationClosed, match="Monday, March 15, 2027 is over"):
        services.cancel_own_days(db.session, registration, [setup.public_day_id], BETWEEN_THE_DAYS)
    # The day still to come can be given up.
    assert services.cancel_own_days(
        db.session, registration, [setup.team_day_id], BETWEEN_THE_DAYS
    ) == 1  # fmt: skip
    assert _seat(registration_id, setup.public_day_id).status == "confirmed"


def test_breakouts_of_a_day_that_is_over_cannot_be_changed(app_ctx, setup, member):
    _person_id, registration_id, pick_id = member
    pick = db.session.get(BreakoutPick, pick_id)
    other = db.session.get(AgendaItem, setup.breakout_ids[1])

    with pytest.raises(services.RegistrationClosed, match="is over"):
        services.choose_breakout(db.session, pick.registration, other, now=AFTER_THE_FORUM)
    with pytest.raises(services.RegistrationClosed, match="is over"):
        services.drop_breakout(db.session, pick.registration, pick, now=AFTER_THE_FORUM)
    assert pick.status == "confirmed"
    # Organizers may still correct the record.
    moved = services.choose_breakout(
        db.session, pick.registration, other, now=AFTER_THE_FORUM, override=True
    )
    assert moved.status == "confirmed"


def test_nobody_registers_for_a_day_that_is_over(app_ctx, setup):
    person = add_team_member("Di Eng")
    day = db.session.get(ForumDay, setup.team_day_id)
    day.registration_closes_at = None  # even with no closing time set

    with pytest.raises(services.RegistrationClosed, match="Tuesday, March 16, 2027 is over"):
        services.register_team_member(
            db.session, day.forum, person, [setup.team_day_id], AFTER_THE_FORUM
        )


def test_a_closed_forum_is_held_even_before_its_days(app_ctx, setup, member):
    forum = db.session.get(Forum, setup.forum_id)
    assert not services.is_held(forum, NOW)
    assert services.is_held(forum, AFTER_THE_FORUM)
    forum.status = ForumStatus.CLOSED
    assert services.is_held(forum, NOW)
    registration = _seat(member[1], setup.team_day_id).registration
    with pytest.raises(services.RegistrationClosed):
        services.cancel_own_days(db.session, registration, [setup.team_day_id], NOW)


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

    cancel = client.post(f"{page}/seats/{seat_id}/cancel", data={"csrf_token": token_field})
    reissue = client.post(
        f"{page}/tickets/{registration_id}/reissue", data={"csrf_token": token_field}
    )

    assert cancel.status_code == reissue.status_code == 302
    shown = client.get(page).get_data(as_text=True)
    assert "is over: places on it can no longer be changed" in shown
    assert "has been held" in shown
    with app.app_context():
        assert _seat(registration_id, setup.team_day_id).status == "confirmed"
        live = db.session.scalar(
            sa.select(Ticket.code).filter_by(registration_id=registration_id, voided_at=None)
        )
        assert live == code
