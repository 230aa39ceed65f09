"""Delivery through a real SMTP server: what arrives, and what happens when it cannot."""

from __future__ import annotations

import socket
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from forumapp.core.clock import utcnow
from forumapp.extensions import db, mail
from forumapp.mail.models import OutboxMessage
from forumapp.mail.outbox import queue_email, register_attachment_renderer
from forumapp.mail.sending import CLAIM_LEASE, _claim_next, retry_delay, retry_failed
from forumapp.mail.worker import deliver_due

INVITATION = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//forumapp//test//EN\r\nMETHOD:REQUEST\r\n"
    "BEGIN:VEVENT\r\nUID:forum-1@test\r\nDTSTAMP:20270101T120000Z\r\n"
    "DTSTART:20270218T133000Z\r\nSUMMARY:Forum 1 – Durham\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def queue(to_email: str = "ana@example.org", **fields) -> int:
    """Queue one message and commit, as a request would; returns its id."""
    values = {
        "to_name": "Ana Pérez",
        "subject": "Your registration for Forum 1",
        "text_body": "Hello Ana,\nyou are registered.\n",
        "html_body": "<p>Hello Ana,</p><p>you are <strong>registered</strong>.</p>",
        "kind": "registration_confirmation",
        **fields,
    }
    message_id = queue_email(db.session, to_email=to_email, **values).id
    db.session.commit()
    return message_id


def stored(message_id: int) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def content(part) -> str:
    """A text part's content as a mail client shows it (line ends travel as CRLF)."""
    return part.get_content().replace("\r\n", "\n")


def parts(message) -> list[str]:
    return [part.get_content_type() for part in message.iter_parts()]


def test_queued_message_arrives_with_text_and_html_and_the_right_headers(app_ctx, smtp_server):
    message_id = queue()

    report = deliver_due(db.session)

    assert (report.sent, report.failed, report.pending) == (1, 0, 0)
    assert report.summary() == "sent 1, failed 0, pending 0"
    [received] = smtp_server.received
    assert received.rcpt_tos == ["ana@example.org"]
    assert received.mail_from == "forums@test.example.org"
    email = received.message
    assert email["To"] == "Ana Pérez <ana@example.org>"
    assert email["From"] == "forums@test.example.org"
    assert email["Subject"] == "Your registration for Forum 1"
    assert email.get_content_type() == "multipart/alternative"
    assert parts(email) == ["text/plain", "text/html"]
    assert content(email.get_body(("plain",))) == "Hello Ana,\nyou are registered.\n"
    assert "<strong>registered</strong>" in content(email.get_body(("html",)))
    row = stored(message_id)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)
    assert row.sent_at is not None


def test_a_calendar_invitation_sits_inside_multipart_alternative_beside_attachments(
    app_ctx, smtp_server
):
    queue(
        subject="Invitation: Forum 1",
        alternatives=[
            {"content_type": "text/calendar; method=REQUEST; charset=UTF-8", "content": INVITATION}
        ],
        attachments=[
            {"filename": "invite.ics", "content_type": "application/ics", "content": INVITATION},
            {"filename": "directions.txt", "content_type": "text/plain", "content": "Turn left."},
        ],
    )

    assert deliver_due(db.session).sent == 1

    email = smtp_server.received[0].message
    assert email.get_content_type() == "multipart/mixed"
    alternative, *attachments = email.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    assert parts(alternative) == ["text/plain", "text/html", "text/calendar"]
    calendar = list(alternative.iter_parts())[2]
    assert calendar.get_param("method") == "REQUEST"
    assert calendar.get_content_charset() == "utf-8"
    assert content(calendar) == INVITATION.replace("\r\n", "\n")
    assert "Forum 1 – Durham" in content(calendar)
    assert [(a.get_filename(), a.get_content_type()) for a in attachments] == [
        ("invite.ics", "application/ics"),
        ("directions.txt", "text/plain"),
    ]
    assert all(a.get_content_disposition() == "attachment" for a in attachments)
    assert attachments[0].get_content().decode() == INVITATION
    assert content(attachments[1]) == "Turn left.\n"


def test_an_attachment_with_a_renderer_is_drawn_by_the_worker_when_it_sends(app_ctx, smtp_server):
    drawn = []

    def draw_badge(name: str) -> bytes:
        drawn.append(name)
        return f"badge of {name}".encode()

    register_attachment_renderer("test_badge", draw_badge)
    message_id = queue(
        attachments=[
            {
                "filename": "badge.bin",
                "content_type": "application/octet-stream",
                "rendered_by": "test_badge",
                "arguments": {"name": "Ana"},
            }
        ]
    )
    assert drawn == []  # queueing (inside a request) draws nothing
    [part] = stored(message_id).attachments
    assert "content" not in part and "content_base64" not in part

    assert deliver_due(db.session).sent == 1

    assert drawn == ["Ana"]
    email = smtp_server.received[0].message
    attachment = next(email.iter_attachments())
    assert attachment.get_filename() == "badge.bin"
    assert attachment.get_content() == b"badge of Ana"


