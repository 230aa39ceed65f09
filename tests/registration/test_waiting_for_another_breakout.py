"""A team member who holds a seat in one breakout and chooses a full one in the same slot keeps
the seat while waiting; when a seat opens in the full one they move, and their old seat goes
to the next person waiting there."""

from __future__ import annotations

import html
import re
from datetime import time
from types import SimpleNamespace

import sqlalchemy as sa

from forumapp.agenda.models import AgendaItem
from forumapp.core.links import personal_token
from forumapp.extensions import db
from forumapp.mail.models import OutboxMessage
from forumapp.registration.breakouts import breakout_slots, choose_breakout, drop_breakout
from forumapp.registration.models import BreakoutPick
from forumapp.registration.seats import waitlist_position

from .. import builders as build
from ..conftest import csrf_token
from .conftest import NOW
from .test_services import _member_registration


def _statuses(registration) -> dict[int, str]:
    picks = db.session.scalars(
        sa.select(BreakoutPick).where(BreakoutPick.registration_id == registration.id)
    ).all()
    return {pick.item_id: pick.status for pick in picks}


def _choose(registration, item_id: int):
    item = db.session.get(AgendaItem, item_id)
    return choose_breakout(db.session, registration, item, join_waitlist=True, now=NOW)


def _full_slot(setup):
    """Breakouts 1 and 2 run at the same time, 2 seats each: Ada sits in 1, and 2 is full."""
    first, second, _later = setup.breakout_ids
    ada = _member_registration(setup, "Ada Lovelace", "A")
    _choose(ada, first)
    holders = [_member_registration(setup, f"Holder {n}", f"T{n}") for n in (1, 2)]
    for holder in holders:
        _choose(holder, second)
    return ada, holders, first, second


def test_choosing_a_full_breakout_keeps_your_seat_while_you_wait(app_ctx, setup):
    ada, _holders, first, second = _full_slot(setup)

    waiting = _choose(ada, second)

    assert waiting.status == "waitlisted"
    assert _statuses(ada) == {first: "confirmed", second: "waitlisted"}
    assert db.session.get(AgendaItem, first).seats_taken == 1


def test_when_a_seat_opens_you_move_and_your_old_seat_goes_to_the_next_in_line(app_ctx, setup):
    ada, holders, first, second = _full_slot(setup)
    _choose(ada, second)
    # Breakout 1 fills up behind Ada, with one more person waiting.
    _choose(_member_registration(setup, "Bo Diaz", "B"), first)
    next_in_line = _member_registration(setup, "Cy Dunn", "C")
    assert _choose(next_in_line, first).status == "waitlisted"

    drop_breakout(db.session, holders[0], holders[0].picks[0], now=NOW)

    assert _statuses(ada) == {first: "cancelled", second: "confirmed"}
    assert _statuses(next_in_line) == {first: "confirmed"}
    assert db.session.get(AgendaItem, first).seats_taken == 2
    told = db.session.scalar(
        sa.select(OutboxMessage.text_body).where(
            OutboxMessage.to_email == ada.person.email, OutboxMessage.kind == "promotion"
        )
    )
    assert "Breakout 2" in told
    assert "You gave up your seat in “Breakout 1”, at the same time: it is free for someone" in told


def test_choosing_your_seat_again_gives_up_the_waitlist(app_ctx, setup):
    ada, _holders, first, second = _full_slot(setup)
    _choose(ada, second)

    assert _choose(ada, first).status == "confirmed"

    assert _statuses(ada) == {first: "confirmed", second: "cancelled"}


def test_choosing_a_free_breakout_ends_both_the_seat_and_the_wait(app_ctx, setup):
    ada, _holders, first, second = _full_slot(setup)
    _choose(ada, second)
    day = db.session.get(AgendaItem, second).day
    free = build.item(day, "Breakout 4", time(10, 30), time(11, 45), capacity=5)
    db.session.flush()

    assert _choose(ada, free.id).status == "confirmed"

    assert _statuses(ada) == {first: "cancelled", second: "cancelled", free.id: "confirmed"}


def test_the_personal_page_shows_the_seat_kept_while_waiting(app, client, setup):
    with app.app_context():
        ada, _holders, first, second = _full_slot(setup)
        token = personal_token(ada.person)
        db.session.commit()
    page = f"/me/{token}"

    response = client.post(
        f"/me/{token}/forums/{setup.forum_id}/breakouts",
        data={"csrf_token": csrf_token(client, page), _slot_field(app, second): str(second)},
    )

    shown = html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "“Breakout 2” is full: you're number 1 on its waitlist." in shown
    assert "You keep your seat in “Breakout 1” until then." in shown
    assert "You have a seat here until one opens in “Breakout 2”" in shown
    assert re.search(rf'value="{second}" id="item-{second}" checked', shown)
    assert not re.search(rf'value="{first}" id="item-{first}" checked', shown)


def _slot_field(app, item_id: int) -> str:
    with app.app_context():
        item = db.session.get(AgendaItem, item_id)
        return f"slot-{item.day_id}-{int(item.starts_at.timestamp())}"


def test_breakouts_that_overlap_are_one_slot_even_when_they_start_apart(app, client, setup):
    """Sending the page back unchanged keeps a waitlist place where it is."""
    with app.app_context():
        first = setup.breakout_ids[0]  # 10:30-11:45
        day = db.session.get(AgendaItem, first).day
        late = build.item(day, "Late start", time(11), time(12), capacity=1).id
        db.session.flush()
        assert [len(items) for _start, items in breakout_slots(db.session, day.forum, day)] == [
            3,
            1,
        ]
        _choose(_member_registration(setup, "Holder One", "H"), late)
        ada = _member_registration(setup, "Ada Lovelace", "A")
        _choose(ada, first)
        assert _choose(ada, late).status == "waitlisted"
        assert _choose(_member_registration(setup, "Bo Diaz", "B"), late).status == "waitlisted"
        token, ada_id = personal_token(ada.person), ada.id
        db.session.commit()
    page = client.get(f"/me/{token}").get_data(as_text=True)
    checked = dict(re.findall(r'name="(slot-[^"]+)" value="(\d+)" id="item-\d+" checked', page))
    assert list(checked.values()) == [str(late)]  # one slot, showing what Ada waits for

    client.post(
        f"/me/{token}/forums/{setup.forum_id}/breakouts",
        data={**checked, "csrf_token": csrf_token(client, f"/me/{token}")},
    )

    with app.app_context():
        assert _statuses(SimpleNamespace(id=ada_id)) == {first: "confirmed", late: "waitlisted"}
        waiting = db.session.scalar(
            sa.select(BreakoutPick).filter_by(registration_id=ada_id, item_id=late)
        )
        assert waitlist_position(db.session, waiting) == 1
