"""Session doors and the entrance's exit mode, as pages: who may open them, and a scan posted
without JavaScript recorded in the mode shown."""

from __future__ import annotations

import re
from datetime import date
from types import SimpleNamespace

import sqlalchemy as sa

from forumapp.attendance.models import PresenceScan
from forumapp.extensions import db
from forumapp.registration.breakouts import choose_breakout

from .. import builders as build
from ..conftest import csrf_token
from .conftest import at, build_world, check_in


def _world(app) -> SimpleNamespace:
    with app.app_context():
        world = build_world()
        ada = check_in(world, "Ada Lovelace", at(8, 50))
        ids = SimpleNamespace(
            day=world.day.id,
            general=world.general.id,
            lunch=world.lunch.id,
            code=build.ticket_code(ada),
        )
        db.session.commit()
        db.session.remove()
    return ids


def _directions(app) -> list[tuple]:
    with app.app_context():
        return list(
            db.session.execute(
                sa.select(PresenceScan.item_id, PresenceScan.direction).order_by(PresenceScan.id)
            )
        )


def test_a_scan_posted_as_a_form_is_recorded_in_the_pages_mode(app, client, signed_in):
    ids = _world(app)
    signed_in("organizer")
    for mode, path in (("entry", ""), ("exit", "?mode=exit")):
        page = f"/door/sessions/{ids.general}{path}"
        assert f'data-mode="{mode}"' in client.get(page).get_data(as_text=True)
        response = client.post(
            f"/door/sessions/{ids.general}/scan{path}",
            data={
                "code": ids.code,
                "request_id": f"scan-{mode}-0001",
                "csrf_token": csrf_token(client, page),
            },
        )
        assert response.status_code == 303
    exit_page = f"/door/days/{ids.day}/exit"
    client.post(
        f"/door/days/{ids.day}/exit/scan",
        data={
            "code": ids.code,
            "request_id": "scan-out-0001",
            "csrf_token": csrf_token(client, exit_page),
        },
    )
    assert _directions(app) == [(ids.general, "entry"), (ids.general, "exit"), (None, "exit")]
    assert "Ada Lovelace left the building" in client.get(exit_page).get_data(as_text=True)


def test_door_staff_open_session_doors_of_today_only_and_never_a_meals(
    app, client, signed_in, today_is
):
    ids = _world(app)
    signed_in("door")
    today_is(date(2027, 3, 14))
    assert client.get(f"/door/sessions/{ids.general}").status_code == 404
    assert client.get(f"/door/days/{ids.day}/exit").status_code == 403  # another day: when it opens
    today_is(date(2027, 3, 15))
    assert client.get(f"/door/sessions/{ids.general}").status_code == 200
    assert client.get(f"/door/days/{ids.day}/exit").status_code == 200
    assert client.get(f"/door/sessions/{ids.lunch}").status_code == 404
    assert client.get("/door/sessions/999999").status_code == 404


def test_a_breakouts_session_door_shows_what_the_person_chose_as_its_breakout_door_does(
    app, client, signed_in
):
    with app.app_context():
        world = build_world()
        grace = check_in(world, "Grace Hopper", at(8, 50))
        choose_breakout(db.session, grace, world.breakout_a, override=True)
        code, other = build.ticket_code(grace), world.breakout_b.id
        db.session.commit()
    signed_in("organizer")
    page = client.get(f"/door/sessions/{other}").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)

    answer = client.post(
        f"/door/sessions/{other}/scan",
        json={"code": code, "request_id": "scan-grace-0001"},
        headers={"X-CSRFToken": token},
    ).get_json()

    assert (answer["tone"], answer["title"]) == ("warn", "Scanned in: chose another breakout")
    assert answer["message"] == "Grace Hopper chose another breakout: “Naloxone in schools”."
    assert _directions(app) == [(other, "entry")]
