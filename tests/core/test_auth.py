"""Staff sign-in: passwords, rate limits, sign-out and CSRF."""

import pytest

from forumapp.core.models import User
from forumapp.extensions import db

from ..conftest import PASSWORD, csrf_token, make_test_app, sign_in


def test_staff_sign_in_with_the_right_password_opens_staff_home(client, make_user):
    email = make_user("organizer", email="Olivia@Staff.example.org")
    response = sign_in(client, "olivia@staff.example.org ")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Signed in as olivia@staff.example.org" in page
    assert "Staff home" in page and "Teams" in page
    assert email.lower() == "olivia@staff.example.org"


def test_wrong_password_is_refused_with_a_message_next_to_the_field(client, make_user):
    email = make_user("organizer")
    response = sign_in(client, email, password="wrong password")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "do not match an active staff account" in page
    assert 'id="password-error"' in page and 'aria-invalid="true"' in page
    assert client.get("/staff/").status_code == 302


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(client, make_user):
    response = sign_in(client, "nobody@staff.example.org")
    assert response.status_code == 400
    assert "do not match an active staff account" in response.get_data(as_text=True)


def test_deactivated_account_cannot_sign_in(client, make_user):
    email = make_user("door", active=False)
    assert sign_in(client, email).status_code == 400
    assert client.get("/staff/").status_code == 302


def test_sign_in_is_rate_limited_per_address(client, make_user):
    email = make_user("admin")
    statuses = [sign_in(client, email, password=f"guess {n}").status_code for n in range(5)]
    assert statuses == [400] * 5
    blocked = sign_in(client, email)  # even the right password waits now
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302


def test_guessing_at_an_account_from_one_address_does_not_lock_its_owner_out(
    app, make_user, monkeypatch
):
    # The per-address limit raised, as for guesses spread over an hour: the per-account
    # limit alone stops the stranger, and only at the stranger's address.
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "100 per minute")
    email = make_user("admin")
    stranger = app.test_client()
    stranger.environ_base["REMOTE_ADDR"] = "10.0.0.66"
    for n in range(10):
        assert sign_in(stranger, email, password=f"guess {n}").status_code == 400
    assert sign_in(stranger, email).status_code == 429
    owner = app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "10.0.1.1"
    assert sign_in(owner, email).status_code == 302
    assert owner.get("/staff/").status_code == 200


@pytest.fixture
def behind_one_proxy(app):
    """The app as deployed behind nginx: TRUSTED_PROXIES=1, on the same database."""
    proxied = make_test_app(app.config["SQLALCHEMY_DATABASE_URI"], TRUSTED_PROXIES=1)
    yield proxied
    with proxied.app_context():
        db.session.remove()
        db.engine.dispose()


