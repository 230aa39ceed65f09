"""Follow-up mail about commitments: a confirmation a week after the forum, a reminder at four
weeks listing other teams' commitments (never their notes), a status request two weeks before
the next forum; each once per person, at 9:00 local time, whatever the workers do."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from forumapp.commitments.follow_ups import queue_due_follow_ups
from forumapp.commitments.recording import (
    Author,
    CommitmentInput,
    ProgressInput,
    add_commitment,
    update_progress,
)
from forumapp.core.clock import utcnow
from forumapp.core.models import Team
from forumapp.extensions import db
from forumapp.mail.models import OutboxMessage
from forumapp.mail.worker import deliver_due

from .. import builders as build

FORUM_DAY = date(2027, 2, 18)  # a Thursday, in winter time (UTC-5)
NEXT_FORUM_DAY = date(2027, 5, 20)  # in summer time (UTC-4)


def _team(name: str) -> Team:
    return db.session.scalar(sa.select(Team).filter_by(name=name))


def _commit(forum, team_name, manager, text, owner=None, status=None, barrier=""):
    team = _team(team_name)
    commitment = add_commitment(
        db.session,
        team,
        CommitmentInput(forum_id=forum.id, text=text, owner_id=owner.id if owner else None),
        Author(person=manager),
    )
    if status or barrier:
        update_progress(
            db.session,
            commitment,
            ProgressInput(status or "in_progress", "", barrier),
            Author(person=manager),
        )
    return commitment


def _program(forum_day=FORUM_DAY, next_day=NEXT_FORUM_DAY):
    forum = build.forum(days=((forum_day, "team"),))
    build.forum(number=2, status="draft", days=((next_day, "team"),))
    pat = build.team_member("Pat Manager", "Dare County", "project_manager")
    mo = build.team_member("Mo Member", "Dare County")
    nell = build.team_member("Nell Nash", "Nash County", "project_manager")
    build.team_member("Wes Wake", "Wake County", "project_manager")
    _commit(forum, "Dare County", pat, "Convene the jail health group monthly", owner=mo)
    _commit(forum, "Dare County", pat, "Open a second syringe service site", status="dropped")
    _commit(
        forum, "Nash County", nell, "Train deputies on naloxone", barrier="Sheriff budget freeze"
    )
    _commit(
        forum,
        "Wake County",
        _team("Wake County").memberships[0].person,
        "A pilot",
        status="dropped",
    )
    db.session.commit()
    return forum


def _queued(kind: str) -> list[OutboxMessage]:
    return db.session.scalars(
        sa.select(OutboxMessage)
        .filter_by(kind=f"commitment_{kind}")
        .order_by(OutboxMessage.to_email)
    ).all()


def _utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def program(app_ctx):
    return _program()


def test_the_confirmation_goes_a_week_after_at_nine_local_to_managers_and_owners(program):
    # February 25, 9:00 EST is 14:00 UTC.
    assert queue_due_follow_ups(db.session, _utc(2027, 2, 25, 13, 59)) == 0
    assert queue_due_follow_ups(db.session, _utc(2027, 2, 25, 14, 0)) == 3
    mail = _queued("confirmation")
    assert [m.to_name for m in mail] == ["Mo Member", "Nell Nash", "Pat Manager"]
    dare = next(m for m in mail if m.to_name == "Pat Manager")
    assert "Convene the jail health group monthly" in dare.text_body
    assert "syringe" not in dare.text_body  # dropped
    assert "/commitments/" in dare.text_body  # a link to update each one
    # Again, later the same week: nothing new.
    assert queue_due_follow_ups(db.session, _utc(2027, 2, 26, 14, 0)) == 0


def test_the_reminder_lists_other_teams_commitments_without_their_notes(program):
    # March 18, 2027, 9:00 EDT (summer time began March 14) is 13:00 UTC.
    assert queue_due_follow_ups(db.session, _utc(2027, 3, 18, 12, 59)) == 3  # confirmations
    assert _queued("reminder") == []
    queue_due_follow_ups(db.session, _utc(2027, 3, 18, 13, 0))
    mail = _queued("reminder")
    # Wake County's only commitment was dropped: no reminder for it.
    assert {m.to_name for m in mail} == {"Mo Member", "Nell Nash", "Pat Manager"}
    to_pat = next(m for m in mail if m.to_name == "Pat Manager")
    assert "Nash County" in to_pat.text_body and "Train deputies on naloxone" in to_pat.text_body
    assert "Sheriff budget freeze" not in to_pat.text_body + (to_pat.html_body or "")
    assert "A pilot" not in to_pat.text_body


def test_the_status_request_goes_two_weeks_before_the_next_forum(program):
    # May 6, 2027, 9:00 EDT is 13:00 UTC; the earlier follow-ups went long before.
    queue_due_follow_ups(db.session, _utc(2027, 3, 18, 13, 0))
    assert queue_due_follow_ups(db.session, _utc(2027, 5, 6, 12, 59)) == 0
    assert queue_due_follow_ups(db.session, _utc(2027, 5, 6, 13, 0)) == 3
    (to_nell,) = [m for m in _queued("status_request") if m.to_name == "Nell Nash"]
    assert to_nell.subject == "Where do Nash County's commitments stand before Forum 2: Testing?"


def test_a_follow_up_is_not_sent_late_once_the_next_one_is_due(program):
    # Deployed late: at the reminder's time, the confirmation is stale and is not sent.
    queue_due_follow_ups(db.session, _utc(2027, 3, 20, 13, 0))
    assert _queued("confirmation") == [] and len(_queued("reminder")) == 3
    assert queue_due_follow_ups(db.session, _utc(2027, 5, 21, 13, 0)) == 0  # forum 2 began


def test_two_workers_at_once_queue_each_follow_up_once(app, program):
    db.session.remove()
    counts = []

    def worker():
        with app.app_context():
            try:
                counts.append(queue_due_follow_ups(db.session, _utc(2027, 2, 25, 14, 0)))
                db.session.commit()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(counts) == 3
    assert len(_queued("confirmation")) == 3


def test_the_mail_worker_queues_follow_ups_in_its_round(app_ctx):
    eight_days_ago = utcnow().date() - timedelta(days=8)
    _program(eight_days_ago, eight_days_ago + timedelta(days=90))
    deliver_due(db.session)
    assert len(_queued("confirmation")) == 3
    deliver_due(db.session)  # a restarted worker
    assert len(_queued("confirmation")) == 3
