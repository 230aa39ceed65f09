"""Staff sign-in, sign-out, API tokens and the one role check every staff view uses."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import cache, wraps
from typing import Any, Protocol, cast
from urllib.parse import urlsplit

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.security import check_password_hash
from wtforms import BooleanField, EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired

from ..extensions import DbSession, db, limiter, login_manager
from .blueprint import bp
from .clock import utcnow
from .database import reading_apart
from .forms import AppForm, Length
from .models import ApiToken, Role, User, hash_password

TOKEN_USE_RESOLUTION = timedelta(minutes=5)


@cache
def _dummy_password_hash() -> str:
    # Checked when the email is unknown, so a wrong email takes as long to answer as a
    # wrong password and response times do not reveal which staff emails exist.
    return hash_password(secrets.token_hex(16))


class RoleCheckedView(Protocol):
    """A view behind ``role_required``; ``required_roles`` lets the suite check every route."""

    required_roles: frozenset[Role]

    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...


def role_required(*roles: str) -> Callable[[Callable[..., Any]], RoleCheckedView]:
    """Let signed-in staff with one of ``roles`` (admins always) through; others are refused.

    Anonymous visitors are sent to sign in (HTML) or get a 401 (API); staff without the
    role get a 403. The roles are recorded on the view so the test suite can check that
    every staff route has a role check.
    """
    allowed = frozenset(Role(role) for role in roles)

    def decorator(view: Callable[..., Any]) -> RoleCheckedView:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*allowed):
                abort(403)
            return view(*args, **kwargs)

        # A function takes attributes, but a type checker only sees them through a protocol.
        checked = cast(RoleCheckedView, wrapped)
        checked.required_roles = allowed | {Role.ADMIN}
        return checked

    return decorator


STAFF_ROLES = tuple(Role)


@login_manager.user_loader
def _load_user(session_id: str) -> User | None:
    """The active user whose id and current session token the session (or remember-me
    cookie) holds; a session from before a sign-out, new password or deactivation is refused."""
    user_id, _, session_token = session_id.partition(":")
    if not user_id.isdigit() or not session_token:
        return None
    with reading_apart(db.session):
        user = db.session.get(User, int(user_id))
    if user is None or not user.active:
        return None
    if not secrets.compare_digest(user.session_token.encode(), session_token.encode()):
        return None
    return user


@login_manager.request_loader
def _load_user_from_token(req) -> User | None:
    if not req.path.startswith("/api/"):
        return None
    return user_for_bearer_token(req)


def user_for_bearer_token(req) -> User | None:
    """The active staff user whose API token is in ``Authorization: Bearer <token>``."""
    scheme, _, plain = req.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not plain.strip():
        return None
    with reading_apart(db.session):
        found = ApiToken.find_active(db.session, plain.strip())
    if found is None:
        return None
    user, token_id, last_used_at = found
    if not user.active:
        return None
    # Recorded at most every few minutes, so a busy API client does not write on every call.
    now = utcnow()
    if last_used_at is None or now - last_used_at > TOKEN_USE_RESOLUTION:
        ApiToken.record_use(db.session, token_id, now)
        db.session.commit()
    return user


@login_manager.unauthorized_handler
def _unauthorized():
    if request.path.startswith("/api/"):
        abort(401)
    flash("Please sign in to see that page.", "info")
    return redirect(url_for("core.login", next=request.full_path.rstrip("?")))


class LoginForm(AppForm):
    email = EmailField(
        "Email", validators=[DataRequired("Enter your email address."), Length(max=254)]
    )
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])
    remember = BooleanField("Keep me signed in on this device")
    submit = SubmitField("Sign in")


def authenticate(session: DbSession, email: str, password: str) -> User | None:
    """The active staff user with this email and password, or ``None``."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        check_password_hash(_dummy_password_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def _safe_next(target: str | None) -> str | None:
    """Only follow ``next`` to a path on this site, never to another host."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT_PER_ACCOUNT"]


def _submitted_account_from_this_address() -> str:
    """The per-account count is kept for each client address: a stranger guessing at an
    account from one address cannot lock its owner, signing in from elsewhere, out."""
    email = request.form.get("email", "").strip().lower()
    return f"login:{get_remote_address()}:{email}"


def _sign_in_failed(response) -> bool:
    """Only attempts that did not sign anyone in count toward the address's limit: the door
    phones of a venue sign in from one address within minutes, and a correct password is no
    guess. Flask-Limiter counts these after the answer, so attempts sent at once all pass its
    check; the per-account limit, counted before every attempt, is the hard bound on guessing
    one account's password."""
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"], deduct_when=_sign_in_failed)
@limiter.limit(_account_rate_limit, methods=["POST"], key_func=_submitted_account_from_this_address)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.staff_home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(db.session, form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(
                "That email and password do not match an active staff account. "
                "Check both and try again."
            )
        else:
            login_user(user, remember=form.remember.data)
            user.last_login_at = utcnow()
            db.session.commit()
            flash(f"Signed in as {user.email}.", "success")
            return redirect(_safe_next(request.args.get("next")) or url_for("core.staff_home"))
    status = 400 if form.errors else 200
    return render_template("core/login.html", form=form), status


class LogoutForm(AppForm):
    submit = SubmitField("Sign out")


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    # Sign-out is a POST with a CSRF token, so another site cannot sign staff out.
    if not LogoutForm().validate_on_submit():
        abort(400)
    # Server-side too: a copy of this session's cookie (or of another device's) stops working.
    current_user.end_sessions()
    db.session.commit()
    logout_user()
    flash("You are signed out.", "success")
    return redirect(url_for("agenda.home"))
