"""Shared set-up for registration tests: a published forum with a public and a team day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pytest

from forumapp.extensions import db

from .. import builders as build

NOW = datetime(2027, 2, 1, 15, 0, tzinfo=UTC)


@dataclass
class Setup:
    forum_id: int
    public_day_id: int
    team_day_id: int
    breakout_ids: list[int]
    room_ids: list[int]


def make_forum(public_capacity: int | None = 3, breakout_capacity: int = 2) -> Setup:
    forum = build.forum(number=5, days=((date(2027, 3, 15), "public"), (date(2027, 3, 16), "team")))
    public_day, team_day = forum.days
    for day in forum.days:
        day.registration_opens_at = NOW - timedelta(days=30)
        day.registration_closes_at = NOW + timedelta(days=30)
    public_day.capacity = public_capacity
    rooms = [build.room(forum, f"Room {c}", 30) for c in "AB"]
    breakouts = [
        build.item(
            team_day, f"Breakout {n}", time(10, 30), time(11, 45), room, capacity=breakout_capacity
        )
        for n, room in zip("12", rooms, strict=True)
    ]
    breakouts.append(
        build.item(team_day, "Breakout 3", time(13), time(14), rooms[0], capacity=breakout_capacity)
    )
    db.session.flush()
    return Setup(
        forum.id, public_day.id, team_day.id, [b.id for b in breakouts], [r.id for r in rooms]
    )


@pytest.fixture
def setup(app):
    with app.app_context():
        built = make_forum()
        db.session.commit()
        return built


@pytest.fixture
def windows_open_now(app, setup):
    """Registration open by the real clock (the shared set-up uses a fixed one), for tests
    that go through pages, which read the real clock."""
    from forumapp.core.clock import utcnow
    from forumapp.core.models import ForumDay

    with app.app_context():
        for day in db.session.scalars(db.select(ForumDay)):
            day.registration_opens_at = utcnow() - timedelta(days=1)
            day.registration_closes_at = utcnow() + timedelta(days=30)
        db.session.commit()
