"""After an outage, people get the up-to-date message about a thing, not an old one after it:
a message that describes the whole state of something replaces the earlier ones about it that
have not gone out yet."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from forumapp.core.models import Forum
from forumapp.extensions import db
from forumapp.mail.models import OutboxMessage
from forumapp.mail.outbox import queue_email
from forumapp.mail.sending import retry_failed
from forumapp.mail.worker import deliver_due
from forumapp.registration.registering import cancel_days

from .. import builders as build
from ..registration.conftest import NOW, make_forum


def _statuses(**where) -> list[tuple[str, str]]:
    return [
        (message.subject, message.status)
        for message in db.session.scalars(
            sa.select(OutboxMessage).filter_by(**where).order_by(OutboxMessage.id)
        )
    ]


def _queue(subject: str, about: str = "registration:1", to_email: str = "ana@example.org"):
    return queue_email(
        db.session,
        to_email=to_email,
        subject=subject,
        text_body=subject,
        about=about,
        supersedes=True,
    )


def test_a_newer_message_replaces_the_unsent_ones_about_the_same_thing(app_ctx, smtp_server):
    _queue("First state")
    _queue("About something else", about="registration:2")
    _queue("For someone else", to_email="bo@example.org")
    _queue("Second state")

    report = deliver_due(db.session)

    assert sorted(r.message["Subject"] for r in smtp_server.wait_for(3)) == [
        "About something else",
        "For someone else",
        "Second state",
    ]
    assert report.sent == 3
    assert ("First state", "superseded") in _statuses(to_email="ana@example.org")


def test_a_message_that_failed_in_an_outage_is_replaced_too_and_never_retried(app_ctx, smtp_server):
    _queue("Old state")
    smtp_server.stop()
    deliver_due(db.session)
    db.session.execute(sa.update(OutboxMessage).values(status="failed"))  # gave up in the outage
    db.session.commit()
    _queue("New state")
    smtp_server.start()

    assert retry_failed(db.session) == 0  # nothing failed any more: it was replaced
    deliver_due(db.session)

    assert [r.message["Subject"] for r in smtp_server.wait_for(1)] == ["New state"]
    assert _statuses() == [("Old state", "superseded"), ("New state", "sent")]


def test_a_message_already_sent_stays_sent(app_ctx, smtp_server):
    _queue("First state")
    deliver_due(db.session)
    _queue("Second state")
    assert _statuses() == [("First state", "sent"), ("Second state", "pending")]


def test_superseding_needs_to_know_what_the_message_is_about(app_ctx):
    with pytest.raises(ValueError, match="needs ``about``"):
        queue_email(
            db.session, to_email="a@example.org", subject="s", text_body="t", supersedes=True
        )


def test_registering_again_while_mail_is_down_sends_only_the_current_confirmation(
    app_ctx, smtp_server
):
    setup = make_forum()
    forum = db.session.get(Forum, setup.forum_id)
    first = build.public_registration(forum, "Rosa Reyes", "rosa@public.example.org", now=NOW)
    cancel_days(db.session, first)
    build.public_registration(forum, "Rosa Reyes", "rosa@public.example.org", now=NOW)
    db.session.commit()

    deliver_due(db.session)

    confirmations = _statuses(kind="registration")
    assert confirmations == [
        ("Your registration: Forum 5: Testing", "superseded"),
        ("Your registration: Forum 5: Testing", "sent"),
    ]


def test_the_confirmation_that_replaces_another_lists_every_day_held(app_ctx, smtp_server):
    setup = make_forum()
    forum = db.session.get(Forum, setup.forum_id)
    person = build.team_member("Di Eng")
    build.team_registration(forum, person, day_ids=[setup.public_day_id], now=NOW)
    build.team_registration(forum, person, day_ids=[setup.team_day_id], now=NOW)
    db.session.commit()

    deliver_due(db.session)

    (received,) = [
        r for r in smtp_server.wait_for(1) if r.message["Subject"].startswith("Your registration")
    ]
    text = received.message.get_body(("plain",)).get_content()
    assert "Monday, March 15, 2027" in text and "Tuesday, March 16, 2027" in text


def test_a_confirmation_tells_where_the_registration_stands_when_it_is_sent(app_ctx, smtp_server):
    """The worker writes the confirmation when it sends it: a person waitlisted at
    registration and given a seat before the mail went out reads that they are registered."""
    setup = make_forum()  # three seats on the public day
    forum = db.session.get(Forum, setup.forum_id)
    first = build.public_registration(forum, "A One", now=NOW)
    build.public_registration(forum, "B Two", now=NOW)
    build.public_registration(forum, "C Three", now=NOW)
    build.public_registration(forum, "D Four", "d.four@public.example.org", now=NOW)
    cancel_days(db.session, first)  # D Four is given the seat
    db.session.commit()

    deliver_due(db.session)

    (confirmation,) = [
        r.message
        for r in smtp_server.received
        if r.rcpt_tos == ["d.four@public.example.org"]
        and r.message["Subject"] == "Your registration: Forum 5: Testing"
    ]
    text = confirmation.get_body(("plain",)).get_content()
    assert "You're registered for Monday, March 15, 2027" in text
    assert "waitlist" not in text


def test_a_registration_cancelled_before_its_confirmation_went_out_is_not_confirmed(
    app_ctx, smtp_server
):
    setup = make_forum()
    forum = db.session.get(Forum, setup.forum_id)
    rosa = build.public_registration(forum, "Rosa Reyes", "rosa@public.example.org", now=NOW)
    cancel_days(db.session, rosa)
    db.session.commit()

    deliver_due(db.session)

    assert _statuses(kind="registration") == [("Your registration: Forum 5: Testing", "superseded")]
    assert not [r for r in smtp_server.received if "Your registration" in r.message["Subject"]]
