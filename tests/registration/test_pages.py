"""Public registration form, the personal page, breakout choices and the link re-send."""

import html
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forumapp.core.links import personal_token
from forumapp.core.models import Forum, ForumDay, Person
from forumapp.extensions import db
from forumapp.mail.models import OutboxMessage
from forumapp.registration.models import BreakoutPick, DaySeat, Registration

from .. import builders as build
from ..builders import emailed_personal_link
from ..conftest import csrf_token, post_public_registration

pytestmark = pytest.mark.usefixtures("windows_open_now")


def _text(response) -> str:
    """The page as a person reads it (entities such as &#39; decoded)."""
    return html.unescape(response.get_data(as_text=True))


def _register(client, setup, **overrides):
    typed = {
        "name": "Ada Lovelace",
        "email": "ada@public.example.org",
        "organization": "Town of Apex",
        "community": "Wake County",
    }
    return post_public_registration(
        client, setup.forum_id, setup.public_day_id, **(typed | overrides)
    )


def test_form_has_labels_and_autocomplete_for_phones(client, setup):
    page = _text(client.get(f"/forums/{setup.forum_id}/register"))
    for field, autocomplete in [
        ("name", "name"),
        ("email", "email"),
        ("organization", "organization"),
    ]:
        assert f'<label for="{field}">' in page
        assert re.search(f'id="{field}"[^>]*autocomplete="{autocomplete}"', page) or re.search(
            f'autocomplete="{autocomplete}"[^>]*id="{field}"', page
        )
    assert "Privacy note" in page and "Which days will you attend?" in page


def _link(app, email: str = "ada@public.example.org") -> str:
    """The personal link as its owner gets it: by email."""
    with app.app_context():
        return emailed_personal_link(email)


def test_registering_says_check_your_inbox_and_the_emailed_link_shows_the_seat(client, app, setup):
    response = _register(client, setup)
    assert response.status_code == 302 and "/me/" not in response.headers["Location"]
    page = _text(client.get(response.headers["Location"]))
    assert 'role="status"' in page and "We've emailed ada@public.example.org" in page
    assert "Check your inbox" in page and "/me/" not in page
    personal = _text(client.get(_link(app)))
    assert "Monday, March 15, 2027" in personal and "Cancel my place" in personal


def test_waitlist_position_is_announced(client, app, setup):
    for n in range(3):
        _register(client, setup, name=f"Person {n}", email=f"p{n}@public.example.org")
    _register(client, setup, name="Late", email="late@public.example.org")
    page = _text(client.get(_link(app, "late@public.example.org")))
    assert "You're number 1 on the waitlist." in page


def test_errors_are_named_next_to_their_fields(client, app, setup):
    response = _register(client, setup, name="", email="nope", consent="")
    page = _text(response)
    assert response.status_code == 400
    assert 'id="name-error"' in page and "Enter your full name." in page
    assert 'id="email-error"' in page and "Enter an email address like name@example.org" in page
    assert 'id="consent-error"' in page
    assert 'role="alert"' in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 0


def test_too_long_text_is_named_with_its_field_and_by_how_much(client, app, setup):
    # A phone's maxlength stops this; a pasted value through another client does not.
    response = _register(client, setup, name="A" * 201, organization="O" * 250)
    page = _text(response)
    assert response.status_code == 400
    assert "Use at most 200 characters for the full name; this has 201." in page
    assert "Use at most 200 characters for the organization; this has 250." in page
    assert "Field cannot be longer" not in page


def test_same_email_again_says_so_and_resends_the_link_without_showing_it(client, app, setup):
    _register(client, setup)
    other = client.application.test_client()
    response = _register(other, setup, email="ADA@public.example.org")
    page = _text(other.get(response.headers["Location"]))
    assert "We've emailed ada@public.example.org" in page and "/me/" not in page
    with app.app_context():
        kinds = db.session.scalars(sa.select(OutboxMessage.kind).order_by(OutboxMessage.id)).all()
        assert [kind for kind in kinds if not kind.startswith("calendar")] == [
            "registration",
            "personal_link",
        ]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DaySeat)) == 1


