"""A group message really delivered, through an SMTP server in the test process: each person
receives exactly one copy, addressed to them alone, with their own personal link, even when
the worker stops in the middle of a round and starts again."""

from __future__ import annotations

import re
from datetime import date, timedelta

import sqlalchemy as sa

from forumapp.core.clock import utcnow
from forumapp.core.links import person_for_token
from forumapp.extensions import db
from forumapp.mail.worker import deliver_due
from forumapp.messages.audience import Audience
from forumapp.messages.models import GroupMessage
from forumapp.messages.sending import MessageInput, write_message

from .. import builders as build

DAY = date(2027, 3, 15)
NAMES = ("Ada Lovelace", "Grace Hopper", "Alan Turing", "Edsger Dijkstra")
LINK = re.compile(r"/me/([A-Za-z0-9_.\-]+)")


def _schedule_for_day_one(send_at) -> GroupMessage:
    forum = build.forum(days=((DAY, "public"),))
    for name in NAMES:
        build.public_registration(forum, name)
    data = MessageInput(
        subject="Parking at {forum}",
        body="Hello {first_name},\nyour page: {personal_link}\n",
        audience=Audience(days=(DAY,)),
        send_at=send_at,
    )
    message = write_message(db.session, forum, data, user_id=None)
    db.session.commit()
    return message


def test_each_person_receives_one_copy_with_their_own_link_across_a_worker_restart(
    app_ctx, smtp_server
):
    _schedule_for_day_one(utcnow() + timedelta(minutes=5))
    deliver_due(db.session)  # the registration confirmations go first
    smtp_server.received.clear()
    db.session.execute(sa.update(GroupMessage).values(send_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()  # its time has come

    # The worker queues the message in its round, sends two copies, and is stopped.
    first = deliver_due(db.session, should_stop=lambda: len(smtp_server.received) >= 2)
    assert first.sent == 2
    # Started again (and again): the rest go, nothing twice, the message is not queued again.
    deliver_due(db.session)
    deliver_due(db.session)

    received = smtp_server.wait_for(4)
    assert len(received) == 4
    expected = sorted(build.email_for(name) for name in NAMES)
    assert sorted(mail.rcpt_tos[0] for mail in received) == expected
    for mail in received:
        assert mail.rcpt_tos == [mail.message["To"].addresses[0].addr_spec]  # nobody else's
        text = mail.message.get_body(("plain",)).get_content()
        person = person_for_token(db.session, LINK.search(text).group(1))
        assert person is not None and person.email == mail.rcpt_tos[0]
        assert text.startswith(f"Hello {person.name.split()[0]},")
        assert mail.message["Subject"] == "Parking at Forum 1: Testing"
    assert db.session.scalar(sa.select(GroupMessage.status)) == "queued"
