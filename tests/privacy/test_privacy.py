"""An admin downloads everything held about a person, and erases a person: their details go,
the figures they are part of stay."""

import json
from datetime import datetime

import pytest
import sqlalchemy as sa

from forumapp.agenda.models import AgendaItem, AgendaItemSpeaker, Speaker, SpeakerProfileProposal
from forumapp.calendar import feeds as calendar_feeds
from forumapp.calendar import pending as calendar_pending
from forumapp.checkin.models import BreakoutAttendance, CheckIn, CheckInConflict, Ticket
from forumapp.core.audit import AuditEntry
from forumapp.core.clock import utcnow
from forumapp.core.links import personal_token
from forumapp.core.models import ForumDay, Person
from forumapp.extensions import db
from forumapp.feedback import answering, between_forums
from forumapp.feedback.models import FeedbackResponse, TopicSuggestion
from forumapp.mail.models import OutboxMessage
from forumapp.mail.outbox import queue_email
from forumapp.registration.models import DaySeat, Registration
from forumapp.registration.notices import send_personal_link

from ..conftest import csrf_token
from ..feedback.conftest import answers, build_world

ANA = {"name": "Ana Alvarez", "email": "ana.alvarez@county.example.org", "phone": "919-555-0142"}
PHOTO = "0123456789abcdef0123456789abcdef.jpg"
PROPOSED_PHOTO = "fedcba9876543210fedcba9876543210.jpg"


@pytest.fixture
def photo_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "SPEAKER_PHOTO_DIR", tmp_path)
    (tmp_path / PHOTO).write_bytes(b"\xff\xd8 a photo")
    return tmp_path


@pytest.fixture
def world(app, photo_dir):
    """The feedback test forum, where Ana Alvarez has left a trace in every area."""
    with app.app_context():
        built = build_world()
        ana = built.person("Ana Alvarez")
        ana.phone, ana.job_title, ana.organization = ANA["phone"], "Peer navigator", "Buncombe HHS"
        registration = built.registration("Ana Alvarez")
        registration.accessibility_needs = "Step-free access"
        registration.dietary_needs = "Vegetarian"
        response = answering.save_response(
            db.session,
            registration,
            answers(
                4,
                {built.items["Breakout 1"]: (5, "Loved the naloxone demo")},
                most_useful="Meeting other counties",
                topics=["Peer support funding"],
            ),
        ).response
        answering.save_response(
            db.session, built.registration("Cy Carter"), answers(3, anonymous=True)
        )
        between_forums.submit_topic_between_forums(
            db.session, ana, built.forum(), "Housing first for people leaving jail"
        )
        speaker = Speaker(
            person=ana,
            kind="team_panelist",
            bio="Ana runs the county's peer program.",
            staff_notes="Prefers morning flights",
            photo_filename=PHOTO,
        )
        db.session.add(speaker)
        # A profile change she sent from her speaker page, waiting for review.
        speaker.profile_proposal = SpeakerProfileProposal(
            bio="Ana Alvarez, mother of two, lives on Elm Street.", photo_filename=PROPOSED_PHOTO
        )
        (photo_dir / PROPOSED_PHOTO).write_bytes(b"\xff\xd8 a proposed photo")
        panel = db.session.get(AgendaItem, built.items["Panel"])
        db.session.add(AgendaItemSpeaker(item=panel, speaker=speaker, role="panelist"))
        calendar_feeds.ensure_feed(db.session, ana)
        calendar_pending.write_pending_invites(db.session)  # the mail worker's invitations
        db.session.add(
            BreakoutAttendance(
                registration=registration, item_id=built.items["Breakout 1"], choice="confirmed"
            )
        )
        # An offline door's conflict, stored as the sentence the door said.
        db.session.add(
            CheckInConflict(
                day_id=db.session.get(AgendaItem, built.items["Panel"]).day_id,
                registration=registration,
                kind="already_in",
                message="Ana Alvarez was already checked in.",
                scanned_at=utcnow(),
                request_id="offline-ana-0001",
            )
        )
        # Mail to someone else that names Ana, e.g. a panel's calendar invitation.
        ics = (
            "BEGIN:VCALENDAR\r\nDESCRIPTION:Team panel with Ana Alv\r\n arez (Buncombe Co"
            "unty)\r\nEND:VCALENDAR\r\n"
        )
        queue_email(
            db.session,
            to_email="ben.brooks@county.example.org",
            to_name="Ben Brooks",
            subject="Team panel",
            text_body="Team panel with Ana Alvarez.",
            html_body="<p>Team panel with Ana Alvarez.</p>",
            alternatives=[{"content_type": "text/calendar; method=REQUEST", "content": ics}],
        )
        db.session.commit()
        built.response_id = response.id
        return built


