"""Words on pages that a reviewer found misleading: a Python ``None`` shown as an error, a footer
promising a way to write with none given, an example naming a team the program does not have,
and a registration form whose error summary linked to an ambiguous id."""

from __future__ import annotations

import csv
import html
import re
from datetime import timedelta

import pytest

from forumapp.core.clock import utcnow
from forumapp.core.models import ForumDay
from forumapp.extensions import db
from forumapp.mail.models import OutboxMessage

from .. import builders as build
from ..conftest import csrf_token
from ..registration.conftest import make_forum


def add_message(app, last_error: str | None) -> int:
    with app.app_context():
        message = OutboxMessage(
            kind="registration_confirmation",
            to_email="ada@example.org",
            to_name="Ada",
            subject="You're registered",
            text_body="Hello Ada.",
            status="failed" if last_error else "sent",
            attempts=8 if last_error else 1,
            last_error=last_error,
        )
        db.session.add(message)
        db.session.commit()
        return message.id


def delivery_rows(page: str) -> dict[str, str]:
    """The outbox message's delivery table as {row heading: cell text}."""
    rows = re.findall(r'<th scope="row">([^<]+)</th><td>(.*?)</td>', page, re.S)
    return {heading: re.sub(r"<[^>]+>", " ", cell).strip() for heading, cell in rows}


def test_a_message_without_an_error_shows_no_last_error(app, signed_in):
    client = signed_in("organizer")
    message_id = add_message(app, last_error=None)

    rows = delivery_rows(client.get(f"/staff/outbox/{message_id}").get_data(as_text=True))

    assert rows["Status"] == "Sent"
    assert "Last error" not in rows


def test_a_failed_message_shows_its_last_error(app, signed_in):
    client = signed_in("organizer")
    message_id = add_message(app, last_error="550 5.1.1 mailbox unavailable")

    rows = delivery_rows(client.get(f"/staff/outbox/{message_id}").get_data(as_text=True))

    assert rows["Last error"] == "550 5.1.1 mailbox unavailable"


FOOTER_LINK = re.compile(
    r'<footer class="site-footer">.*?<a href="mailto:([^"]+)">([^<]+)</a>', re.S
)


def test_the_footer_links_to_the_organizers_address(client, monkeypatch):
    # Unset, the address is the one mail comes from (the testing config's sender).
    monkeypatch.setitem(client.application.config, "CONTACT_EMAIL", "")
    link = FOOTER_LINK.search(client.get("/").get_data(as_text=True))
    assert link and link.groups() == ("forums@test.example.org", "forums@test.example.org")

    monkeypatch.setitem(client.application.config, "CONTACT_EMAIL", "help@forums.example.org")
    link = FOOTER_LINK.search(client.get("/link").get_data(as_text=True))
    assert link and link.group(1) == "help@forums.example.org"


def test_the_footer_takes_the_address_out_of_a_named_sender(client, monkeypatch):
    monkeypatch.setitem(client.application.config, "CONTACT_EMAIL", "")
    for sender in (
        "Peer-learning forums <forums@sog.example.edu>",
        ("Peer-learning forums", "forums@sog.example.edu"),
    ):
        monkeypatch.setitem(client.application.config, "MAIL_DEFAULT_SENDER", sender)
        link = FOOTER_LINK.search(client.get("/").get_data(as_text=True))
        assert link and link.group(1) == "forums@sog.example.edu"


def import_example(client, forum_id: int) -> str:
    page = client.get(f"/staff/forums/{forum_id}/topics/import").get_data(as_text=True)
    example = re.search(r"Example: <code>text,team</code> then <code>([^<]*)</code>", page)
    assert example, "no example on the import page"
    return html.unescape(example.group(1))


def test_the_topic_import_example_names_one_of_the_programs_teams(app, signed_in):
    with app.app_context():
        setup = make_forum()
        for person, team in [("Pia Pitt", "Pitt County"), ("Bo Brunswick", "Brunswick County")]:
            build.team_member(person, team)
        db.session.commit()
    client = signed_in("organizer")

    example = import_example(client, setup.forum_id)

    assert example == "Narcan for people leaving jail,Brunswick County"  # the first by name
    assert "Wake County" not in example


def test_the_topic_import_example_quotes_a_team_name_with_a_comma(app, signed_in):
    with app.app_context():
        setup = make_forum()
        build.team_member("Cat Cary", 'Cary, "the Town"')
        db.session.commit()

    example = import_example(signed_in("faculty"), setup.forum_id)

    assert next(csv.reader([example])) == ["Narcan for people leaving jail", 'Cary, "the Town"']


def test_without_teams_the_topic_import_example_leaves_the_team_empty(app, signed_in):
    with app.app_context():
        setup = make_forum()
        db.session.commit()

    example = import_example(signed_in("organizer"), setup.forum_id)

    assert example == "Narcan for people leaving jail,"


# --- The public registration form --------------------------------------------------------------


@pytest.fixture
def open_forum_id(app) -> int:
    """A forum whose public day takes registrations now (the form runs on the real clock)."""
    with app.app_context():
        setup = make_forum()
        for day in db.session.scalars(db.select(ForumDay)):
            day.registration_opens_at = utcnow() - timedelta(days=1)
            day.registration_closes_at = utcnow() + timedelta(days=30)
        db.session.commit()
        return setup.forum_id


def test_the_registration_form_with_errors_has_unique_ids_and_links_each_error(
    client, open_forum_id
):
    path = f"/forums/{open_forum_id}/register"
    response = client.post(path, data={"csrf_token": csrf_token(client, path)})  # nothing filled
    assert response.status_code == 400
    page = response.get_data(as_text=True)

    ids = re.findall(r'\sid="([^"]+)"', page)
    assert sorted(ids) == sorted(set(ids)), "an id is used twice"
    summary = page[page.index('class="error-summary"') : page.index("<form")]
    targets = re.findall(r'<a href="#([^"]+)">', summary)
    assert len(targets) >= 3  # name, email, days, consent
    for target in targets:
        element = re.search(rf'<(\w+)[^>]*\sid="{re.escape(target)}"[^>]*>', page)
        assert element, f"the summary links to #{target}, which is not on the page"
        assert element.group(1) == "input", f"#{target} is a <{element.group(1)}>, not a field"
    days = re.search(r'<input[^>]*\sid="day_ids-0"[^>]*>', page).group(0)
    assert 'type="checkbox"' in days and "day_ids-0" in targets
