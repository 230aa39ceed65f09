"""A personal link goes only to the inbox it belongs to: nobody who merely knows an email
address gets that person's link, changes what they stored, or learns whether they are known."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from forumapp.agenda import speaker_services
from forumapp.calendar import feeds as calendar_feeds
from forumapp.core.audit import AuditEntry
from forumapp.core.links import personal_token
from forumapp.core.models import ForumDay, Person, Program
from forumapp.extensions import db
from forumapp.mail.models import OutboxMessage
from forumapp.registration import rosters
from forumapp.registration.models import DaySeat, Registration

from .. import builders as build
from ..builders import emailed_personal_link
from ..conftest import csrf_token, post_public_registration

pytestmark = pytest.mark.usefixtures("windows_open_now")


def _api_register(client, setup, email, **fields):
    body = {"name": "Ada Lovelace", "email": email, "consent": True, "days": ["2027-03-15"]}
    return client.post(f"/api/v1/forums/{setup.forum_id}/registrations", json=body | fields)


def _form_register(client, setup, email, **fields):
    typed = {"name": "Ada Lovelace", "email": email} | fields
    return post_public_registration(
        client, setup.forum_id, setup.public_day_id, follow_redirects=True, **typed
    )


def _messages(email: str, kind: str | None = None) -> list[OutboxMessage]:
    query = sa.select(OutboxMessage).where(OutboxMessage.to_email == email)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return list(db.session.scalars(query.order_by(OutboxMessage.id)))


# --- No link to an anonymous caller ---------------------------------------------------------


def test_the_api_never_hands_out_a_personal_link(app, client, setup):
    answer = _api_register(client, setup, "new.person@public.example.org")
    assert answer.status_code == 202
    assert "/me/" not in answer.get_data(as_text=True)
    with app.app_context():
        # The person is registered, and the link is in their inbox.
        person = db.session.scalar(
            sa.select(Person).filter_by(email="new.person@public.example.org")
        )
        assert db.session.scalar(sa.select(DaySeat.status)) == "confirmed"
        assert emailed_personal_link(person.email) == f"/me/{personal_token(person)}"


def test_the_form_never_shows_a_personal_link(app, client, setup):
    page = _form_register(client, setup, "new.person@public.example.org")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "/me/" not in text
    assert "Check your inbox" in text and "new.person@public.example.org" in text


def test_a_stranger_who_registered_a_future_project_managers_address_loses_the_link(
    app, client, setup
):
    """Pre-registration hijack: the address is registered anonymously before an organizer
    imports it into a roster as project manager."""
    email = "new.pm@hyde.example.org"
    assert _api_register(client, setup, email).status_code == 202
    with app.app_context():
        strangers_link = emailed_personal_link(email)  # what a stranger could have got
        program = db.session.scalar(sa.select(Program))
        rosters.import_roster(
            db.session, program, f"team,name,email,role\nHyde County,New PM,{email},pm\n"
        )
        db.session.commit()
        new_link = emailed_personal_link(email)
    assert new_link != strangers_link
    assert client.get(strangers_link).status_code == 404
    page = client.get(new_link)
    assert page.status_code == 200 and "Hyde County" in page.get_data(as_text=True)


def test_joining_a_roster_from_a_project_manager_voids_earlier_links(app, client, setup):

    with app.app_context():
        known = Person(name="Cy Known", email="cy@public.example.org")
        db.session.add(known)
        db.session.flush()
        old_link = f"/me/{personal_token(known)}"
        manager = build.team_member("Pam Manager", role="project_manager")
        team = manager.memberships[0].team
        rosters.add_roster_member(db.session, team, "Cy Known", "cy@public.example.org")
        db.session.commit()
        new_link = emailed_personal_link("cy@public.example.org")
    assert client.get(old_link).status_code == 404
    assert client.get(new_link).status_code == 200


# --- Nothing of a known person changes without their link ---------------------------------


def _registered_with_needs(app, client, setup, email):
    assert (
        _api_register(
            client, setup, email, accessibility_needs="Wheelchair access", dietary_needs="Vegan"
        ).status_code
        == 202
    )
    with app.app_context():
        return db.session.scalar(sa.select(Registration.id))


def test_registering_a_known_email_changes_nothing_until_its_owner_confirms(app, client, setup):
    email = "known@public.example.org"
    with app.app_context():
        db.session.add(Person(name="Known Person", email=email, organization="Town of Cary"))
        db.session.commit()

    answer = _api_register(
        client,
        setup,
        email,
        name="Someone Else",
        organization="Evil Inc",
        accessibility_needs="none",
        dietary_needs="none",
    )
    assert answer.status_code == 202
    with app.app_context():
        person = db.session.scalar(sa.select(Person).filter_by(email=email))
        assert (person.name, person.organization) == ("Known Person", "Town of Cary")
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0
        (request,) = _messages(email, "registration_request")
        assert "/me/" in request.text_body  # their own link, in their own inbox
        confirm = re.search(r"http://127\.0\.0\.1:5000(/forums/\S+/confirm/\S+)", request.text_body)
        assert confirm

    # The owner of the inbox reads what was asked and confirms with one button.
    page = client.get(confirm.group(1))
    assert page.status_code == 200 and "Yes, register me" in page.get_data(as_text=True)
    done = client.post(confirm.group(1), data={"csrf_token": csrf_token(client, confirm.group(1))})
    assert done.status_code == 302 and "/me/" in done.headers["Location"]
    with app.app_context():
        registration = db.session.scalar(sa.select(Registration))
        assert registration.person.email == email
        assert [seat.status for seat in registration.seats] == ["confirmed"]
        assert registration.accessibility_needs == "none"  # as asked, now that they confirmed
    # Confirming again changes nothing.
    again = client.post(confirm.group(1), data={"csrf_token": csrf_token(client, confirm.group(1))})
    assert again.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DaySeat)) == 1


def test_an_anonymous_registration_never_overwrites_stored_needs(app, client, setup):
    email = "ada@public.example.org"
    registration_id = _registered_with_needs(app, client, setup, email)
    with app.app_context():
        day = db.session.get(ForumDay, setup.public_day_id)
        taken = day.seats_taken
    _api_register(client, setup, email, accessibility_needs="", dietary_needs="", community="X")
    with app.app_context():
        registration = db.session.get(Registration, registration_id)
        assert (registration.accessibility_needs, registration.dietary_needs) == (
            "Wheelchair access",
            "Vegan",
        )
        assert db.session.get(ForumDay, setup.public_day_id).seats_taken == taken


def test_a_forged_or_voided_confirmation_link_is_not_found(app, client, setup):
    email = "known@public.example.org"
    with app.app_context():
        person = Person(name="Known Person", email=email)
        db.session.add(person)
        db.session.commit()
        person_id = person.id
    _api_register(client, setup, email)
    with app.app_context():
        (request,) = _messages(email, "registration_request")
        path = re.search(r"127\.0\.0\.1:5000(/forums/\S+/confirm/\S+)", request.text_body).group(1)
    assert client.get(path + "x").status_code == 404
    with app.app_context():
        from forumapp.registration.notices import renew_personal_link

        renew_personal_link(db.session, db.session.get(Person, person_id))
        db.session.commit()
    assert client.get(path).status_code == 404


# --- Known and unknown emails get the same answer -----------------------------------------


def test_known_and_unknown_emails_get_the_same_api_answer(app, client, setup):
    _api_register(client, setup, "known@public.example.org")  # now known and registered
    known = _api_register(client, setup, "known@public.example.org")
    unknown = _api_register(client, setup, "unknown@public.example.org")
    assert known.status_code == unknown.status_code == 202
    strip = lambda body: {k: v.replace("unknown@", "known@") for k, v in body.items()}  # noqa: E731
    assert strip(unknown.get_json()) == known.get_json()
    assert set(known.get_json()) == {"status", "email", "message"}


def test_known_and_unknown_emails_get_the_same_form_answer(app, client, setup):
    first = _form_register(client, setup, "known@public.example.org")
    known = _form_register(app.test_client(), setup, "known@public.example.org")
    unknown = _form_register(app.test_client(), setup, "unknown@public.example.org")
    for page in (first, known, unknown):
        assert page.status_code == 200
    texts = [p.get_data(as_text=True).replace("unknown@", "known@") for p in (known, unknown)]
    # Strip the per-session CSRF token: everything a person sees is the same.
    texts = [re.sub(r'name="csrf_token"[^>]*', "", t) for t in texts]
    assert texts[0] == texts[1]


# --- An organizer cannot take over a person's link ----------------------------------------


def test_changing_a_persons_email_on_a_staff_page_voids_links_tells_the_old_address_and_audits(
    app, client, setup
):
    _api_register(client, setup, "attendee@public.example.org")
    with app.app_context():
        old_link = emailed_personal_link("attendee@public.example.org")
        speaker = speaker_services.create_speaker(
            db.session,
            speaker_services.SpeakerInput(
                name="Attendee", email="attendee@public.example.org", kind="faculty"
            ),
        )
        data = speaker_services.SpeakerInput(
            name="Attendee", email="organizer@evil.example.org", kind="faculty"
        )
        speaker_services.update_speaker(db.session, speaker, data, changed_by=None)
        db.session.commit()
        (notice,) = _messages("attendee@public.example.org", "email_changed")
        assert "organizer@evil.example.org" in notice.text_body
        entry = db.session.scalar(sa.select(AuditEntry).filter_by(action="person.change_email"))
        assert entry is not None and entry.subject == f"person:{speaker.person_id}"
    # The link the old address holds, and anything the new address could ask for with it, fail.
    assert client.get(old_link).status_code == 404


# --- One spelling of a link, and no flooding ------------------------------------------------


@pytest.mark.parametrize("suffix", ["=", "~~~", "==", "%20"])
def test_only_the_canonical_token_opens_a_personal_page(app, client, setup, suffix):
    _api_register(client, setup, "ada@public.example.org")
    with app.app_context():
        link = emailed_personal_link("ada@public.example.org")
    assert client.get(link).status_code == 200
    assert client.get(link + suffix).status_code == 404


def test_send_my_link_mails_one_address_at_most_five_times_an_hour(app, client, setup):
    _api_register(client, setup, "ada@public.example.org")
    for _ in range(8):
        token = csrf_token(client, "/link")
        client.post("/link", data={"email": "ada@public.example.org", "csrf_token": token})
    with app.app_context():
        assert len(_messages("ada@public.example.org", "personal_link")) == 5


def test_repeated_registrations_of_a_known_email_are_capped_too(app, client, setup):
    with app.app_context():
        db.session.add(Person(name="Known", email="known@public.example.org"))
        db.session.commit()
    for _ in range(8):
        assert _api_register(client, setup, "known@public.example.org").status_code == 202
    with app.app_context():
        assert len(_messages("known@public.example.org", "registration_request")) == 5


def test_a_new_personal_link_replaces_the_calendar_feed_link(app, client, setup):
    _api_register(client, setup, "ada@public.example.org")
    with app.app_context():
        person = db.session.scalar(sa.select(Person))
        old_feed = calendar_feeds.ensure_feed(db.session, person).token
        db.session.commit()
        link = f"/me/{personal_token(person)}"
    client.post(f"{link}/new-link", data={"csrf_token": csrf_token(client, link)})
    with app.app_context():
        person = db.session.scalar(sa.select(Person))
        assert calendar_feeds.feed_of(db.session, person).token != old_feed
    assert client.get(f"/calendar/{old_feed}.ics").status_code == 404


def test_personal_pages_and_tickets_are_never_cached(app, client, setup):
    _api_register(client, setup, "ada@public.example.org")
    with app.app_context():
        link = emailed_personal_link("ada@public.example.org")
        registration_id = db.session.scalar(sa.select(Registration.id))
    for path in (
        link,
        f"{link}/tickets/{registration_id}",
        f"{link}/tickets/{registration_id}.png",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
    assert "no-store" not in client.get(f"/forums/{setup.forum_id}").headers.get(
        "Cache-Control", ""
    )
