"""The organizers' queue of language requests: who may see it, changing a request (audited),
the person's email once it is arranged, and the booking deadline on the problems panel."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forumapp.agenda.conflicts import find_conflicts
from forumapp.core.audit import AuditEntry
from forumapp.core.clock import utcnow
from forumapp.core.models import Forum, User
from forumapp.extensions import db
from forumapp.language_access.models import LanguageRequest
from forumapp.mail.models import OutboxMessage

from .. import builders as build
from ..conftest import csrf_token
from .conftest import answers

DEADLINE = "interpreter_booking_deadline_passed"


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _request_for(app, days, name, *needs, language="en", day_ids=None) -> int:
    with app.app_context():
        forum = db.session.get(Forum, days.forum_id)
        registration = build.public_registration(
            forum, name, day_ids=day_ids or [days.near_day_id], answers=answers(*needs)
        )
        registration.person.language = language
        request_id = db.session.scalar(
            sa.select(LanguageRequest.id).where(LanguageRequest.registration_id == registration.id)
        )
        db.session.commit()
        return request_id


@pytest.fixture
def organizer(signed_in):
    return signed_in("organizer")


def _save(client, days, request_id, **fields):
    queue = f"/staff/forums/{days.forum_id}/language-requests"
    prefix = f"request-{request_id}-"
    data = {"status": "requested", "owner_id": "0", "staff_note": ""} | fields
    return client.post(
        f"/staff/language-requests/{request_id}",
        data={prefix + name: value for name, value in data.items()}
        | {prefix + "csrf_token": csrf_token(client, queue)},
    )


def _arranged_mail(app) -> list[OutboxMessage]:
    with app.app_context():
        found = db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == "language_arranged")
        ).all()
        for message in found:
            db.session.expunge(message)
        return found


def test_the_queue_shows_each_request_with_days_languages_status_and_owner(app, organizer, days):
    request_id = _request_for(app, days, "Rosa Diaz", "spanish_interpreter", "spanish_materials")
    page = _text(organizer.get(f"/staff/forums/{days.forum_id}/language-requests"))
    assert "Rosa Diaz" in page
    assert "Spanish interpreter, Materials in Spanish" in page
    assert "Nobody yet" in page and "Requested" in page
    # Its own id, not 1: on PostgreSQL an id sequence goes on across the tests of a process.
    assert f'<label for="request-{request_id}-status">Status</label>' in page


@pytest.mark.parametrize("role", ["door", "faculty"])
def test_other_staff_roles_are_refused(app, signed_in, days, role):
    request_id = _request_for(app, days, "Rosa Diaz", "spanish_interpreter")
    client = signed_in(role)
    assert client.get(f"/staff/forums/{days.forum_id}/language-requests").status_code == 403
    token = csrf_token(client, f"/forums/{days.forum_id}/register")
    response = client.post(
        f"/staff/language-requests/{request_id}",
        data={
            f"request-{request_id}-status": "arranged",
            f"request-{request_id}-csrf_token": token,
        },
    )
    assert response.status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(app, client, days):
    request_id = _request_for(app, days, "Rosa Diaz", "spanish_interpreter")
    response = client.get(f"/staff/forums/{days.forum_id}/language-requests")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    token = csrf_token(client, f"/forums/{days.forum_id}/register")
    response = client.post(
        f"/staff/language-requests/{request_id}", data={f"request-{request_id}-csrf_token": token}
    )
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    with app.app_context():
        assert db.session.get(LanguageRequest, request_id).status == "requested"


def test_arranging_emails_a_spanish_speaker_in_spanish(app, organizer, days):
    request_id = _request_for(app, days, "Rosa Diaz", "spanish_interpreter", language="es")
    with app.app_context():
        owner_id = db.session.scalar(sa.select(User.id).where(User.id == organizer.user_id))
    response = _save(organizer, days, request_id, status="arranged", owner_id=str(owner_id))
    assert response.status_code == 302
    (message,) = _arranged_mail(app)
    assert message.subject == "Asistencia lingüística confirmada para Forum 7: Testing"
    assert "Hemos organizado la asistencia lingüística" in message.text_body
    assert "Intérprete de español" in message.text_body
    with app.app_context():
        request = db.session.get(LanguageRequest, request_id)
        assert (request.status, request.owner_id) == ("arranged", owner_id)
        entry = db.session.scalar(
            sa.select(AuditEntry).where(AuditEntry.action == "language_request.update")
        )
        assert entry.user_id == organizer.user_id
        assert (entry.details["status_before"], entry.details["status"]) == (
            "requested",
            "arranged",
        )


def test_arranging_emails_anyone_else_in_english_once(app, organizer, days):
    request_id = _request_for(app, days, "Sam Lee", "asl_interpreter")
    _save(organizer, days, request_id, status="arranged")
    _save(organizer, days, request_id, status="arranged", staff_note="Booked with Carolina ASL")
    (message,) = _arranged_mail(app)
    assert message.subject == "Language assistance arranged for Forum 7: Testing"
    assert "ASL (American Sign Language) interpreter" in message.text_body


def test_not_possible_sends_no_email(app, organizer, days):
    request_id = _request_for(app, days, "Sam Lee", "asl_interpreter")
    _save(organizer, days, request_id, status="not possible", staff_note="No interpreter free")
    assert _arranged_mail(app) == []


def test_a_bad_status_or_a_long_note_gets_a_message_next_to_the_field(app, organizer, days):
    request_id = _request_for(app, days, "Sam Lee", "asl_interpreter")
    response = _save(organizer, days, request_id, status="lost", staff_note="n" * 2001)
    page = _text(response)
    assert response.status_code == 400
    assert f'id="request-{request_id}-status-error"' in page
    assert "Use at most 2000 characters for the note for staff; this has 2001." in page
    with app.app_context():
        assert db.session.get(LanguageRequest, request_id).status == "requested"


def _deadline_problems(app, days) -> list[str]:
    with app.app_context():
        forum = db.session.get(Forum, days.forum_id)
        return [c.message for c in find_conflicts(db.session, forum) if c.kind == DEADLINE]


def test_the_problems_panel_warns_when_the_deadline_passed_with_requests_open(app, organizer, days):
    both = [days.near_day_id, days.far_day_id]
    _request_for(app, days, "Rosa Diaz", "spanish_interpreter", day_ids=both)
    _request_for(app, days, "Sam Lee", "asl_interpreter")
    with app.app_context():
        near = db.session.get(Forum, days.forum_id).days[0].date
    when = f"{near:%A, %B} {near.day}"
    expected = f"Interpreter booking deadline passed for {when} with 2 requests still open."
    # Only the near day: the far day's deadline is 10 days away.
    assert _deadline_problems(app, days) == [expected]
    page = _text(organizer.get(f"/staff/forums/{days.forum_id}/agenda"))
    assert expected in page


def test_no_warning_once_every_request_is_arranged_or_not_possible(app, organizer, days):
    first = _request_for(app, days, "Rosa Diaz", "spanish_interpreter")
    second = _request_for(app, days, "Sam Lee", "asl_interpreter")
    _save(organizer, days, first, status="arranged")
    assert len(_deadline_problems(app, days)) == 1
    _save(organizer, days, second, status="not possible")
    assert _deadline_problems(app, days) == []
    page = _text(organizer.get(f"/staff/forums/{days.forum_id}/agenda"))
    assert "Interpreter booking deadline" not in page


def test_no_warning_before_the_deadline_or_after_the_day(app, days):
    _request_for(app, days, "Rosa Diaz", "spanish_interpreter")
    with app.app_context():
        forum = db.session.get(Forum, days.forum_id)
        assert find_conflicts(db.session, forum, utcnow() - timedelta(days=6)) == []
        assert find_conflicts(db.session, forum, utcnow() + timedelta(days=7)) == []


def test_the_booking_deadline_is_a_registration_setting(app, organizer, days):
    path = f"/staff/forums/{days.forum_id}/registration-settings"
    page = _text(organizer.get(path))
    assert "Days before the day by which interpreters must be booked" in page
    response = organizer.post(
        path, data={"interpreter_booking_days": "3", "csrf_token": csrf_token(organizer, path)}
    )
    assert response.status_code == 302
    _request_for(app, days, "Rosa Diaz", "spanish_interpreter")
    assert _deadline_problems(app, days) == []  # now 3 days before: 5 days away is in time
    response = organizer.post(
        path, data={"interpreter_booking_days": "-1", "csrf_token": csrf_token(organizer, path)}
    )
    assert response.status_code == 400
    assert "Use a number of days from 0 to 365." in _text(response)