def test_an_attachment_naming_an_unknown_renderer_is_refused_when_queued(app_ctx):
    with pytest.raises(ValueError, match="no_such_drawing"):
        queue_email(
            db.session,
            to_email="ana@example.org",
            subject="Broken",
            text_body="Hello",
            attachments=[
                {"filename": "x.png", "content_type": "image/png", "rendered_by": "no_such_drawing"}
            ],
        )
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_a_text_only_message_arrives_as_plain_text(app_ctx, smtp_server):
    queue(html_body=None)
    deliver_due(db.session)
    email = smtp_server.received[0].message
    assert email.get_content_type() == "text/plain"
    assert content(email) == "Hello Ana,\nyou are registered.\n"


def test_nothing_is_sent_for_a_rolled_back_transaction(app_ctx, smtp_server):
    queue_email(db.session, to_email="ana@example.org", subject="Never", text_body="No.")
    db.session.rollback()

    report = deliver_due(db.session)

    assert (report.sent, report.pending) == (0, 0)
    assert smtp_server.received == []
    assert db.session.scalar(select(OutboxMessage)) is None


def test_server_down_keeps_mail_pending_and_only_the_tried_message_counts_an_attempt(
    app_ctx, smtp_server
):
    first, second = queue(), queue("ben@example.org")
    smtp_server.stop()
    now = utcnow()

    report = deliver_due(db.session, now=now)

    assert (report.sent, report.deferred, report.failed, report.pending) == (0, 1, 0, 2)
    assert "unreachable" in report.server_error
    assert "stopped early" in report.summary()
    tried, untouched = stored(first), stored(second)
    assert (tried.status, tried.attempts) == ("pending", 1)
    assert "SMTP server unreachable" in tried.last_error
    assert tried.next_attempt_at == now + timedelta(minutes=1)
    assert (untouched.status, untouched.attempts, untouched.last_error) == ("pending", 0, None)

    smtp_server.start()
    later = now + timedelta(minutes=2)
    assert deliver_due(db.session, now=later).sent == 2
    assert deliver_due(db.session, now=later + timedelta(hours=3)).sent == 0

    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == [
        "ana@example.org",
        "ben@example.org",
    ]
    assert stored(first).attempts == 2 and stored(first).status == "sent"


def test_a_server_that_never_answers_times_out_and_the_message_waits(app_ctx, mail_settings):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()  # accepts connections but never greets
    try:
        mail_settings(
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=silent.getsockname()[1],
            MAIL_SUPPRESS_SEND=False,
            MAIL_TIMEOUT=0.3,
        )
        message_id = queue()
        report = deliver_due(db.session)
    finally:
        silent.close()
    assert report.deferred == 1
    row = stored(message_id)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "timed out" in row.last_error


