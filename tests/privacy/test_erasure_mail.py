"""Erasure takes a person's name out of mail to other people in every form it is stored in:
plain, HTML-escaped, iCalendar-escaped and split across a folded calendar line."""

import re

import sqlalchemy as sa

from forumapp.agenda.models import AgendaItem, AgendaItemSpeaker, Speaker
from forumapp.calendar import pending as calendar_pending
from forumapp.core.audit import AuditEntry
from forumapp.core.models import Person, Team, TeamMembership, User
from forumapp.extensions import db
from forumapp.feedback import review
from forumapp.mail.models import OutboxMessage
from forumapp.privacy.services import erase_person

from ..feedback.conftest import build_world

SEAN = "Sean O'Neill, Jr."
ICS_SEAN = "Sean O'Neill\\, Jr."  # as RFC 5545 TEXT escapes it


def _stored(message: OutboxMessage) -> tuple:
    return (
        message.to_name,
        message.subject,
        message.text_body,
        message.html_body,
        [dict(p) for p in message.alternatives],
        [dict(p) for p in message.attachments],
    )


def _all_text(message: OutboxMessage) -> str:
    parts = [p.get("content", "") for p in message.alternatives + message.attachments]
    return "\n".join(filter(None, [*_stored(message)[:4], *parts]))


def _unfolded(text: str) -> str:
    return re.sub(r"\r?\n[ \t]", "", text)


def _sean_world(app):
    """Sean O'Neill, Jr. speaks at Breakout 1, so the calendar invitations of the people who
    picked it list him (iCalendar-escaped, folded), and the faculty summary mailed to every
    team member thanks him (HTML-escaped in the HTML body)."""
    with app.app_context():
        world = build_world()
        forum = world.forum()
        # A shorter venue moves the description's line fold into the middle of his name.
        forum.venue_name, forum.venue_address = "Hall", "1 Main St"
        sean = Person(name=SEAN, email="sean.oneill@county.example.org")
        team = db.session.get(Team, world.teams["Dare County"])
        db.session.add(TeamMembership(team=team, person=sean, role="member"))
        speaker = Speaker(person=sean, kind="team_panelist")
        breakout = db.session.get(AgendaItem, world.items["Breakout 1"])
        db.session.add_all([speaker, AgendaItemSpeaker(item=breakout, speaker=speaker)])
        db.session.flush()
        calendar_pending.write_pending_invites(db.session)  # the mail worker's invitations
        organizer = User(email="org@staff.example.org", name="Org", role="organizer")
        organizer.set_password("organizer password")
        db.session.add(organizer)
        text = f"Thanks to {SEAN} for leading the breakout."
        review.save_summary(db.session, forum, text, organizer)
        review.send_summary_to_teams(db.session, forum)
        db.session.commit()
        return world, sean.id


def test_erasure_redacts_every_stored_form_of_the_name_and_counts_what_changed(app):
    world, sean_id = _sean_world(app)
    with app.app_context():
        messages = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
        before = {m.id: _stored(m) for m in messages if m.person_id != sean_id}
        naming = {
            m.id for m in messages if m.person_id != sean_id and "Neill" in _unfolded(_all_text(m))
        }
        invitations = [m for m in messages if m.id in naming and m.alternatives]
        summaries = [m for m in messages if m.id in naming and m.kind == "feedback_summary"]
        # Ana's and Cy's Breakout 1 invitations, the summary to the four other team members.
        assert len(invitations) == 2 and len(summaries) == 4 and len(naming) == 6
        for message in invitations:
            for part in (message.alternatives[0], message.attachments[0]):
                assert part["content_type"].startswith(("text/calendar", "application/ics"))
                assert ICS_SEAN not in part["content"]  # split by a fold…
                assert ICS_SEAN in _unfolded(part["content"])  # …and whole once unfolded
        for message in summaries:
            assert SEAN in message.text_body
            assert "Sean O&#39;Neill, Jr." in message.html_body and SEAN not in message.html_body

        report = erase_person(db.session, db.session.get(Person, sean_id), actor_id=None)
        db.session.commit()

        after = {m.id: m for m in db.session.scalars(sa.select(OutboxMessage)) if m.id in before}
        assert after.keys() == before.keys()  # other people's mail is kept
        changed = {i for i, m in after.items() if _stored(m) != before[i]}
        assert changed == naming
        for message in after.values():
            text = _unfolded(_all_text(message)).lower()
            assert "neill" not in text and "sean" not in text, message.id
        for message in invitations:
            for part in (message.alternatives[0], message.attachments[0]):
                assert "With: Erased person\\n" in _unfolded(part["content"])
                lines = part["content"].split("\r\n")
                assert all(len(line.encode()) <= 75 for line in lines)  # folded again
        for message in summaries:
            assert "Thanks to Erased person for leading" in message.text_body
            assert "Thanks to Erased person for leading" in message.html_body
        assert report.messages_redacted == len(naming)
        details = db.session.scalar(sa.select(AuditEntry.details))
    assert details["messages_redacted"] == len(naming)
