"""What faculty read: rates, distributions, comments, topics, filters, CSV, measures, review."""

import csv
import io
from datetime import date

import pytest
import sqlalchemy as sa

from forumapp.checkin.scanning import check_in_registration
from forumapp.core.models import Forum, Program, Role, User
from forumapp.extensions import db
from forumapp.feedback import answering, answers_export, measures, review, summary, window
from forumapp.feedback.answer_scope import SummaryFilter
from forumapp.feedback.charts import rating_chart
from forumapp.feedback.errors import FeedbackError, InvalidFeedback
from forumapp.feedback.models import TopicGroup, TopicSuggestion
from forumapp.mail.models import OutboxMessage

from .. import builders as build
from ..registration.conftest import NOW
from ..support.queries import statements_sent
from .conftest import answers


@pytest.fixture
def answered(world):
    """Ana, Ben (anonymously) and Cy answered; Pat did not."""
    items = world.items
    answering.save_response(
        db.session,
        world.registration("Ana Alvarez"),
        answers(
            5,
            {items["Opening"]: (4, "Clear goals for the year"), items["Breakout 1"]: 5},
            most_useful="Meeting Dare County",
            topics=["Sharing data between agencies"],
        ),
    )
    answering.save_response(
        db.session,
        world.registration("Ben Brooks"),
        answers(
            3,
            {items["Breakout 2"]: (2, "Too rushed"), items["Welcome"]: 4},
            should_change='=HYPERLINK("http://evil.example")',
            topics=["Data sharing"],
            anonymous=True,
        ),
    )
    answering.save_response(
        db.session,
        world.registration("Cy Carter"),
        answers(
            4,
            {items["Opening"]: 5, items["Breakout 1"]: (3, "Good, but the room was cold")},
            topics=["Sharing information across agencies"],
        ),
    )
    return world


def _session(result, key, world):
    return next(s for s in result.sessions if s.item.id == world.items[key])


def test_response_rate_overall_and_per_team(answered):
    result = summary.forum_summary(db.session, answered.forum())
    assert (result.overall_rate.responses, result.overall_rate.attendees) == (3, 4)
    rows = [(r.label, r.responses, r.attendees) for r in result.team_rates]
    # Nia never came, so Dare County's rate is out of one; Pat answered nothing.
    assert rows == [
        ("Buncombe County", 2, 2),
        ("Dare County", 1, 1),
        ("Public attendees (no team)", 0, 1),
    ]
    assert result.overall_rate.rate == 0.75


def test_rating_distributions_overall_and_per_session(answered):
    result = summary.forum_summary(db.session, answered.forum())
    assert result.overall.counts == {5: 1, 3: 1, 4: 1} and result.overall.average == 4
    assert _session(result, "Opening", answered).ratings.counts == {4: 1, 5: 1}
    assert _session(result, "Breakout 1", answered).ratings.average == 4
    assert _session(result, "Panel", answered).ratings.total == 0
    titles = [s.item.title for s in result.sessions]
    assert "Lunch" not in titles and "Cancelled talk" not in titles


def test_comments_per_session_hide_anonymous_names_but_keep_the_team(answered):
    result = summary.forum_summary(db.session, answered.forum())
    (anonymous,) = _session(result, "Breakout 2", answered).comments
    assert (anonymous.author, anonymous.team, anonymous.text) == (
        "Anonymous",
        "Buncombe County",
        "Too rushed",
    )
    (named,) = _session(result, "Opening", answered).comments
    assert (named.author, named.rating) == ("Ana Alvarez", 4)
    everything = [c.author for s in result.sessions for c in s.comments]
    everything += [c.author for c in result.most_useful + result.should_change]
    assert "Ben Brooks" not in everything
    assert [c.author for c in result.should_change] == ["Anonymous"]


def test_filter_by_team(answered):
    dare = SummaryFilter(team_id=answered.teams["Dare County"])
    result = summary.forum_summary(db.session, answered.forum(), dare)
    assert result.overall.counts == {4: 1}
    assert [(r.label, r.responses, r.attendees) for r in result.team_rates] == [
        ("Dare County", 1, 1)
    ]
    assert [c.author for c in _session(result, "Breakout 1", answered).comments] == ["Cy Carter"]
    buncombe = SummaryFilter(team_id=answered.teams["Buncombe County"])
    result = summary.forum_summary(db.session, answered.forum(), buncombe)
    assert result.overall.counts == {5: 1, 3: 1}  # the anonymous answer still counts for its team