def test_closed_registration_says_when_it_closed(client, app, setup):
    from forumapp.core.clock import utcnow

    with app.app_context():
        day = db.session.get(ForumDay, setup.public_day_id)
        day.registration_closes_at = utcnow() - timedelta(days=1)
        db.session.commit()
    page = _text(client.get(f"/forums/{setup.forum_id}/register"))
    assert "registration closed" in page and "Registration is not open right now." in page
    assert 'name="name"' not in page


def test_team_only_day_cannot_be_reached_by_the_public_form(client, app, setup):
    response = _register(client, setup, day_ids=str(setup.team_day_id))
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DaySeat)) == 0


def test_resend_link_never_reveals_whether_an_email_is_registered(client, app, setup):
    _register(client, setup)
    answers = []
    for email in ["ada@public.example.org", "stranger@public.example.org"]:
        response = client.post(
            "/link", data={"email": email, "csrf_token": csrf_token(client, "/link")}
        )
        answers.append(_text(client.get(response.headers["Location"])))
    assert "If ada@public.example.org is registered" in answers[0]
    assert "If stranger@public.example.org is registered" in answers[1]
    with app.app_context():
        sent = db.session.scalars(
            sa.select(OutboxMessage.to_email).where(OutboxMessage.kind == "personal_link")
        ).all()
        assert sent == ["ada@public.example.org"]


def test_forged_or_revoked_links_are_not_found(client, app, setup):
    _register(client, setup)
    link = _link(app)
    assert client.get(link[:-3] + "xyz").status_code == 404
    with app.app_context():
        person = db.session.scalar(sa.select(Person))
        person.link_nonce = "rotated"
        db.session.commit()
    assert client.get(link).status_code == 404


def _member_link(app, setup, name="Tia Member", team="Buncombe County"):
    with app.app_context():
        person = build.team_member(name, team)
        db.session.commit()
        return "/me/" + personal_token(person)


def test_team_member_registers_picks_breakouts_and_sees_a_full_one_as_waitlist(client, app, setup):
    link = _member_link(app, setup)
    page = _text(client.get(link))
    assert "Register for days" in page and "community teams only" in page
    token = csrf_token(client, link)
    client.post(
        f"{link}/forums/{setup.forum_id}/register",
        data={"day_ids": [str(setup.public_day_id), str(setup.team_day_id)], "csrf_token": token},
    )
    page = _text(client.get(link))
    assert "Breakout 1" in page and "Save my choices" in page
    slot_names = sorted(set(re.findall(r'name="(slot-[^"]+)"', page)))
    assert len(slot_names) == 2
    response = client.post(
        f"{link}/forums/{setup.forum_id}/breakouts",
        data={
            slot_names[0]: str(setup.breakout_ids[0]),
            slot_names[1]: str(setup.breakout_ids[2]),
            "csrf_token": token,
        },
    )
    page = _text(client.get(response.headers["Location"]))
    assert "Your breakout choices are saved." in page
    assert page.count("Your choice: you have a seat.") == 2

    # Two more members fill Breakout 1 (capacity 2): the third sees it offered as waitlist.
    second = _member_link(app, setup, "Second Member", "Dare County")
    client2 = app.test_client()
    token2 = csrf_token(client2, second)
    client2.post(
        f"{second}/forums/{setup.forum_id}/register",
        data={"day_ids": str(setup.team_day_id), "csrf_token": token2},
    )
    client2.post(
        f"{second}/forums/{setup.forum_id}/breakouts",
        data={slot_names[0]: str(setup.breakout_ids[0]), "csrf_token": token2},
    )
    third = _member_link(app, setup, "Third Member", "Pitt County")
    client3 = app.test_client()
    token3 = csrf_token(client3, third)
    client3.post(
        f"{third}/forums/{setup.forum_id}/register",
        data={"day_ids": str(setup.team_day_id), "csrf_token": token3},
    )
    page = _text(client3.get(third))
    assert "Full: choose it to join the waitlist." in page
    response = client3.post(
        f"{third}/forums/{setup.forum_id}/breakouts",
        data={slot_names[0]: str(setup.breakout_ids[0]), "csrf_token": token3},
    )
    page = _text(client3.get(response.headers["Location"]))
    assert "you're number 1 on its waitlist" in page


