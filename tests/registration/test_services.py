"""Registration rules: seats, waitlists, duplicates, windows, team days and breakouts."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from forumapp.agenda.models import AgendaItem
from forumapp.checkin.models import Ticket
from forumapp.checkin.tickets import format_code
from forumapp.core.models import Forum, ForumDay
from forumapp.extensions import db
from forumapp.mail.models import OutboxMessage
from forumapp.registration.breakouts import choose_breakout, drop_breakout
from forumapp.registration.errors import (
    BreakoutFull,
    InvalidRegistration,
    NotAllowed,
    RegistrationClosed,
)
from forumapp.registration.models import BreakoutPick, DaySeat
from forumapp.registration.people import find_or_create_person
from forumapp.registration.public import register_public
from forumapp.registration.registering import (
    cancel_days,
    register_by_organizer,
    register_team_member,
)
from forumapp.registration.seats import waitlist_position

from .. import builders as build
from .conftest import NOW


def _public(setup, name, organization="Town of Apex", **fields):
    """``register_public``'s answer for ``name`` on the public day (what these tests check)."""
    forum = db.session.get(Forum, setup.forum_id)
    day_ids = fields.pop("day_ids", [setup.public_day_id])
    data = build.public_input(day_ids, name, organization=organization, **fields)
    return register_public(db.session, forum, data, NOW)


def _mail_to(email):
    """Registration mail to ``email`` (calendar invitations are tested in tests/calendar)."""
    return db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.to_email == email, OutboxMessage.kind.not_like("calendar%"))
        .order_by(OutboxMessage.id)
    ).all()


def test_public_registration_confirms_and_queues_an_email_with_the_link(app_ctx, setup):
    result = _public(setup, "Ada Lovelace")
    assert result.created
    assert [(d.status, d.waitlist_position) for d in result.days] == [("confirmed", None)]
    assert db.session.get(ForumDay, setup.public_day_id).seats_taken == 1
    (message,) = map(build.emailed, _mail_to("ada.lovelace@public.example.org"))
    assert "You're registered for Monday, March 15, 2027" in message.text_body
    assert "/me/" in message.text_body and "Civic Center" in message.text_body
    assert message.html_body and "Test program" in message.html_body


def test_full_day_puts_people_on_the_waitlist_with_their_position(app_ctx, setup):
    for name in ["A One", "B Two", "C Three"]:
        assert _public(setup, name).days[0].status == "confirmed"
    fourth = _public(setup, "D Four")
    fifth = _public(setup, "E Five")
    assert (fourth.days[0].status, fourth.days[0].waitlist_position) == ("waitlisted", 1)
    assert (fifth.days[0].status, fifth.days[0].waitlist_position) == ("waitlisted", 2)
    (confirmation,) = _mail_to("e.five@public.example.org")
    assert "you're number 2 on the waitlist" in build.emailed(confirmation).text_body
    assert db.session.get(ForumDay, setup.public_day_id).seats_taken == 3


def test_a_day_filled_by_someone_else_meanwhile_waitlists_without_a_ticket_or_invitation(
    app_ctx, setup
):
    """When the day turns out to be full (another registration committed since this one
    looked), nothing of a confirmed seat is left: on PostgreSQL its work, done before the seat
    is taken, is undone; on SQLite, which takes the seat first, it is never done. The person
    joins the waitlist instead."""
    for name in ["A One", "B Two", "C Three"]:
        _public(setup, name)
    day = db.session.get(ForumDay, setup.public_day_id)
    set_committed_value(day, "seats_taken", 0)  # what this request read before the others

    late = _public(setup, "D Four")

    assert (late.days[0].status, late.days[0].waitlist_position) == ("waitlisted", 1)
    db.session.commit()
    assert db.session.get(ForumDay, setup.public_day_id).seats_taken == 3
    statuses = db.session.scalars(sa.select(DaySeat.status).order_by(DaySeat.id)).all()
    assert statuses == ["confirmed", "confirmed", "confirmed", "waitlisted"]
    mail = db.session.scalars(
        sa.select(OutboxMessage.kind).where(OutboxMessage.to_email == "d.four@public.example.org")
    ).all()
    assert mail == ["registration"]  # no calendar invitation for a seat not held
    (confirmation,) = _mail_to("d.four@public.example.org")
    assert "you're number 1 on the waitlist" in build.emailed(confirmation).text_body
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Ticket)
            .where(Ticket.registration_id == late.registration.id)
        )
        == 0
    )


