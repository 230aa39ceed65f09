"""A speaker's own page on their personal link: only their sessions, their uploads, and the
feedback on them anonymous, with ratings and comments hidden below three answers."""

from __future__ import annotations

import io

import sqlalchemy as sa

from forumapp.agenda.models import AgendaItem
from forumapp.extensions import db
from forumapp.feedback.models import FeedbackResponse, SessionRating
from forumapp.materials.models import Material

from .. import builders as build
from ..conftest import csrf_token
from .conftest import pdf_bytes


def _answer(forum, item, name: str, rating: int, comment: str) -> None:
    registration = build.public_registration(forum, name)
    response = FeedbackResponse(
        forum_id=forum.id, registration_id=registration.id, overall_rating=4, anonymous=False
    )
    response.ratings.append(SessionRating(item_id=item.id, rating=rating, comment=comment))
    db.session.add(response)
    db.session.flush()


def test_a_speaker_sees_only_their_sessions_and_uploads_to_them(app, client, place):
    with app.app_context():
        other = db.session.get(AgendaItem, place.team_item_id)
        build.link(other, build.speaker("Dr Someone Else"))
        db.session.commit()
    path = f"/me/{place.speaker_token}/speaking"

    page = client.get(path).get_data(as_text=True)

    assert "Opening" in page and "Jail reentry" not in page
    assert client.get(path).headers["Cache-Control"] == "no-store"
    upload = f"/me/{place.speaker_token}/speaking/sessions/{place.public_item_id}/materials"
    done = client.post(
        upload,
        data={
            "title": "My slides",
            "visibility": "public",
            "file": (io.BytesIO(pdf_bytes()), "slides.pdf"),
            "csrf_token": csrf_token(client, path),
        },
        content_type="multipart/form-data",
    )
    assert done.status_code == 302
    with app.app_context():
        material = db.session.scalar(sa.select(Material))
        assert material.item_id == place.public_item_id and material.uploaded_by_speaker_id
    not_mine = f"/me/{place.speaker_token}/speaking/sessions/{place.team_item_id}/materials"
    refused = client.post(
        not_mine,
        data={
            "title": "x",
            "file": (io.BytesIO(pdf_bytes()), "x.pdf"),
            "csrf_token": csrf_token(client, path),
        },
        content_type="multipart/form-data",
    )
    assert refused.status_code == 404
    # Someone who is not a speaker has no such page.
    assert client.get(f"/me/{place.registrant_token}/speaking").status_code == 404


def test_feedback_is_anonymous_and_hidden_below_three_answers(app, client, place, today_is):
    from datetime import date

    today_is(date(2027, 3, 17))
    with app.app_context():
        item = db.session.get(AgendaItem, place.public_item_id)
        forum = item.day.forum
        _answer(forum, item, "Rater One", 5, "Loved the naloxone demo")
        _answer(forum, item, "Rater Two", 3, "Too short")
        db.session.commit()
    path = f"/me/{place.speaker_token}/speaking"

    few = client.get(path).get_data(as_text=True)
    assert "2 answers so far" in few
    assert "Loved the naloxone demo" not in few and "average rating" not in few

    with app.app_context():
        item = db.session.get(AgendaItem, place.public_item_id)
        _answer(item.day.forum, item, "Rater Three", 4, "")
        db.session.commit()
    enough = client.get(path).get_data(as_text=True)
    assert "3 answers, average rating 4.0 out of 5." in enough
    assert "Loved the naloxone demo" in enough and "Too short" in enough
    for name in ("Rater One", "Rater Two", "Rater Three"):
        assert name not in enough


def test_the_personal_page_links_a_speakers_own_page(client, place):
    page = client.get(f"/me/{place.speaker_token}").get_data(as_text=True)
    assert f"/me/{place.speaker_token}/speaking" in page
    assert "/speaking" not in client.get(f"/me/{place.registrant_token}").get_data(as_text=True)


def test_a_speakers_session_shows_its_time_room_and_co_speakers(app, client, place):
    with app.app_context():
        item = db.session.get(AgendaItem, place.public_item_id)
        item.room = build.room(item.day.forum, "Ballroom B")
        build.link(item, build.speaker("Chief Ana Colleague"), role="moderator")
        db.session.commit()

    page = client.get(f"/me/{place.speaker_token}/speaking").get_data(as_text=True)

    assert "Ballroom B" in page
    assert "9:00" in page and "10:00" in page
    assert "With: Chief Ana Colleague" in page
    assert "With: Dr Rita Speaker" not in page  # the speaker is not their own co-speaker
