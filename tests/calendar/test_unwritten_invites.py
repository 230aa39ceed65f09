"""Calendar updates the mail worker could not write are not lost: they stay, with the error, on
the outbox page, where an organizer sees how many wait and can try the failed ones again."""

from __future__ import annotations

from datetime import time

import pytest
import sqlalchemy as sa

from forumapp.agenda.models import AgendaItem
from forumapp.calendar import pending as calendar
from forumapp.calendar.models import CalendarInvite, PendingInvite
from forumapp.extensions import db
from forumapp.mail.models import OutboxMessage
from forumapp.mail.worker import deliver_due
from forumapp.registration.models import Registration
from forumapp.registration.registering import cancel_days

from .. import builders as build
from ..conftest import csrf_token
from .conftest import NOW, make_calendar_forum

BROKEN = "the venue address cannot be encoded"


@pytest.fixture
def forum(app):
    with app.app_context():
        built = make_calendar_forum(public_capacity=10)
        db.session.commit()
        return built


def _register(app, forum, name: str) -> int:
    with app.app_context():
        email = f"{name.split()[0].lower()}@public.example.org"
        person_id = build.public_registration(forum.forum_id, name, email, now=NOW).person_id
        db.session.commit()
        return person_id


@pytest.fixture
def broken_for(monkeypatch):
    """Make bringing one person's events in line fail, as a bug or bad data would."""
    broken: set[int] = set()
    refresh = calendar.refresh_invite

    def failing_refresh(session, person, *args, **kwargs):
        if person.id in broken:
            raise ValueError(BROKEN)
        return refresh(session, person, *args, **kwargs)

    monkeypatch.setattr(calendar, "refresh_invite", failing_refresh)
    return broken


def _run_worker(app) -> None:
    with app.app_context():
        deliver_due(db.session)
        db.session.remove()


def _invited(app, person_id: int) -> bool:
    with app.app_context():
        return (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(CalendarInvite)
                .filter_by(person_id=person_id)
            )
            == 1
        )


def _pending(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(PendingInvite))


def test_the_outbox_page_counts_calendar_updates_waiting_for_the_worker(
    app, forum, signed_in, smtp_server
):
    client = signed_in("organizer")
    for name in ("Ada Lovelace", "Grace Hopper"):
        _register(app, forum, name)

    page = client.get("/staff/outbox").get_data(as_text=True)
    assert "Calendar updates not yet written" in page
    assert "Waiting for the mail worker: 2." in page

    _run_worker(app)

    page = client.get("/staff/outbox").get_data(as_text=True)
    assert "Calendar updates not yet written" not in page


def test_an_update_that_cannot_be_written_is_kept_and_shown_while_others_go_out(
    app, forum, signed_in, broken_for, smtp_server
):
    client = signed_in("organizer")
    ada = _register(app, forum, "Ada Lovelace")
    grace = _register(app, forum, "Grace Hopper")
    broken_for.add(ada)

    _run_worker(app)

    assert _invited(app, grace) and not _invited(app, ada)
    assert _pending(app) == 1  # Ada's update is kept, not dropped
    page = client.get("/staff/outbox").get_data(as_text=True)
    assert "Could not be written: 1." in page
    assert "Ada Lovelace &lt;ada@public.example.org&gt;: Forum 5: Testing (day 1 of 2)" in page
    assert f"ValueError: {BROKEN}" in page
    assert "Waiting for the mail worker" not in page  # a failed update is not retried forever

    _run_worker(app)  # the next run leaves it alone rather than failing again and again
    assert _pending(app) == 1


def test_trying_again_once_the_cause_is_fixed_sends_the_invitation(
    app, forum, signed_in, broken_for, smtp_server
):
    client = signed_in("organizer")
    ada = _register(app, forum, "Ada Lovelace")
    broken_for.add(ada)
    _run_worker(app)
    broken_for.clear()  # the cause is fixed
    token = csrf_token(client, "/staff/outbox")

    response = client.post("/staff/outbox/retry-unwritten", data={"csrf_token": token})

    assert response.status_code == 302
    page = client.get("/staff/outbox").get_data(as_text=True)
    assert "1 update the worker could not write is queued to be tried again." in page
    assert "Waiting for the mail worker: 1." in page and "Could not be written" not in page
    _run_worker(app)
    assert _invited(app, ada) and _pending(app) == 0
    with app.app_context():
        subjects = db.session.scalars(
            sa.select(OutboxMessage.subject).where(OutboxMessage.kind.like("calendar%"))
        ).all()
    assert len(subjects) == 1 and subjects[0].startswith("Invitation: Forum 5: Testing")


def test_a_later_change_that_succeeds_clears_the_earlier_failure(
    app, forum, broken_for, smtp_server
):
    ada = _register(app, forum, "Ada Lovelace")
    broken_for.add(ada)
    _run_worker(app)
    broken_for.clear()

    with app.app_context():  # Ada gives her seat back: a new change for the same event
        found = db.session.scalar(sa.select(Registration).filter_by(person_id=ada))
        cancel_days(db.session, found)
        db.session.commit()
    _run_worker(app)

    assert _pending(app) == 0


def test_retrying_needs_the_csrf_token(app, forum, signed_in, broken_for, smtp_server):
    ada = _register(app, forum, "Ada Lovelace")
    broken_for.add(ada)
    _run_worker(app)

    assert signed_in("organizer").post("/staff/outbox/retry-unwritten").status_code == 400
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(PendingInvite)
                .where(PendingInvite.failed_at.is_not(None))
            )
            == 1
        )


def test_a_later_change_the_person_cannot_see_keeps_the_earlier_failure(
    app, forum, broken_for, smtp_server
):
    ada = _register(app, forum, "Ada Lovelace")
    broken_for.add(ada)
    _run_worker(app)
    broken_for.clear()

    with app.app_context():  # a change to a confidential session, which the public never sees
        from .test_invitations import _edit

        _edit(
            db.session.get(AgendaItem, forum.confidential_id), start=time(14, 30), end=time(15, 30)
        )
        db.session.commit()
    _run_worker(app)

    with app.app_context():
        failed = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(PendingInvite)
            .where(PendingInvite.failed_at.is_not(None))
        )
    assert failed == 1  # still listed, still to be tried again
