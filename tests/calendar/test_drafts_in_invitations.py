"""Invitations and drafts: a session taken back to a draft leaves the day invitations that
listed it, a breakout people have seats in cannot become a draft, and an unusual seat (a member
of the public put on a team day by an organizer) still gets its invitation."""

from __future__ import annotations

import pytest

from forumapp.agenda.errors import AgendaError
from forumapp.agenda.models import AgendaItem
from forumapp.core.models import Forum, Person
from forumapp.extensions import db
from forumapp.registration.registering import register_by_organizer

from .conftest import calendar_mail, invitation_of, only_event
from .test_invitations import _edit, _pick, _public, _team_member


def test_a_session_taken_back_to_a_draft_leaves_the_day_invitation(app_ctx, setup):
    person = _public(setup).person
    opening = db.session.get(AgendaItem, setup.opening_id)
    before = str(only_event(invitation_of(calendar_mail(person.email)[-1]))["DESCRIPTION"])
    assert "Opening, welcome; and goals" in before

    _edit(opening, status="draft")

    update = calendar_mail(person.email)[-1]
    description = str(only_event(invitation_of(update))["DESCRIPTION"])
    assert "Opening, welcome; and goals" not in description
    assert "taken off the agenda for now" in update.text_body


def test_a_breakout_people_have_seats_in_cannot_become_a_draft(app_ctx, setup):
    _person, registration_ = _team_member(setup, days="team")
    _pick(registration_, setup.breakout_ids[0])
    breakout = db.session.get(AgendaItem, setup.breakout_ids[0])

    with pytest.raises(AgendaError, match="cancel it rather than make it a draft"):
        _edit(breakout, status="draft")
    _edit(db.session.get(AgendaItem, setup.breakout_ids[1]), status="draft")  # nobody in it


def test_a_member_of_the_public_on_a_team_day_is_still_invited(app_ctx, setup):
    forum = db.session.get(Forum, setup.forum_id)
    guest = Person(name="Guest Speaker", email="guest@public.example.org")
    db.session.add(guest)
    register_by_organizer(db.session, forum, guest, [setup.team_day_id])

    (invitation,) = calendar_mail(guest.email)

    assert str(only_event(invitation_of(invitation))["SUMMARY"]) == "Forum 5: Testing (day 2 of 2)"
