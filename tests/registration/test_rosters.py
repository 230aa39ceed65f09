"""Team rosters: CSV import by organizers, project managers' own roster page, invitations."""

import io

import pytest
import sqlalchemy as sa

from forumapp.core.csv_import import CsvImportError, decode_csv
from forumapp.core.links import personal_token
from forumapp.core.models import Forum, Person, Program, Team, TeamMembership
from forumapp.extensions import db
from forumapp.mail.models import OutboxMessage
from forumapp.registration import rosters

from .. import builders as build
from ..conftest import csrf_token

GOOD_CSV = (
    "\ufeff Team ,NAME,E-mail, Role \r\n"
    "Buncombe County,Ana Díaz,Ana@Buncombe.example.org,Project Manager\r\n"
    "\r\n"
    "Buncombe County,Ben Cole,ben@buncombe.example.org,member\r\n"
    "  pitt county ,Cy Dunn,cy@pitt.example.org,pm\r\n"
    "Pitt County,Di Eve,di@pitt.example.org,project_manager\r\n"
    ",,,\r\n"
)


def _program():
    return db.session.scalar(sa.select(Program)) or Program(name="Test program")


def _counts():
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Team, Person, TeamMembership)
    )


def _roster(team_name):
    team = db.session.scalar(sa.select(Team).where(Team.name == team_name))
    return sorted((m.person.email, m.role) for m in team.memberships)


# --- Import: the rules ---------------------------------------------------------------------


def test_import_creates_teams_people_and_roles_forgiving_headers_bom_and_blank_lines(
    app_ctx, setup
):
    result = rosters.import_roster(db.session, _program(), GOOD_CSV)
    assert (result.teams, result.teams_created) == (2, 2)
    assert (result.people_added, result.people_updated, result.people_created) == (4, 0, 4)
    assert _roster("Buncombe County") == [
        ("ana@buncombe.example.org", "project_manager"),
        ("ben@buncombe.example.org", "member"),
    ]
    # "  pitt county " created a team named as first written; the next row matched it.
    assert _roster("pitt county") == [
        ("cy@pitt.example.org", "project_manager"),
        ("di@pitt.example.org", "project_manager"),
    ]
    assert "Imported 2 teams (2 new): 4 people added" in result.summary


def test_the_summary_names_people_put_on_a_second_team_and_counts_renewed_links(app_ctx, setup):
    rosters.import_roster(db.session, _program(), GOOD_CSV)
    typo = "team,name,email,role\nBuncombe Count,Ben Cole,ben@buncombe.example.org,member\n"

    result = rosters.import_roster(db.session, _program(), typo)

    assert result.also_on_other_teams == ["Ben Cole (Buncombe County)"]
    assert "Now on more than one team: Ben Cole (Buncombe County)." in result.summary
    assert (
        "1 person known before got a new personal link by email; their earlier links no "
        "longer work." in result.summary
    )


def test_a_sector_column_says_which_sector_each_person_speaks_for(app_ctx, setup):
    csv_text = (
        "team,name,email,role,sector\n"
        "Buncombe County,Ana Díaz,ana@buncombe.example.org,pm,Public health\n"
        "Buncombe County,Ben Ito,ben@buncombe.example.org,member,law_enforcement\n"
        "Buncombe County,Cy Dunn,cy@buncombe.example.org,member,\n"
    )
    rosters.import_roster(db.session, _program(), csv_text)
    team = db.session.scalar(sa.select(Team).where(Team.name == "Buncombe County"))
    assert sorted((m.person.name, m.sector) for m in team.memberships) == [
        ("Ana Díaz", "public_health"),
        ("Ben Ito", "law_enforcement"),
        ("Cy Dunn", None),
    ]
    again = (
        "team,name,email,sector\nBuncombe County,Cy Dunn,cy@buncombe.example.org,Faith community\n"
    )
    rosters.import_roster(db.session, _program(), again)
    assert {m.person.name: m.sector for m in team.memberships}["Cy Dunn"] == "faith"
    with pytest.raises(CsvImportError, match="Unknown sector “police”"):
        rosters.import_roster(
            db.session,
            _program(),
            "team,name,email,sector\nBuncombe County,Di Eng,di@buncombe.example.org,police\n",
        )


