"""A forum that has happened: two days, sessions, teams, people checked in (or not).

- Ana Alvarez (Buncombe County): both days, picked Breakout 1.
- Ben Brooks (Buncombe County, project manager): team day only, picked Breakout 2.
- Cy Carter (Dare County): both days, picked Breakouts 1 and 3.
- Nia Noshow (Dare County): registered for both days, never checked in.
- Pat Public: the public day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta

import pytest

from forumapp.agenda.models import AgendaItem
from forumapp.checkin.scanning import check_in_registration
from forumapp.core.clock import to_local, utcnow
from forumapp.core.links import personal_token
from forumapp.core.models import Forum, Person, Team
from forumapp.extensions import db
from forumapp.feedback import answering, window
from forumapp.registration.breakouts import choose_breakout
from forumapp.registration.models import Registration

from .. import builders as build
from ..registration.conftest import NOW, make_forum


@dataclass
class World:
    forum_id: int
    public_day_id: int
    team_day_id: int
    items: dict[str, int]
    registrations: dict[str, int]
    people: dict[str, int]
    teams: dict[str, int]

    def registration(self, name: str) -> Registration:
        return db.session.get(Registration, self.registrations[name])

    def person(self, name: str) -> Person:
        return db.session.get(Person, self.people[name])

    def forum(self) -> Forum:
        return db.session.get(Forum, self.forum_id)

    def token(self, name: str) -> str:
        return personal_token(self.person(name))


def closes_in(days: int = 7):
    """A local wall-clock time ``days`` from now, as the organizer's form gives it."""
    return (to_local(utcnow(), "America/New_York") + timedelta(days=days)).replace(
        tzinfo=None, second=0, microsecond=0
    )


def build_world(open_feedback: bool = True) -> World:
    setup = make_forum(public_capacity=50, breakout_capacity=10)
    forum = db.session.get(Forum, setup.forum_id)
    public_day, team_day = forum.days
    b1, b2, b3 = setup.breakout_ids
    items = {
        "Opening": build.item(
            public_day, "Opening general session", time(9), time(10), kind="general_session"
        ).id,
        "Panel": build.item(public_day, "Team panel", time(11), time(12), kind="panel").id,
        "Lunch": build.item(public_day, "Lunch", time(12), time(13), kind="break").id,
        "Welcome": build.item(
            team_day, "Team day welcome", time(9), time(10), kind="general_session"
        ).id,
        "Cancelled": build.item(
            team_day,
            "Cancelled talk",
            time(15),
            time(16),
            kind="general_session",
            status="cancelled",
        ).id,
        "Breakout 1": b1,
        "Breakout 2": b2,
        "Breakout 3": b3,
    }
    both = [public_day.id, team_day.id]
    people, regs = {}, {}
    for name, team, role, picks in [
        ("Ana Alvarez", "Buncombe County", "member", [b1]),
        ("Ben Brooks", "Buncombe County", "project_manager", [b2]),
        ("Cy Carter", "Dare County", "member", [b1, b3]),
        ("Nia Noshow", "Dare County", "member", []),
    ]:
        person = build.team_member(name, team, role)
        reg = build.team_registration(forum, person, day_ids=both, now=NOW)
        for item_id in picks:
            choose_breakout(db.session, reg, db.session.get(AgendaItem, item_id), now=NOW)
        people[name], regs[name] = person.id, reg.id
    pat = build.public_registration(forum, "Pat Public", "pat@public.example.org", now=NOW)
    people["Pat Public"], regs["Pat Public"] = pat.person_id, pat.id

    for name, days in [
        ("Ana Alvarez", [public_day, team_day]),
        ("Ben Brooks", [team_day]),
        ("Cy Carter", [public_day, team_day]),
        ("Pat Public", [public_day]),
    ]:
        for day in days:
            outcome = check_in_registration(
                db.session, db.session.get(Registration, regs[name]), day, None
            )
            assert outcome.result == "checked_in", outcome.message
    if open_feedback:
        window.open_feedback(db.session, forum, closes_in(7))
    teams = {team.name: team.id for team in db.session.scalars(db.select(Team))}
    db.session.flush()
    return World(forum.id, public_day.id, team_day.id, items, regs, people, teams)


def answers(overall=4, sessions=None, **fields) -> answering.FeedbackInput:
    """Feedback input: ``sessions`` maps item ids to a rating or (rating, comment)."""
    answered = {}
    for item_id, answer in (sessions or {}).items():
        rating, comment = answer if isinstance(answer, tuple) else (answer, "")
        answered[item_id] = answering.SessionAnswer(rating, comment)
    return answering.FeedbackInput(overall_rating=overall, sessions=answered, **fields)


@pytest.fixture
def world(app_ctx) -> World:
    """The forum, inside an app context (services tests)."""
    return build_world()


@pytest.fixture
def committed_world(app) -> World:
    """The forum, committed (page tests)."""
    with app.app_context():
        built = build_world()
        db.session.commit()
        return built