def test_filter_by_day(answered):
    public_day = SummaryFilter(day_id=answered.public_day_id)
    result = summary.forum_summary(db.session, answered.forum(), public_day)
    # Checked in on the public day: Ana, Cy and Pat (Ben came on the team day only).
    assert (result.overall_rate.responses, result.overall_rate.attendees) == (2, 3)
    assert result.overall.counts == {5: 1, 4: 1}
    assert [s.item.title for s in result.sessions] == ["Opening general session", "Team panel"]


def test_topic_groups_show_how_many_teams_raised_them(answered):
    forum = answered.forum()
    group = TopicGroup(forum_id=forum.id, label="data sharing agencies")
    db.session.add(group)
    db.session.flush()
    for suggestion in db.session.scalars(sa.select(TopicSuggestion)):
        suggestion.group_id = group.id
    db.session.add(TopicGroup(forum_id=forum.id, label="lonely"))
    db.session.flush()
    groups, total, ungrouped = summary.topic_overview(db.session, forum)
    # A group left without suggestions is not listed.
    assert [(g.label, g.teams, g.suggestions, g.flagged) for g in groups] == [
        ("data sharing agencies", 2, 3, True),
    ]
    groups, _, _ = summary.topic_overview(db.session, forum, flag_teams=3)
    assert not groups[0].flagged
    assert (total, ungrouped) == (3, 0)
    groups, total, _ = summary.topic_overview(db.session, forum, answered.teams["Dare County"])
    assert [g.label for g in groups] == ["data sharing agencies"] and total == 1


def test_csv_has_raw_answers_without_anonymous_names_and_defuses_formulas(answered):
    text = answers_export.answers_csv(db.session, answered.forum())
    rows = list(csv.DictReader(io.StringIO(text)))
    assert "Ben Brooks" not in text
    ben_rows = [r for r in rows if r["Anonymous"] == "yes"]
    assert ben_rows and all(r["Name"] == "" and r["Team"] == "Buncombe County" for r in ben_rows)
    change = next(r for r in ben_rows if r["Question"] == "What should change")
    assert change["Text"].startswith("'=HYPERLINK")
    ana = [(r["Question"], r["Rating"], r["Text"]) for r in rows if r["Name"] == "Ana Alvarez"]
    assert ana == [
        ("Overall rating", "5", ""),
        ("Session: Opening general session", "4", "Clear goals for the year"),
        ("Session: Breakout 1", "5", ""),
        ("What was most useful", "", "Meeting Dare County"),
        ("Topic for the next forum", "", "Sharing data between agencies"),
    ]


def test_the_summary_takes_the_same_number_of_queries_however_many_answers(answered, app):
    forum = answered.forum()
    with statements_sent(app) as sent:
        summary.forum_summary(db.session, forum)
    few = len(sent)
    for n in range(6):
        reg = build.team_registration(
            forum, f"Extra Person{n}", "Dare County", day_ids=[answered.team_day_id], now=NOW
        )
        check_in_registration(db.session, reg, reg.seats[0].day, None)
        answering.save_response(
            db.session,
            reg,
            answers(3, {answered.items["Welcome"]: (3, f"Comment {n}")}, most_useful="More time"),
        )
    db.session.expire_all()
    with statements_sent(app) as sent:
        summary.forum_summary(db.session, forum)
    assert len(sent) <= few + 1  # +1: the forum's program, reloaded after expire_all


