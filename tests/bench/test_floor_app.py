"""The floor app (``bench/floor_app.py``) measures what the door and the registrations could
reach with forumapp's data model; its figures mean that only while its bare views write the
rows forumapp writes. These tests compare the two on one database, row by row of every table:
a feature that makes a registration or a check-in write more fails them until the floor
writes it too."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import func, select

from bench import dataset
from bench.floor_app import install_floor_views
from forumapp.extensions import db
from tests.conftest import make_test_app


@pytest.fixture
def floor_client(app):
    """A second app on the test database, with the floor's bare views."""
    floor = install_floor_views(make_test_app(app.config["SQLALCHEMY_DATABASE_URI"]))
    yield floor.test_client()
    with floor.app_context():
        db.session.remove()
        db.engine.dispose()


def _rows_per_table(app) -> dict[str, int]:
    with app.app_context():
        counts = {
            table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }
        db.session.remove()
    return counts


def _written_by(app, send) -> dict[str, int]:
    """The tables ``send()`` added rows to, with how many; ``send`` answers a response."""
    before = _rows_per_table(app)
    response = send()
    assert response.status_code in (201, 202), response.get_data(as_text=True)
    after = _rows_per_table(app)
    return {name: after[name] - before[name] for name in after if after[name] != before[name]}


def _registration(number: int, day_date) -> str:
    return json.dumps(
        {
            "name": f"Floor Person {number}",
            "email": f"floor{number}@public.example.org",
            "organization": "Wake County",
            "consent": True,
            "days": [day_date.isoformat()],
        }
    )


def test_the_floor_writes_the_rows_a_new_public_registration_writes(app, client, floor_client):
    with app.app_context():
        data = dataset.seed_burst(db.session, 10, dataset.STEADY_DATE)
        db.session.remove()
    path = f"/api/v1/forums/{data.forum_id}/registrations"

    def register(with_client, number):
        return lambda: with_client.post(
            path, data=_registration(number, data.day_date), content_type="application/json"
        )

    by_app = _written_by(app, register(client, 1))
    by_floor = _written_by(app, register(floor_client, 2))

    assert by_app == by_floor
    assert by_app["person"] == by_app["registration"] == by_app["outbox_message"] == 1


def test_the_floor_writes_the_rows_a_check_in_writes(app, client, floor_client):
    with app.app_context():
        data = dataset.seed_door_rush(db.session, 2)
        db.session.remove()
    headers = {"Authorization": f"Bearer {data.token}"}

    def check_in(with_client, code):
        body = {"code": code, "day": data.day_date.isoformat(), "request_id": str(uuid.uuid4())}
        return lambda: with_client.post("/api/v1/checkins", json=body, headers=headers)

    by_app = _written_by(app, check_in(client, data.codes[0]))
    by_floor = _written_by(app, check_in(floor_client, data.codes[1]))

    assert by_app == by_floor == {"check_in": 1}


def test_the_floor_refuses_malformed_requests_as_the_benchmarks_require(app, floor_client):
    with app.app_context():
        data = dataset.seed_door_rush(db.session, 1)
        db.session.remove()
    headers = {"Authorization": f"Bearer {data.token}"}
    before = _rows_per_table(app)

    broken = floor_client.post(
        "/api/v1/checkins", data='{"code": "AB', content_type="application/json", headers=headers
    )
    unknown = floor_client.post(
        "/api/v1/checkins",
        json={"code": "X" * 26, "day": data.day_date.isoformat(), "request_id": "r"},
        headers=headers,
    )
    no_token = floor_client.post("/api/v1/checkins", json={"code": data.codes[0]})

    assert (broken.status_code, unknown.status_code, no_token.status_code) == (422, 404, 401)
    assert _rows_per_table(app) == before
