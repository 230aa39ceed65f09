"""The attendee form, the personal page's topic form, and the staff feedback pages."""

import csv
import html
import io
import re
from datetime import date

import pytest
import sqlalchemy as sa

from forumapp.attendee import views as personal_page_views
from forumapp.core.models import Forum, Role, User
from forumapp.extensions import db
from forumapp.feedback import answering, attendee_views, review, window
from forumapp.feedback.models import (
    FeedbackResponse,
    FeedbackWindow,
    SessionRating,
    TopicSuggestion,
)
from forumapp.mail.models import OutboxMessage

from ..conftest import csrf_token, sign_in
from .conftest import answers, closes_in


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _form_path(world, name="Ana Alvarez"):
    return f"/me/{world.token(name)}/feedback/{world.forum_id}"


@pytest.fixture(autouse=True)
def _after_the_forum(monkeypatch):
    """The forum in the test data is in March 2027; these pages run a few days after it."""
    monkeypatch.setattr(attendee_views, "_local_today", lambda: date(2027, 3, 20))
    monkeypatch.setattr(personal_page_views, "_local_today", lambda: date(2027, 3, 20))


@pytest.fixture
def pages(app, committed_world):
    """The world plus helpers that need an app context."""
    world = committed_world

    class Pages:
        def path(self, name="Ana Alvarez"):
            with app.app_context():
                return _form_path(world, name)

        def post(self, client, name="Ana Alvarez", **fields):
            token = csrf_token(client, f"/me/{self.token(name)}")
            return client.post(self.path(name), data={"csrf_token": token, **fields})

        def count(self, model):
            with app.app_context():
                return db.session.scalar(sa.select(sa.func.count()).select_from(model))

        def token(self, name):
            with app.app_context():
                return world.token(name)

    helper = Pages()
    helper.world = world
    return helper


# --- The attendee form -----------------------------------------------------------------------


def test_form_offers_only_the_sessions_the_person_attended(client, pages):
    page = _text(client.get(pages.path("Ben Brooks")))
    assert "<h1>Your feedback on Forum 5: Testing</h1>" in page
    assert "Team day welcome" in page and "Breakout 2" in page
    assert "Opening general session" not in page and "Breakout 1" not in page
    assert "Lunch" not in page and "Cancelled talk" not in page
    # Radio groups in fieldsets with legends, each choice labelled; three empty topic boxes.
    assert "<legend>Overall, how would you rate the forum?</legend>" in page
    assert re.search(
        r'<input type="radio" id="overall_rating-5" name="overall_rating" value="5">'
        r'<label for="overall_rating-5">',
        page,
    )
    welcome = pages.world.items["Welcome"]
    assert f'<label for="rating-{welcome}-none">No answer</label>' in page
    assert f'<label for="comment-{welcome}">Comment (optional)' in page
    assert page.count('name="topic" value=""') == 3
    assert "Answer anonymously" in page and "without your name" in page


def test_people_who_did_not_check_in_are_told_why_they_cannot_answer(client, pages):
    response = client.get(pages.path("Nia Noshow"))
    assert response.status_code == 403
    page = _text(response)
    assert "Feedback is for people who attended" in page and "no check-in for you" in page
    assert pages.post(client, "Nia Noshow", overall_rating="5").status_code == 403
    assert pages.count(FeedbackResponse) == 0


def test_a_forged_link_or_unknown_forum_is_not_found(client, pages):
    assert client.get(f"/me/forged/feedback/{pages.world.forum_id}").status_code == 404
    assert client.get(f"/me/{pages.token('Ana Alvarez')}/feedback/9999").status_code == 404


def test_answering_saves_and_the_form_comes_back_filled_in_for_editing(client, pages):
    items = pages.world.items
    response = pages.post(
        client,
        overall_rating="4",
        **{
            f"rating-{items['Opening']}": "5",
            f"comment-{items['Opening']}": "Clear goals",
            f"rating-{items['Panel']}": "",
        },
        most_useful="Meeting other counties",
        should_change="",
        anonymous="y",
        topic=["Data sharing", "", "Housing first"],
    )
    assert response.status_code == 302
    page = _text(client.get(response.headers["Location"]))
    assert "Thank you! Your feedback is saved. You can change it until" in page
    assert re.search(r'id="overall_rating-4" name="overall_rating" value="4" checked', page)
    assert re.search(rf'id="rating-{items["Opening"]}-5" [^>]*value="5" checked', page)
    assert re.search(rf'id="rating-{items["Panel"]}-none" [^>]*checked', page)
    assert ">Clear goals</textarea>" in page and ">Meeting other counties</textarea>" in page
    assert 'value="Data sharing"' in page and 'value="Housing first"' in page
    assert page.count('name="topic" value=""') == 3
    assert re.search(r'id="anonymous" [^>]*checked', page)
    assert "Save my changes" in page

    again = pages.post(client, overall_rating="2", topic=["Data sharing"])
    assert again.status_code == 302
    assert "Your changes are saved." in _text(client.get(again.headers["Location"]))
    assert pages.count(FeedbackResponse) == 1 and pages.count(SessionRating) == 0
    assert pages.count(TopicSuggestion) == 1