@pytest.fixture
def admin(signed_in):
    return signed_in("admin")


def _ana_id(world) -> int:
    return world.people["Ana Alvarez"]


def test_admin_finds_a_person_by_name_or_email(admin, world):
    page = admin.get("/staff/people?q=ALVAREZ").get_data(as_text=True)
    assert "1 person matching" in page and ANA["email"] in page
    assert f'href="/staff/people/{_ana_id(world)}"' in page
    page = admin.get("/staff/people?q=county.example.org").get_data(as_text=True)
    assert "4 people matching" in page
    person_page = admin.get(f"/staff/people/{_ana_id(world)}").get_data(as_text=True)
    assert "Download everything we hold (JSON)" in person_page
    assert "Erase this person" in person_page


def test_people_search_matches_wildcards_literally(admin, world):
    page = admin.get("/staff/people?q=%25").get_data(as_text=True)
    assert "0 people matching" in page or "No one" in page or "matching" not in page
    assert ANA["email"] not in page
    assert ANA["email"] not in admin.get("/staff/people?q=a_a").get_data(as_text=True)


def test_a_search_with_control_characters_is_refused_next_to_the_box(admin, world):
    response = admin.get("/staff/people", query_string={"q": "ana\x00"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Remove the control characters from this text." in page
    assert 'aria-invalid="true"' in page and ANA["email"] not in page


def test_export_holds_everything_from_every_area(app, admin, world):
    response = admin.get(f"/staff/people/{_ana_id(world)}/export.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    held = json.loads(response.get_data(as_text=True))

    assert held["person"] | ANA == held["person"]
    assert held["person"]["job_title"] == "Peer navigator"
    assert [m["team"] for m in held["team_memberships"]] == ["Buncombe County"]
    (registration,) = held["registrations"]
    assert registration["accessibility_needs"] == "Step-free access"
    assert [d["status"] for d in registration["days"]] == ["confirmed", "confirmed"]
    assert [b["session"] for b in registration["breakouts"]] == ["Breakout 1"]
    assert len(registration["check_ins"]) == 2
    assert [a["session"] for a in registration["breakout_attendance"]] == ["Breakout 1"]
    assert registration["tickets"] and registration["tickets"][0]["code"]
    feedback = registration["feedback"]
    assert feedback["overall_rating"] == 4 and feedback["most_useful"] == "Meeting other counties"
    assert feedback["sessions"][0]["comment"] == "Loved the naloxone demo"
    assert feedback["topics"] == ["Peer support funding"]
    assert [t["text"] for t in held["topic_suggestions"]] == [
        "Housing first for people leaving jail"
    ]
    assert held["speaker"]["bio"].startswith("Ana runs") and held["speaker"]["has_photo"]
    assert held["speaker"]["staff_notes"] == "Prefers morning flights"
    assert [s["session"] for s in held["speaker"]["sessions"]] == ["Team panel"]
    assert held["messages"] and all(m["to_email"] == ANA["email"] for m in held["messages"])
    assert held["calendar"]["invitations"] and held["calendar"]["feed"]["created_at"]
    # Secrets that would let a reader act as her are not in it.
    with app.app_context():
        ana = db.session.get(Person, _ana_id(world))
        feed = calendar_feeds.feed_of(db.session, ana)
        assert ana.link_nonce not in response.get_data(as_text=True)
        assert feed.token not in response.get_data(as_text=True)
        entries = db.session.execute(
            sa.select(AuditEntry.user_id, AuditEntry.action, AuditEntry.subject)
        ).all()
    assert entries == [(admin.user_id, "person.export", f"person:{_ana_id(world)}")]


def test_export_includes_a_persons_own_anonymous_feedback(app, world):
    from forumapp.privacy.services import export_person

    with app.app_context():
        held = export_person(db.session, world.person("Cy Carter"))
    feedback = held["registrations"][0]["feedback"]
    assert feedback["anonymous"] is True and feedback["overall_rating"] == 3


def test_export_holds_attendance_credit_commitments_and_language_needs(app, world):
    """What the program keeps about someone beyond their registration: the scans behind their
    credit hours and any correction, their certificates, the commitments they own and the
    progress they recorded, their language and an interpreter request."""
    from forumapp.attendance.models import AttendanceCorrection, Certificate, PresenceScan
    from forumapp.commitments.models import Commitment, CommitmentUpdate
    from forumapp.language_access.models import LanguageRequest
    from forumapp.privacy.services import export_person

    with app.app_context():
        ana = world.person("Ana Alvarez")
        ana.language = "es"
        registration = db.session.get(Registration, world.registrations[ANA["name"]])
        panel = db.session.get(AgendaItem, world.items["Panel"])
        db.session.add_all(
            [
                PresenceScan(
                    registration=registration,
                    day_id=panel.day_id,
                    item_id=panel.id,
                    direction="exit",
                    scanned_at=panel.ends_at,
                ),
                AttendanceCorrection(
                    registration=registration,
                    item=panel,
                    present_from=panel.starts_at,
                    present_until=panel.ends_at,
                    reason="Signed the paper sheet",
                ),
                LanguageRequest(registration=registration, spanish_interpreter=True),
                Certificate(
                    code="CERT0000001",
                    registration_id=registration.id,
                    person_id=ana.id,
                    forum_id=registration.forum_id,
                    content={"name": ANA["name"], "hours": 5.5},
                ),
            ]
        )
        commitment = Commitment(
            team_id=world.teams["Buncombe County"],
            forum_id=registration.forum_id,
            text="Convene the jail health group",
            owner_id=ana.id,
            due=panel.starts_at.date(),
        )
        db.session.add(commitment)
        db.session.flush()
        db.session.add(
            CommitmentUpdate(commitment_id=commitment.id, status="partly", person_id=ana.id)
        )
        db.session.flush()

        held = export_person(db.session, ana)

    assert held["person"]["language"] == "es"
    (exported,) = held["registrations"]
    assert [(s["session"], s["direction"]) for s in exported["presence_scans"]] == [
        ("Team panel", "exit")
    ]
    assert exported["attendance_corrections"][0]["reason"] == "Signed the paper sheet"
    assert exported["language_request"]["spanish_interpreter"] is True
    assert held["certificates"][0]["code"] == "CERT0000001"
    assert held["certificates"][0]["content"]["hours"] == 5.5
    assert held["commitments"]["owned"][0]["text"] == "Convene the jail health group"
    assert held["commitments"]["updates_recorded"][0]["status"] == "partly"
    json.dumps(held)  # every value is plain JSON


def _counts() -> dict:
    def count(model, *where):
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))

    return {
        "seats_taken": [d.seats_taken for d in db.session.scalars(sa.select(ForumDay))],
        "breakout seats": [i.seats_taken for i in db.session.scalars(sa.select(AgendaItem))],
        "registrations": count(Registration),
        "seats": count(DaySeat, DaySeat.status == "confirmed"),
        "check-ins": count(CheckIn, CheckIn.undone_at.is_(None)),
        "responses": count(FeedbackResponse),
        "topics": count(TopicSuggestion),
        "attendance": count(BreakoutAttendance),
    }


def _text_values():
    """(table, column, value) for every value of every column of every table, as text."""
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sa.select(table)).mappings():
            for column, value in row.items():
                if value is not None and not isinstance(value, int | bool | datetime):
                    yield table.name, column, json.dumps(value, default=str, ensure_ascii=False)