def test_cancelling_promotes_the_first_person_waiting_and_tells_them(app_ctx, setup):
    db.session.get(Forum, setup.forum_id).confirmation_text = "Bring a photo ID."
    first = _public(setup, "A One")
    _public(setup, "B Two")
    _public(setup, "C Three")
    waiting = _public(setup, "D Four")
    later = _public(setup, "E Five")
    cancel_days(db.session, first.registration)
    db.session.flush()
    seat = waiting.registration.seats[0]
    assert seat.status == "confirmed"
    assert waitlist_position(db.session, later.registration.seats[0]) == 1
    assert db.session.get(ForumDay, setup.public_day_id).seats_taken == 3
    promotion = _mail_to("d.four@public.example.org")[-1]
    assert promotion.kind == "promotion" and "A seat opened up" in promotion.subject
    # The seat lets them in: the ticket comes with the news, as in a confirmation.
    code = db.session.scalar(
        sa.select(Ticket.code).where(Ticket.registration_id == waiting.registration.id)
    )
    told = build.emailed(promotion)
    assert f"Your ticket code: {format_code(code)}" in told.text_body
    assert 'src="cid:ticket"' in told.html_body
    assert [a["filename"] for a in told.attachments] == ["ticket.png"]
    # What to bring, left out of their confirmation while they waited, comes with the seat.
    assert "Bring a photo ID." in told.text_body and "Bring a photo ID." in told.html_body


def test_cancelling_a_waitlisted_place_frees_no_seat(app_ctx, setup):
    for name in ["A One", "B Two", "C Three"]:
        _public(setup, name)
    waiting = _public(setup, "D Four")
    _public(setup, "E Five")
    cancel_days(db.session, waiting.registration)
    statuses = db.session.scalars(sa.select(DaySeat.status).order_by(DaySeat.id)).all()
    assert statuses == ["confirmed"] * 3 + ["cancelled", "waitlisted"]


def test_registering_again_with_the_same_email_creates_no_duplicate(app_ctx, setup):
    _public(setup, "Ada Lovelace")
    again = _public(setup, "Ada L.", email="ADA.LOVELACE@public.example.org ")
    assert not again.created
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DaySeat)) == 1
    kinds = [m.kind for m in _mail_to("ada.lovelace@public.example.org")]
    assert kinds == ["registration", "personal_link"]


def test_invalid_input_names_each_field(app_ctx, setup):
    with pytest.raises(InvalidRegistration) as caught:
        _public(setup, " ", email="not-an-email", consent=False, day_ids=[])
    assert set(caught.value.errors) == {"name", "email", "consent", "day_ids"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DaySeat)) == 0


def test_registration_window_is_respected(app_ctx, setup):
    day = db.session.get(ForumDay, setup.public_day_id)
    day.registration_opens_at = NOW + timedelta(days=2)
    with pytest.raises(RegistrationClosed, match="opens on"):
        _public(setup, "Too Early")
    day.registration_opens_at = NOW - timedelta(days=20)
    day.registration_closes_at = NOW - timedelta(minutes=1)
    with pytest.raises(RegistrationClosed, match="closed on"):
        _public(setup, "Too Late")


def test_public_cannot_register_for_a_team_only_day(app_ctx, setup):
    with pytest.raises(NotAllowed, match="community teams only"):
        _public(setup, "Curious Visitor", day_ids=[setup.team_day_id])


