"""``flask --app forumapp ...`` commands: demo data, staff users, API tokens, mail, reminders,
backups."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from .core.audit import COMMAND_LINE
from .core.emails import InvalidEmail
from .core.models import Role
from .core.staff import (
    StaffError,
    change_password,
    create_user,
    deactivate_user,
    issue_token,
    revoke_tokens,
)
from .extensions import db

user_cli = AppGroup("user", help="Staff accounts.")
token_cli = AppGroup("token", help="API tokens for staff.")
mail_cli = AppGroup("mail", help="Deliver the email waiting in the outbox.")
reminders_cli = AppGroup("reminders", help="Reminders before each forum day.")


@user_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--name", default="", help="Full name shown in the staff pages.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_command(email: str, role: str, name: str, password_stdin: bool) -> None:
    """Create a staff account; asks for the password unless --password-stdin is given."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(db.session, email, role, password, name=name, via=COMMAND_LINE)
    except (StaffError, InvalidEmail) as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Created {user.role} account {user.email}.")


@user_cli.command("password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def change_password_command(email: str, password_stdin: bool) -> None:
    """Set a new password for EMAIL; every session of the account ends."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        user = change_password(db.session, email, password, via=COMMAND_LINE)
    except StaffError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"New password set for {user.email}; their sessions have ended.")


@user_cli.command("deactivate")
@click.argument("email")
def deactivate_user_command(email: str) -> None:
    """Stop EMAIL signing in; every session of the account ends (API tokens stop working)."""
    try:
        user = deactivate_user(db.session, email, via=COMMAND_LINE)
    except StaffError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Deactivated {user.email}; their sessions have ended.")


@token_cli.command("create")
@click.argument("email")
def create_token_command(email: str) -> None:
    """Print a new API token for EMAIL (shown once; stored only as a hash)."""
    try:
        token, plain = issue_token(db.session, email, via=COMMAND_LINE)
    except StaffError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(plain)
    click.echo(
        f"Token {token.prefix}… created. Send it as 'Authorization: Bearer <token>'. "
        "It is not shown again.",
        err=True,
    )


@token_cli.command("revoke")
@click.argument("email")
@click.option("--prefix", default=None, help="Only the token that starts with this.")
def revoke_token_command(email: str, prefix: str | None) -> None:
    """Revoke EMAIL's API tokens (all, or the one matching --prefix)."""
    try:
        count = revoke_tokens(db.session, email, prefix, via=COMMAND_LINE)
    except StaffError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Revoked {count} token(s) of {email}.")


@click.command("demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Only load when the database has no program.")
def demo_command(if_empty: bool) -> None:
    """Load the demo program (idempotent: running it again changes nothing)."""
    from .demo import database_is_empty, load_demo

    if if_empty and not database_is_empty(db.session):
        click.echo("The database already has data; demo not loaded.")
        return
    report = load_demo(db.session)
    db.session.commit()
    click.echo(report.summary())


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path: Path) -> None:
    """Write a consistent backup of the database to PATH while the app keeps running (SQLite).

    On PostgreSQL, prints the pg_dump command to use instead and exits with status 2.
    """
    from .core.backup import BackupError, backup_sqlite, pg_dump_command, sqlite_path

    url = db.engine.url
    if url.get_backend_name() == "postgresql":
        click.echo(
            "The database is PostgreSQL: back it up with pg_dump, which takes a consistent "
            "snapshot while the app runs (the password comes from PGPASSWORD or ~/.pgpass):\n\n"
            f"  {pg_dump_command(url, path)}\n\n"
            "Restore with: pg_restore --clean --if-exists --no-owner --dbname=<database> "
            f"{path}",
            err=True,
        )
        sys.exit(2)
    if url.get_backend_name() != "sqlite":
        raise click.ClickException(f"Backups of {url.get_backend_name()} are not supported.")
    try:
        size = backup_sqlite(sqlite_path(url), path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backed up the database to {path} ({size:,} bytes).")


@mail_cli.command("send")
@click.option("--loop", is_flag=True, help="Keep delivering as a worker until stopped.")
@click.option(
    "--interval",
    default=10.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds between rounds with --loop.",
)
def send_mail_command(loop: bool, interval: float) -> None:
    """Send the queued email that is due; with --loop, run until SIGTERM or Ctrl-C."""
    from .mail.worker import deliver_due, deliver_until_stopped

    if not loop:
        click.echo(deliver_due(db.session).summary())
        return
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)
    }
    click.echo(f"Delivering mail every {interval:g} s; stop with Ctrl-C or SIGTERM.", err=True)
    try:
        deliver_until_stopped(
            db.session,
            interval=interval,
            stop=stop,
            on_report=lambda report: click.echo(report.summary()),
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo("Mail worker stopped.", err=True)


@reminders_cli.command("queue")
def queue_reminders_command() -> None:
    """Queue the reminders due now, as the mail worker does in each round; each person gets
    each reminder once, however often this runs. `mail send` then delivers them."""
    from .messages.reminders import queue_due_reminders

    people = 0
    while handled := queue_due_reminders(db.session):
        db.session.commit()  # one batch at a time, as the worker commits them
        people += handled
    db.session.commit()
    click.echo(f"Queued reminders for {people} {'person' if people == 1 else 'people'}.")


certificates_cli = AppGroup("certificates", help="Certificates of attendance.")


@certificates_cli.command("purge-expired")
def purge_expired_certificates_command() -> None:
    """Delete the credit records kept after people's erasure whose retention period is over
    (run it daily, e.g. from cron or a systemd timer)."""
    from .attendance.certificates import purge_expired_records

    purged = purge_expired_records(db.session)
    db.session.commit()
    click.echo(f"Deleted {purged} expired credit record{'' if purged == 1 else 's'}.")


def register_cli(app: Flask) -> None:
    app.cli.add_command(certificates_cli)
    app.cli.add_command(user_cli)
    app.cli.add_command(token_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(mail_cli)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(backup_command)
