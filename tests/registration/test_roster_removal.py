"""A member taken off their team's roster gives up their places on the team days still to
come (team-only days are for the teams), not their public days; someone still on another
team of the program keeps everything."""

from __future__ import annotations

import sqlalchemy as sa

from forumapp.agenda.models import AgendaItem
from forumapp.core.models import Person, Team
from forumapp.extensions import db
from forumapp.registration.breakouts import choose_breakout
from forumapp.registration.models import BreakoutPick, DaySeat
from forumapp.registration.rosters import remove_roster_member

from .. import builders as build
from .conftest import NOW


def _seat_statuses(registration) -> dict[int, str]:
    return dict(
        db.session.execute(
            sa.select(DaySeat.day_id, DaySeat.status).where(
                DaySeat.registration_id == registration.id
            )
        ).all()
    )


def _team(name: str) -> Team:
    return db.session.scalar(sa.select(Team).filter_by(name=name))


def test_a_removed_member_gives_up_team_days_and_breakouts_but_keeps_public_days(app_ctx, setup):
    manager = build.team_member("Pat Manager", role="project_manager")
    leaving = build.team_registration(
        setup.forum_id,
        "Lee Leaving",
        day_ids=[setup.public_day_id, setup.team_day_id],
        now=NOW,
    )
    breakout = db.session.get(AgendaItem, setup.breakout_ids[0])
    choose_breakout(db.session, leaving, breakout, now=NOW)
    choose_breakout(
        db.session,
        build.team_registration(setup.forum_id, "Sam Second", now=NOW),
        breakout,
        now=NOW,
    )
    waiting = build.team_registration(setup.forum_id, "Wes Waiting", "Dare County", now=NOW)
    assert choose_breakout(db.session, waiting, breakout, join_waitlist=True, now=NOW).status == (
        "waitlisted"
    )

    removed = remove_roster_member(
        db.session, _team("Buncombe County"), leaving.person_id, manager, now=NOW
    )

    assert removed.name == "Lee Leaving"
    assert [day.isoformat() for day in removed.released_days] == ["2027-03-16"]
    assert _seat_statuses(leaving) == {
        setup.public_day_id: "confirmed",
        setup.team_day_id: "cancelled",
    }
    picks = db.session.scalars(
        sa.select(BreakoutPick.status)
        .where(BreakoutPick.item_id == breakout.id)
        .order_by(BreakoutPick.id)
    ).all()
    assert picks == ["cancelled", "confirmed", "confirmed"]  # the seat went to Wes, waiting


def test_a_member_still_on_another_team_of_the_program_keeps_their_places(app_ctx, setup):
    manager = build.team_member("Pat Manager", role="project_manager")
    both = build.team_registration(setup.forum_id, "Bo Both", now=NOW)
    build.join_team(db.session.get(Person, both.person_id), "Dare County")

    removed = remove_roster_member(
        db.session, _team("Buncombe County"), both.person_id, manager, now=NOW
    )

    assert removed.released_days == []
    assert _seat_statuses(both) == {setup.team_day_id: "confirmed"}
