"""A published forum whose days are counted from today, so the interpreter booking deadline
(10 days before each day) has passed for the near days and not for the far one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from forumapp.core.clock import local_today
from forumapp.extensions import db

from .. import builders as build

SPANISH = {"language": {"needs": ["spanish_interpreter"], "other": ""}}


def answers(*needs: str, other: str = "") -> dict:
    """What the language question's answers look like to the registration services."""
    return {"language": {"needs": list(needs), "other": other}}


@dataclass
class Days:
    forum_id: int
    near_day_id: int  # public, in 5 days: its booking deadline has passed
    far_day_id: int  # public, in 20 days: its deadline is 10 days away
    team_day_id: int  # teams only, in 6 days


@pytest.fixture
def days(app) -> Days:
    today = local_today(build.ZONE)
    with app.app_context():
        forum = build.forum(
            number=7,
            days=(
                (today + timedelta(days=5), "public"),
                (today + timedelta(days=6), "team"),
                (today + timedelta(days=20), "public"),
            ),
        )
        near, team, far = forum.days
        db.session.commit()
        return Days(forum.id, near.id, far.id, team.id)