def test_only_roster_members_register_for_team_days(app_ctx, setup):
    forum = db.session.get(Forum, setup.forum_id)
    outsider = find_or_create_person(db.session, "Out Sider", "out@public.example.org")
    with pytest.raises(NotAllowed):
        register_team_member(db.session, forum, outsider, [setup.team_day_id], NOW)
    member = build.team_member("Tia Member")
    result = register_team_member(db.session, forum, member, [setup.team_day_id], NOW)
    assert result.days[0].status == "confirmed"


def _member_registration(setup, name, team="Buncombe County"):
    return build.team_registration(setup.forum_id, name, team, now=NOW)


def test_breakout_capacity_waitlist_and_promotion(app_ctx, setup):
    item = db.session.get(AgendaItem, setup.breakout_ids[0])
    first, second, third = (
        _member_registration(setup, n, t)
        for n, t in [("M One", "A"), ("M Two", "B"), ("M Three", "C")]
    )
    assert choose_breakout(db.session, first, item, now=NOW).status == "confirmed"
    assert choose_breakout(db.session, second, item, now=NOW).status == "confirmed"
    with pytest.raises(BreakoutFull, match="Join its waitlist or choose another"):
        choose_breakout(db.session, third, item, now=NOW)
    waiting = choose_breakout(db.session, third, item, join_waitlist=True, now=NOW)
    assert waiting.status == "waitlisted"
    assert waitlist_position(db.session, waiting) == 1
    # The first member switches to the parallel breakout: their seat goes to the waitlist.
    other = db.session.get(AgendaItem, setup.breakout_ids[1])
    choose_breakout(db.session, first, other, now=NOW)
    db.session.refresh(waiting)
    assert waiting.status == "confirmed"
    db.session.refresh(item)
    assert item.seats_taken == 2
    picks = db.session.scalars(
        sa.select(BreakoutPick).where(BreakoutPick.registration_id == first.id)
    ).all()
    assert sorted((p.item_id, p.status) for p in picks) == [
        (setup.breakout_ids[0], "cancelled"),
        (setup.breakout_ids[1], "confirmed"),
    ]


def test_one_pick_per_slot_but_each_slot_has_its_own(app_ctx, setup):
    registration = _member_registration(setup, "M One")
    for item_id in setup.breakout_ids:
        choose_breakout(db.session, registration, db.session.get(AgendaItem, item_id), now=NOW)
    active = {p.item_id for p in registration.picks if p.status == "confirmed"}
    assert active == {setup.breakout_ids[1], setup.breakout_ids[2]}


def test_picks_change_until_the_choice_deadline(app_ctx, setup):
    registration = _member_registration(setup, "M One")
    forum = db.session.get(Forum, setup.forum_id)
    forum.choice_deadline = NOW - timedelta(hours=1)
    item = db.session.get(AgendaItem, setup.breakout_ids[0])
    with pytest.raises(RegistrationClosed, match="Breakout choices closed"):
        choose_breakout(db.session, registration, item, now=NOW)
    forum.choice_deadline = NOW + timedelta(hours=1)
    assert choose_breakout(db.session, registration, item, now=NOW).status == "confirmed"


def test_team_cap_spreads_a_team_across_breakouts(app_ctx, setup):
    forum = db.session.get(Forum, setup.forum_id)
    forum.team_breakout_cap = 1
    item = db.session.get(AgendaItem, setup.breakout_ids[0])
    first = _member_registration(setup, "Same One", "Dare County")
    second = _member_registration(setup, "Same Two", "Dare County")
    other_team = _member_registration(setup, "Other One", "Pitt County")
    choose_breakout(db.session, first, item, now=NOW)
    with pytest.raises(NotAllowed, match="^1 member of your team already chose “Breakout 1”"):
        choose_breakout(db.session, second, item, now=NOW)
    assert choose_breakout(db.session, other_team, item, now=NOW).status == "confirmed"


