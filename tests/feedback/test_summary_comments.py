"""The faculty summary shows the newest comments of each question and links to the rest, so it
stays short and quick however many people answer; the comments pages list every answer."""

from __future__ import annotations

import html
import re

import pytest

from forumapp.checkin.scanning import check_in_registration
from forumapp.extensions import db
from forumapp.feedback import answering, comments

from .. import builders as build
from ..registration.conftest import NOW
from ..support.queries import statements_sent
from .conftest import answers


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _answer(world, first: int, count: int) -> None:
    """``count`` more attendees comment on the welcome and say what should change."""
    forum = world.forum()
    welcome = world.items["Welcome"]  # on the team day, which they attended
    for n in range(first, first + count):
        seat_of = build.team_registration(
            forum, f"Extra Person{n:02d}", "Dare County", day_ids=[world.team_day_id], now=NOW
        )
        check_in_registration(db.session, seat_of, seat_of.seats[0].day, None)
        answering.save_response(
            db.session,
            seat_of,
            answers(4, {welcome: (4, f"Welcome comment {n:02d}")}, should_change=f"Change {n:02d}"),
        )
    db.session.commit()


@pytest.fixture
def faculty(signed_in):
    return signed_in("faculty")


@pytest.fixture
def many_answers(app, committed_world):
    """25 attendees who commented on the welcome and on what should change."""
    with app.app_context():
        _answer(committed_world, 0, 25)
    return committed_world


def test_summary_shows_the_newest_twenty_comments_and_links_to_all(faculty, many_answers):
    world = many_answers
    page = _text(faculty.get(f"/staff/forums/{world.forum_id}/feedback"))
    welcome = world.items["Welcome"]

    assert "Comments (25)" in page
    assert "Showing the newest 20 of 25." in page
    assert "Welcome comment 24" in page and "Welcome comment 05" in page
    assert "Welcome comment 04" not in page  # among the five oldest
    link = f'href="/staff/forums/{world.forum_id}/feedback/comments/session-{welcome}"'
    assert link in page and "Read all 25 comments on “Team day welcome”" in page

    assert "What should change (25)" in page
    assert "Change 24" in page and "Change 04" not in page
    assert "Read all 25 answers to “What should change”" in page


def test_the_printable_report_keeps_every_comment(faculty, many_answers):
    report = _text(faculty.get(f"/staff/forums/{many_answers.forum_id}/feedback/report"))
    assert "Welcome comment 00" in report and "Change 00" in report
    assert "Showing the newest" not in report


def test_comments_page_lists_every_answer_a_page_at_a_time(faculty, many_answers, monkeypatch):
    monkeypatch.setattr(comments, "COMMENTS_PER_PAGE", 10)
    base = f"/staff/forums/{many_answers.forum_id}/feedback/comments/should-change"

    first = _text(faculty.get(base))
    assert "<h1>What should change" in first
    assert "Showing 1–10 of 25, newest first" in first
    assert "Change 24" in first and "Change 14" not in first
    assert 'aria-current="page">Page 1 of 3</a>' in first
    assert "Older answers" in first and "Newer answers" not in first

    last = _text(faculty.get(f"{base}?page=3"))
    assert "Showing 21–25 of 25" in last
    assert "Change 00" in last and "Change 05" not in last

    beyond = faculty.get(f"{base}?page=40")
    assert beyond.status_code == 200
    assert "There is no page 40: showing the last page, 3 of 3." in _text(beyond)
    assert "Page 1 of 3" in _text(faculty.get(f"{base}?page=abc"))


def test_comments_page_of_a_session_and_unknown_questions(faculty, many_answers):
    world = many_answers
    base = f"/staff/forums/{world.forum_id}/feedback/comments"
    page = _text(faculty.get(f"{base}/session-{world.items['Welcome']}"))
    assert "Comments on “Team day welcome”" in page and "Showing 1–25 of 25" in page
    assert "Extra Person03, Dare County · rated 4" in page
    assert faculty.get(f"{base}/session-999999").status_code == 404
    assert faculty.get(f"{base}/anything").status_code == 404


def test_comments_page_keeps_the_team_filter(faculty, many_answers):
    world = many_answers
    buncombe = world.teams["Buncombe County"]
    base = f"/staff/forums/{world.forum_id}/feedback/comments/should-change"
    page = _text(faculty.get(f"{base}?team={buncombe}"))
    assert "Showing the answers of Buncombe County" in page
    assert "Nobody has written an answer here in this selection yet." in page


def test_summary_sends_the_same_queries_for_few_and_many_comments(app, faculty, committed_world):
    url = f"/staff/forums/{committed_world.forum_id}/feedback"
    with app.app_context():
        _answer(committed_world, 0, 3)
    with statements_sent(app) as few:
        assert faculty.get(url).status_code == 200
    with app.app_context():
        _answer(committed_world, 3, 27)
    with statements_sent(app) as many:
        page = _text(faculty.get(url))
    assert len(many) == len(few)
    assert len(re.findall(r"Welcome comment \d\d", page)) == comments.COMMENTS_SHOWN
