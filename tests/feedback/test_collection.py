"""Collecting feedback: who may answer, about what, once; topics; invitations and reminders."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from forumapp.checkin.models import BreakoutAttendance, CheckIn
from forumapp.checkin.scanning import undo_check_in
from forumapp.core.clock import utcnow
from forumapp.extensions import db
from forumapp.feedback import answering, attendance, between_forums, invitations
from forumapp.feedback.errors import (
    FeedbackClosed,
    FeedbackError,
    InvalidFeedback,
    NotAnAttendee,
    NotATeamMember,
)
from forumapp.feedback.models import (
    FeedbackResponse,
    FeedbackWindow,
    SessionRating,
    TopicGroup,
    TopicSuggestion,
)
from forumapp.feedback.window import close_feedback, feedback_window, open_feedback, window_state
from forumapp.mail.models import OutboxMessage

from .. import builders as build
from .conftest import answers, build_world, closes_in


def _count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _titles(world, name):
    return [
        item.title for item in attendance.sessions_attended(db.session, world.registration(name))
    ]


# --- Who may answer, about what --------------------------------------------------------------


def test_sessions_attended_are_the_shared_sessions_of_checked_in_days_and_own_breakouts(world):
    assert _titles(world, "Ana Alvarez") == [
        "Opening general session",
        "Team panel",
        "Team day welcome",
        "Breakout 1",
    ]
    # Ben was only checked in on the team day; meals and cancelled sessions are never rated.
    assert _titles(world, "Ben Brooks") == ["Team day welcome", "Breakout 2"]
    assert _titles(world, "Cy Carter")[-2:] == ["Breakout 1", "Breakout 3"]
    assert _titles(world, "Pat Public") == ["Opening general session", "Team panel"]


def test_a_breakout_someone_was_scanned_into_replaces_their_pick_in_that_slot(world):
    db.session.add(
        BreakoutAttendance(
            registration_id=world.registrations["Ana Alvarez"],
            item_id=world.items["Breakout 2"],
            choice="other",
        )
    )
    db.session.flush()
    titles = _titles(world, "Ana Alvarez")
    assert "Breakout 2" in titles and "Breakout 1" not in titles


def test_only_people_checked_in_can_answer(world):
    with pytest.raises(NotAnAttendee):
        answering.save_response(db.session, world.registration("Nia Noshow"), answers())
    assert _count(FeedbackResponse) == 0


def test_an_undone_check_in_does_not_count(world):
    registration = world.registration("Pat Public")
    check_in = db.session.scalar(sa.select(CheckIn).filter_by(registration_id=registration.id))
    undo_check_in(db.session, check_in, None)
    assert not attendance.is_attendee(db.session, registration)
    with pytest.raises(NotAnAttendee):
        answering.save_response(db.session, registration, answers())


def test_answering_twice_edits_the_one_response(world):
    ana = world.registration("Ana Alvarez")
    opening, breakout = world.items["Opening"], world.items["Breakout 1"]
    first = answering.save_response(
        db.session,
        ana,
        answers(5, {opening: (4, "Clear goals"), breakout: 5}, most_useful="Meeting Dare County"),
    )
    second = answering.save_response(
        db.session, ana, answers(3, {opening: 2}, should_change="Longer breaks")
    )
    assert first.created and not second.created
    assert first.response.id == second.response.id
    assert _count(FeedbackResponse) == 1
    response = second.response
    assert response.overall_rating == 3 and response.should_change == "Longer breaks"
    assert response.most_useful == ""
    ratings = {
        r.item_id: (r.rating, r.comment) for r in db.session.scalars(sa.select(SessionRating))
    }
    assert ratings == {opening: (2, "")}  # the breakout's rating was withdrawn


def test_rating_a_session_the_person_did_not_attend_is_refused(world):
    ben = world.registration("Ben Brooks")  # not checked in on the public day
    with pytest.raises(InvalidFeedback) as refused:
        answering.save_response(
            db.session, ben, answers(4, {world.items["Welcome"]: 5, world.items["Opening"]: 5})
        )
    assert "only the sessions you attended" in refused.value.errors["sessions"]
    with pytest.raises(InvalidFeedback):
        answering.save_response(db.session, ben, answers(4, {world.items["Breakout 1"]: 3}))
    assert _count(FeedbackResponse) == 0


def test_unanswered_sessions_of_other_days_are_simply_ignored(world):
    ben = world.registration("Ben Brooks")
    result = answering.save_response(
        db.session, ben, answers(4, {world.items["Opening"]: "", world.items["Welcome"]: "5"})
    )
    assert [r.item_id for r in result.response.ratings] == [world.items["Welcome"]]


def test_bad_input_gets_a_message_per_field(world):
    ana = world.registration("Ana Alvarez")
    opening = world.items["Opening"]
    with pytest.raises(InvalidFeedback) as refused:
        answering.save_response(
            db.session,
            ana,
            answers(
                None,
                {opening: ("7", "x" * 2001)},
                most_useful="y" * 4001,
                topics=["Fine topic", "", "z" * 301],
            ),
        )
    errors = refused.value.errors
    assert errors["overall_rating"].startswith("Choose an overall rating from 1")
    assert "from 1 to 5" in errors[f"rating-{opening}"]
    assert "4,000 characters" in errors["most_useful"]
    assert "300 characters" in errors["topic-2"] and "topic-0" not in errors
    with pytest.raises(InvalidFeedback) as refused:
        answering.save_response(db.session, ana, answers(4, {opening: (3, "x" * 2001)}))
    assert "2,000 characters" in refused.value.errors[f"comment-{opening}"]
    with pytest.raises(InvalidFeedback) as refused:
        answering.save_response(
            db.session, ana, answers(4, topics=[f"Topic {n}" for n in range(11)])
        )
    assert "at most 10" in refused.value.errors["topics"]


def test_closed_and_not_yet_open_feedback_refuses_answers(world):
    ana = world.registration("Ana Alvarez")
    answering.save_response(db.session, ana, answers(4))
    close_feedback(db.session, world.forum())
    with pytest.raises(FeedbackClosed, match="closed"):
        answering.save_response(db.session, ana, answers(1))
    assert db.session.scalar(sa.select(FeedbackResponse.overall_rating)) == 4

    db.session.delete(db.session.scalar(sa.select(FeedbackWindow)))
    db.session.flush()
    with pytest.raises(FeedbackClosed, match="not open yet"):
        answering.save_response(db.session, ana, answers(1))


def test_opening_needs_a_future_closing_time_and_a_published_forum(app_ctx):
    world = build_world(open_feedback=False)
    forum = world.forum()
    with pytest.raises(InvalidFeedback) as refused:
        open_feedback(db.session, forum, closes_in(-1))
    assert refused.value.errors == {"closes_at": "Choose a closing time in the future."}
    draft = build.forum(status="draft", number=6)
    with pytest.raises(FeedbackError, match="Publish the forum"):
        open_feedback(db.session, draft, closes_in(7))
    window = open_feedback(db.session, forum, closes_in(7))
    assert window_state(window) == "open"
    assert window_state(window, window.closes_at) == "closed"
    # Moving the closing time keeps the opening time.
    opened = window.opened_at
    open_feedback(db.session, forum, closes_in(10))
    assert window.opened_at == opened


# --- Topics and anonymity ------------------------------------------------------------------


def test_topics_are_saved_for_the_team_and_anonymity_hides_the_person(world):
    ben = world.registration("Ben Brooks")
    result = answering.save_response(
        db.session,
        ben,
        answers(
            4,
            topics=["Sharing data between agencies", "  ", "Peer recovery coaches"],
            anonymous=True,
        ),
    )
    response = result.response
    assert response.anonymous and response.team_id == world.teams["Buncombe County"]
    topics = db.session.scalars(sa.select(TopicSuggestion).order_by(TopicSuggestion.id)).all()
    assert [(t.text, t.team_id, t.person_id, t.source) for t in topics] == [
        ("Sharing data between agencies", world.teams["Buncombe County"], None, "feedback"),
        ("Peer recovery coaches", world.teams["Buncombe County"], None, "feedback"),
    ]


def test_editing_keeps_unchanged_topics_in_their_groups(world):
    ana = world.registration("Ana Alvarez")
    answering.save_response(db.session, ana, answers(4, topics=["Data sharing", "Housing"]))
    group = TopicGroup(forum_id=world.forum_id, label="Data sharing")
    db.session.add(group)
    db.session.flush()
    kept = db.session.scalar(sa.select(TopicSuggestion).filter_by(text="Data sharing"))
    kept.group_id = group.id
    db.session.flush()

    answering.save_response(db.session, ana, answers(4, topics=["data  SHARING", "Transport"]))
    topics = db.session.scalars(sa.select(TopicSuggestion).order_by(TopicSuggestion.id)).all()
    assert [t.text for t in topics] == ["data SHARING", "Transport"]
    assert topics[0].id == kept.id and topics[0].group_id == group.id
    assert topics[0].person_id == world.people["Ana Alvarez"]

    answering.save_response(db.session, ana, answers(4, topics=["Transport"], anonymous=True))
    assert db.session.scalars(sa.select(TopicSuggestion.person_id)).all() == [None]


def test_a_topic_taken_back_in_an_edit_leaves_its_group_labelled_by_what_is_left(world):
    ana = world.registration("Ana Alvarez")
    ben = world.registration("Ben Brooks")
    answering.save_response(
        db.session, ana, answers(4, topics=["Naloxone for people leaving jail"])
    )
    answering.save_response(db.session, ben, answers(4, topics=["Naloxone at the library"]))
    assert db.session.scalars(sa.select(TopicGroup.label)).all() == ["Naloxone, jail, library"]

    answering.save_response(db.session, ben, answers(4, topics=["Peer recovery coaches"]))

    assert sorted(db.session.scalars(sa.select(TopicGroup.label))) == [
        "Naloxone, jail",
        "Peer support",
    ]
    answering.save_response(db.session, ben, answers(4, topics=[]))
    assert db.session.scalars(sa.select(TopicGroup.label)).all() == ["Naloxone, jail"]


def test_a_public_attendee_answers_without_a_team(world):
    result = answering.save_response(
        db.session, world.registration("Pat Public"), answers(2, topics=["Naloxone access"])
    )
    assert result.response.team_id is None
    assert db.session.scalar(sa.select(TopicSuggestion.team_id)) is None


def test_team_members_suggest_topics_between_forums(world):
    forum = world.forum()
    ben = world.person("Ben Brooks")
    suggestion = between_forums.submit_topic_between_forums(
        db.session, ben, forum, "  Jail   diversion  "
    )
    assert (suggestion.text, suggestion.source, suggestion.team_id, suggestion.person_id) == (
        "Jail diversion",
        "personal_page",
        world.teams["Buncombe County"],
        ben.id,
    )
    assert [t.text for t in between_forums.topics_suggested_by(db.session, ben, forum)] == [
        "Jail diversion"
    ]
    with pytest.raises(InvalidFeedback) as refused:
        between_forums.submit_topic_between_forums(db.session, ben, forum, "   ")
    assert refused.value.errors == {"text": "Write the topic or issue in a few words."}
    with pytest.raises(InvalidFeedback):
        between_forums.submit_topic_between_forums(db.session, ben, forum, "x" * 301)
    with pytest.raises(NotATeamMember):
        between_forums.submit_topic_between_forums(
            db.session, world.person("Pat Public"), forum, "Hi"
        )


def test_topics_raised_between_forums_belong_to_the_latest_forum_that_has_begun(world):
    ben = world.person("Ben Brooks")
    later = build.forum(number=6, days=((date(2027, 9, 1), "team"),))
    build.forum(status="draft", number=7, days=((date(2027, 3, 20), "team"),))
    assert between_forums.forum_for_new_topics(db.session, ben, date(2027, 3, 1)) is None
    assert (
        between_forums.forum_for_new_topics(db.session, ben, date(2027, 3, 17)).id == world.forum_id
    )
    assert between_forums.forum_for_new_topics(db.session, ben, date(2027, 9, 1)) == later
    assert (
        between_forums.forum_for_new_topics(
            db.session, world.person("Pat Public"), date(2027, 9, 1)
        )
        is None
    )


# --- Invitations and reminders -------------------------------------------------------------


def _recipients(kind):
    return sorted(db.session.scalars(sa.select(OutboxMessage.to_name).filter_by(kind=kind)))


def test_invitations_go_to_every_checked_in_attendee_once(world):
    forum = world.forum()
    result = invitations.send_invitations(db.session, forum, None)
    expected = ["Ana Alvarez", "Ben Brooks", "Cy Carter", "Pat Public"]
    assert sorted(p.name for p in result.queued) == expected
    assert _recipients("feedback_invitation") == expected  # not Nia, who never came
    message = db.session.scalar(
        sa.select(OutboxMessage).filter_by(to_name="Ana Alvarez", kind="feedback_invitation")
    )
    link = f"/me/{world.token('Ana Alvarez')}/feedback/{forum.id}"
    assert link in message.text_body and link in message.html_body
    assert message.subject == f"Your feedback on {forum.title}"

    forum.title = "Forum 1, renamed"  # a new title is no reason to invite again
    again = invitations.send_invitations(db.session, forum, None)
    assert again.queued == [] and len(again.skipped) == 4
    assert len(invitations.send_invitations(db.session, forum, None, send_again=True).queued) == 4


def test_reminders_go_only_to_attendees_who_have_not_answered(world):
    forum = world.forum()
    answering.save_response(db.session, world.registration("Ana Alvarez"), answers(4))
    answering.save_response(
        db.session, world.registration("Ben Brooks"), answers(4, anonymous=True)
    )
    invitations.send_reminders(db.session, forum, None)
    assert _recipients("feedback_reminder") == ["Cy Carter", "Pat Public"]


def test_no_emails_unless_feedback_is_open(world):
    forum = world.forum()
    close_feedback(db.session, forum)
    with pytest.raises(FeedbackClosed):
        invitations.send_invitations(db.session, forum, None)
    with pytest.raises(FeedbackClosed):
        invitations.send_reminders(db.session, forum, None)
    assert _count(OutboxMessage, OutboxMessage.kind.like("feedback%")) == 0


def test_two_answers_at_once_still_make_one_response(world, monkeypatch):
    ana = world.registration("Ana Alvarez")
    # Another request (a double tap) saved first, between our look-up and our insert.
    db.session.add(
        FeedbackResponse(
            forum_id=world.forum_id, registration_id=ana.id, overall_rating=2, submitted_at=utcnow()
        )
    )
    db.session.flush()
    find = answering.find_response
    looked = []

    def late_look_up(session, registration):
        looked.append(1)
        return None if len(looked) == 1 else find(session, registration)

    monkeypatch.setattr(answering, "find_response", late_look_up)
    result = answering.save_response(db.session, ana, answers(5))
    assert not result.created and _count(FeedbackResponse) == 1
    assert result.response.overall_rating == 5


def test_window_state_follows_the_clock(world):
    window = feedback_window(db.session, world.forum())
    assert window_state(window, window.opened_at - timedelta(seconds=1)) == "not_open"
    assert window_state(None) == "not_open"


def test_a_topic_between_forums_is_grouped_at_once_and_bounded_per_team_and_day(world):
    forum = world.forum()
    ben = world.person("Ben Brooks")
    first = between_forums.submit_topic_between_forums(
        db.session, ben, forum, "Jail diversion", daily_limit=2
    )
    assert first.group is not None and "iversion" in first.group.label
    between_forums.submit_topic_between_forums(db.session, ben, forum, "Diversion", daily_limit=2)
    with pytest.raises(InvalidFeedback) as refused:
        between_forums.submit_topic_between_forums(db.session, ben, forum, "Third", daily_limit=2)
    assert "many topics today" in refused.value.errors["text"]