def test_importing_again_updates_roles_and_reuses_people_found_by_email(app_ctx, setup):
    existing = build.team_member("Ben Cole", "Buncombe County")  # ben.cole@county.example.org
    csv_text = (
        "team,name,email,role\n"
        "Buncombe County,Benjamin Cole,BEN.COLE@county.example.org,pm\n"
        "buncombe county,New Person,new@county.example.org,member\n"
    )
    result = rosters.import_roster(db.session, _program(), csv_text)
    assert (result.teams_created, result.people_added, result.people_updated) == (0, 1, 1)
    assert result.people_created == 1
    assert existing.name == "Ben Cole"  # an existing person's details are kept
    assert _roster("Buncombe County") == [
        ("ben.cole@county.example.org", "project_manager"),
        ("new@county.example.org", "member"),
    ]
    again = rosters.import_roster(db.session, _program(), csv_text)
    assert (again.people_added, again.people_updated, again.people_unchanged) == (0, 0, 2)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("Buncombe County,,x@example.org,member", "The name is missing"),
        ("Buncombe County,Xavier,not-an-email,member", "“not-an-email” is not a valid email"),
        ("Buncombe County,Xavier,x@example.org,boss", "Unknown role “boss”"),
        ("Buncombe County,Xavier,ANA@buncombe.example.org,member", "already on line 2"),
        (",Xavier,x@example.org,member", "The team is empty"),
    ],
    ids=["missing name", "invalid email", "unknown role", "duplicate email", "empty team"],
)
def test_each_bad_row_is_reported_with_its_line_and_nothing_is_written(
    app_ctx, setup, row, message
):
    before = _counts()
    csv_text = (
        "team,name,email,role\n"
        "Buncombe County,Ana Díaz,ana@buncombe.example.org,pm\n"
        "\n"
        f"{row}\n"
        "Pitt County,Cy Dunn,cy@pitt.example.org,member\n"
    )
    with pytest.raises(CsvImportError) as caught:
        rosters.import_roster(db.session, _program(), csv_text)
    (error,) = caught.value.errors
    assert error.line == 4
    assert message in error.message
    assert _counts() == before


def test_every_problem_in_the_file_is_listed_in_line_order(app_ctx, setup):
    csv_text = "team,name,email,role\n,,bad,chief\nPitt,Cy,cy@pitt.example.org,pm\nPitt,,,\n"
    with pytest.raises(CsvImportError) as caught:
        rosters.import_roster(db.session, _program(), csv_text)
    lines = [(error.line, error.message.split(".")[0]) for error in caught.value.errors]
    assert lines == [
        (2, "The team is empty"),
        (2, "The name is missing"),
        (2, "“bad” is not a valid email address: An email address has an @ sign"),
        (2, "Unknown role “chief”"),
        (4, "The name is missing"),
        (4, "The email is missing"),
    ]


def test_a_file_without_the_needed_columns_says_which_are_missing(app_ctx, setup):
    with pytest.raises(CsvImportError) as caught:
        rosters.import_roster(db.session, _program(), "\n\nname;mail\nAna;a@x.org\n")
    (error,) = caught.value.errors
    assert error.line == 3
    assert "team, email are missing" in error.message
    with pytest.raises(CsvImportError, match="Line 1: The file is empty"):
        rosters.import_roster(db.session, _program(), "")


def test_semicolon_files_and_utf16_files_are_read(app_ctx, setup):
    text = "team;name;email;role\nDare;Zoë Ng;zoe@dare.example.org;member\n"
    assert decode_csv(text.encode("utf-16")) == text
    result = rosters.import_roster(db.session, _program(), decode_csv(text.encode()))
    assert result.people_added == 1
    assert db.session.scalar(sa.select(Person.name)) == "Zoë Ng"


def test_undecodable_or_binary_files_get_a_clear_message():
    with pytest.raises(CsvImportError, match="not UTF-8 text"):
        decode_csv("team,name\nDare,Zoë\n".encode("latin-1"))
    with pytest.raises(CsvImportError, match="may be an Excel workbook"):
        decode_csv(b"PK\x03\x04\x00\x00binary")


