"""Staff CLI: creating accounts and API tokens that the JSON API accepts."""

from forumapp.core.models import ApiToken, User
from forumapp.extensions import db


def _run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def test_user_create_reads_the_password_from_stdin(app, client):
    result = _run(
        app,
        "user",
        "create",
        "New.Organizer@Staff.example.org",
        "--role",
        "organizer",
        "--password-stdin",
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created organizer account new.organizer@staff.example.org" in result.output
    from ..conftest import sign_in

    assert (
        sign_in(client, "new.organizer@staff.example.org", "a long enough password").status_code
        == 302
    )


def test_user_create_prompts_for_the_password_twice(app):
    result = _run(
        app,
        "user",
        "create",
        "door@staff.example.org",
        "--role",
        "door",
        input="door password 1\ndoor password 1\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(db.select(User.role)) == "door"


def test_user_create_refuses_bad_input_without_writing(app):
    cases = [
        (["x@staff.example.org", "--role", "superuser"], "superuser"),
        (["not-an-email", "--role", "door"], "@"),
        (["x@staff.example.org", "--role", "door"], "at least 10"),
    ]
    for args, message in cases:
        result = _run(app, "user", "create", *args, "--password-stdin", input="short\n")
        assert result.exit_code != 0
        assert message in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 0


def test_user_create_refuses_a_duplicate_email(app, make_user):
    email = make_user("door")
    result = _run(
        app,
        "user",
        "create",
        email.upper(),
        "--role",
        "admin",
        "--password-stdin",
        input="another long password\n",
    )
    assert result.exit_code != 0
    assert "already exists" in result.output


def test_token_create_prints_a_token_the_api_accepts_and_revoke_ends_it(app, client, make_user):
    email = make_user("organizer")
    result = _run(app, "token", "create", email)
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[0]
    assert token.startswith("fa_")
    with app.app_context():
        stored = db.session.scalar(db.select(ApiToken))
        assert stored.token_hash != token and token not in stored.token_hash

    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.get_json() == {"email": email, "name": "Organizer", "role": "organizer"}

    revoke = _run(app, "token", "revoke", email)
    assert revoke.exit_code == 0 and "Revoked 1 token" in revoke.output
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_token_for_unknown_user_is_an_error(app):
    result = _run(app, "token", "create", "ghost@staff.example.org")
    assert result.exit_code != 0
    assert "No staff account" in result.output


def test_staff_token_sees_draft_forums_that_the_public_does_not(app, client, make_user):
    from datetime import date

    from forumapp.core.models import Forum, ForumDay, Program

    with app.app_context():
        program = Program(name="P")
        db.session.add_all(
            [
                Forum(
                    program=program,
                    number=1,
                    title="Published",
                    venue_name="V",
                    venue_address="A",
                    venue_city="C",
                    status="published",
                    days=[ForumDay(date=date(2027, 1, 5), audience="team")],
                ),
                Forum(
                    program=program,
                    number=2,
                    title="Draft",
                    venue_name="V",
                    venue_address="A",
                    venue_city="C",
                    status="draft",
                ),
            ]
        )
        db.session.commit()
    email = make_user("faculty")
    token = _run(app, "token", "create", email).output.strip().splitlines()[0]
    public = [f["title"] for f in client.get("/api/v1/forums").get_json()["forums"]]
    staff = client.get("/api/v1/forums", headers={"Authorization": f"Bearer {token}"})
    assert public == ["Published"]
    assert [f["title"] for f in staff.get_json()["forums"]] == ["Published", "Draft"]
