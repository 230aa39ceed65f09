"""Every public POST is rate limited, with limits read from the configuration: past its limit
a person gets the friendly "Too many attempts" page (the API: JSON) instead of the action."""

import re

import pytest

from forumapp.core.links import personal_token
from forumapp.core.models import Person
from forumapp.extensions import db

from ..conftest import csrf_token, sign_in
from ..registration.conftest import make_forum
from .test_roles import PUBLIC_ENDPOINTS

LIMIT = 2
# The setting that limits each public POST. A new public POST must be added here (and get a
# limit), or the first test fails.
SETTING_OF = {
    "core.login": "LOGIN_RATE_LIMIT",
    "api.create_registration": "RATELIMIT_PUBLIC_API",
    "registration.public_register": "RATELIMIT_PUBLIC_FORMS",
    "registration.confirm_public_request": "RATELIMIT_PUBLIC_FORMS",
    "registration.resend_link": "RATELIMIT_SEND_LINK",
    "registration.team_register": "RATELIMIT_PERSONAL_LINK",
    "registration.cancel_seat": "RATELIMIT_PERSONAL_LINK",
    "registration.save_breakouts": "RATELIMIT_PERSONAL_LINK",
    "registration.drop_pick": "RATELIMIT_PERSONAL_LINK",
    "registration.renew_personal_link": "RATELIMIT_PERSONAL_LINK",
    "registration.team_roster_pm": "RATELIMIT_PERSONAL_LINK",
    "registration.team_roster_pm_remove": "RATELIMIT_PERSONAL_LINK",
    "feedback.respond": "RATELIMIT_PERSONAL_LINK",
    "feedback.suggest_topic": "RATELIMIT_PERSONAL_LINK",
    "calendar.renew_feed": "RATELIMIT_PERSONAL_LINK",
    "checkin.reissue": "RATELIMIT_PERSONAL_LINK",
    "commitments.team_page": "RATELIMIT_PERSONAL_LINK",
    "commitments.members_may_commit": "RATELIMIT_PERSONAL_LINK",
    "commitments.progress_page": "RATELIMIT_PERSONAL_LINK",
    "api.linked_create_commitment": "RATELIMIT_PERSONAL_LINK",
    "attendee.save_language": "RATELIMIT_PERSONAL_LINK",
    "materials.speaker_upload": "RATELIMIT_PERSONAL_LINK",
    "materials.speaker_profile": "RATELIMIT_PERSONAL_LINK",
    "materials.speaker_add_availability": "RATELIMIT_PERSONAL_LINK",
    "materials.speaker_remove_availability": "RATELIMIT_PERSONAL_LINK",
}
# Sign-out needs a sign-in first; it is not a public form.
NOT_LIMITED = {"core.logout"}


def _public_posts(app) -> dict[str, str]:
    return {
        rule.endpoint: rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint in PUBLIC_ENDPOINTS and "POST" in rule.methods
    }


@pytest.fixture
def low_limits(app, monkeypatch):
    """Every configured limit lowered to a couple of requests, as a deployment could set it."""
    for setting in set(SETTING_OF.values()) | {"LOGIN_RATE_LIMIT_PER_ACCOUNT"}:
        monkeypatch.setitem(app.config, setting, f"{LIMIT} per minute")


@pytest.fixture
def people(app):
    """A published forum, and two people with personal links."""
    with app.app_context():
        setup = make_forum()
        tokens = []
        for name in ("Ada Lovelace", "Bo Brown"):
            person = Person(name=name, email=name.lower().replace(" ", ".") + "@example.org")
            db.session.add(person)
            db.session.flush()
            tokens.append(personal_token(person))
        db.session.commit()
        return setup, tokens


def _url(rule: str, setup, token: str) -> str:
    url = rule.replace("<token>", token).replace("<int:forum_id>", str(setup.forum_id))
    return re.sub(r"<(?:[^:<>]+:)?[^<>]+>", "1", url)


def _post(client, endpoint: str, url: str, form_token: str):
    if endpoint.startswith("api."):
        return client.post(url, json={"name": "Ada Lovelace"})
    return client.post(url, data={"csrf_token": form_token, "email": "ada@example.org"})