def test_breakouts_need_a_seat_on_their_day(app_ctx, setup):
    forum = db.session.get(Forum, setup.forum_id)
    member = build.team_member("No Seat")
    registration = register_team_member(
        db.session, forum, member, [setup.public_day_id], NOW
    ).registration
    breakout = db.session.get(AgendaItem, setup.breakout_ids[0])
    with pytest.raises(NotAllowed, match="Register for that day"):
        choose_breakout(db.session, registration, breakout, now=NOW)
    # Not even an organizer's override: the seat would show nowhere on the person's page.
    with pytest.raises(NotAllowed, match="Register for that day"):
        choose_breakout(db.session, registration, breakout, now=NOW, override=True)


def test_organizer_override_goes_beyond_capacity_and_is_recorded(app_ctx, setup):
    item = db.session.get(AgendaItem, setup.breakout_ids[0])
    regs = [_member_registration(setup, f"Member {n}", f"T{n}") for n in range(3)]
    choose_breakout(db.session, regs[0], item, now=NOW)
    choose_breakout(db.session, regs[1], item, now=NOW)
    pick = choose_breakout(db.session, regs[2], item, now=NOW, override=True)
    assert pick.status == "confirmed" and pick.override
    db.session.refresh(item)
    assert (item.seats_taken, item.seats_overridden) == (3, 1)
    # A seat given back while over capacity only ends the overflow: nobody is promoted.
    drop_breakout(db.session, regs[0], regs[0].picks[0], now=NOW)
    db.session.refresh(item)
    assert (item.seats_taken, item.seats_overridden) == (2, 0)


def test_database_refuses_more_seats_than_capacity(app, setup):
    with app.app_context(), pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE forum_day SET seats_taken = 4 WHERE id = :id"),
            {"id": setup.public_day_id},
        )


def test_organizer_registers_someone_onto_a_full_day_by_override(app_ctx, setup):
    for name in ["A One", "B Two", "C Three"]:
        _public(setup, name)
    waiting = _public(setup, "D Four")
    forum = db.session.get(Forum, setup.forum_id)
    person = waiting.registration.person
    result = register_by_organizer(db.session, forum, person, [setup.public_day_id], override=True)
    seat = result.registration.seats[0]
    assert (seat.status, seat.override) == ("confirmed", True)
    day = db.session.get(ForumDay, setup.public_day_id)
    assert (day.seats_taken, day.seats_overridden) == (4, 1)
    walk_in = find_or_create_person(db.session, "New Person", "new@public.example.org")
    plain = register_by_organizer(db.session, forum, walk_in, [setup.public_day_id])
    assert plain.days[0].status == "waitlisted"


def test_public_registrants_cannot_take_team_breakout_seats(app_ctx, setup):
    forum = db.session.get(Forum, setup.forum_id)
    visitor = find_or_create_person(db.session, "Pub Lic", "pub@public.example.org")
    registration = register_by_organizer(
        db.session, forum, visitor, [setup.team_day_id]
    ).registration
    item = db.session.get(AgendaItem, setup.breakout_ids[0])
    item.confidential = True
    with pytest.raises(NotAllowed, match="community teams' members"):
        choose_breakout(db.session, registration, item, now=NOW)
    db.session.refresh(item)
    assert item.seats_taken == 0


def test_a_confirmation_whose_registration_is_now_someone_elses_is_not_written(app_ctx, setup):
    """Its row deleted and the id given to another registration (SQLite reuses the highest
    id): the queued confirmation must not carry that person's ticket and link."""
    from forumapp.mail.outbox import rendered_message

    ada = _public(setup, "Ada Lovelace").registration
    (message,) = _mail_to("ada.lovelace@public.example.org")
    assert rendered_message(db.session, message) is not None
    grace = find_or_create_person(db.session, "Grace Hopper", "grace@public.example.org")
    ada.person_id = grace.id  # what the reused id now stands for
    db.session.flush()

    assert rendered_message(db.session, message) is None
