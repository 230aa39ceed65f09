"""A person's name holds no control characters and no marks that reverse the text's direction:
"Bob\u202eevil" would show as "Bobcive". One rule (``core.names``) for the public form, the
API, roster imports and adds, speakers, walk-ins and staff accounts; each refuses it with a
message next to the name, and nothing is stored."""

import pytest
import sqlalchemy as sa

from forumapp.agenda.errors import SpeakerError
from forumapp.agenda.speaker_services import SpeakerInput, create_speaker
from forumapp.checkin.walkins import walk_in
from forumapp.core.csv_import import CsvImportError
from forumapp.core.models import ForumDay, Person, Program, Team
from forumapp.core.names import name_problem
from forumapp.core.staff import StaffError, create_user
from forumapp.extensions import db
from forumapp.registration import rosters
from forumapp.registration.errors import InvalidRegistration

from ..conftest import post_public_registration

pytestmark = pytest.mark.usefixtures("windows_open_now")

HIDDEN = [
    "Bob\u202eevil",  # right-to-left override
    "Ann\u2066Lee\u2069",  # isolates
    "Cy\u200fDunn",  # right-to-left mark
    "Di\u061cEve",  # Arabic letter mark
    "Ed\nBcc: x@evil.example",  # a line break
    "Flo\x07Fox",  # a control character
    "Gus\u2028Hay",  # a line separator
]


def _people() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Person))


@pytest.mark.parametrize("name", HIDDEN)
def test_the_rule_refuses_hidden_characters_and_keeps_real_names(name):
    assert "hidden characters" in name_problem(name)
    for real in ["Sean O'Neill, Jr.", "José Ñúñez", "محمد علي", "Zoë van der Berg-Smith"]:
        assert name_problem(real) is None


@pytest.mark.parametrize("name", ["Bob\u202eevil", "Cy\u200fDunn"])
def test_the_public_form_names_the_problem_next_to_the_name(app, client, setup, name):
    response = post_public_registration(
        client, setup.forum_id, setup.public_day_id, name=name, email="bob@public.example.org"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="name-error"' in page and "hidden characters" in page
    with app.app_context():
        assert _people() == 0


def test_the_api_refuses_it_with_a_422_naming_the_field(app, client, setup):
    response = client.post(
        f"/api/v1/forums/{setup.forum_id}/registrations",
        json={
            "name": "Bob\u202eevil",
            "email": "bob@public.example.org",
            "consent": True,
            "days": ["2027-03-15"],
        },
    )
    assert response.status_code == 422
    assert "hidden characters" in response.get_json()["details"]["name"]
    with app.app_context():
        assert _people() == 0


def test_roster_imports_and_adds_refuse_it(app_ctx, setup):
    program = db.session.scalar(sa.select(Program))
    csv_text = "team,name,email,role\nPitt County,Bob\u202eevil,bob@pitt.example.org,member\n"
    with pytest.raises(CsvImportError) as refused:
        rosters.import_roster(db.session, program, csv_text)
    assert "line 2" in str(refused.value).lower() and "hidden characters" in str(refused.value)
    team = Team(program=program, name="Dare County")
    db.session.add(team)
    db.session.flush()
    with pytest.raises(rosters.RosterError) as refused:
        rosters.add_roster_member(db.session, team, "Cy\u2067Dunn", "cy@dare.example.org")
    assert refused.value.field == "name" and "hidden characters" in refused.value.message
    assert _people() == 0


def test_speakers_walk_ins_and_staff_accounts_refuse_it(app_ctx, setup):
    with pytest.raises(SpeakerError) as refused:
        create_speaker(db.session, SpeakerInput("Bob\u202eevil", "bob@x.example.org", "faculty"))
    assert refused.value.field == "name" and "hidden characters" in str(refused.value)
    day = db.session.get(ForumDay, setup.public_day_id)
    with pytest.raises(InvalidRegistration) as refused:
        walk_in(db.session, day, "Di\u202dEve", "di@x.example.org", "", None)
    assert "hidden characters" in refused.value.errors["name"]
    db.session.rollback()
    with pytest.raises(StaffError, match="hidden characters"):
        create_user(db.session, "ed@staff.example.org", "door", "a long password", "Ed\u202e")
    assert _people() == 0