# --- Import: the page ----------------------------------------------------------------------


@pytest.fixture
def organizer(signed_in):
    return signed_in("organizer")


def _upload(client, body: bytes, filename="roster.csv"):
    token = csrf_token(client, "/staff/teams/import")
    return client.post(
        "/staff/teams/import",
        data={"csrf_token": token, "file": (io.BytesIO(body), filename)},
        content_type="multipart/form-data",
    )


def test_organizer_uploads_a_roster_and_sees_the_summary_on_the_teams_page(app, organizer, setup):
    assert "Import rosters from a CSV file" in organizer.get("/staff/teams").get_data(as_text=True)
    response = _upload(organizer, GOOD_CSV.encode("utf-8"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/staff/teams")
    page = organizer.get("/staff/teams").get_data(as_text=True)
    assert "Imported 2 teams (2 new): 4 people added (4 new to the program)" in page
    assert "Ana Díaz" in page and "Project manager" in page


def test_a_bad_file_lists_each_line_and_imports_nothing(app, organizer, setup):
    body = b"team,name,email,role\nDare,,x@example.org,member\nDare,Yo,yo@,boss\n"
    response = _upload(organizer, body)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nothing was imported: 3 problems in the file" in page
    assert '<th scope="row">2</th><td>The name is missing.' in page
    assert "Unknown role “boss”" in page and "“yo@” is not a valid email" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Team)) == 0


@pytest.mark.parametrize(
    ("body", "filename", "message"),
    [
        ("team,name\nZoë,x\n".encode("latin-1"), "roster.csv", "not UTF-8 text"),
        (b"PK\x03\x04\x00\x00", "roster.csv", "may be an Excel workbook"),
        (b"team,name,email,role\n" + b"x" * (1024 * 1024), "roster.csv", "1 MB or smaller"),
        (b"team,name,email,role\n", "roster.xlsx", "Choose a .csv file"),
    ],
    ids=["latin-1", "binary", "too large", "wrong extension"],
)
def test_upload_problems_are_form_messages_not_errors(organizer, setup, body, filename, message):
    response = _upload(organizer, body, filename)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_submitting_without_a_file_asks_for_one(organizer, setup):
    token = csrf_token(organizer, "/staff/teams/import")
    response = organizer.post("/staff/teams/import", data={"csrf_token": token})
    assert response.status_code == 400
    assert "Choose the CSV file to upload." in response.get_data(as_text=True)


# --- The project manager's roster page -----------------------------------------------------


@pytest.fixture
def teams(app, setup):
    """Two teams with a project manager and a member each; returns tokens and ids."""
    with app.app_context():
        pm = build.team_member("Pat Manager", "Buncombe County", "project_manager")
        member = build.team_member("Mel Member", "Buncombe County")
        other_pm = build.team_member("Oda Other", "Pitt County", "project_manager")
        db.session.commit()
        team_id = db.session.scalar(sa.select(Team.id).where(Team.name == "Buncombe County"))
        return {
            "team_id": team_id,
            "pm": personal_token(pm),
            "member": personal_token(member),
            "other_pm": personal_token(other_pm),
            "member_id": member.id,
            "pm_id": pm.id,
            "other_pm_id": other_pm.id,
        }


def _roster_url(token, team_id):
    return f"/me/{token}/team/{team_id}/roster"


