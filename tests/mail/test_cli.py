"""``flask --app forumapp mail send``: once, and as a worker that stops cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta

from forumapp.core.clock import utcnow
from forumapp.extensions import db
from forumapp.mail.outbox import queue_email

from ..conftest import PROJECT_DIR


def _queue(app, to_email: str, due_in: timedelta = timedelta(0)) -> None:
    with app.app_context():
        message = queue_email(db.session, to_email=to_email, subject="Hello", text_body="Hi.")
        message.next_attempt_at = utcnow() + due_in
        db.session.commit()


def test_mail_send_delivers_what_is_due_and_prints_a_summary(app, smtp_server):
    _queue(app, "ana@example.org")
    _queue(app, "ben@example.org")
    _queue(app, "later@example.org", due_in=timedelta(minutes=5))

    result = app.test_cli_runner().invoke(args=["mail", "send"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "sent 2, failed 0, pending 1"
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == [
        "ana@example.org",
        "ben@example.org",
    ]


def test_mail_send_says_when_the_server_is_down(app, smtp_server):
    _queue(app, "ana@example.org")
    smtp_server.stop()

    result = app.test_cli_runner().invoke(args=["mail", "send"])

    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        "sent 0, failed 0, pending 1 (1 to retry later); stopped early:"
    )
    assert "SMTP server unreachable" in result.output


def test_mail_worker_delivers_and_stops_cleanly_on_sigterm(app, smtp_server):
    _queue(app, "ana@example.org")
    env = {
        **os.environ,
        "FORUMAPP_CONFIG": "development",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_server.port),
        "MAIL_DEFAULT_SENDER": "forums@test.example.org",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "forumapp",
            "mail",
            "send",
            "--loop",
            "--interval",
            "0.2",
        ],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert len(smtp_server.wait_for(1, timeout=30)) == 1
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=15)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
    assert worker.returncode == 0, err
    assert out.strip() == "sent 1, failed 0, pending 0"
    assert "Mail worker stopped." in err
    assert smtp_server.received[0].rcpt_tos == ["ana@example.org"]
