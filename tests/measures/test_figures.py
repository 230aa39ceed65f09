"""The shared measures on a program whose attendance and commitments are known: exact figures
on the page, in the CSV, in the funder report (small cells suppressed) and in the API, which
agree with one another."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
import sqlalchemy as sa

from forumapp.checkin.models import CheckIn
from forumapp.commitments.recording import (
    Author,
    CommitmentInput,
    ProgressInput,
    add_commitment,
    update_progress,
)
from forumapp.core.models import Program, Team
from forumapp.extensions import db
from forumapp.measures.figures import program_figures

from .. import builders as build

DAY_1, DAY_2 = date(2027, 2, 18), date(2027, 5, 20)
DARE = [  # name, role, sector, came to forum 1, came to forum 2
    ("Pat Manager", "project_manager", "county_government", True, True),
    ("Mo Health", "member", "public_health", True, True),
    ("Li Law", "member", "law_enforcement", True, False),
    ("Em Ems", "member", "ems", True, False),
    ("Fa Faith", "member", "faith", True, False),
    ("Tr Treat", "member", "treatment", False, True),
]
NASH = [
    ("Nell Nash", "project_manager", "public_health", True, False),
    ("Ned Courts", "member", "courts", False, True),
]


def _check_in(forum, person, team):
    registration = build.team_registration(forum, person, team)
    db.session.add(CheckIn(registration_id=registration.id, day_id=forum.days[0].id))


@pytest.fixture
def world(app):
    with app.app_context():
        forums = [
            build.forum(days=((DAY_1, "team"),)),
            build.forum(number=2, days=((DAY_2, "team"),)),
        ]
        build.forum(number=3, status="draft", days=((date(2027, 9, 16), "team"),))
        for team, roster in (("Dare County", DARE), ("Nash County", NASH)):
            for name, role, sector, *came in roster:
                person = build.team_member(name, team, role)
                person.memberships[0].sector = sector
                for forum, here in zip(forums, came, strict=True):
                    if here:
                        _check_in(forum, person, team)
        dare = db.session.scalar(sa.select(Team).filter_by(name="Dare County"))
        pat = dare.project_managers[0]
        for text, status in (("A", "done"), ("B", "partly"), ("C", "dropped"), ("D", None)):
            made = add_commitment(
                db.session, dare, CommitmentInput(forums[0].id, text), Author(pat)
            )
            if status:
                update_progress(db.session, made, ProgressInput(status), Author(pat))
        db.session.commit()
        return {"forums": [forum.id for forum in forums], "program": forums[0].program_id}


def test_the_figures_are_exact(app, world):
    with app.app_context():
        figures = program_figures(db.session, db.session.get(Program, world["program"]))
        assert [f.forum.number for f in figures.forums] == [1, 2]  # the draft is left out
        assert [f.attendees for f in figures.forums] == [6, 4]
        first = figures.forums[0]
        assert (first.commitments, first.done, first.partly, first.dropped) == (4, 1, 1, 1)
        assert first.carried_out == pytest.approx(1.5 / 4)
        assert figures.continuity == {1: 6, 2: 2}
        dare_1, dare_2 = figures.team_rows(figures.teams[0].team_id)
        assert (dare_1.roster, dare_1.present, dare_1.returning, dare_1.new) == (6, 5, 0, 5)
        assert dare_1.share_present == pytest.approx(5 / 6)
        assert dare_1.sectors_present == [
            "county_government",
            "ems",
            "faith",
            "law_enforcement",
            "public_health",
        ]
        assert len(dare_1.sectors_on_roster) == 6
        assert (dare_2.present, dare_2.returning, dare_2.new, dare_2.manager_came) == (
            3,
            2,
            1,
            True,
        )
        nash_1, nash_2 = figures.team_rows(figures.teams[2].team_id)
        assert (nash_1.present, nash_1.manager_came, nash_2.manager_came) == (1, True, False)
        trends = {trend.label: trend for trend in figures.trends()}
        assert trends["People present"].values == [6, 4]
        assert trends["People present"].change == -2
        assert trends["Share of the rosters present"].values == [0.75, 0.5]
        assert trends["Teams whose project manager came"].values == [2, 1]
        assert trends["Returning people"].values == [0, 2]
        assert trends["New people"].values == [6, 2]
        assert trends["Commitments carried out"].change is None  # none made at forum 2


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def _csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_page_the_csv_the_report_and_the_api_agree(app, client, world, signed_in, token_for):
    faculty = signed_in("faculty")
    page = _text(faculty.get("/staff/program/measures"))
    assert "5 of 6 (83%)" in page and "3 of 6 (50%)" in page
    assert "4 (1, 1, 1)" in page
    assert "6 people came to 1 of 2; 2 people came to 2 of 2" in page

    rows = _csv(faculty.get("/staff/program/measures.csv"))
    dare_1 = next(
        r for r in rows if r["team"] == "Dare County" and r["forum"].startswith("Forum 1")
    )
    assert (dare_1["roster"], dare_1["present"], dare_1["share present"]) == ("6", "5", "83%")
    assert dare_1["project manager came"] == "yes" and dare_1["commitments"] == "4"

    report = _csv(faculty.get("/staff/program/report.csv"))
    dare_2 = next(
        r for r in report if r["team"] == "Dare County" and r["forum"].startswith("Forum 2")
    )
    assert (dare_2["present"], dare_2["returning"], dare_2["new"]) == ("<5", "<5", "<5")
    assert dare_2["share present"] == "<5"
    assert (
        next(r for r in report if r is not dare_2 and r["team"] == "Dare County")["present"] == "5"
    )
    printable = _text(faculty.get("/staff/program/report"))
    assert "counts of fewer than 5 people are shown as “&lt;5”" in printable

    api = client.get(f"/api/v1/programs/{world['program']}/measures", headers=token_for("faculty"))
    assert api.status_code == 200
    body = api.get_json()
    dare_api = [t for t in body["teams"] if t["team"] == "Dare County"]
    assert [(t["present"], t["returning"], t["new"]) for t in dare_api] == [(5, 0, 5), (3, 2, 1)]
    assert body["continuity"] == [{"forums": 1, "people": 6}, {"forums": 2, "people": 2}]
    assert [f["commitments"] for f in body["forums"]] == [4, 0]


def test_the_funder_report_covers_a_date_range(app, world, signed_in):
    faculty = signed_in("faculty")
    rows = _csv(faculty.get("/staff/program/report.csv?since=2027-04-01"))
    assert {row["forum"] for row in rows} == {"Forum 2: Testing"}
    refused = faculty.get("/staff/program/report?since=2027-06-01&until=2027-01-01")
    assert refused.status_code == 400
    assert "Choose an end on or after the start." in _text(refused)


def test_the_page_shows_each_figures_trend(app, world, signed_in):
    page = _text(signed_in("organizer").get("/staff/program/measures"))
    assert "Share of the rosters present</th> <td>75%</td><td>50%</td> <td>down 25%" in page
    assert "People present</th> <td>6</td><td>4</td> <td>down 2</td>" in page