def test_project_manager_adds_and_removes_members_of_their_team(app, client, teams):
    url = _roster_url(teams["pm"], teams["team_id"])
    page = client.get(url).get_data(as_text=True)
    assert "Buncombe County roster" in page and "Mel Member" in page
    data = {"name": "Nia New", "email": "Nia@County.example.org"}
    response = client.post(url, data={**data, "csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    assert "Added Nia New to the Buncombe County roster." in client.get(url).get_data(as_text=True)
    with app.app_context():
        assert ("nia@county.example.org", "member") in _roster("Buncombe County")
    response = client.post(
        f"{url}/{teams['member_id']}/remove", data={"csrf_token": csrf_token(client, url)}
    )
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Removed Mel Member from the Buncombe County roster." in page
    with app.app_context():
        assert "mel.member@county.example.org" not in dict(_roster("Buncombe County"))


def test_a_project_manager_says_which_sector_a_new_member_speaks_for(app, client, teams):
    url = _roster_url(teams["pm"], teams["team_id"])
    data = {"name": "Sam Sheriff", "email": "sam@county.example.org", "sector": "law_enforcement"}
    client.post(url, data={**data, "csrf_token": csrf_token(client, url)})
    assert "Law enforcement" in client.get(url).get_data(as_text=True)
    with app.app_context():
        team = db.session.get(Team, teams["team_id"])
        assert {m.person.name: m.sector for m in team.memberships}[
            "Sam Sheriff"
        ] == "law_enforcement"
    refused = client.post(
        url,
        data={
            "name": "Al Other",
            "email": "al@county.example.org",
            "sector": "mayor",
            "csrf_token": csrf_token(client, url),
        },
    )
    assert refused.status_code == 400


def test_a_project_manager_adding_a_known_email_sees_only_the_name_they_typed(app, client, teams):
    with app.app_context():
        db.session.add(Person(name="Stored Secret Name", email="known@public.example.org"))
        db.session.commit()
    url = _roster_url(teams["pm"], teams["team_id"])
    data = {"name": "Kim Typed", "email": "known@public.example.org"}
    client.post(url, data={**data, "csrf_token": csrf_token(client, url)})
    page = client.get(url).get_data(as_text=True)
    assert "Added Kim Typed to the Buncombe County roster." in page
    assert "Stored Secret Name" not in page
    with app.app_context():
        person = db.session.scalar(sa.select(Person).filter_by(email="known@public.example.org"))
        assert person.name == "Stored Secret Name"  # not overwritten either
        person_id = person.id
    client.post(f"{url}/{person_id}/remove", data={"csrf_token": csrf_token(client, url)})
    page = client.get(url).get_data(as_text=True)
    assert "Removed Kim Typed" in page and "Stored Secret Name" not in page


def test_managed_teams_lists_only_the_teams_a_person_manages(app_ctx, setup):
    pm = build.team_member("Pat Manager", "Buncombe County", "project_manager")
    member = build.team_member("Mel Member", "Buncombe County")
    assert [team.name for team in rosters.managed_teams(db.session, pm)] == ["Buncombe County"]
    assert rosters.managed_teams(db.session, member) == []


def test_project_manager_cannot_remove_themselves_and_adding_twice_is_refused(app, client, teams):
    url = _roster_url(teams["pm"], teams["team_id"])
    token = csrf_token(client, url)
    client.post(f"{url}/{teams['pm_id']}/remove", data={"csrf_token": token})
    assert "You cannot remove yourself." in client.get(url).get_data(as_text=True)
    response = client.post(
        url, data={"csrf_token": token, "name": "Mel", "email": "mel.member@county.example.org"}
    )
    assert response.status_code == 400
    assert "already on the Buncombe County roster" in response.get_data(as_text=True)
    response = client.post(url, data={"csrf_token": token, "name": "X", "email": "nope"})
    assert response.status_code == 400 and 'id="email-error"' in response.get_data(as_text=True)
    with app.app_context():
        assert len(_roster("Buncombe County")) == 2


@pytest.mark.parametrize("who", ["member", "other_pm", "forged"])
def test_only_the_teams_project_manager_reaches_its_roster(client, teams, who):
    token = teams.get(who, "not-a-real-token")
    url = _roster_url(token, teams["team_id"])
    assert client.get(url).status_code == 404
    pm_url = _roster_url(teams["pm"], teams["team_id"])
    response = client.post(
        f"{url}/{teams['member_id']}/remove", data={"csrf_token": csrf_token(client, pm_url)}
    )
    assert response.status_code == 404


def test_a_project_manager_cannot_remove_another_teams_member(app, client, teams):
    # Oda manages Pitt County; Mel is on Buncombe County.
    with app.app_context():
        pitt = db.session.scalar(sa.select(Team.id).where(Team.name == "Pitt County"))
    url = _roster_url(teams["other_pm"], pitt)
    client.post(f"{url}/{teams['member_id']}/remove", data={"csrf_token": csrf_token(client, url)})
    assert "not on the roster" in client.get(url).get_data(as_text=True)
    with app.app_context():
        assert len(_roster("Buncombe County")) == 2


# --- Invitations ---------------------------------------------------------------------------


def test_invitations_queue_one_email_per_roster_member_with_their_personal_link(app_ctx, setup):
    ana = build.team_member("Ana Pm", "Buncombe County", "project_manager")
    ben = build.team_member("Ben Member", "Buncombe County")
    cy = build.team_member("Cy Member", "Pitt County")
    # Ben is on two teams: he still gets one email.
    db.session.add(TeamMembership(team=cy.memberships[0].team, person=ben))
    forum = db.session.get(Forum, setup.forum_id)
    result = rosters.send_team_invitations(db.session, forum)
    assert sorted(p.name for p in result.queued) == ["Ana Pm", "Ben Member", "Cy Member"]
    messages = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.to_email)).all()
    assert [m.to_email for m in messages] == [ana.email, ben.email, cy.email]
    message = messages[0]
    assert message.kind == "team_invitation" and message.person_id == ana.id
    assert message.subject == "You're invited: Forum 5: Testing"
    assert f"/me/{personal_token(ana)}" in message.text_body
    assert "as a member of the Buncombe County team" in message.text_body