def _via_proxy(app, client_address: str):
    """A client whose requests reach the app through the proxy (one connection address)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "127.0.0.1"
    client.environ_base["HTTP_X_FORWARDED_FOR"] = client_address
    return client


def test_behind_a_trusted_proxy_sign_in_limits_count_per_real_client(behind_one_proxy, make_user):
    email = make_user("admin")
    guesser = _via_proxy(behind_one_proxy, "203.0.113.5")
    statuses = [sign_in(guesser, email, password=f"guess {n}").status_code for n in range(5)]
    assert statuses == [400] * 5
    assert sign_in(guesser, email).status_code == 429
    # The account's owner, elsewhere, comes through the same proxy and is not held back.
    owner = _via_proxy(behind_one_proxy, "198.51.100.7")
    assert sign_in(owner, email).status_code == 302
    assert owner.get("/staff/").status_code == 200


def test_without_trusted_proxies_a_forwarded_for_header_is_ignored(app, make_user):
    # A client cannot dodge its limit by claiming another address on every attempt.
    email = make_user("admin")
    guesses = [
        sign_in(_via_proxy(app, f"203.0.113.{n}"), email, password=f"guess {n}").status_code
        for n in range(5)
    ]
    assert guesses == [400] * 5
    assert sign_in(_via_proxy(app, "198.51.100.7"), email).status_code == 429


def test_sign_out_ends_the_session(client, signed_in):
    signed_in("faculty")
    token = csrf_token(client, "/")
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert "You are signed out" in client.get("/").get_data(as_text=True)
    assert client.get("/staff/").status_code == 302


def test_sign_out_without_csrf_token_is_refused(client, signed_in):
    signed_in("faculty")
    assert client.post("/logout").status_code == 400
    assert client.get("/staff/").status_code == 200


def test_form_posted_without_csrf_token_is_rejected(client, make_user):
    email = make_user("organizer")
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/staff/").status_code == 302


def test_next_parameter_never_leads_off_site(client, make_user):
    email = make_user("organizer")
    token = csrf_token(client, "/login")
    response = client.post(
        "/login?next=//evil.example.com/",
        data={"email": email, "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/staff/"


def test_next_parameter_returns_to_the_requested_staff_page(client, make_user):
    email = make_user("organizer")
    first = client.get("/staff/teams")
    assert first.headers["Location"].startswith("/login?next=/staff/teams")
    token = csrf_token(client, "/login")
    response = client.post(
        first.headers["Location"], data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.headers["Location"] == "/staff/teams"


def test_passwords_are_stored_hashed(app_ctx, make_user):
    email = make_user("door")
    user = db.session.scalar(db.select(User).where(User.email == email))
    assert PASSWORD not in user.password_hash
    assert user.check_password(PASSWORD)


def test_fields_without_errors_carry_no_error_attributes(client):
    page = client.get("/login").get_data(as_text=True)
    assert "aria-invalid" not in page and '="None"' not in page


def _token_for(app, email: str) -> str:
    result = app.test_cli_runner().invoke(args=["token", "create", email])
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[0]


def _api_me(client, token: str):
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def _last_used(app):
    from forumapp.core.models import ApiToken

    with app.app_context():
        return db.session.scalar(db.select(ApiToken.last_used_at))


def test_a_tokens_use_is_recorded_once_every_few_minutes(app, client, make_user):
    from datetime import timedelta

    from forumapp.core.auth import TOKEN_USE_RESOLUTION
    from forumapp.core.models import ApiToken

    token = _token_for(app, make_user("door"))
    assert _last_used(app) is None

    assert _api_me(client, token).status_code == 200
    first_use = _last_used(app)
    assert first_use is not None
    assert _api_me(client, token).status_code == 200
    assert _last_used(app) == first_use  # a busy scanner does not write on every call

    with app.app_context():
        long_ago = first_use - TOKEN_USE_RESOLUTION - timedelta(seconds=1)
        db.session.execute(db.update(ApiToken).values(last_used_at=long_ago))
        db.session.commit()
    assert _api_me(client, token).status_code == 200
    assert _last_used(app) > first_use


def test_a_token_stops_working_at_once_when_revoked_or_its_account_is_deactivated(
    app, client, make_user
):
    from forumapp.core.staff import revoke_tokens

    email = make_user("door")
    token = _token_for(app, email)
    assert _api_me(client, token).status_code == 200
    with app.app_context():
        db.session.scalar(db.select(User).where(User.email == email)).active = False
        db.session.commit()
    assert _api_me(client, token).status_code == 401

    other = make_user("door")
    second = _token_for(app, other)
    assert _api_me(client, second).status_code == 200
    with app.app_context():
        revoke_tokens(db.session, other)
        db.session.commit()
    assert _api_me(client, second).status_code == 401


def _replay(app, name: str, value: str):
    """A fresh browser holding only a copy of one cookie, opening staff home."""
    thief = app.test_client()
    thief.set_cookie(name, value)
    return thief.get("/staff/")


def _sign_out(client):
    assert client.post("/logout", data={"csrf_token": csrf_token(client, "/")}).status_code == 302


def test_a_session_cookie_copied_before_sign_out_no_longer_works(app, client, make_user):
    email = make_user("admin")
    assert sign_in(client, email).status_code == 302
    copied = client.get_cookie("session").value
    assert _replay(app, "session", copied).status_code == 200
    other_device = app.test_client()
    assert sign_in(other_device, email).status_code == 302
    _sign_out(client)
    replayed = _replay(app, "session", copied)
    assert replayed.status_code == 302
    assert replayed.headers["Location"].startswith("/login")
    # Sign-out ends every session of the account, on every device.
    assert other_device.get("/staff/").status_code == 302
    assert sign_in(client, email).status_code == 302
    assert client.get("/staff/").status_code == 200


def test_a_remember_me_cookie_copied_before_sign_out_no_longer_works(app, client, make_user):
    email = make_user("organizer")
    assert sign_in(client, email, remember="y").status_code == 302
    copied = client.get_cookie("remember_token").value
    assert _replay(app, "remember_token", copied).status_code == 200
    _sign_out(client)
    assert _replay(app, "remember_token", copied).status_code == 302


def _cli(app, *args, input=None):
    result = app.test_cli_runner().invoke(args=list(args), input=input)
    assert result.exit_code == 0, result.output
    return result


def test_a_new_password_ends_the_sessions_signed_in_with_the_old_one(app, client, make_user):
    email = make_user("organizer")
    assert sign_in(client, email, remember="y").status_code == 302
    session, remember = client.get_cookie("session").value, client.get_cookie("remember_token")
    _cli(app, "user", "password", email, "--password-stdin", input="a brand new password\n")
    assert client.get("/staff/").status_code == 302
    assert _replay(app, "session", session).status_code == 302
    assert _replay(app, "remember_token", remember.value).status_code == 302
    assert sign_in(client, email).status_code == 400
    assert sign_in(client, email, password="a brand new password").status_code == 302


def test_a_short_new_password_is_refused_and_changes_nothing(app, client, make_user):
    email = make_user("door")
    assert sign_in(client, email).status_code == 302
    result = app.test_cli_runner().invoke(
        args=["user", "password", email, "--password-stdin"], input="short\n"
    )
    assert result.exit_code != 0 and "at least 10" in result.output
    assert client.get("/staff/").status_code == 200


def test_deactivating_an_account_ends_its_sessions(app, client, make_user):
    email = make_user("organizer")
    assert sign_in(client, email, remember="y").status_code == 302
    session, remember = client.get_cookie("session").value, client.get_cookie("remember_token")
    result = _cli(app, "user", "deactivate", email)
    assert f"Deactivated {email}" in result.output
    assert client.get("/staff/").status_code == 302
    assert _replay(app, "session", session).status_code == 302
    assert _replay(app, "remember_token", remember.value).status_code == 302
    assert sign_in(client, email).status_code == 400
