"""Who a group message reaches, checked on the demo program against SQL written apart from
the app's own query: each filter, combinations, nobody twice, cancelled and erased left out."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from forumapp.core.models import Forum, Team
from forumapp.extensions import db
from forumapp.messages.audience import Audience, check_audience, recipients
from forumapp.messages.errors import MessageError

from ..conftest import make_test_app

ACTIVE = "s.status IN ('confirmed', 'waitlisted')"
NOT_ERASED = "p.email NOT LIKE '%@erased.invalid'"


@pytest.fixture(scope="module")
def demo(fresh_database):
    """An app of its own with the demo program loaded once."""
    application = make_test_app(fresh_database())
    with application.app_context():
        upgrade()
    result = application.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


def _people(sql: str, **params) -> set[int]:
    return set(db.session.execute(sa.text(sql), params).scalars())


def _base(extra: str = "", status: str = ACTIVE) -> str:
    return (
        "SELECT DISTINCT r.person_id FROM registration r JOIN person p ON p.id = r.person_id "
        f"JOIN day_seat s ON s.registration_id = r.id WHERE r.forum_id = :forum AND {status} "
        f"AND {NOT_ERASED} {extra}"
    )


def _reached(forum: Forum, **audience) -> list[int]:
    return [
        recipient.person.id for recipient in recipients(db.session, forum, Audience(**audience))
    ]


def _held_forum() -> Forum:
    """The demo forum that has happened: check-ins, picks and feedback."""
    return db.session.scalars(sa.select(Forum).order_by(Forum.number)).first()


def test_each_filter_reaches_exactly_the_people_sql_counts(demo):
    forum = _held_forum()
    day = forum.days[0]
    team = db.session.scalars(sa.select(Team).order_by(Team.name)).first()
    breakout = db.session.execute(
        sa.text(
            "SELECT i.id FROM agenda_item i JOIN breakout_pick b ON b.item_id = i.id "
            "WHERE i.day_id = :day AND b.status = 'confirmed' GROUP BY i.id ORDER BY i.id"
        ),
        {"day": day.id},
    ).scalar()
    expected = {
        "days": (
            {"days": (day.date,)},
            _people(_base("AND s.day_id = :day"), forum=forum.id, day=day.id),
        ),
        "sessions": (
            {"sessions": (breakout,)},
            _people(
                _base(
                    "AND EXISTS (SELECT 1 FROM breakout_pick b WHERE b.registration_id = r.id "
                    "AND b.item_id = :item AND b.status = 'confirmed')"
                ),
                forum=forum.id,
                item=breakout,
            ),
        ),
        "teams": (
            {"teams": (team.id,)},
            _people(
                _base(
                    "AND EXISTS (SELECT 1 FROM team_membership m WHERE m.person_id = r.person_id"
                    " AND m.team_id = :team)"
                ),
                forum=forum.id,
                team=team.id,
            ),
        ),
        "project managers": (
            {"roles": ("project_manager",)},
            _people(
                _base(
                    "AND EXISTS (SELECT 1 FROM team_membership m WHERE m.person_id = r.person_id"
                    " AND m.role = 'project_manager')"
                ),
                forum=forum.id,
            ),
        ),
        "confirmed": (
            {"status": ("confirmed",)},
            _people(_base(status="s.status = 'confirmed'"), forum=forum.id),
        ),
        "checked in": (
            {"status": ("checked_in",)},
            _people(
                _base("AND EXISTS (SELECT 1 FROM check_in c WHERE c.registration_id = r.id)"),
                forum=forum.id,
            ),
        ),
        "not checked in": (
            {"status": ("not_checked_in",)},
            _people(
                _base("AND NOT EXISTS (SELECT 1 FROM check_in c WHERE c.registration_id = r.id)"),
                forum=forum.id,
            ),
        ),
        "checked in without feedback": (
            {"status": ("checked_in", "no_feedback")},
            _people(
                _base(
                    "AND EXISTS (SELECT 1 FROM check_in c WHERE c.registration_id = r.id) "
                    "AND NOT EXISTS (SELECT 1 FROM feedback_response f "
                    "WHERE f.registration_id = r.id)"
                ),
                forum=forum.id,
            ),
        ),
    }
    for name, (audience, people) in expected.items():
        reached = _reached(forum, **audience)
        assert people, f"the demo has nobody for {name}: the check would prove nothing"
        assert len(reached) == len(set(reached)), f"{name}: someone reached twice"
        assert set(reached) == people, name


def test_filters_combine_with_and_and_values_with_or(demo):
    forum = _held_forum()
    teams = db.session.scalars(sa.select(Team).order_by(Team.name).limit(2)).all()
    either = set(_reached(forum, teams=(teams[0].id, teams[1].id)))
    assert either == set(_reached(forum, teams=(teams[0].id,))) | set(
        _reached(forum, teams=(teams[1].id,))
    )
    managers_of_first = set(_reached(forum, teams=(teams[0].id,), roles=("project_manager",)))
    assert managers_of_first
    assert managers_of_first == set(_reached(forum, teams=(teams[0].id,))) & set(
        _reached(forum, roles=("project_manager",))
    )


def test_cancelled_and_erased_people_are_never_reached(demo):
    forum = _held_forum()
    reached = _reached(forum, days=tuple(day.date for day in forum.days))
    cancelled_only = _people(
        "SELECT r.person_id FROM registration r WHERE r.forum_id = :forum AND NOT EXISTS "
        "(SELECT 1 FROM day_seat s WHERE s.registration_id = r.id AND " + ACTIVE + ")",
        forum=forum.id,
    )
    erased = _people(
        "SELECT r.person_id FROM registration r JOIN person p ON p.id = r.person_id "
        "WHERE r.forum_id = :forum AND p.email LIKE '%@erased.invalid'",
        forum=forum.id,
    )
    assert not (set(reached) & (cancelled_only | erased))


@pytest.mark.parametrize(
    ("audience", "field"),
    [
        (Audience(), "audience"),
        (Audience(days=(date(1999, 1, 1),)), "audience.days"),
        (Audience(sessions=(999_999,)), "audience.sessions"),
        (Audience(teams=(999_999,)), "audience.teams"),
        (Audience(roles=("mayor",)), "audience.roles"),
        (Audience(status=("asleep",)), "audience.status"),
    ],
)
def test_an_audience_that_is_empty_or_not_the_forums_is_refused(demo, audience, field):
    with pytest.raises(MessageError) as refused:
        check_audience(db.session, _held_forum(), audience)
    assert refused.value.field == field
