"""Sensitive staff actions leave exactly one entry in the audit log, by the signed-in user, in
the action's own transaction; admins read the log at /staff/audit."""

import html
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forumapp.checkin.models import CheckIn
from forumapp.core import audit
from forumapp.core.audit import AuditEntry
from forumapp.core.clock import utcnow
from forumapp.core.models import Forum, ForumDay, User
from forumapp.extensions import db

from ..conftest import PASSWORD, csrf_token, sign_in
from ..feedback.conftest import build_world
from ..registration.test_rosters import GOOD_CSV
from ..registration.test_staff import _move


@pytest.fixture
def world(app):
    with app.app_context():
        built = build_world()
        db.session.commit()
        return built


@pytest.fixture
def organizer(signed_in):
    """A signed-in organizer (who may also work the door); ``.user_id`` is theirs."""
    return signed_in("organizer")


def _entries(app) -> list[tuple]:
    with app.app_context():
        rows = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
        return [(row.user_id, row.action, row.subject, row.details) for row in rows]


def _only_entry(app, user_id: int, action: str, subject: str) -> dict:
    entries = _entries(app)
    assert [(u, a, s) for u, a, s, _ in entries] == [(user_id, action, subject)]
    return entries[0][3]


def _post(client, url, data=None, page=None, **options):
    token = csrf_token(client, page or url)
    return client.post(url, data={"csrf_token": token, **(data or {})}, **options)


def _fill_day(app, day_id):
    with app.app_context():
        day = db.session.get(ForumDay, day_id)
        day.capacity = day.seats_taken
        db.session.commit()


def test_capacity_override_on_a_manual_registration(app, organizer, world):
    _fill_day(app, world.public_day_id)
    url = f"/staff/forums/{world.forum_id}/registrations/new"
    data = {
        "email": "late@example.org",
        "name": "Late Comer",
        "override": "y",
        "day_ids": [world.public_day_id],
    }
    assert _post(organizer, url, data).status_code == 302
    with app.app_context():
        registration_id = db.session.scalar(sa.text("SELECT max(id) FROM registration"))
    details = _only_entry(
        app, organizer.user_id, "registration.override", f"registration:{registration_id}"
    )
    assert details == {"day_ids": [world.public_day_id]}


def test_a_manual_registration_without_override_is_not_an_override(app, organizer, world):
    url = f"/staff/forums/{world.forum_id}/registrations/new"
    data = {"email": "new@example.org", "name": "New Person", "day_ids": [world.public_day_id]}
    assert _post(organizer, url, data).status_code == 302
    assert _entries(app) == []


def test_manual_move_of_a_breakout_pick(app, organizer, world):
    ana = world.registrations["Ana Alvarez"]
    _move(organizer, ana, world.items["Breakout 2"])
    details = _only_entry(app, organizer.user_id, "registration.move_pick", f"registration:{ana}")
    assert details == {
        "from_item_id": world.items["Breakout 1"],
        "to_item_id": world.items["Breakout 2"],
        "status": "confirmed",
        "override": False,
    }


def test_cancelling_someones_day(app, organizer, world):
    pat = world.registrations["Pat Public"]
    url = f"/staff/registrations/{pat}/days/{world.public_day_id}/cancel"
    assert _post(organizer, url, page=f"/staff/registrations/{pat}").status_code == 302
    details = _only_entry(app, organizer.user_id, "registration.cancel_day", f"registration:{pat}")
    assert details == {"day_id": world.public_day_id}


def test_check_in_undo_once_even_when_pressed_twice(app, organizer, world):
    with app.app_context():
        pat = world.registrations["Pat Public"]
        check_in_id = db.session.scalar(sa.select(CheckIn.id).where(CheckIn.registration_id == pat))
    url, page = f"/door/check-ins/{check_in_id}/undo", f"/door/days/{world.public_day_id}"
    assert _post(organizer, url, page=page).status_code == 303
    assert _post(organizer, url, page=page).status_code == 303
    details = _only_entry(app, organizer.user_id, "checkin.undo", f"check_in:{check_in_id}")
    assert details["day_id"] == world.public_day_id


def test_walk_in_with_capacity_override(app, organizer, world):
    _fill_day(app, world.public_day_id)
    url = f"/door/days/{world.public_day_id}/walk-in"
    data = {"name": "Walk In", "email": "walk@example.org", "organization": "", "override": "y"}
    assert _post(organizer, url, data).status_code == 303
    with app.app_context():
        registration_id = db.session.scalar(sa.text("SELECT max(id) FROM registration"))
    details = _only_entry(
        app, organizer.user_id, "checkin.walk_in_override", f"registration:{registration_id}"
    )
    assert details == {"day_id": world.public_day_id}