def test_every_public_post_has_a_configured_limit(app):
    posts = set(_public_posts(app)) - NOT_LIMITED
    assert posts == set(SETTING_OF), "a public POST without a known rate limit"
    for setting in set(SETTING_OF.values()):
        assert re.fullmatch(r"\d+ per \w+.*", app.config[setting]), setting


@pytest.mark.parametrize("endpoint", sorted(SETTING_OF))
def test_public_post_answers_429_past_its_limit(app, client, low_limits, people, endpoint):
    setup, (token, _) = people
    url = _url(_public_posts(app)[endpoint], setup, token)
    form_token = csrf_token(client, "/login")
    for _ in range(LIMIT):
        assert _post(client, endpoint, url, form_token).status_code != 429, url
    blocked = _post(client, endpoint, url, form_token)
    assert blocked.status_code == 429, url
    if endpoint.startswith("api."):
        assert blocked.get_json()["error"] == "Too many attempts"
    else:
        assert "Too many attempts" in blocked.get_data(as_text=True)
        assert "wait a minute" in blocked.get_data(as_text=True)


def test_personal_link_posts_share_one_count_per_link(app, client, low_limits, people):
    setup, (ada, bo) = people
    form_token = csrf_token(client, "/login")
    data = {"csrf_token": form_token}
    assert client.post(f"/me/{ada}/calendar-link", data=data).status_code != 429
    assert client.post(f"/me/{ada}/topics", data=data).status_code != 429
    assert client.post(f"/me/{ada}/feedback/{setup.forum_id}", data=data).status_code == 429
    # Another person at the same venue (same address) is not held back by Ada's count.
    assert client.post(f"/me/{bo}/calendar-link", data=data).status_code != 429


def test_registration_form_is_limited_per_address(app, low_limits, people):
    setup, _ = people
    url = f"/forums/{setup.forum_id}/register"
    first = app.test_client()
    form_token = csrf_token(first, "/login")
    for _ in range(LIMIT):
        first.post(url, data={"csrf_token": form_token})
    assert first.post(url, data={"csrf_token": form_token}).status_code == 429
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert other.post(url, data={"csrf_token": csrf_token(other, "/login")}).status_code != 429


def test_limits_come_from_the_environment(monkeypatch):
    import importlib

    import config

    monkeypatch.setenv("RATELIMIT_PUBLIC_FORMS", "5 per minute")
    monkeypatch.setenv("RATELIMIT_PERSONAL_LINK", "7 per minute")
    try:
        reloaded = importlib.reload(config)
        assert reloaded.BaseConfig.RATELIMIT_PUBLIC_FORMS == "5 per minute"
        assert reloaded.BaseConfig.RATELIMIT_PERSONAL_LINK == "7 per minute"
    finally:
        monkeypatch.undo()
        importlib.reload(config)


def test_only_failed_sign_ins_count_toward_the_addresss_sign_in_limit(app, low_limits, make_user):
    """Door phones on the venue's Wi-Fi sign in within a minute, each to its door account:
    none is turned away. Wrong passwords from that address are, past the limit."""
    accounts = [make_user("door") for _ in range(LIMIT + 4)]
    for email in accounts:
        assert sign_in(app.test_client(), email).status_code == 302

    guesser = app.test_client()
    for email in accounts[:LIMIT]:
        assert sign_in(guesser, email, "wrong password").status_code == 400
    assert sign_in(guesser, accounts[-1], "wrong password").status_code == 429
    # Once the address has used its attempts, even the right password waits.
    assert sign_in(app.test_client(), accounts[-1]).status_code == 429


def test_every_attempt_on_one_account_counts_toward_its_limit(app, low_limits, make_user):
    """The hard bound on guessing one password: attempts on one account from one address,
    right or wrong, counted before each is tried."""
    email = make_user("door")
    for _ in range(LIMIT):
        assert sign_in(app.test_client(), email).status_code == 302
    assert sign_in(app.test_client(), email, "a guess").status_code == 429
