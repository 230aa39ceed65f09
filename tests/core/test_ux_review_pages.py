"""Words on pages that a reviewer found misleading: a Python ``None`` shown as an error, a footer
promising a way to write with none given, an example naming a team the program does not have,
and a registration form whose error summary linked to an ambiguous id."""

from __future__ import annotations

import csv
import html
import re

from forumapp.extensions import db
from forumapp.mail.models import OutboxMessage

from ..registration.conftest import add_team_member, make_forum


def add_message(app, last_error: str | None) -> int:
    with app.app_context():
        message = OutboxMessage(
            kind="registration_confirmation", to_email="ada@example.org", to_name="Ada",
            subject="You're registered", text_body="Hello Ada.",
            status="failed" if last_error else "sent", attempts=8 if last_error else 1,
            last_error=last_error,
        )  # fmt: skip
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
    for sender in ("Peer-learning forums <forums@sog.example.edu>",
                   ("Peer-learning forums", "forums@sog.example.edu")):  # fmt: skip
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
            add_team_member(person, team)
        db.session.commit()
    client = signed_in("organizer")

    example = import_example(client, setup.forum_id)

    assert example == "Narcan for people leaving jail,Brunswick County"  # the first by name
    assert "Wake County" not in example


def test_the_topic_import_example_quotes_a_team_name_with_a_comma(app, signed_in):
    with app.app_context():
        setup = make_forum()
        add_team_member("Cat Cary", 'Cary, "the Town"')
        db.session.commit()

    example = import_example(signed_in("faculty"), setup.forum_id)

    assert next(csv.reader([example])) == ["Narcan for people leaving jail", 'Cary, "the Town"']


def test_without_teams_the_topic_import_example_leaves_the_team_empty(app, signed_in):
    with app.app_context():
        setup = make_forum()
        db.session.commit()

    example = import_example(signed_in("organizer"), setup.forum_id)

    assert example == "Narcan for people leaving jail,"