@pytest.mark.parametrize(
    ("path", "action"),
    [
        ("/staff/forums/{forum}/registrations.csv", "export.registrations_csv"),
        ("/staff/forums/{forum}/breakouts.csv", "export.breakouts_csv"),
        ("/staff/forums/{forum}/feedback/answers.csv", "export.feedback_csv"),
        ("/staff/forums/{forum}/badges.pdf", "export.badges_pdf"),
    ],
)
def test_each_export_of_personal_data(app, organizer, world, path, action):
    response = organizer.get(path.format(forum=world.forum_id))
    assert response.status_code == 200
    assert response.headers["Cache-Control"].endswith("no-store")
    _only_entry(app, organizer.user_id, action, f"forum:{world.forum_id}")


def test_speakers_export(app, organizer, world):
    assert organizer.get("/staff/speakers/export.csv").status_code == 200
    _only_entry(app, organizer.user_id, "export.speakers_csv", "")


def test_roster_import_and_not_a_refused_one(app, organizer, world):
    def upload(body: bytes):
        return _post(
            organizer,
            "/staff/teams/import",
            {"file": (io.BytesIO(body), "roster.csv")},
            content_type="multipart/form-data",
        )

    assert upload(b"Team,Name,Email,Role\r\nPitt County,No Email,,member\r\n").status_code == 400
    assert _entries(app) == []  # rolled back with the import
    assert upload(GOOD_CSV.encode()).status_code == 302
    with app.app_context():
        program_id = db.session.scalar(sa.text("SELECT min(id) FROM program"))
    details = _only_entry(app, organizer.user_id, "roster.import", f"program:{program_id}")
    assert details["people_added"] > 0 and details["teams"] > 0  # what the import changed


def test_team_invitations(app, organizer, world):
    url = f"/staff/forums/{world.forum_id}/invitations"
    assert _post(organizer, url, {"team_id": ""}).status_code == 302
    details = _only_entry(app, organizer.user_id, "invitations.team", f"forum:{world.forum_id}")
    assert details == {"team_id": None, "queued": 4}


@pytest.mark.parametrize(
    ("path", "action"),
    [("invitations", "invitations.feedback"), ("reminders", "invitations.feedback_reminder")],
)
def test_feedback_invitations_and_reminders(app, organizer, world, path, action):
    base = f"/staff/forums/{world.forum_id}/feedback/settings"
    assert _post(organizer, f"{base}/{path}", page=base).status_code == 302
    details = _only_entry(app, organizer.user_id, action, f"forum:{world.forum_id}")
    assert details["queued"] >= 1


def test_staff_accounts_and_tokens_from_the_command_line(app):
    runner = app.test_cli_runner()
    email = "new.admin@staff.example.org"
    result = runner.invoke(
        args=["user", "create", email, "--role", "admin", "--password-stdin"], input=PASSWORD
    )
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["token", "create", email]).exit_code == 0
    assert runner.invoke(args=["token", "revoke", email]).exit_code == 0
    with app.app_context():
        user_id = db.session.scalar(sa.select(User.id).where(User.email == email))
    entries = _entries(app)
    assert [(u, a, s) for u, a, s, _ in entries] == [
        (None, "staff.create", f"staff_user:{user_id}"),
        (None, "staff.token_create", f"staff_user:{user_id}"),
        (None, "staff.token_revoke", f"staff_user:{user_id}"),
    ]
    assert all(details["via"] == "command line" for *_, details in entries)
    assert entries[0][3]["role"] == "admin" and entries[2][3]["revoked"] == 1


def test_an_unknown_action_is_refused(app_ctx):
    with pytest.raises(ValueError, match="Unknown audit action"):
        audit.record(db.session, None, "something.new")


# --- The admin page --------------------------------------------------------------------------


def _log(app, count: int, user_email: str | None = None):
    with app.app_context():
        user_id = (
            db.session.scalar(sa.select(User.id).where(User.email == user_email))
            if user_email
            else None
        )
        start = utcnow() - timedelta(days=count)
        for n in range(count):
            entry = audit.record(db.session, user_id, "checkin.undo", f"check_in:{n}", day_id=n)
            entry.at = start + timedelta(days=n)
        db.session.commit()


