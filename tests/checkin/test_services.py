"""Door rules: every scan result, forged and replaced codes, days, walk-ins, undo, breakouts."""

import pytest
import sqlalchemy as sa

from forumapp.agenda.models import AgendaItem
from forumapp.checkin.breakouts import breakout_scan, breakout_table_with_door_counts
from forumapp.checkin.counts import live_counts
from forumapp.checkin.lookup import lookup
from forumapp.checkin.models import BreakoutAttendance, CheckIn
from forumapp.checkin.scanning import check_in_registration, scan, undo_check_in
from forumapp.checkin.tickets import (
    format_code,
    new_code,
    normalise_code,
    reissue_ticket,
    ticket_for,
)
from forumapp.checkin.walkins import WalkInError, walk_in
from forumapp.core.i18n import format_local_time
from forumapp.core.models import Forum, ForumDay
from forumapp.extensions import db
from forumapp.registration.breakouts import choose_breakout
from forumapp.registration.errors import InvalidRegistration
from forumapp.registration.registering import cancel_days, register_team_member

from .. import builders as build
from ..registration.conftest import NOW, make_forum


@pytest.fixture
def door(app_ctx):
    setup = make_forum(public_capacity=2)
    user = build.staff_user("door", "door@staff.example.org", "Dana Door", "door password")
    return setup, user


def _register_public(setup, name):
    return build.public_registration(setup.forum_id, name, now=NOW)


def _day(setup, which="public"):
    return db.session.get(ForumDay, setup.public_day_id if which == "public" else setup.team_day_id)


def test_codes_are_long_random_and_free_of_look_alikes(door):
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == 26 and not set(code) & set("OILU")
    code = next(iter(codes))
    typed = format_code(code).lower().replace("0", "o").replace("1", "l")
    assert normalise_code(typed) == code


def test_scan_checks_in_then_says_already_checked_in_with_when_and_by_whom(door):
    setup, user = door
    reg = _register_public(setup, "Ada Lovelace")
    code = ticket_for(db.session, reg).code
    first = scan(db.session, code, _day(setup), user.id)
    assert first.result == "checked_in" and "Welcome, Ada Lovelace" in first.message
    second = scan(db.session, code, _day(setup), user.id)
    assert second.result == "already_checked_in"
    assert "already checked in at" in second.message and "by Dana Door" in second.message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 1


def test_a_retried_request_is_answered_the_same_and_counted_once(door):
    setup, user = door
    reg = _register_public(setup, "Ada Lovelace")
    code = ticket_for(db.session, reg).code
    first = scan(db.session, code, _day(setup), user.id, request_id="scan-123")
    retry = scan(db.session, code, _day(setup), user.id, request_id="scan-123")
    assert first.result == retry.result == "checked_in"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 1


@pytest.mark.parametrize("raw", ["", "hello", "X" * 26, "0123456789ABCDEFGHJKMNPQR$"])
def test_made_up_codes_are_invalid(door, raw):
    setup, user = door
    assert scan(db.session, raw, _day(setup), user.id).result == "invalid"


def test_an_altered_code_is_invalid(door):
    setup, user = door
    code = ticket_for(db.session, _register_public(setup, "Ada Lovelace")).code
    altered = code[:-1] + ("0" if code[-1] != "0" else "1")
    outcome = scan(db.session, altered, _day(setup), user.id)
    assert outcome.result == "invalid" and "Unknown code" in outcome.message


def test_a_replaced_code_is_refused_and_the_new_one_works(door):
    setup, user = door
    reg = _register_public(setup, "Ada Lovelace")
    old = ticket_for(db.session, reg).code
    new = reissue_ticket(db.session, reg).code
    refused = scan(db.session, old, _day(setup), user.id)
    assert refused.result == "invalid" and "replaced by a newer one" in refused.message
    assert scan(db.session, new, _day(setup), user.id).result == "checked_in"