def test_validation_errors_keep_everything_the_person_typed(client, pages):
    items = pages.world.items
    long_topic = "A very long topic " * 20
    response = pages.post(
        client,
        **{
            f"rating-{items['Opening']}": "3",
            f"comment-{items['Opening']}": "The speaker <em>was</em> great",
        },
        most_useful="Everything & more",
        should_change="Fewer slides",
        topic=["Jail diversion", long_topic, ""],
        anonymous="y",
    )
    assert response.status_code == 400
    page = _text(response)
    assert 'role="alert"' in page and "Please check these" in page
    assert '<a href="#overall_rating-1">Overall rating: Choose an overall rating' in page
    assert '<a href="#topic-1">Topic 2: Keep each topic to 300 characters' in page
    assert 'aria-describedby="overall_rating-error"' in page
    assert ">The speaker <em>was</em> great</textarea>" in page  # escaped, shown as typed
    assert "<em>was</em>" not in response.get_data(as_text=True)
    assert ">Everything & more</textarea>" in page and ">Fewer slides</textarea>" in page
    assert 'value="Jail diversion"' in page and f'value="{long_topic}"' in page
    assert re.search(rf'id="rating-{items["Opening"]}-3" [^>]*checked', page)
    assert re.search(r'id="anonymous" [^>]*checked', page)
    assert pages.count(FeedbackResponse) == 0


def test_a_rating_for_a_session_the_person_could_not_attend_is_refused(client, pages):
    items = pages.world.items
    response = pages.post(
        client, "Ben Brooks", overall_rating="5", **{f"rating-{items['Breakout 1']}": "1"}
    )
    assert response.status_code == 400
    assert "You can rate only the sessions you attended" in _text(response)
    assert pages.count(FeedbackResponse) == 0


def test_closed_feedback_says_when_it_closed_and_saves_nothing(app, client, pages):
    assert pages.post(client, overall_rating="4").status_code == 302
    with app.app_context():
        window.close_feedback(db.session, pages.world.forum())
        db.session.commit()
    page = _text(client.get(pages.path()))
    assert "Feedback closed on" in page and "We received your answers" in page
    assert "Send my feedback" not in page and "Save my changes" not in page
    response = pages.post(client, overall_rating="1", most_useful="Typed after closing")
    assert response.status_code == 409
    page = _text(response)
    assert "Feedback for this forum has closed. Your answers were not saved." in page
    assert ">Typed after closing</textarea>" in page
    with app.app_context():
        assert db.session.scalar(sa.select(FeedbackResponse.overall_rating)) == 4


def test_feedback_not_open_yet_says_so(app, client, pages):
    with app.app_context():
        db.session.execute(sa.delete(FeedbackWindow))
        db.session.commit()
    page = _text(client.get(pages.path()))
    assert "Feedback on this forum is not open yet" in page and 'name="overall_rating"' not in page


# --- The personal page -----------------------------------------------------------------------


def test_personal_page_offers_the_feedback_form_and_the_topic_form(client, pages):
    page = _text(client.get(f"/me/{pages.token('Ana Alvarez')}"))
    assert "How was Forum 5: Testing?" in page
    assert f'href="{pages.path()}">Give feedback' in page
    assert "Suggest a topic for the next forum" in page and 'name="text"' in page

    public = _text(client.get(f"/me/{pages.token('Pat Public')}"))
    assert "Give feedback" in public and "Suggest a topic" not in public
    nia = _text(client.get(f"/me/{pages.token('Nia Noshow')}"))
    assert "Give feedback" not in nia and "Suggest a topic for the next forum" in nia


def test_after_answering_the_personal_page_offers_to_change_it(client, pages):
    pages.post(client, overall_rating="4")
    page = _text(client.get(f"/me/{pages.token('Ana Alvarez')}"))
    assert "Thank you for your feedback on Forum 5: Testing" in page
    assert "Change your feedback" in page


