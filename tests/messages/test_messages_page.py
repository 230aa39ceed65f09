"""The organizers' messages page: preview whom a message reaches and one person's copy, then
send it (confirmed above 50 people), schedule it, or cancel it; bad input is named next to its
field and nothing is written."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from forumapp.core.audit import AuditEntry
from forumapp.extensions import db
from forumapp.mail.models import OutboxMessage
from forumapp.messages.models import GroupMessage

from .. import builders as build
from ..conftest import csrf_token

DAY = date(2027, 3, 15)
BODY = "Hello {first_name}, see you on {day}. Your page: {personal_link}"


@pytest.fixture
def forum_id(app):
    with app.app_context():
        forum = build.forum(days=((DAY, "public"), (DAY + timedelta(days=1), "team")))
        for name in ("Ada Lovelace", "Grace Hopper", "Alan Turing"):
            build.public_registration(forum, name)
        build.team_registration(forum, "Tess Team")
        db.session.commit()
        return forum.id


@pytest.fixture
def organizer(signed_in):
    return signed_in("organizer")


def _url(forum_id: int) -> str:
    return f"/staff/forums/{forum_id}/messages"


def _post(client, forum_id, button="preview", **fields):
    data = {
        "csrf_token": csrf_token(client, _url(forum_id)),
        "subject": "Parking at {forum}",
        "body": BODY,
        "days": [DAY.isoformat()],
        button: button.capitalize(),
        **fields,
    }
    return client.post(_url(forum_id), data=data)


def _outbox(app) -> list[OutboxMessage]:
    with app.app_context():
        return db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.kind == "group_message")
            .order_by(OutboxMessage.to_email)
        ).all()


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_the_forum_page_links_to_its_messages(app, organizer, forum_id):
    page = organizer.get(f"/staff/forums/{forum_id}/agenda").get_data(as_text=True)
    assert f'href="{_url(forum_id)}"' in page


def test_a_preview_shows_the_count_and_one_copy_and_sends_nothing(app, organizer, forum_id):
    response = _post(organizer, forum_id)
    page = _text(response)
    assert response.status_code == 200
    assert "Preview: 3 people" in page
    assert "Including Ada, Alan, Grace." in page
    assert "Hello Ada, see you on Monday, March 15, 2027." in page
    assert "Parking at Forum 1: Testing" in page
    assert "Send to 3 people" in page
    assert _outbox(app) == []


def test_sending_after_the_preview_queues_one_copy_per_person(app, organizer, forum_id):
    response = _post(organizer, forum_id, button="send", previewed="3")
    assert response.status_code == 303
    page = _text(organizer.get(response.headers["Location"]))
    assert "Sent to 3 people" in page
    copies = _outbox(app)
    assert [copy.to_email for copy in copies] == sorted(
        build.email_for(name) for name in ("Ada Lovelace", "Grace Hopper", "Alan Turing")
    )
    assert all(copy.text_body.startswith(f"Hello {copy.to_name.split()[0]},") for copy in copies)
    # The list below the form shows it, with its delivery.
    assert "Parking at {forum}" in page and "0 sent, 3 waiting" in page


def test_a_send_that_would_reach_other_people_than_previewed_shows_the_preview_again(
    app, organizer, forum_id
):
    response = _post(organizer, forum_id, button="send", previewed="2")
    assert response.status_code == 409
    assert "This now reaches 3 people: check the preview and send again." in _text(response)
    assert _outbox(app) == []


def test_a_large_audience_is_sent_only_once_confirmed(app, organizer, forum_id):
    with app.app_context():
        for number in range(50):
            build.public_registration(forum_id, f"Guest {number:02d} Visitor")
        db.session.commit()
    preview = _text(_post(organizer, forum_id))
    assert "Preview: 53 people" in preview and "Yes, send it to all of them" in preview
    refused = _post(organizer, forum_id, button="send", previewed="53")
    assert refused.status_code == 400
    assert "Tick this box to send to all 53 people." in _text(refused)
    assert _outbox(app) == []
    sent = _post(organizer, forum_id, button="send", previewed="53", confirm="y")
    assert sent.status_code == 303
    assert len(_outbox(app)) == 53


@pytest.mark.parametrize(
    "fields, words",
    [
        ({"days": []}, "Choose who receives the message"),
        ({"roles": ["project_manager"]}, "Nobody matches this audience: widen it."),
        ({"body": "Hi {name}"}, "Unknown placeholder {name}."),
        ({"subject": ""}, "Write a subject."),
        ({"body": "x" * 10_001}, "Use at most 10000 characters"),
        ({"days": ["2027-04-01"]}, "is not a valid choice"),
        ({"send_at": "2020-01-01T09:00"}, "Choose a time in the future, or send it now."),
        ({"send_at": "2099-01-01T09:00"}, "Choose a time within a year."),
    ],
)
def test_what_cannot_be_sent_is_named_on_the_page(app, organizer, forum_id, fields, words):
    response = _post(organizer, forum_id, button="send", previewed="3", **fields)
    assert response.status_code == 400
    assert words in _text(response)
    assert _outbox(app) == []
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(GroupMessage)) == 0


def test_a_scheduled_message_can_be_cancelled_from_the_page(app, organizer, forum_id):
    when = f"{date.today() + timedelta(days=3)}T09:00"
    preview = _text(_post(organizer, forum_id, send_at=when))
    assert "Schedule to 3 people" in preview
    response = _post(organizer, forum_id, button="send", previewed="3", send_at=when)
    page = _text(organizer.get(response.headers["Location"]))
    assert "Scheduled for" in page and "9:00 AM" in page
    assert _outbox(app) == []
    with app.app_context():
        message_id = db.session.scalar(sa.select(GroupMessage.id))
    cancel_url = f"{_url(forum_id)}/{message_id}/cancel"
    assert f'action="{cancel_url}"' in page
    response = organizer.post(
        cancel_url, data={"csrf_token": csrf_token(organizer, _url(forum_id))}
    )
    page = _text(organizer.get(response.headers["Location"]))
    assert "will not be sent" in page and "Cancelled:" in page
    with app.app_context():
        assert db.session.get(GroupMessage, message_id).status == "cancelled"
        actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["message.scheduled", "message.cancelled"]


def test_a_message_of_another_forum_cannot_be_cancelled_here(app, organizer, forum_id):
    _post(organizer, forum_id, button="send", previewed="3", send_at="2030-01-01T09:00")
    with app.app_context():
        other = build.forum(number=2)
        db.session.commit()
        other_id, message_id = other.id, db.session.scalar(sa.select(GroupMessage.id))
    response = organizer.post(
        f"{_url(other_id)}/{message_id}/cancel",
        data={"csrf_token": csrf_token(organizer, _url(forum_id))},
    )
    assert response.status_code == 404


def test_each_organizer_may_send_only_so_many_messages(app, organizer, forum_id, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_GROUP_MESSAGES", "2 per hour")
    for _ in range(3):  # previews do not count
        assert _post(organizer, forum_id).status_code == 200
    for _ in range(2):
        assert _post(organizer, forum_id, button="send", previewed="3").status_code == 303
    refused = _post(organizer, forum_id, button="send", previewed="3")
    assert refused.status_code == 429
    assert len(_outbox(app)) == 6
