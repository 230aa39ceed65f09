"""Staff sign-in: passwords, rate limits, sign-out and CSRF."""

from forumapp.core.models import User
from forumapp.extensions import db

from ..conftest import PASSWORD, csrf_token, sign_in


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


def test_sign_in_is_rate_limited_per_account_across_addresses(app, make_user):
    email = make_user("admin")
    for n in range(10):
        other = app.test_client()
        other.environ_base["REMOTE_ADDR"] = f"10.0.0.{n}"
        assert sign_in(other, email, password=f"guess {n}").status_code == 400
    late = app.test_client()
    late.environ_base["REMOTE_ADDR"] = "10.0.1.1"
    assert sign_in(late, email).status_code == 429


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