def test_invitations_are_not_sent_twice_unless_asked_and_can_go_to_one_team(app_ctx, setup):
    build.team_member("Ana Pm", "Buncombe County", "project_manager")
    forum = db.session.get(Forum, setup.forum_id)
    assert len(rosters.send_team_invitations(db.session, forum).queued) == 1
    cy = build.team_member("Cy Member", "Pitt County")
    forum.title = "Forum 5: Testing, renamed"  # a new title is no reason to invite again
    again = rosters.send_team_invitations(db.session, forum)
    assert [p.name for p in again.queued] == ["Cy Member"]
    assert [p.name for p in again.already_invited] == ["Ana Pm"]
    resent = rosters.send_team_invitations(
        db.session, forum, cy.memberships[0].team, send_again=True
    )
    assert [p.name for p in resent.queued] == ["Cy Member"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 3


def test_a_draft_forum_sends_no_invitations(app_ctx, setup):
    build.team_member("Ana Pm")
    forum = db.session.get(Forum, setup.forum_id)
    forum.status = "draft"
    with pytest.raises(rosters.RosterError, match="Publish the forum first"):
        rosters.send_team_invitations(db.session, forum)


def test_organizer_sends_invitations_from_the_page(app, organizer, setup):
    with app.app_context():
        build.team_member("Ana Pm", "Buncombe County", "project_manager")
        build.team_member("Ben Member", "Buncombe County")
        db.session.commit()
    url = f"/staff/forums/{setup.forum_id}/invitations"
    page = organizer.get(url).get_data(as_text=True)
    assert "Every team (2 roster places)" in page and "Buncombe County (2 people)" in page
    token = csrf_token(organizer, url)
    organizer.post(url, data={"csrf_token": token, "team_id": ""})
    page = organizer.get(url).get_data(as_text=True)
    assert "Queued 2 invitations for Forum 5: Testing." in page
    assert "<strong>2</strong> people have been sent" in page
    organizer.post(url, data={"csrf_token": token, "team_id": ""})
    page = organizer.get(url).get_data(as_text=True)
    assert "Queued 0 invitations" in page and "2 people were invited before and skipped" in page
    organizer.post(url, data={"csrf_token": token, "team_id": "", "send_again": "y"})
    assert "Queued 2 invitations" in organizer.get(url).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 4


def test_personal_page_links_a_project_manager_to_their_roster(client, teams):
    pm_page = client.get(f"/me/{teams['pm']}").get_data(as_text=True)
    assert "Edit the Buncombe County roster" in pm_page
    assert _roster_url(teams["pm"], teams["team_id"]) in pm_page
    member_page = client.get(f"/me/{teams['member']}").get_data(as_text=True)
    assert "roster" not in member_page
