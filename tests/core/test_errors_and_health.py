"""The health check, friendly error pages, JSON errors and security headers."""

import pytest

from forumapp.core.models import Program
from forumapp.extensions import db

from ..conftest import make_test_app


def test_healthz_reports_the_database_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_the_database_cannot_be_reached(tmp_path):
    broken = make_test_app(f"sqlite:///{tmp_path}/no/such/folder/forumapp.sqlite")
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] != "ok"


def test_unknown_page_gets_a_friendly_404(client):
    response = client.get("/no-such-page")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in page
    assert 'href="/"' in page


def test_an_error_page_leads_back_to_the_page_of_this_site_it_came_from(client, app, monkeypatch):
    """A form sent with a file too large: the person gets back to the form, not only to the
    home page. Another site's address is not offered."""
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    form = "http://localhost/link"
    too_large = client.post("/link", data={"email": "x" * 4096}, headers={"Referer": form})
    assert too_large.status_code == 413
    assert f'<a href="{form}">Back to the page you were on</a>' in too_large.get_data(as_text=True)

    elsewhere = client.get("/no-such-page", headers={"Referer": "https://evil.example/form"})
    assert "Back to the page you were on" not in elsewhere.get_data(as_text=True)


@pytest.mark.parametrize(("method", "url"), [("delete", "/"), ("post", "/"), ("put", "/healthz")])
def test_a_page_asked_with_the_wrong_method_gets_a_friendly_405(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 405
    assert "<h1>That action is not allowed here</h1>" in response.get_data(as_text=True)
    assert "GET" in response.headers["Allow"]


def test_an_api_route_asked_with_the_wrong_method_gets_a_json_405(client):
    response = client.get("/api/v1/checkins")
    assert response.status_code == 405
    assert response.get_json()["error"] == "That action is not allowed here"
    assert "POST" in response.headers["Allow"]


def test_api_errors_are_json_with_error_and_details(client):
    missing = client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404
    assert set(missing.get_json()) == {"error", "details"}
    wrong_method = client.post("/api/v1/forums")
    assert wrong_method.status_code == 405
    assert wrong_method.get_json()["error"]
    assert "GET" in wrong_method.headers["Allow"]
    unauthenticated = client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"})
    assert unauthenticated.status_code == 401
    assert unauthenticated.get_json()["error"] == "Please sign in"


@pytest.fixture
def failing_app(fresh_database):
    from flask_migrate import upgrade

    application = make_test_app(fresh_database(), PROPAGATE_EXCEPTIONS=False)

    def explode():
        db.session.add(Program(name="Half-written"))
        db.session.flush()
        raise RuntimeError("boom")

    application.add_url_rule("/explode", "explode", explode)
    application.add_url_rule("/api/v1/explode", "api_explode", explode)
    with application.app_context():
        upgrade()
    return application


def test_unexpected_error_shows_a_friendly_500_and_writes_nothing(failing_app):
    client = failing_app.test_client()
    response = client.get("/explode")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong on our side" in page
    assert "boom" not in page and "Traceback" not in page
    api = client.get("/api/v1/explode")
    assert api.status_code == 500
    assert api.get_json() == {
        "error": "Something went wrong on our side",
        "details": "An unexpected error occurred.",
    }
    with failing_app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Program)) == 0
        db.session.remove()
        db.engine.dispose()


def test_security_headers_on_every_page(client):
    for path in ["/", "/login", "/no-such-page", "/api/v1/forums"]:
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_pages_carry_no_inline_script(client):
    for path in ["/", "/login", "/no-such-page"]:
        assert "<script>" not in client.get(path).get_data(as_text=True)


def test_ids_beyond_the_database_range_are_simply_not_found(client, signed_in):
    huge = 2**31
    paths = [
        f"/forums/{huge}",
        f"/api/v1/speakers/{huge}",
        f"/speakers/{huge}",
        f"/api/v1/forums/{huge}/agenda",
    ]
    for path in paths:
        assert client.get(path).status_code == 404, path
    organizer = signed_in("organizer")
    assert organizer.get(f"/staff/forums/{huge}/agenda").status_code == 404


def test_a_form_with_a_nul_character_is_refused_not_a_server_error(app, client):
    from datetime import timedelta

    from forumapp.core.clock import utcnow

    from .. import builders as build
    from ..conftest import csrf_token

    with app.app_context():
        forum = build.forum(days=((utcnow().date() + timedelta(days=30), "public"),))
        forum.days[0].registration_opens_at = utcnow() - timedelta(days=1)
        db.session.commit()
        path, day_id = f"/forums/{forum.id}/register", forum.days[0].id
    token = csrf_token(client, path)
    response = client.post(
        path,
        data={
            "name": "Nul Person",
            "email": "nul@public.example.org",
            "organization": "Apex\x00",
            "day_ids": str(day_id),
            "consent": "y",
            "csrf_token": token,
        },
    )
    assert response.status_code == 400
    assert "Something was wrong with that request" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Program)) == 1
