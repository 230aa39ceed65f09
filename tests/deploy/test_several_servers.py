"""The scale-out deployment, for real on this machine: one PostgreSQL, one Redis, two app
servers (gunicorn on two ports, the production entry point ``forumapp.wsgi:app``) and two mail
workers (``flask mail send --loop``), delivering to a real SMTP server in this process.

- registrations sent to both servers at once keep the seats exact;
- a rate limit of L per minute admits exactly L requests spread over both servers (Redis);
- a staff member signed in on one server is signed in on the other;
- every queued message reaches the SMTP server exactly once, though two workers send;
- a day reminder and a commitment follow-up, due when both workers start, are queued once.

It runs in the PostgreSQL pass of the suite (the production path), and needs Debian's
``redis-server``; CI installs it (``.ci/run``) and sets ``REQUIRE_REDIS`` so a missing one
fails instead of skipping. The request checks are ``bench.deployment_check``'s, which the
README's production section runs against a real deployment.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from bench import deployment_check as check
from bench.server import Gunicorn, free_port
from forumapp.commitments.models import Commitment, CommitmentFollowUp
from forumapp.core.clock import local_today, utcnow
from forumapp.core.models import Team
from forumapp.extensions import db
from forumapp.mail.models import MessageStatus, OutboxMessage
from forumapp.messages.models import SentReminder
from forumapp.registration.models import DaySeat, SeatStatus

from .. import builders as build
from ..conftest import PROJECT_DIR, make_test_app
from ..mail.conftest import SMTPServer

SEATS = 20
PEOPLE = 36
LIMIT = 5  # send-link requests per minute and address, over both servers
SECRET = "several-servers-test-secret-key-0123456789abcdef"
ZONE = "America/New_York"


@dataclass
class Deployment:
    database_url: str
    ports: tuple[int, int]
    smtp: SMTPServer
    forum_id: int
    day_date: str
    reminded: int  # people whose reminder is due as the workers start
    managers: int  # project managers whose commitment follow-up is due
    organizer_email: str


def _redis_or_skip() -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("REQUIRE_REDIS"):
            pytest.fail("redis-server is required (REQUIRE_REDIS) but not installed")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    return binary


def _seed(database_url: str) -> dict:
    """Forum 1 held 8 days ago, with a commitment per team (its confirmation is due now);
    Forum 2 in three days with SEATS seats, three people registered ten days ago (their
    reminder "7 days before" is due now); an organizer."""
    app = make_test_app(database_url)
    with app.app_context():
        upgrade()
        today = local_today(ZONE)
        held = build.forum(status="closed", days=((today - timedelta(days=8), "team"),))
        coming = build.forum(number=2, days=((today + timedelta(days=3), "public"),))
        coming.days[0].capacity = SEATS
        for name in ("Ana Early", "Ben Early", "Cy Early"):
            build.public_registration(coming, name)
        db.session.flush()
        db.session.execute(sa.update(DaySeat).values(status_changed_at=utcnow() - timedelta(10)))
        managers = 0
        for team_name in ("Buncombe County", "Dare County"):
            manager = build.team_member(
                f"Manager of {team_name}", team_name, role="project_manager"
            )
            team = db.session.scalar(sa.select(Team).where(Team.name == team_name))
            db.session.add(
                Commitment(
                    team_id=team.id,
                    forum_id=held.id,
                    text=f"{team_name} starts a naloxone program",
                    owner_id=manager.id,
                    due=coming.days[0].date,
                )
            )
            managers += 1
        organizer = build.staff_user("organizer")
        # What the early registrations queued goes too; the test counts every message.
        db.session.commit()
        return {
            "forum_id": coming.id,
            "day_date": coming.days[0].date.isoformat(),
            "reminded": 3,
            "managers": managers,
            "organizer_email": organizer.email,
        }


@pytest.fixture(scope="module")
def deployment(db_kind, fresh_database, tmp_path_factory):
    if db_kind != "postgresql":
        pytest.skip("the several-servers deployment runs in the PostgreSQL pass")
    redis_binary = _redis_or_skip()
    logs = tmp_path_factory.mktemp("deployment")
    database_url = fresh_database()
    seeded = _seed(database_url)
    smtp = SMTPServer()
    smtp.start()
    redis_port = free_port()
    redis = subprocess.Popen(
        [redis_binary, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", ""]
        + ["--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    env = {
        "FORUMAPP_CONFIG": "production",
        "SECRET_KEY": SECRET,
        "DATABASE_URL": database_url,
        "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{redis_port}",
        "RATELIMIT_SEND_LINK": f"{LIMIT} per minute",
        "RATELIMIT_PUBLIC_API": "1000 per minute",
        "LOGIN_RATE_LIMIT": "100 per minute",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp.port),
        "MAIL_DEFAULT_SENDER": "Forum team <forums@example.org>",
        "PUBLIC_BASE_URL": "http://127.0.0.1",
        "FORUMAPP_INSTANCE_PATH": str(logs),
    }
    servers = [
        Gunicorn(
            "forumapp.wsgi:app",
            env,
            logs / f"app{n}.log",
            {"workers": 2, "worker_class": "gthread", "threads": 4},
        )
        for n in (1, 2)
    ]
    worker_env = os.environ | {"PYTHONPATH": str(PROJECT_DIR)} | env
    command = [sys.executable, "-m", "flask", "--app", "forumapp.wsgi", "mail", "send"]
    workers = [
        subprocess.Popen(
            [*command, "--loop", "--interval", "0.5"],
            cwd=PROJECT_DIR,
            env=worker_env,
            stdout=open(logs / f"worker{n}.log", "wb"),  # noqa: SIM115  (closed with the process)
            stderr=subprocess.STDOUT,
        )
        for n in (1, 2)
    ]
    try:
        for server in servers:
            server.wait_until_healthy()
        yield Deployment(
            database_url,
            (servers[0].port, servers[1].port),
            smtp,
            seeded["forum_id"],
            seeded["day_date"],
            seeded["reminded"],
            seeded["managers"],
            seeded["organizer_email"],
        )
    finally:
        for process in workers:
            process.terminate()
        for process in workers:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        for server in servers:
            server.stop()
        redis.terminate()
        redis.wait(timeout=10)
        smtp.stop()


def _engine(deployment: Deployment):
    return sa.create_engine(deployment.database_url)


def _servers(deployment: Deployment) -> list[str]:
    return [f"http://127.0.0.1:{port}" for port in deployment.ports]


def test_registrations_split_across_both_servers_keep_seats_exact(deployment):
    statuses = check.register_across(
        _servers(deployment), deployment.forum_id, deployment.day_date, PEOPLE
    )
    assert statuses == Counter({202: PEOPLE})  # the outcome goes to each inbox
    engine = _engine(deployment)
    with engine.connect() as connection:
        query = sa.select(DaySeat.status, sa.func.count()).group_by(DaySeat.status)
        counts = dict(connection.execute(query).tuples().all())
    engine.dispose()
    early = 3
    assert counts == {
        SeatStatus.CONFIRMED.value: SEATS,
        SeatStatus.WAITLISTED.value: PEOPLE + early - SEATS,
    }


def test_a_rate_limit_admits_exactly_its_count_over_both_servers(deployment):
    statuses = check.send_link_statuses(_servers(deployment), LIMIT + 4)
    assert sum(status != 429 for status in statuses) == LIMIT, statuses
    assert statuses[LIMIT:] == [429] * 4


def test_a_staff_member_signed_in_on_one_server_is_signed_in_on_the_other(deployment):
    servers = _servers(deployment)
    path = f"/staff/forums/{deployment.forum_id}/materials"
    assert check.signed_in_everywhere(servers, deployment.organizer_email, build.PASSWORD, path)
    # Not signed in: the second server does not let anyone in.
    assert check.Client().request(servers[1], "GET", path)[0] in (302, 401)


def _drained(deployment: Deployment, timeout: float = 90) -> list[OutboxMessage]:
    """Every message once nothing is left pending, as the workers left them."""
    engine = _engine(deployment)
    deadline = time.monotonic() + timeout
    try:
        while True:
            with engine.connect() as connection:
                rows = connection.execute(
                    sa.select(
                        OutboxMessage.id,
                        OutboxMessage.status,
                        OutboxMessage.kind,
                        OutboxMessage.to_email,
                        OutboxMessage.last_error,
                    )
                ).all()
            waiting = [row for row in rows if row.status == MessageStatus.PENDING.value]
            if (not waiting and len(deployment.smtp.received) >= len(rows)) or (
                time.monotonic() > deadline
            ):
                return rows
            time.sleep(0.5)
    finally:
        engine.dispose()


def test_every_message_is_delivered_exactly_once_by_the_two_workers(deployment):
    rows = _drained(deployment)
    assert rows, "the registrations queued mail"
    unsent = [(row.kind, row.status, row.last_error) for row in rows if row.status != "sent"]
    assert not unsent, unsent
    received = Counter(r.message["Message-ID"] for r in deployment.smtp.received)
    assert all(count == 1 for count in received.values()), received.most_common(3)
    ids = {int(re.match(r"<outbox\.(\d+)\.", mid).group(1)) for mid in received}
    assert ids == {row.id for row in rows}


def test_reminders_and_follow_ups_due_as_both_workers_start_are_queued_once(deployment):
    rows = _drained(deployment)
    reminders = [row for row in rows if row.kind == "day_reminder"]
    assert len(reminders) == deployment.reminded
    assert len({row.to_email for row in reminders}) == deployment.reminded
    follow_ups = [row for row in rows if row.kind == "commitment_confirmation"]
    assert len(follow_ups) == deployment.managers
    engine = _engine(deployment)
    with engine.connect() as connection:
        assert connection.scalar(sa.select(sa.func.count(SentReminder.id))) == deployment.reminded
        claims = connection.scalar(sa.select(sa.func.count(CommitmentFollowUp.id)))
        assert claims == deployment.managers
    engine.dispose()
