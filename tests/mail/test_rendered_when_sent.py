"""Messages the mail worker renders when it sends them (``queue_email_rendered_when_sent``):
the request that queues one stores no bodies; what arrives says how things stand at sending."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from forumapp.core.clock import utcnow
from forumapp.core.models import Person
from forumapp.extensions import db
from forumapp.mail.models import OutboxMessage
from forumapp.mail.outbox import (
    RenderedMessage,
    queue_email,
    queue_email_rendered_when_sent,
    register_message_renderer,
)
from forumapp.mail.sending import _claim_next, _rendered
from forumapp.mail.worker import deliver_due
from forumapp.privacy.services import erase_person, export_person

from ..core.test_write_gate import gate_is_free, gate_path  # noqa: F401  (gate_path: fixture)
from .test_delivery import content, stored

GREETING = "test_greeting"


def greeting(session, person_id: int) -> RenderedMessage | None:
    """A renderer reading the database when it writes: None once the person is gone."""
    person = session.get(Person, person_id)
    if person is None:
        return None
    return RenderedMessage(
        subject=f"Hello, {person.name}",
        text_body=f"Hello {person.name}.\n",
        html_body=f"<p>Hello <strong>{person.name}</strong>.</p>",
        attachments=[{"filename": "note.txt", "content_type": "text/plain", "content": "A note"}],
    )


@pytest.fixture(autouse=True)
def _greeting_renderer():
    register_message_renderer(GREETING, greeting)


def queue_greeting(name: str = "Ana Pérez", renderer: str = GREETING) -> tuple[int, int]:
    """Queue a greeting to a new person and commit, as a request would: (message, person)."""
    person = Person(name=name, email=f"{name.split()[0].lower()}@example.org")
    db.session.add(person)
    db.session.flush()
    message = queue_email_rendered_when_sent(
        db.session, renderer, {"person_id": person.id}, person, kind="greeting", subject="Hello"
    )
    db.session.commit()
    return message.id, person.id


def test_the_message_is_stored_unwritten_and_arrives_as_things_stand_when_it_is_sent(
    app_ctx, smtp_server
):
    message_id, person_id = queue_greeting("Ana Pérez")
    queued = stored(message_id)
    assert (queued.subject, queued.text_body, queued.html_body) == ("Hello", "", None)
    db.session.get(Person, person_id).name = "Ana Pérez Soto"  # renamed before the worker ran
    db.session.commit()

    report = deliver_due(db.session)

    assert report.sent == 1
    [received] = smtp_server.received
    email = received.message
    # The subject and the name on the envelope are written when it is sent, too.
    assert email["Subject"] == "Hello, Ana Pérez Soto"
    assert email["To"] == "Ana Pérez Soto <ana@example.org>"
    assert content(email.get_body(("plain",))) == "Hello Ana Pérez Soto.\n"
    assert "<strong>Ana Pérez Soto</strong>" in content(email.get_body(("html",)))
    [note] = list(email.iter_attachments())
    assert note.get_filename() == "note.txt"
    # The outbox keeps what was sent, as for any message.
    sent = stored(message_id)
    assert (sent.status, sent.text_body) == ("sent", "Hello Ana Pérez Soto.\n")
    assert (sent.subject, sent.to_name) == ("Hello, Ana Pérez Soto", "Ana Pérez Soto")
    assert sent.html_body == "<p>Hello <strong>Ana Pérez Soto</strong>.</p>"
    assert [part["filename"] for part in sent.attachments] == ["note.txt"]
    assert sent.rendered_by is None


def test_a_message_with_nothing_left_to_say_is_not_sent(app_ctx, smtp_server):
    message_id, person_id = queue_greeting()
    db.session.delete(db.session.get(Person, person_id))
    db.session.commit()

    report = deliver_due(db.session)

    assert (report.sent, report.failed, report.pending, report.dropped) == (0, 0, 0, 1)
    assert report.summary() == "sent 0, failed 0, pending 0; 1 no longer to be sent"
    assert smtp_server.received == []
    gone = stored(message_id)
    assert gone.status == "superseded" and gone.sent_at is None
    assert gone.last_error == "not sent: what it was about is gone, or its address changed"


def test_a_message_is_not_sent_to_an_address_the_person_no_longer_has(app_ctx, smtp_server):
    """What the renderer writes (a personal link) is the person's as they are now; an address
    that stopped being theirs must not receive it."""
    message_id, person_id = queue_greeting()
    db.session.get(Person, person_id).email = "ana.new@example.org"
    db.session.commit()

    assert deliver_due(db.session).sent == 0
    assert smtp_server.received == []
    assert stored(message_id).status == "superseded"


def test_a_person_erased_after_the_claim_is_not_written_to(app_ctx, smtp_server):
    message_id, person_id = queue_greeting()
    claimed = _claim_next(db.session, utcnow())
    assert claimed is not None and claimed.id == message_id
    erase_person(db.session, db.session.get(Person, person_id), None)  # deletes their mail
    db.session.commit()

    assert _rendered(db.session, claimed) is None


def test_a_message_replaced_while_it_was_being_tried_is_not_counted_as_to_retry(
    app_ctx, smtp_server
):
    """The worker's report line tells the operator what will be tried again: a message a newer
    one replaced during the attempt (here while it was written, the SMTP server down) will
    not be."""

    def replaced_meanwhile(session, person_id):
        with Session(db.engine) as request:  # a request queueing the newer message
            queue_email(
                request,
                to_email="ana@example.org",
                subject="Newer",
                text_body="Newer",
                about="greeting:1",
                supersedes=True,
            )
            request.commit()
        return greeting(session, person_id)

    register_message_renderer("test_replaced", replaced_meanwhile)
    person = Person(name="Ana Pérez", email="ana@example.org")
    db.session.add(person)
    db.session.flush()
    queue_email_rendered_when_sent(
        db.session,
        "test_replaced",
        {"person_id": person.id},
        person,
        kind="greeting",
        subject="Hello",
        about="greeting:1",
        supersedes=True,
    )
    db.session.commit()
    smtp_server.stop()

    report = deliver_due(db.session, limit=1)

    assert (report.sent, report.deferred, report.failed, report.dropped) == (0, 0, 0, 1)
    assert "to retry later" not in report.summary()
    assert "1 no longer to be sent" in report.summary()


def test_a_renderer_that_fails_fails_the_message_and_a_busy_database_is_tried_again(
    app_ctx, smtp_server
):
    def broken(_session, person_id):
        raise ValueError("no such template")

    def busy(_session, person_id):
        raise OperationalError("SELECT 1", {}, Exception("database is locked"))

    register_message_renderer("test_broken", broken)
    register_message_renderer("test_busy", busy)
    broken_id, _ = queue_greeting(renderer="test_broken")
    busy = queue_email_rendered_when_sent(
        db.session,
        "test_busy",
        {"person_id": 1},
        db.session.scalar(select(Person)),
        kind="greeting",
        subject="Hello",
    )
    db.session.commit()
    busy_id = busy.id

    report = deliver_due(db.session)

    assert (report.sent, report.failed, report.deferred) == (0, 1, 1)
    assert smtp_server.received == []
    failed = stored(broken_id)
    assert failed.status == "failed"
    assert failed.last_error == "cannot build the message: no such template"
    waiting = stored(busy_id)
    assert waiting.status == "pending" and waiting.attempts == 1
    assert "database is locked" in waiting.last_error


def test_a_message_for_a_renderer_nobody_registered_is_refused_when_it_is_queued(app_ctx):
    person = Person(name="Ana Pérez", email="ana@example.org")
    db.session.add(person)
    db.session.flush()
    with pytest.raises(ValueError, match="No message renderer is registered as nobody"):
        queue_email_rendered_when_sent(
            db.session, "nobody", {}, person, kind="greeting", subject="Hello"
        )
    assert db.session.scalar(select(OutboxMessage)) is None


def test_the_worker_renders_outside_the_sqlite_write_gate(app_ctx, smtp_server, gate_path):  # noqa: F811
    """Rendering is most of a message's work: on SQLite it must not keep the requests that
    write (registrations, the door) waiting behind the gate."""
    gate_free_while_rendering = []

    def watching(session, person_id):
        rendered = greeting(session, person_id)
        gate_free_while_rendering.append(gate_is_free(gate_path))
        return rendered

    register_message_renderer("test_watching", watching)
    queue_greeting(renderer="test_watching")

    assert deliver_due(db.session).sent == 1
    assert gate_free_while_rendering == [True]


def test_the_outbox_page_shows_a_message_to_be_rendered_as_it_would_read_now(app, signed_in):
    client = signed_in("organizer")
    with app.app_context():
        message_id, _ = queue_greeting("Ana Pérez")

    page = client.get(f"/staff/outbox/{message_id}").get_data(as_text=True)

    assert "written when it is sent" in page
    assert "Hello Ana Pérez." in page
    assert "note.txt (text/plain)" in page and "HTML version" in page


def test_staff_see_why_a_message_to_be_rendered_has_no_text(app, signed_in):
    """A renderer that fails (a bug, a renderer no longer registered) leaves the page working:
    it is where staff read the last error."""

    def broken(_session, person_id):
        raise ValueError("no such template")

    register_message_renderer("test_broken", broken)
    client = signed_in("organizer")
    with app.app_context():
        waiting_id, person_id = queue_greeting(renderer="test_broken")
        failed_id, _ = queue_greeting("Bo Li", renderer="test_broken")
        db.session.get(OutboxMessage, failed_id).status = "failed"
        db.session.commit()

    waiting = client.get(f"/staff/outbox/{waiting_id}")
    failed = client.get(f"/staff/outbox/{failed_id}")

    assert waiting.status_code == failed.status_code == 200
    assert "cannot be written now" in waiting.get_data(as_text=True)
    assert "was not written, and will not be sent" in failed.get_data(as_text=True)
    with app.app_context():  # and the person's data export still comes
        [held] = export_person(db.session, db.session.get(Person, person_id))["messages"]
        assert (held["subject"], held["text_body"]) == ("Hello", "")
