"""The staff outbox page: counts, filters, a message's text, and retrying failed mail."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from forumapp.core.clock import utcnow
from forumapp.extensions import db
from forumapp.mail.models import OutboxMessage

from ..conftest import csrf_token
from .conftest import free_port


def add_messages(app, *statuses: str) -> list[int]:
    """One message per status given, created a minute apart (the last is the newest)."""
    start = utcnow() - timedelta(hours=1)
    with app.app_context():
        messages = []
        for n, status in enumerate(statuses):
            failed = status == "failed"
            messages.append(
                OutboxMessage(
                    kind="registration_confirmation",
                    to_email=f"person{n}@example.org",
                    to_name=f"Person {n}",
                    subject=f"Message {n}",
                    text_body=f"Hello person {n}.",
                    status=status,
                    attempts=8 if failed else 1,
                    last_error="SMTP server unreachable: timed out" if failed else None,
                    created_at=start + timedelta(minutes=n),
                    sent_at=start + timedelta(minutes=n) if status == "sent" else None,
                )
            )
        db.session.add_all(messages)
        db.session.commit()
        return [m.id for m in messages]


def stored(app, message_id: int) -> OutboxMessage:
    with app.app_context():
        message = db.session.get(OutboxMessage, message_id)
        db.session.expunge(message)
        return message


def test_organizer_sees_counts_and_messages_newest_first(app, signed_in):
    client = signed_in("organizer")
    add_messages(app, "sent", "sent", "pending", "failed")

    page = client.get("/staff/outbox").get_data(as_text=True)

    assert "All (4)" in page and "Pending (1)" in page
    assert "Sent (2)" in page and "Failed (1)" in page
    assert page.index("Message 3") < page.index("Message 2") < page.index("Message 0")
    assert "SMTP server unreachable: timed out" in page
    assert 'href="/staff/outbox"' in page and ">Outbox</a>" in page  # in the navigation


def test_filter_by_status_shows_only_those_messages(app, signed_in):
    client = signed_in("organizer")
    add_messages(app, "sent", "failed", "pending")

    page = client.get("/staff/outbox?status=failed").get_data(as_text=True)

    assert "Message 1" in page
    assert "Message 0" not in page and "Message 2" not in page
    assert 'aria-current="page">Failed (1)' in page


def test_the_message_page_shows_its_text(app, signed_in):
    client = signed_in("organizer")
    [message_id] = add_messages(app, "pending")

    page = client.get(f"/staff/outbox/{message_id}").get_data(as_text=True)

    assert "<h1>Message 0</h1>" in page
    assert "Hello person 0." in page
    assert "person0@example.org" in page
    assert client.get("/staff/outbox/999999").status_code == 404


def test_the_outbox_is_paginated(app, signed_in):
    client = signed_in("organizer")
    add_messages(app, *["sent"] * 51)

    first = client.get("/staff/outbox").get_data(as_text=True)
    second = client.get("/staff/outbox?page=2").get_data(as_text=True)

    assert "Page 1 of 2" in first and "Older messages" in first
    assert first.count("/staff/outbox/") >= 50
    assert "Message 0<" in second and "Message 50<" not in second
    past_the_end = client.get("/staff/outbox?page=9").get_data(as_text=True)
    assert "There is no page 9: showing the last page, 2 of 2." in past_the_end
    assert "Message 0<" in past_the_end


def test_retry_puts_one_failed_message_back_in_line(app, signed_in):
    client = signed_in("organizer")
    failed, other = add_messages(app, "failed", "failed")
    token = csrf_token(client, "/staff/outbox?status=failed")

    response = client.post(
        f"/staff/outbox/{failed}/retry", data={"csrf_token": token, "back_to_status": "failed"}
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/outbox?status=failed"
    message = stored(app, failed)
    assert (message.status, message.attempts) == ("pending", 0)
    assert message.next_attempt_at <= utcnow()
    assert stored(app, other).status == "failed"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "queued to be sent again" in page


def test_retry_all_failed(app, signed_in):
    client = signed_in("organizer")
    ids = add_messages(app, "failed", "sent", "failed")
    page = client.get("/staff/outbox").get_data(as_text=True)
    assert "Retry all failed (2)" in page

    response = client.post(
        "/staff/outbox/retry-failed", data={"csrf_token": csrf_token(client, "/staff/outbox")}
    )

    assert response.status_code == 302
    assert [stored(app, i).status for i in ids] == ["pending", "sent", "pending"]
    assert "2 failed messages queued" in client.get("/staff/outbox").get_data(as_text=True)


def test_retry_without_the_csrf_token_is_refused(app, signed_in):
    client = signed_in("organizer")
    [failed] = add_messages(app, "failed")
    assert client.post(f"/staff/outbox/{failed}/retry").status_code == 400
    assert client.post("/staff/outbox/retry-failed").status_code == 400
    assert stored(app, failed).status == "failed"


@pytest.mark.parametrize("role", ["door", "faculty"])
def test_other_staff_cannot_see_or_retry_the_outbox(app, signed_in, role):
    client = signed_in(role)
    [failed] = add_messages(app, "failed")
    token = csrf_token(client, "/")
    assert client.get("/staff/outbox").status_code == 403
    assert client.get(f"/staff/outbox/{failed}").status_code == 403
    assert (
        client.post(f"/staff/outbox/{failed}/retry", data={"csrf_token": token}).status_code == 403
    )
    assert stored(app, failed).status == "failed"
    assert ">Outbox</a>" not in client.get("/").get_data(as_text=True)


# --- MAIL_SEND_AFTER_REQUEST (development) --------------------------------------------------------


def _join_background_delivery() -> None:
    for thread in threading.enumerate():
        if thread.name == "outbox-after-request":
            thread.join(timeout=20)


def test_with_send_after_request_a_retried_message_goes_out_at_once(
    app, signed_in, smtp_server, mail_settings
):
    mail_settings(MAIL_SEND_AFTER_REQUEST=True)
    client = signed_in("organizer")
    [failed] = add_messages(app, "failed")

    response = client.post(
        f"/staff/outbox/{failed}/retry", data={"csrf_token": csrf_token(client, "/staff/outbox")}
    )

    assert response.status_code == 302
    assert len(smtp_server.wait_for(1)) == 1
    _join_background_delivery()
    assert stored(app, failed).status == "sent"


def test_with_send_after_request_and_smtp_down_the_response_is_unharmed(
    app, signed_in, mail_settings
):
    mail_settings(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=free_port(),
        MAIL_SUPPRESS_SEND=False,
        MAIL_SEND_AFTER_REQUEST=True,
    )
    client = signed_in("organizer")
    [failed] = add_messages(app, "failed")

    response = client.post(
        f"/staff/outbox/{failed}/retry", data={"csrf_token": csrf_token(client, "/staff/outbox")}
    )

    assert response.status_code == 302
    _join_background_delivery()
    message = stored(app, failed)
    assert (message.status, message.attempts) == ("pending", 1)
    assert "SMTP server unreachable" in message.last_error


def test_without_send_after_request_nothing_is_sent_by_the_request(app, signed_in, smtp_server):
    client = signed_in("organizer")
    [failed] = add_messages(app, "failed")

    client.post(
        f"/staff/outbox/{failed}/retry", data={"csrf_token": csrf_token(client, "/staff/outbox")}
    )

    _join_background_delivery()
    assert smtp_server.received == []
    assert stored(app, failed).attempts == 0


def test_the_message_page_hides_personal_links(app, signed_in):
    client = signed_in("organizer")
    [message_id] = add_messages(app, "sent")
    with app.app_context():
        message = db.session.get(OutboxMessage, message_id)
        message.text_body = "Your link: http://127.0.0.1:5000/me/WzEsImFiYyJd.secret-part\nBye"
        db.session.commit()

    page = client.get(f"/staff/outbox/{message_id}").get_data(as_text=True)

    assert "secret-part" not in page and "WzEsImFiYyJd" not in page
    assert "/me/…(personal link hidden)" in page and "Bye" in page