def test_team_members_suggest_topics_from_their_personal_page(client, pages):
    path = f"/me/{pages.token('Ben Brooks')}/topics"
    token = csrf_token(client, f"/me/{pages.token('Ben Brooks')}")
    response = client.post(path, data={"csrf_token": token, "text": "Jail diversion"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#topics")
    page = _text(client.get(response.headers["Location"]))
    assert "Thank you! Your topic goes to faculty" in page
    assert "<li>Jail diversion</li>" in page

    long_text = "Why " * 100
    refused = client.post(path, data={"csrf_token": token, "text": long_text})
    assert refused.status_code == 400
    assert "Keep the topic to 300 characters" in _text(refused)
    assert f'value="{long_text}"' in _text(refused)
    assert pages.count(TopicSuggestion) == 1


def test_people_on_no_team_cannot_suggest_topics_between_forums(client, pages):
    path = f"/me/{pages.token('Pat Public')}/topics"
    assert client.get(path).status_code == 404
    token = csrf_token(client, f"/me/{pages.token('Pat Public')}")
    assert client.post(path, data={"csrf_token": token, "text": "Hi"}).status_code == 404
    assert pages.count(TopicSuggestion) == 0


# --- Staff pages ---------------------------------------------------------------------------


@pytest.fixture
def answered_pages(app, pages):
    with app.app_context():
        world = pages.world
        items = world.items
        answering.save_response(
            db.session,
            world.registration("Ana Alvarez"),
            answers(5, {items["Opening"]: (4, "Clear goals")}, topics=["Data sharing"]),
        )
        answering.save_response(
            db.session,
            world.registration("Ben Brooks"),
            answers(
                2,
                {items["Breakout 2"]: (2, "Too rushed")},
                should_change="Fewer slides",
                topics=["Data sharing across agencies"],
                anonymous=True,
            ),
        )
        db.session.commit()
    return pages


def test_faculty_read_the_summary_with_charts_and_no_anonymous_names(signed_in, answered_pages):
    client = signed_in("faculty")
    forum_id = answered_pages.world.forum_id
    response = client.get(f"/staff/forums/{forum_id}/feedback")
    assert response.status_code == 200
    page = _text(response)
    assert "<h1>Feedback on Forum 5: Testing</h1>" in page
    assert "2 of 4</strong> attendees answered (50%)" in page
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="feedback-chart"' in page
    assert '<title id="chart-overall-title">Overall rating of the forum</title>' in page
    assert "Numbers as a table" in page and '<th scope="row">5 · Excellent</th>' in page
    assert "Too rushed" in page and "Anonymous, Buncombe County" in page
    assert "Ben Brooks" not in page
    assert "Clear goals" in page and "Ana Alvarez, Buncombe County" in page
    assert f'href="/staff/forums/{forum_id}/topics"' in page
    assert "Send the summary to the teams" not in page  # organizers send it


def test_summary_filters_by_team_and_day(signed_in, answered_pages):
    client = signed_in("faculty")
    world = answered_pages.world
    base = f"/staff/forums/{world.forum_id}/feedback"
    dare = _text(client.get(f"{base}?team={world.teams['Dare County']}"))
    assert "0 of 1</strong> attendees answered" in dare and "Too rushed" not in dare
    assert "Showing the answers of Dare County" in dare
    assert "from this team" in dare and "counts every team's suggestions" in dare
    assert "from this team" not in _text(client.get(base))
    public_day = _text(client.get(f"{base}?day={world.public_day_id}"))
    assert "Team day welcome" not in public_day and "Opening general session" in public_day
    everything = _text(client.get(f"{base}?team=nonsense&day=999"))
    assert "2 of 4</strong>" in everything


def test_csv_export_leaves_anonymous_names_blank(signed_in, answered_pages):
    client = signed_in("faculty")
    response = client.get(f"/staff/forums/{answered_pages.world.forum_id}/feedback/answers.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    text = response.get_data(as_text=True).lstrip("\ufeff")
    assert "Ben Brooks" not in text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["Name"] for r in rows if r["Anonymous"] == "yes"} == {""}
    assert {r["Name"] for r in rows if r["Anonymous"] == "no"} == {"Ana Alvarez"}


def test_printable_report_and_measures(signed_in, answered_pages):
    client = signed_in("faculty")
    forum_id = answered_pages.world.forum_id
    report = _text(client.get(f"/staff/forums/{forum_id}/feedback/report"))
    assert (
        "Feedback report: Forum 5: Testing" in report
        and '<details class="feedback-feedback-chart-table" open>' in report
    )
    assert "Ben Brooks" not in report
    measures = client.get("/staff/program/measures")
    assert measures.status_code == 200
    page = _text(measures)
    assert "Average overall rating by forum" in page and "Buncombe County" in page


def test_feedback_is_in_the_faculty_navigation(signed_in, answered_pages):
    client = signed_in("faculty")
    page = _text(client.get("/staff/feedback"))
    assert '<a href="/staff/feedback" aria-current="page">Feedback</a>' in page
    assert "2 of 4 attendees" in page


def test_roles_faculty_read_organizers_collect_and_door_staff_see_nothing(
    client, make_user, answered_pages
):
    forum_id = answered_pages.world.forum_id
    base = f"/staff/forums/{forum_id}/feedback"
    sign_in(client, make_user("door"))
    assert client.get(base).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    sign_in(client, make_user("faculty"))
    assert client.get(f"{base}/settings").status_code == 403
    token = csrf_token(client, base)
    for action in (
        "settings/window",
        "settings/close",
        "settings/invitations",
        "settings/reminders",
        "settings/reviewer",
        "review/send",
    ):
        assert client.post(f"{base}/{action}", data={"csrf_token": token}).status_code == 403
    assert client.get(f"{base}/review").status_code == 200


def test_organizer_opens_feedback_and_emails_attendees(app, signed_in, answered_pages):
    client = signed_in("organizer")
    world = answered_pages.world
    base = f"/staff/forums/{world.forum_id}/feedback"
    token = csrf_token(client, f"{base}/settings")
    refused = client.post(
        f"{base}/settings/window", data={"csrf_token": token, "closes_at": "2001-01-01T10:00"}
    )
    assert refused.status_code == 400
    assert "Choose a closing time in the future." in _text(refused)
    later = closes_in(14).strftime("%Y-%m-%dT%H:%M")
    moved = client.post(f"{base}/settings/window", data={"csrf_token": token, "closes_at": later})
    assert moved.status_code == 302
    assert "Closing time moved to" in _text(client.get(moved.headers["Location"]))

    client.post(f"{base}/settings/invitations", data={"csrf_token": token})
    client.post(f"{base}/settings/reminders", data={"csrf_token": token})
    with app.app_context():
        kinds = dict(
            db.session.execute(
                sa.select(OutboxMessage.kind, sa.func.count()).group_by(OutboxMessage.kind)
            ).all()
        )
    assert kinds["feedback_invitation"] == 4 and kinds["feedback_reminder"] == 2

    closed = client.post(f"{base}/settings/close", data={"csrf_token": token})
    page = _text(client.get(closed.headers["Location"]))
    assert "Feedback is closed" in page and "Reopen feedback" in page


def test_organizer_assigns_a_reviewer_who_writes_the_summary_sent_to_teams(
    app, client, make_user, answered_pages
):
    world = answered_pages.world
    base = f"/staff/forums/{world.forum_id}/feedback"
    faculty_email = make_user("faculty")
    sign_in(client, make_user("organizer"))
    with app.app_context():
        fay = db.session.scalar(sa.select(User).filter_by(email=faculty_email))
        fay_id = fay.id
    token = csrf_token(client, f"{base}/settings")
    client.post(f"{base}/settings/reviewer", data={"csrf_token": token, "reviewer_id": fay_id})
    client.post("/logout", data={"csrf_token": token})

    sign_in(client, faculty_email)
    token = csrf_token(client, f"{base}/review")
    too_long = client.post(f"{base}/review", data={"csrf_token": token, "summary": "x" * 5001})
    assert too_long.status_code == 400
    saved = client.post(
        f"{base}/review", data={"csrf_token": token, "summary": "We heard you want more team time."}
    )
    assert saved.status_code == 302
    page = _text(client.get(f"{base}"))
    assert "Reviewer: Faculty" in page and "We heard you want more team time." in page
    client.post("/logout", data={"csrf_token": token})

    sign_in(client, make_user("organizer"))
    token = csrf_token(client, base)
    sent = client.post(f"{base}/review/send", data={"csrf_token": token})
    assert "Summary queued for 4 team members." in _text(client.get(sent.headers["Location"]))
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.kind == review.SUMMARY_KIND)
            )
            == 4
        )
        assert db.session.get(Forum, world.forum_id) is not None
    assert Role.FACULTY == "faculty"