def test_waitlisted_and_cancelled_people_are_not_let_in(door):
    setup, user = door
    _register_public(setup, "A One")
    cancelled = _register_public(setup, "B Two")
    waiting = _register_public(setup, "C Three")
    wait_code = ticket_for(db.session, waiting).code
    outcome = scan(db.session, wait_code, _day(setup), user.id)
    assert outcome.result == "waitlisted" and "number 1 on the waitlist" in outcome.message
    code = ticket_for(db.session, cancelled).code
    cancel_days(db.session, cancelled)
    outcome = scan(db.session, code, _day(setup), user.id)
    assert outcome.result == "cancelled"
    # The cancellation promoted the waiting person, who can now come in.
    assert scan(db.session, wait_code, _day(setup), user.id).result == "checked_in"


def test_each_day_is_checked_in_separately(door):
    setup, user = door
    forum = db.session.get(Forum, setup.forum_id)
    reg = build.team_registration(forum, "Tia Member", now=NOW)
    member = reg.person
    code = build.ticket_code(reg)
    not_today = scan(db.session, code, _day(setup, "public"), user.id)
    assert not_today.result == "not_registered_for_day"
    assert "registered for Tuesday, March 16" in not_today.message
    register_team_member(db.session, forum, member, [setup.public_day_id], NOW)
    db.session.expire(reg)
    assert scan(db.session, code, _day(setup, "public"), user.id).result == "checked_in"
    assert scan(db.session, code, _day(setup, "team"), user.id).result == "checked_in"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 2


def test_a_ticket_for_another_forum_is_refused(door):
    setup, user = door
    reg = _register_public(setup, "Ada Lovelace")
    code = ticket_for(db.session, reg).code
    other = build.forum(number=6)
    outcome = scan(db.session, code, other.days[0], user.id)
    assert outcome.result == "not_registered_for_day" and "not this forum" in outcome.message


def test_undo_is_recorded_and_allows_a_new_check_in(door):
    setup, user = door
    reg = _register_public(setup, "Ada Lovelace")
    code = ticket_for(db.session, reg).code
    outcome = scan(db.session, code, _day(setup), user.id)
    undo_check_in(db.session, outcome.check_in, user.id)
    assert outcome.check_in.undone_at is not None and outcome.check_in.undone_by_id == user.id
    assert scan(db.session, code, _day(setup), user.id).result == "checked_in"
    rows = db.session.scalars(sa.select(CheckIn).order_by(CheckIn.id)).all()
    assert [r.undone_at is None for r in rows] == [False, True]


def test_database_allows_only_one_live_check_in_per_day(door):
    setup, user = door
    reg = _register_public(setup, "Ada Lovelace")
    db.session.add(CheckIn(registration_id=reg.id, day_id=setup.public_day_id))
    db.session.flush()
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.add(CheckIn(registration_id=reg.id, day_id=setup.public_day_id))


def test_walk_in_respects_capacity_unless_overridden(door):
    setup, user = door
    _register_public(setup, "A One")
    first = walk_in(
        db.session, _day(setup), "Walk In", "walk@public.example.org", "Town of Cary", user.id
    )
    assert first.result == "checked_in"
    full = walk_in(db.session, _day(setup), "Late Comer", "late@public.example.org", "", user.id)
    assert full.result == "waitlisted" and "Override capacity" in full.message
    forced = walk_in(
        db.session, _day(setup), "Late Comer", "late@public.example.org", "", user.id, override=True
    )
    assert forced.result == "checked_in"
    day = _day(setup)
    db.session.refresh(day)
    assert (day.seats_taken, day.seats_overridden) == (3, 1)


def test_walk_ins_only_on_public_days_and_with_valid_details(door):
    setup, user = door
    with pytest.raises(WalkInError):
        walk_in(db.session, _day(setup, "team"), "X", "x@public.example.org", "", user.id)
    with pytest.raises(InvalidRegistration) as caught:
        walk_in(db.session, _day(setup), "", "nope", "", user.id)
    assert set(caught.value.errors) == {"name", "email"}