def test_registering_for_another_day_keeps_the_needs_given_before(client, app, setup):
    link = _member_link(app, setup)
    token = csrf_token(client, link)
    client.post(
        f"{link}/forums/{setup.forum_id}/register",
        data={
            "day_ids": str(setup.team_day_id),
            "accessibility_needs": "Hearing loop, front row",
            "dietary_needs": "Gluten free",
            "csrf_token": token,
        },
    )
    page = _text(client.get(link))
    # The form for the day still open shows what they said, so sending it keeps it.
    assert ">Hearing loop, front row</textarea>" in page and ">Gluten free</textarea>" in page
    fields = dict(re.findall(r'<textarea[^>]*name="(\w+_needs)"[^>]*>([^<]*)</textarea>', page))
    client.post(
        f"{link}/forums/{setup.forum_id}/register",
        data={"day_ids": str(setup.public_day_id), "csrf_token": token} | fields,
    )
    with app.app_context():
        needs = db.session.execute(
            sa.select(Registration.accessibility_needs, Registration.dietary_needs)
        ).one()
        assert tuple(needs) == ("Hearing loop, front row", "Gluten free")
        seats = db.session.scalars(sa.select(DaySeat.status)).all()
        assert seats == ["confirmed", "confirmed"]


def _on_the_team_day(client, app, setup) -> tuple[str, str, str]:
    """A team member registered, through their link, for the team day: the link, the page's
    CSRF token and the name of the first breakout slot's choice."""
    link = _member_link(app, setup)
    token = csrf_token(client, link)
    client.post(
        f"{link}/forums/{setup.forum_id}/register",
        data={"day_ids": str(setup.team_day_id), "csrf_token": token},
    )
    slot = re.findall(r'name="(slot-[^"]+)"', _text(client.get(link)))[0]
    return link, token, slot


@pytest.mark.parametrize("value", ["9999999999999999999999", "²"])
def test_a_breakout_choice_that_is_no_item_id_is_refused(client, app, setup, value):
    # A number no id column holds, and a digit Python's int() does not read as one.
    link, token, slot = _on_the_team_day(client, app, setup)
    response = client.post(
        f"{link}/forums/{setup.forum_id}/breakouts", data={slot: value, "csrf_token": token}
    )
    assert response.status_code == 400
    assert "Something was wrong with that request" in _text(response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BreakoutPick)) == 0


def test_public_registrant_does_not_see_team_days_on_their_page(client, app, setup):
    _register(client, setup)
    page = _text(client.get(_link(app)))
    assert "Monday, March 15, 2027" in page
    assert "Tuesday, March 16, 2027" not in page
    assert "Save my choices" not in page


def test_team_member_sees_the_team_days_agenda_through_their_link(client, app, setup):
    link = _member_link(app, setup)
    page = _text(client.get(f"{link}/forums/{setup.forum_id}"))
    assert "Agenda: Tuesday, March 16, 2027" in page and "Breakout 1" in page
    public = _text(client.get(f"/forums/{setup.forum_id}"))
    assert "Breakout 1" not in public


def test_cancel_from_the_personal_page_promotes_the_next_person(client, app, setup):
    first = _register(client, setup)
    for n in range(2):
        _register(app.test_client(), setup, name=f"P{n}", email=f"p{n}@public.example.org")
    _register(app.test_client(), setup, name="Waiting", email="waiting@public.example.org")
    del first
    link = _link(app)
    with app.app_context():
        seat_id = db.session.scalar(sa.select(DaySeat.id).order_by(DaySeat.id))
    # The personal page asks first: the button leads to a question, which changes nothing.
    page = client.get(link).get_data(as_text=True)
    assert f'href="{link}/seats/{seat_id}/cancel"' in page
    question = html.unescape(client.get(f"{link}/seats/{seat_id}/cancel").get_data(as_text=True))
    assert "Cancel your place on Monday, March 15, 2027?" in question
    assert "Your seat goes to the next person on the waitlist." in question
    assert "Yes, cancel my place" in question and "No, keep my place" in question
    with app.app_context():
        assert db.session.scalar(sa.select(DaySeat.status).order_by(DaySeat.id)) == "confirmed"

    response = client.post(
        f"{link}/seats/{seat_id}/cancel", data={"csrf_token": csrf_token(client, link)}
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Cancelled your place" in page
    assert f'href="/forums/{setup.forum_id}/register">Register again' in page
    with app.app_context():
        statuses = db.session.scalars(sa.select(DaySeat.status).order_by(DaySeat.id)).all()
        assert statuses == ["cancelled", "confirmed", "confirmed", "confirmed"]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BreakoutPick)) == 0
        assert db.session.get(Forum, setup.forum_id).days[0].seats_taken == 3