def _erase(client, person_id, typed):
    page = f"/staff/people/{person_id}"
    return client.post(
        f"{page}/erase", data={"csrf_token": csrf_token(client, page), "confirm_email": typed}
    )


def test_erasing_leaves_the_name_and_email_nowhere_and_the_counts_unchanged(
    app, admin, world, photo_dir
):
    with app.app_context():
        before = _counts()
        ana = world.person("Ana Alvarez")
        old_token = personal_token(ana)
        old_code = db.session.scalar(
            sa.select(Ticket.code).where(Ticket.registration_id == world.registrations[ANA["name"]])
        )
        assert any(ANA["name"] in text for *_, text in _text_values())  # the scan finds her

    response = _erase(admin, _ana_id(world), "  Ana.Alvarez@County.Example.org ")
    assert response.status_code == 302
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "Erased. Their seats, check-ins and feedback still count" in page
    assert "This person's details were erased." in page

    with app.app_context():
        leftovers = [
            (table, column)
            for table, column, text in _text_values()
            for needle in (
                ANA["name"],
                ANA["email"],
                ANA["phone"],
                "Alvarez",
                "Step-free",
                "Peer navigator",
                "morning flights",
            )
            if needle.lower() in text.lower()
        ]
        assert leftovers == []
        assert _counts() == before
        ana = db.session.get(Person, _ana_id(world))
        assert (ana.name, ana.phone, ana.organization) == ("Erased person", None, "")
        assert ana.email == f"erased-{ana.id}@erased.invalid"
        feedback = db.session.get(FeedbackResponse, world.response_id)
        assert feedback.anonymous and feedback.team_id == world.teams["Buncombe County"]
        assert feedback.most_useful == "Meeting other counties"
        speaker = db.session.scalar(sa.select(Speaker).where(Speaker.person_id == ana.id))
        assert not speaker.is_public and speaker.photo_filename is None and speaker.bio == ""
        assert len(speaker.item_links) == 1  # the panel still had a panelist
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.person_id == ana.id)
            )
            == 0
        )
        redacted = db.session.scalar(
            sa.select(OutboxMessage).where(OutboxMessage.subject == "Team panel")
        )
        assert "Team panel with Erased person" in redacted.text_body
        assert "Erased person (Buncombe County)" in redacted.alternatives[0]["content"]
        assert calendar_feeds.feed_of(db.session, ana) is None
        assert (
            db.session.scalar(sa.select(Ticket.voided_at).where(Ticket.code == old_code))
            is not None
        )
        entries = db.session.execute(
            sa.select(AuditEntry.user_id, AuditEntry.action, AuditEntry.subject)
        ).all()
    assert entries == [(admin.user_id, "person.erase", f"person:{ana.id}")]
    assert not (photo_dir / PHOTO).exists()
    assert not (photo_dir / PROPOSED_PHOTO).exists()
    with app.app_context():
        assert (
            db.session.scalar(sa.select(sa.func.count()).select_from(SpeakerProfileProposal)) == 0
        )
        assert db.session.scalar(sa.select(CheckInConflict.message)) == (
            "Erased person was already checked in."
        )
    # Her old personal link and feedback link no longer open anything.
    assert admin.get(f"/me/{old_token}").status_code == 404
    assert admin.get(f"/me/{old_token}/feedback/{world.forum_id}").status_code == 404