def test_breakout_door_says_whether_the_person_chose_it(door):
    setup, user = door
    forum = db.session.get(Forum, setup.forum_id)
    items = [db.session.get(AgendaItem, i) for i in setup.breakout_ids]
    regs = [
        build.team_registration(forum, f"Member {n}", team, now=NOW)
        for n, team in enumerate(["A", "B", "C", "D"])
    ]
    choose_breakout(db.session, regs[0], items[0], now=NOW)
    choose_breakout(db.session, regs[1], items[0], now=NOW)
    choose_breakout(db.session, regs[2], items[0], join_waitlist=True, now=NOW)
    choose_breakout(db.session, regs[3], items[1], now=NOW)
    codes = [ticket_for(db.session, r).code for r in regs]
    results = [breakout_scan(db.session, c, items[0], user.id)[0] for c in codes]
    assert results == ["confirmed", "confirmed", "waitlisted", "other"]
    assert breakout_scan(db.session, codes[0], items[2], user.id)[0] == "none"
    again = breakout_scan(db.session, codes[0], items[0], user.id)  # twice: one row
    first = db.session.scalar(
        sa.select(BreakoutAttendance.scanned_at).where(
            BreakoutAttendance.registration_id == regs[0].id,
            BreakoutAttendance.item_id == items[0].id,
        )
    )
    assert again[1].endswith(
        f"chose this breakout. First scanned in here at {format_local_time(first, build.ZONE)}."
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BreakoutAttendance)) == 5

    # The organizer's breakout table counts the people scanned in at each door.
    table = breakout_table_with_door_counts(db.session, forum)
    assert [table.checked_in(item) for item in items] == [4, 0, 1]


def test_lookup_matches_percent_and_underscore_literally(door):
    setup, _user = door
    _register_public(setup, "Ada Lovelace")
    _register_public(setup, "Grace_Hopper")
    assert lookup(db.session, _day(setup), "%%") == []
    rows = lookup(db.session, _day(setup), "e_h")
    assert [r.registration.person.name for r in rows] == ["Grace_Hopper"]
    assert lookup(db.session, _day(setup), "a_l") == []  # not "Ada Lovelace"


def test_lookup_and_live_counts(door):
    setup, user = door
    ada = _register_public(setup, "Ada Lovelace")
    _register_public(setup, "Grace Hopper")
    rows = lookup(db.session, _day(setup), "lovel")
    assert [r.registration.person.name for r in rows] == ["Ada Lovelace"]
    assert rows[0].seat.status == "confirmed" and rows[0].check_in is None
    check_in_registration(db.session, ada, _day(setup), user.id, "lookup")
    counts = live_counts(db.session, _day(setup))
    assert (counts.checked_in, counts.expected) == (1, 2)
    # The public are on no team: a row of their own, so the rows add up to the day's totals.
    assert counts.per_team == [("On no team", 1, 2)]
    assert sum(n for _, n in counts.arrivals) == 1


def test_a_new_registrations_ticket_is_made_once_and_found_again_after_the_commit(app_ctx):
    """A registration this transaction made gets its ticket without a lookup; once committed,
    the same session looks again and finds that ticket rather than making a second."""
    from forumapp.checkin.models import Ticket
    from forumapp.checkin.tickets import ticket_for

    setup = make_forum()
    forum = db.session.get(Forum, setup.forum_id)
    registration = build.public_registration(forum, "Nia New", now=NOW)
    first = ticket_for(db.session, registration)
    db.session.commit()
    db.session.info.pop("forumapp_live_tickets", None)  # as a later request would start
    assert ticket_for(db.session, registration).id == first.id
    live = sa.select(sa.func.count(Ticket.id)).where(
        Ticket.registration_id == registration.id, Ticket.voided_at.is_(None)
    )
    assert db.session.scalar(live) == 1