def test_registering_a_known_email_never_shows_that_persons_link(client, app, setup):
    with app.app_context():
        build.team_member("Tia Member")
        db.session.commit()
    response = _register(client, setup, name="Someone Else", email="tia.member@county.example.org")
    assert response.status_code == 302
    assert "/me/" not in response.headers["Location"]
    page = _text(client.get(response.headers["Location"]))
    assert "We've emailed tia.member@county.example.org" in page and "/me/" not in page
    with app.app_context():
        # Nothing is registered until Tia confirms from her inbox.
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DaySeat)) == 0
        kinds = db.session.scalars(sa.select(OutboxMessage.kind)).all()
        assert kinds == ["registration_request"]


def test_a_person_can_replace_a_shared_personal_link(client, app, setup):
    _register(client, setup)
    link = _link(app)
    response = client.post(f"{link}/new-link", data={"csrf_token": csrf_token(client, link)})
    assert response.status_code == 302 and "/me/" not in response.headers["Location"]
    assert "We've emailed you a new personal link" in _text(
        client.get(response.headers["Location"])
    )
    assert client.get(link).status_code == 404
    with app.app_context():
        newest = db.session.scalars(
            sa.select(OutboxMessage).order_by(OutboxMessage.id.desc())
        ).first()
        assert newest.kind == "personal_link" and "/me/" in newest.text_body
        new_path = newest.text_body[newest.text_body.index("/me/") :].split()[0]
    assert client.get(new_path).status_code == 200


def test_a_full_day_says_so_on_the_form_and_its_waitlist_is_not_told_what_to_bring(
    client, app, setup
):
    with app.app_context():
        forum = db.session.get(Forum, setup.forum_id)
        forum.confirmation_text = "Bring a photo ID to the east door."
        for name in ("A One", "B Two", "C Three"):
            build.public_registration(forum, name)
        db.session.commit()
    page = _text(client.get(f"/forums/{setup.forum_id}/register"))
    assert "Monday, March 15: full, you will join the waitlist</label>" in page

    _register(client, setup)

    with app.app_context():
        message = db.session.scalar(
            sa.select(OutboxMessage).where(OutboxMessage.to_email == "ada@public.example.org")
        )
        text = build.emailed(message).text_body
        assert "you're number 1 on the waitlist" in text
        assert "Bring a photo ID" not in text
        confirmed = db.session.scalar(
            sa.select(OutboxMessage).where(
                OutboxMessage.to_email == build.email_for("A One"),
                OutboxMessage.kind == "registration",
            )
        )
        assert "Bring a photo ID to the east door." in build.emailed(confirmed).text_body


def test_a_team_member_gives_up_a_breakout_without_choosing_another(client, app, setup):
    link, token, slot = _on_the_team_day(client, app, setup)
    client.post(
        f"{link}/forums/{setup.forum_id}/breakouts",
        data={slot: str(setup.breakout_ids[0]), "csrf_token": token},
    )
    page = _text(client.get(link))
    drop = re.search(r'action="([^"]+/drop)"[^>]*>\s*<input[^>]*>\s*<button[^>]*>([^<]+)<', page)
    assert drop and drop.group(2) == "Give up my place in “Breakout 1”"

    response = client.post(drop.group(1), data={"csrf_token": token})

    page = _text(client.get(response.headers["Location"]))
    assert "You're no longer down for “Breakout 1”." in page
    assert "Give up my place in" not in page
    with app.app_context():
        assert db.session.scalars(sa.select(BreakoutPick.status)).all() == ["cancelled"]