def test_nothing_is_mailed_to_an_erased_person(app, admin, world):
    assert _erase(admin, _ana_id(world), ANA["email"]).status_code == 302
    with app.app_context():
        ana = world.person("Ana Alvarez")
        send_personal_link(db.session, ana)
        db.session.commit()
        to_her = (
            sa.select(sa.func.count())
            .select_from(OutboxMessage)
            .where(sa.or_(OutboxMessage.person_id == ana.id, OutboxMessage.to_email == ana.email))
        )
        assert db.session.scalar(to_her) == 0


def test_erasing_needs_the_persons_email_typed(app, admin, world):
    response = _erase(admin, _ana_id(world), "someone.else@example.org")
    assert response.status_code == 400
    assert "That is not this person&#39;s email address." in response.get_data(as_text=True)
    assert _erase(admin, _ana_id(world), "").status_code == 400
    with app.app_context():
        assert world.person("Ana Alvarez").name == ANA["name"]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0


def test_an_erased_person_cannot_be_erased_twice(app, admin, world):
    assert _erase(admin, _ana_id(world), ANA["email"]).status_code == 302
    with app.app_context():
        placeholder = world.person("Ana Alvarez").email
    response = _erase(admin, _ana_id(world), placeholder)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 1


@pytest.mark.parametrize("role", ["organizer", "faculty", "door"])
def test_only_admins_reach_the_privacy_pages(signed_in, world, role):
    client = signed_in(role)
    person_id = world.people["Ana Alvarez"]
    assert client.get("/staff/people?q=ana").status_code == 403
    assert client.get(f"/staff/people/{person_id}").status_code == 403
    assert client.get(f"/staff/people/{person_id}/export.json").status_code == 403
    token = csrf_token(client, "/staff/")
    erase = client.post(
        f"/staff/people/{person_id}/erase",
        data={"csrf_token": token, "confirm_email": ANA["email"]},
    )
    assert erase.status_code == 403


def test_the_export_carries_no_working_link_inside_the_mail_it_lists(app, admin, world):
    from forumapp.core.links import personal_token

    with app.app_context():
        ana = db.session.get(Person, _ana_id(world))
        send_personal_link(db.session, ana)
        db.session.commit()
        token = personal_token(ana)
    text = admin.get(f"/staff/people/{_ana_id(world)}/export.json").get_data(as_text=True)
    held = json.loads(text)
    assert any("personal link hidden" in m["text_body"] for m in held["messages"])
    assert token not in text