def test_admin_reads_the_log_newest_first_with_who_and_what(app, client, make_user):
    admin = make_user("admin")
    door = make_user("door")
    _log(app, 3, door)
    sign_in(client, admin)
    page = client.get("/staff/audit").get_data(as_text=True)
    assert "3 entries" in page and door in page and "Undid a check-in" in page
    assert page.index("check_in:2") < page.index("check_in:1") < page.index("check_in:0")
    assert 'href="/staff/audit"' in client.get("/staff/").get_data(as_text=True)


def test_the_log_names_what_each_entry_is_about(app, organizer, world, make_user):
    with app.app_context():
        pat = world.registrations["Pat Public"]
        check_in_id = db.session.scalar(sa.select(CheckIn.id).where(CheckIn.registration_id == pat))
    page = f"/door/days/{world.public_day_id}"
    _post(organizer, f"/door/check-ins/{check_in_id}/undo", page=page)
    _post(
        organizer,
        f"/staff/registrations/{pat}/days/{world.public_day_id}/cancel",
        page=f"/staff/registrations/{pat}",
    )
    organizer.get(f"/staff/forums/{world.forum_id}/registrations.csv")
    admin = app.test_client()
    sign_in(admin, make_user("admin"))

    log = re.sub(r"<[^>]+>", "", html.unescape(admin.get("/staff/audit").get_data(as_text=True)))

    with app.app_context():
        forum_title = db.session.get(Forum, world.forum_id).title
    assert f"Pat Public, {forum_title} (registration:{pat})" in log
    assert re.search(rf"Pat Public, \w+ \d+, \d{{4}} \(check_in:{check_in_id}\)", log)
    assert f"{forum_title} (forum:{world.forum_id})" in log
    # Details name things too: the undone check-in's day and registration, not their ids.
    assert f"day: {forum_title}, March 15; registration: Pat Public, {forum_title}" in log
    assert "day id:" not in log


def test_admin_filters_by_action_person_and_dates(app, client, make_user):
    admin = make_user("admin")
    door = make_user("door")
    _log(app, 5, door)
    with app.app_context():
        audit.record(db.session, None, "export.speakers_csv")
        db.session.commit()
        door_id = db.session.scalar(sa.select(User.id).where(User.email == door))
    sign_in(client, admin)
    page = client.get("/staff/audit?action=export.speakers_csv").get_data(as_text=True)
    assert "1 entry found" in page and "check_in:" not in page
    page = client.get(f"/staff/audit?user_id={door_id}").get_data(as_text=True)
    assert "5 entries found" in page
    today = utcnow().date()
    since = (today - timedelta(days=2)).isoformat()
    page = client.get(f"/staff/audit?action=checkin.undo&since={since}").get_data(as_text=True)
    assert "check_in:4" in page and "check_in:0" not in page
    page = client.get(f"/staff/audit?until={(today - timedelta(days=30)).isoformat()}")
    assert "0 entries found" in page.get_data(as_text=True)
    refused = client.get("/staff/audit?since=99999-01-01&user_id=abc&action=nope")
    assert refused.status_code == 400


def test_the_log_is_paginated(app, client, make_user):
    admin = make_user("admin")
    _log(app, 60)
    sign_in(client, admin)
    first = client.get("/staff/audit").get_data(as_text=True)
    assert "page 1 of 2" in first and "Older entries" in first and "check_in:59" in first
    second = client.get("/staff/audit?page=2").get_data(as_text=True)
    assert "check_in:9<" in second and "check_in:10<" not in second and "Newer entries" in second
    assert "check_in:9<" in client.get("/staff/audit?page=99999999999").get_data(as_text=True)


@pytest.mark.parametrize("role", ["organizer", "faculty", "door"])
def test_only_admins_read_the_log(signed_in, role):
    assert signed_in(role).get("/staff/audit").status_code == 403


def test_a_download_is_recorded_even_when_someone_writes_while_it_is_read(
    app, organizer, world, monkeypatch
):
    """On SQLite the download's request only reads; another request writing meanwhile must
    not make recording the download fail."""
    from forumapp.registration import exports

    build_csv = exports.registrations_csv

    def csv_while_the_door_writes(session, forum):
        body = build_csv(session, forum)
        other = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        with other.begin() as connection:  # another request, e.g. a scan at the door
            connection.execute(sa.text("UPDATE person SET job_title = 'Nurse' WHERE id = 1"))
        other.dispose()
        return body

    monkeypatch.setattr(exports, "registrations_csv", csv_while_the_door_writes)
    response = organizer.get(f"/staff/forums/{world.forum_id}/registrations.csv")
    assert response.status_code == 200
    _only_entry(app, organizer.user_id, "export.registrations_csv", f"forum:{world.forum_id}")