def test_retries_back_off_and_give_up_after_max_attempts_with_the_reason(app, app_ctx, smtp_server):
    message_id = queue()
    smtp_server.stop()
    now = utcnow()
    waits = []
    for _ in range(app.config["MAIL_MAX_ATTEMPTS"] - 1):
        deliver_due(db.session, now=now)
        row = stored(message_id)
        assert row.status == "pending"
        waits.append(row.next_attempt_at - now)
        # Not due again before its time.
        assert deliver_due(db.session, now=row.next_attempt_at - timedelta(seconds=1)).tried == 0
        now = row.next_attempt_at
    assert [w // timedelta(minutes=1) for w in waits] == [1, 2, 4, 8, 16, 32, 60]

    report = deliver_due(db.session, now=now)

    assert (report.failed, report.pending) == (1, 0)
    row = stored(message_id)
    assert (row.status, row.attempts) == ("failed", 8)
    assert "SMTP server unreachable" in row.last_error
    assert deliver_due(db.session, now=now + timedelta(days=1)).tried == 0

    assert retry_failed(db.session) == 1
    db.session.commit()
    row = stored(message_id)
    assert (row.status, row.attempts) == ("pending", 0)
    assert row.next_attempt_at <= utcnow()

    smtp_server.start()
    assert deliver_due(db.session).sent == 1
    assert len(smtp_server.received) == 1


def test_retry_delay_doubles_up_to_an_hour():
    assert [retry_delay(n).total_seconds() / 60 for n in range(1, 10)] == [
        1,
        2,
        4,
        8,
        16,
        32,
        60,
        60,
        60,
    ]


def test_a_refused_recipient_fails_at_once_and_the_rest_are_still_sent(app_ctx, smtp_server):
    smtp_server.refused_recipients.add("nobody@example.org")
    refused = queue("nobody@example.org")
    fine = queue("ben@example.org")

    report = deliver_due(db.session)

    assert (report.sent, report.failed, report.server_error) == (1, 1, None)
    row = stored(refused)
    assert row.status == "failed"
    assert row.last_error.startswith("recipient refused: 550")
    assert stored(fine).status == "sent"
    assert [r.rcpt_tos for r in smtp_server.received] == [["ben@example.org"]]


def test_a_message_that_cannot_be_built_fails_at_once_and_the_rest_are_still_sent(
    app_ctx, smtp_server
):
    broken = queue("not an address")
    header_injection = queue(subject="Hello\nBcc: everyone@example.org")
    fine = queue("ben@example.org")

    report = deliver_due(db.session)

    assert (report.sent, report.failed) == (1, 2)
    for message_id in (broken, header_injection):
        row = stored(message_id)
        assert row.status == "failed"
        assert row.last_error.startswith("cannot build the message")
    assert stored(fine).status == "sent"
    assert [r.rcpt_tos for r in smtp_server.received] == [["ben@example.org"]]


def test_without_a_sender_address_nothing_is_touched(app_ctx, mail_settings):
    mail_settings(MAIL_DEFAULT_SENDER=None)
    message_id = queue()

    with pytest.raises(RuntimeError, match="MAIL_DEFAULT_SENDER"):
        deliver_due(db.session)

    assert (stored(message_id).status, stored(message_id).attempts) == ("pending", 0)


def test_retry_failed_can_pick_single_messages(app_ctx):
    ids = [queue(f"p{n}@example.org") for n in range(3)]
    for message in db.session.scalars(select(OutboxMessage)):
        message.status = "failed"
    db.session.commit()

    assert retry_failed(db.session, [ids[0], ids[2]]) == 2
    db.session.commit()

    assert [stored(i).status for i in ids] == ["pending", "failed", "pending"]


def test_a_message_claimed_by_a_worker_that_died_is_sent_after_the_lease(app_ctx, smtp_server):
    message_id = queue()
    now = utcnow()
    assert _claim_next(db.session, now).id == message_id  # ...and the worker dies here

    assert deliver_due(db.session, now=now).tried == 0
    assert deliver_due(db.session, now=now + CLAIM_LEASE).sent == 1
    assert stored(message_id).attempts == 2
    assert len(smtp_server.received) == 1


def test_two_workers_at_once_send_every_message_exactly_once(app, app_ctx, smtp_server):
    for n in range(30):
        queue(f"person{n}@example.org")
    reports = []

    def worker():
        with app.app_context():
            try:
                reports.append(deliver_due(db.session, limit=100))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(report.sent for report in reports) == 30
    recipients = [r.rcpt_tos[0] for r in smtp_server.received]
    assert sorted(recipients) == sorted(f"person{n}@example.org" for n in range(30))
    assert {stored_row.attempts for stored_row in db.session.scalars(select(OutboxMessage))} == {1}


def test_on_postgresql_a_row_locked_by_another_worker_is_skipped_not_waited_for(
    app, app_ctx, smtp_server, db_kind
):
    if db_kind != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite serialises claims with BEGIN IMMEDIATE")
    locked, free = queue("locked@example.org"), queue("free@example.org")
    reports = []

    def worker():
        with app.app_context():
            try:
                reports.append(deliver_due(db.session, limit=1))
            finally:
                db.session.remove()

    with db.engine.connect() as other_worker:
        other_worker.execute(
            text("SELECT id FROM outbox_message WHERE id = :id FOR UPDATE"), {"id": locked}
        )
        thread = threading.Thread(target=worker, daemon=True)
        thread.start()
        thread.join(timeout=10)
        waited = thread.is_alive()
        other_worker.rollback()
    thread.join(timeout=10)
    assert not waited, "the worker waited for the locked row instead of skipping it"
    assert reports[0].sent == 1
    assert stored(free).status == "sent" and stored(locked).status == "pending"


def test_with_sending_suppressed_messages_are_recorded_not_sent(app_ctx):
    queue()
    with mail.record_messages() as outbox:
        assert deliver_due(db.session).sent == 1
    assert [(m.subject, m.recipients) for m in outbox] == [
        ("Your registration for Forum 1", ["ana@example.org"])
    ]


def test_a_long_name_with_an_address_in_it_stays_one_quoted_recipient(app_ctx, smtp_server):
    name = "Ana " + "Pérez " * 12 + '"<x@evil.example>, Bob" , Bob <x@evil.example>'
    assert len(name) > 90
    queue_email(
        db.session, to_email="ana@example.org", to_name=name, subject="Hi", text_body="Hello"
    )
    db.session.commit()
    deliver_due(db.session)
    [received] = smtp_server.received
    assert received.rcpt_tos == ["ana@example.org"]
    recipients = received.message["To"].addresses
    assert [(a.display_name, a.addr_spec) for a in recipients] == [(name, "ana@example.org")]
