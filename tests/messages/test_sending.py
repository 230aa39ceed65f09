"""Writing to a group: one copy per person through the outbox, each with their own name and
links; placeholders checked; scheduled messages queued once by the worker, or cancelled."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from forumapp.core.audit import AuditEntry
from forumapp.core.clock import utcnow
from forumapp.core.links import person_for_token
from forumapp.extensions import db
from forumapp.mail.models import OutboxMessage
from forumapp.mail.worker import deliver_due
from forumapp.messages.audience import Audience
from forumapp.messages.errors import MessageError
from forumapp.messages.models import GroupMessage
from forumapp.messages.sending import (
    MessageInput,
    cancel_message,
    forum_messages,
    preview,
    queue_due_messages,
    write_message,
)
from forumapp.privacy.services import erase_person
from forumapp.registration.registering import cancel_days

from .. import builders as build

DAY = date(2027, 3, 15)
BODY = "Hello {first_name}, see you on {day} at {forum}. Your page: {personal_link}"


@pytest.fixture
def forum(app_ctx):
    forum = build.forum(days=((DAY, "public"), (DAY + timedelta(days=1), "team")))
    people = {
        name: build.public_registration(forum, name)
        for name in ("Ada Lovelace", "Grace Hopper", "Alan Turing", "Edsger Dijkstra")
    }
    build.team_registration(forum, "Tess Team")
    db.session.commit()
    forum.people = people
    return forum


def _to_day_one(forum, **fields) -> MessageInput:
    return MessageInput(
        subject=fields.pop("subject", "Parking at {forum}"),
        body=fields.pop("body", BODY),
        audience=fields.pop("audience", Audience(days=(DAY,))),
        **fields,
    )


def _copies(message: GroupMessage) -> list[OutboxMessage]:
    return db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.about == message.ref)
        .order_by(OutboxMessage.to_email)
    ).all()


def test_each_person_gets_one_copy_of_their_own(forum):
    message = write_message(db.session, forum, _to_day_one(forum), user_id=None)
    db.session.commit()
    copies = _copies(message)
    assert message.recipients == 4
    assert [copy.to_name for copy in copies] == [
        "Ada Lovelace",
        "Alan Turing",
        "Edsger Dijkstra",
        "Grace Hopper",
    ]
    ada = copies[0]
    assert ada.subject == "Parking at Forum 1: Testing"
    assert ada.text_body.startswith("Hello Ada, see you on Monday, March 15, 2027 at Forum 1")
    token = ada.text_body.rsplit("/me/", 1)[1]
    assert person_for_token(db.session, token).name == "Ada Lovelace"
    assert all("grace" not in copy.text_body.lower() for copy in copies if copy != copies[3])


def test_cancelled_and_erased_people_get_nothing(forum):
    cancel_days(db.session, forum.people["Alan Turing"])
    erase_person(db.session, forum.people["Grace Hopper"].person, None)
    db.session.commit()
    message = write_message(db.session, forum, _to_day_one(forum), user_id=None)
    assert [copy.to_name for copy in _copies(message)] == ["Ada Lovelace", "Edsger Dijkstra"]


def test_a_dry_run_counts_and_shows_first_names_without_queueing(forum):
    shown = preview(db.session, forum, _to_day_one(forum))
    assert shown.recipients == 4
    assert shown.sample == ["Ada", "Alan", "Edsger", "Grace"]
    assert shown.body.startswith("Hello Ada,")
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(OutboxMessage.kind == "group_message"))
        == 0
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GroupMessage)) == 0


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"body": "Hi {name}"}, "body", "Unknown placeholder {name}"),
        ({"subject": "About {dinner}"}, "subject", "Unknown placeholder {dinner}"),
        ({"body": "Hi {first_name"}, "body", "brace"),
        ({"body": "Hi {first_name!r}"}, "body", "nothing after its name"),
        ({"subject": "x" * 201}, "subject", "at most 200"),
        ({"body": " "}, "body", "Write the message"),
        ({"audience": Audience()}, "audience", "Choose who receives"),
        ({"send_at": utcnow() - timedelta(hours=1)}, "send_at", "future"),
        ({"send_at": utcnow() + timedelta(days=400)}, "send_at", "within a year"),
    ],
)
def test_what_cannot_be_sent_is_refused_by_name(forum, fields, field, words):
    with pytest.raises(MessageError) as refused:
        write_message(db.session, forum, _to_day_one(forum, **fields), user_id=None)
    assert refused.value.field == field
    assert words in refused.value.message
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GroupMessage)) == 0


def test_an_audience_matching_nobody_is_refused(forum):
    nobody = Audience(days=(DAY,), roles=("project_manager",))
    with pytest.raises(MessageError, match="Nobody matches"):
        write_message(db.session, forum, _to_day_one(forum, audience=nobody), user_id=None)


def test_a_scheduled_message_goes_once_when_due_and_is_audited_without_addresses(forum):
    organizer = build.staff_user("organizer")
    send_at = utcnow() + timedelta(hours=2)
    message = write_message(db.session, forum, _to_day_one(forum, send_at=send_at), organizer.id)
    db.session.commit()
    assert _copies(message) == []
    assert queue_due_messages(db.session, send_at - timedelta(minutes=1)) == 0
    assert queue_due_messages(db.session, send_at) == 1
    # A second worker, or the same one after a restart, finds nothing left to queue.
    assert queue_due_messages(db.session, send_at + timedelta(minutes=5)) == 0
    db.session.commit()
    assert len(_copies(message)) == 4
    entry = db.session.scalars(sa.select(AuditEntry).filter_by(subject=message.ref)).one()
    assert entry.action == "message.scheduled"
    assert entry.details["recipients"] == 4
    assert entry.details["audience"]["days"] == ["2027-03-15"]
    assert "@" not in str(entry.details)


def test_a_scheduled_message_can_be_cancelled_until_it_goes(forum):
    soon = utcnow() + timedelta(hours=1)
    message = write_message(db.session, forum, _to_day_one(forum, send_at=soon), None)
    cancel_message(db.session, message, None)
    assert queue_due_messages(db.session, soon + timedelta(hours=1)) == 0
    assert _copies(message) == []
    sent = write_message(db.session, forum, _to_day_one(forum), None)
    with pytest.raises(MessageError, match="already gone"):
        cancel_message(db.session, sent, None)


def test_the_mail_worker_queues_due_messages_in_its_round(forum):
    message = write_message(
        db.session, forum, _to_day_one(forum, send_at=utcnow() + timedelta(seconds=30)), None
    )
    db.session.execute(
        sa.update(GroupMessage).values(send_at=utcnow() - timedelta(seconds=1))
    )  # its time has come
    db.session.commit()
    deliver_due(db.session)
    counts = forum_messages(db.session, forum)[0]
    assert counts.message.id == message.id
    assert counts.queued + counts.sent == 4
