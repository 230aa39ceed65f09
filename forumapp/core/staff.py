"""Staff accounts and API tokens: the rules shared by the CLI and the admin pages.

Each change is recorded in the audit log here, by ``actor_id`` (the signed-in staff user, or
None on the command line) and ``via`` (how it was asked for, e.g. ``audit.COMMAND_LINE``), so
every way in is audited alike.
"""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import DbSession
from . import audit
from .actions import DomainError
from .clock import utcnow
from .emails import normalise_email
from .models import ApiToken, Role, User
from .names import has_hidden_characters, hidden_characters_message

MIN_PASSWORD_LENGTH = 10


class StaffError(DomainError):
    """A staff-account request that cannot be carried out; the message says why."""


def _record(
    session: DbSession, actor_id: int | None, action: str, user_id: int, via: str | None, **details
) -> None:
    if via is not None:
        details["via"] = via
    audit.record(session, actor_id, action, f"staff_user:{user_id}", **details)


def create_user(
    session: DbSession,
    email: str,
    role: str,
    password: str,
    name: str = "",
    *,
    actor_id: int | None = None,
    via: str | None = None,
) -> User:
    """A new active staff user; raises ``StaffError`` for a bad role, name, password or
    duplicate."""
    try:
        role = Role(role).value
    except ValueError:
        raise StaffError(
            f"Unknown role {role!r}; choose one of: {', '.join(r.value for r in Role)}"
        ) from None
    email = normalise_email(email)
    name = name.strip()
    if has_hidden_characters(name):
        raise StaffError(hidden_characters_message())
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(f"The password needs at least {MIN_PASSWORD_LENGTH} characters.")
    if session.scalar(select(User).where(User.email == email)) is not None:
        raise StaffError(f"A staff account for {email} already exists.")
    user = User(email=email, role=role, name=name)
    user.set_password(password)
    session.add(user)
    session.flush()
    _record(session, actor_id, "staff.create", user.id, via, role=user.role)
    return user


def find_user(session: DbSession, email: str) -> User:
    """The staff user with this email; raises ``StaffError`` when there is none."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise StaffError(f"No staff account for {email}.")
    return user


def change_password(
    session: DbSession,
    email: str,
    password: str,
    *,
    actor_id: int | None = None,
    via: str | None = None,
) -> User:
    """Give the staff user a new password; every session they had ends."""
    user = find_user(session, email)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(f"The password needs at least {MIN_PASSWORD_LENGTH} characters.")
    user.set_password(password)
    session.flush()
    _record(session, actor_id, "staff.password_change", user.id, via)
    return user


def deactivate_user(
    session: DbSession, email: str, *, actor_id: int | None = None, via: str | None = None
) -> User:
    """Stop the staff user signing in; every session they had ends."""
    user = find_user(session, email)
    user.active = False
    session.flush()
    _record(session, actor_id, "staff.deactivate", user.id, via)
    return user


def issue_token(
    session: DbSession, email: str, *, actor_id: int | None = None, via: str | None = None
) -> tuple[ApiToken, str]:
    """A new API token for the staff user; the plain token is only returned here."""
    user = find_user(session, email)
    token, plain = ApiToken.issue(user)
    session.add(token)
    session.flush()
    _record(session, actor_id, "staff.token_create", user.id, via, prefix=token.prefix)
    return token, plain


def revoke_tokens(
    session: DbSession,
    email: str,
    prefix: str | None = None,
    *,
    actor_id: int | None = None,
    via: str | None = None,
) -> int:
    """Revoke the user's active tokens (only the one starting with ``prefix`` if given)."""
    user = find_user(session, email)
    revoked = 0
    for token in user.tokens:
        if token.revoked_at is None and (prefix is None or token.prefix.startswith(prefix)):
            token.revoked_at = utcnow()
            revoked += 1
    session.flush()
    if revoked:
        _record(session, actor_id, "staff.token_revoke", user.id, via, revoked=revoked)
    return revoked