def test_measures_across_forums(answered):
    forum = answered.forum()
    earlier = build.forum(number=4, days=((date(2026, 11, 5), "team"),))
    build.forum(number=6, status="draft")
    db.session.add(TopicGroup(forum_id=forum.id, label="data", status="addressed"))
    db.session.add(TopicGroup(forum_id=forum.id, label="housing"))
    db.session.flush()
    result = measures.program_measures(db.session, db.session.scalar(sa.select(Program)))
    assert [m.forum.number for m in result.forums] == [4, 5]
    first, fifth = result.forums
    assert (first.attendees, first.responses, first.average_rating) == (0, 0, None)
    assert (fifth.attendees, fifth.responses, fifth.average_rating) == (4, 3, 4)
    # The three answers' data-sharing topics were placed in one group as they came in.
    assert (fifth.suggestions, fifth.teams_raising, fifth.groups, fifth.groups_addressed) == (
        3,
        2,
        3,
        1,
    )
    teams = {t.name: t for t in result.teams}
    assert teams["Buncombe County"].attendance == {forum.id: 2}
    assert teams["Buncombe County"].average_rating(forum.id) == 4
    assert teams["Buncombe County"].average_rating(earlier.id) is None
    assert teams["Dare County"].topics == {forum.id: 1}
    assert teams["Public attendees (no team)"].attendance == {forum.id: 1}


def test_rating_chart_is_labelled_for_screen_readers():
    chart = rating_chart("c1", "Overall <rating>", {5: 3, 1: 1})
    svg = str(chart.svg)
    assert 'role="img" aria-labelledby="c1-title" aria-describedby="c1-desc"' in svg
    assert '<title id="c1-title">Overall &lt;rating&gt;</title>' in svg
    assert "4 ratings, average 4.0 out of 5" in chart.description
    assert chart.rows[0] == ("5 · Excellent", "3 (75%)")
    assert "style=" not in svg  # the Content-Security-Policy forbids inline styles


# --- Faculty review ------------------------------------------------------------------------


def _faculty(email="faculty@staff.example.org", role=Role.FACULTY, active=True):
    user = User(email=email, name="Fay Faculty", role=role, active=active)
    user.set_password("faculty password")
    db.session.add(user)
    db.session.flush()
    return user


def test_a_faculty_member_is_assigned_and_others_are_refused(world):
    forum = world.forum()
    fay = _faculty()
    assert review.reviewer_choices(db.session) == [fay]
    assert review.assign_reviewer(db.session, forum, fay).reviewer_id == fay.id
    with pytest.raises(InvalidFeedback):
        review.assign_reviewer(db.session, forum, _faculty("door@staff.example.org", Role.DOOR))
    assert review.assign_reviewer(db.session, forum, None).reviewer_id is None


def test_only_the_assigned_reviewer_or_an_organizer_writes_the_summary(world):
    forum = world.forum()
    fay = _faculty()
    other = _faculty("other.faculty@staff.example.org")
    organizer = _faculty("organizer@staff.example.org", Role.ORGANIZER)
    review.assign_reviewer(db.session, forum, fay)
    with pytest.raises(review.NotTheReviewer):
        review.save_summary(db.session, forum, "Rewritten by someone else.", other)
    review.save_summary(db.session, forum, "Fay's summary.", fay)
    review.save_summary(db.session, forum, "Edited by the organizer.", organizer)
    assert window.feedback_window(db.session, forum).summary == "Edited by the organizer."


def test_the_summary_goes_to_every_team_member_through_the_outbox(world):
    forum = world.forum()
    with pytest.raises(FeedbackError, match="Write the summary"):
        review.send_summary_to_teams(db.session, forum)
    fay = _faculty()
    with pytest.raises(InvalidFeedback):
        review.save_summary(db.session, forum, "x" * 5001, fay)
    text = "We heard: more time for teams.\n\nNext: data sharing."
    review.save_summary(db.session, forum, text, fay)
    people = review.send_summary_to_teams(db.session, forum)
    names = sorted(p.name for p in people)
    assert names == ["Ana Alvarez", "Ben Brooks", "Cy Carter", "Nia Noshow"]  # rosters, not Pat
    messages = db.session.scalars(sa.select(OutboxMessage).filter_by(kind="feedback_summary")).all()
    assert len(messages) == 4
    assert "Next: data sharing." in messages[0].text_body
    assert "<p>Next: data sharing.</p>" in messages[0].html_body
    assert window.feedback_window(db.session, forum).summary_sent_at is not None
    assert db.session.get(Forum, forum.id) is forum
