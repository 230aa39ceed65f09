"""The packet after a forum: when feedback closes (or at the chosen time) everyone who attended
gets one email, in their language, with the materials of the sessions they attended and of the
general sessions, the faculty's summary once sent, and their team's commitments; once each."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from forumapp.agenda.models import AgendaItem
from forumapp.checkin.models import CheckIn
from forumapp.commitments.models import Commitment
from forumapp.core.models import Forum, ForumDay, Person, Team
from forumapp.extensions import db
from forumapp.feedback.models import FeedbackWindow
from forumapp.mail.models import OutboxMessage
from forumapp.mail.worker import deliver_due
from forumapp.materials import services
from forumapp.materials.models import MaterialsPlan, PacketDelivery, Visibility
from forumapp.materials.packet import queue_due_packets
from forumapp.materials.storage import material_storage
from forumapp.registration.models import Registration

from .. import builders as build
from ..conftest import csrf_token
from .conftest import pdf_bytes

CLOSED = datetime(2027, 3, 20, 12, tzinfo=UTC)


def _material(forum: Forum, item: AgendaItem | None, title: str, visibility="public") -> None:
    services.add_file(
        db.session,
        material_storage(),
        forum,
        item,
        services.MaterialInput(title, visibility=Visibility(visibility)),
        f"{title}.pdf",
        pdf_bytes(title),
        25 * 1024 * 1024,
        services.Uploader(),
    )


def _check_in(forum: Forum, token_name: str, day_id: int) -> None:
    registration = db.session.scalar(
        sa.select(Registration)
        .join(Person)
        .where(Registration.forum_id == forum.id, Person.name == token_name)
    )
    db.session.add(CheckIn(registration_id=registration.id, day_id=day_id))


def _prepare(app, place, timing: str = "feedback_closes", send_at: datetime | None = None):
    """Materials on several sessions, the registrant and the team member checked in, feedback
    closed with its summary sent, a commitment of the member's team, and the plan."""
    with app.app_context():
        forum = db.session.get(Forum, place.forum_id)
        opening = db.session.get(AgendaItem, place.public_item_id)
        public_day = db.session.get(ForumDay, place.public_day_id)
        team_day = db.session.get(ForumDay, place.team_day_id)
        skipped = build.item(public_day, "Naloxone breakout", time(11), time(12))
        talk = build.item(team_day, "Data sharing talk", time(11), time(12), kind="discussion")
        _material(forum, opening, "Opening slides")
        _material(forum, None, "Model ordinance")
        _material(forum, skipped, "Naloxone handout")
        _material(forum, talk, "Data sharing agreement", visibility="teams")
        _material(forum, opening, "Speaker notes", visibility="staff")
        _check_in(forum, "Ada Public", place.public_day_id)
        _check_in(forum, "Tess Team", place.team_day_id)
        db.session.add(
            FeedbackWindow(
                forum_id=forum.id,
                opened_at=CLOSED - timedelta(days=5),
                closes_at=CLOSED,
                summary="Teams asked for more on jail reentry.",
                summary_sent_at=CLOSED,
            )
        )
        team = db.session.scalar(sa.select(Team).where(Team.name == "Buncombe County"))
        db.session.add(
            Commitment(
                team_id=team.id,
                forum_id=forum.id,
                text="Start a reentry council",
                due=date(2027, 6, 1),
            )
        )
        db.session.add(
            MaterialsPlan(forum_id=forum.id, packet_timing=timing, packet_send_at=send_at)
        )
        db.session.commit()


def _packets() -> dict[str, OutboxMessage]:
    return {
        m.to_name: m
        for m in db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == "forum_packet")
        )
    }


def test_each_attendee_gets_one_packet_with_what_they_may_keep(app, place):
    _prepare(app, place)
    with app.app_context():
        assert queue_due_packets(db.session, now=CLOSED - timedelta(minutes=1)) == 0
        assert queue_due_packets(db.session, now=CLOSED) == 2
        db.session.commit()
        assert queue_due_packets(db.session, now=CLOSED + timedelta(days=1)) == 0
        packets = _packets()
        assert set(packets) == {"Ada Public", "Tess Team"}  # not Sam, registered elsewhere

        public = packets["Ada Public"].text_body
        assert "Opening slides" in public and "Model ordinance" in public
        assert "Naloxone handout" not in public  # a breakout she did not attend
        assert "Data sharing agreement" not in public and "Speaker notes" not in public
        assert "Teams asked for more on jail reentry." in public
        assert "Start a reentry council" not in public  # not on the team
        assert f"/me/{place.registrant_token}/materials/" in public

        member = packets["Tess Team"].text_body
        assert "Data sharing agreement" in member and "Opening slides" in member
        assert "Start a reentry council" in member
        assert packets["Tess Team"].subject == "Resources from Forum 1: Testing"
        assert db.session.scalar(sa.select(sa.func.count(PacketDelivery.id))) == 2


def test_the_packet_speaks_the_attendees_language(app, place):
    _prepare(app, place)
    with app.app_context():
        person = db.session.scalar(sa.select(Person).where(Person.name == "Ada Public"))
        person.language = "es"
        db.session.commit()
        queue_due_packets(db.session, now=CLOSED)
        db.session.commit()
        packet = _packets()["Ada Public"]
        assert packet.subject == "Recursos de Forum 1: Testing"
        assert "Gracias por venir" in packet.text_body


def test_a_packet_at_a_chosen_time_waits_for_it(app, place):
    later = CLOSED + timedelta(days=3)
    _prepare(app, place, timing="at_time", send_at=later)
    with app.app_context():
        assert queue_due_packets(db.session, now=CLOSED + timedelta(days=1)) == 0
        assert queue_due_packets(db.session, now=later) == 2


def test_the_worker_delivers_each_packet_once_to_a_real_smtp_server(
    app, app_ctx, place, smtp_server, monkeypatch
):
    _prepare(app, place)
    from forumapp.core import clock

    monkeypatch.setattr(clock, "utcnow", lambda: CLOSED + timedelta(hours=1))
    deliver_due(db.session, now=CLOSED + timedelta(hours=1))
    deliver_due(db.session, now=CLOSED + timedelta(hours=2))
    packets = [r for r in smtp_server.received if r.message["Subject"].startswith("Resources")]
    assert len(packets) == 2
    attendees = sa.select(Person.email).where(Person.name.in_(["Ada Public", "Tess Team"]))
    assert {r.rcpt_tos[0] for r in packets} == set(db.session.scalars(attendees))


def test_organizers_plan_the_packet_and_see_how_many_have_it(app, place, signed_in):
    _prepare(app, place)
    organizer = signed_in("organizer")
    page = f"/staff/forums/{place.forum_id}/materials"
    refused = organizer.post(
        f"/staff/forums/{place.forum_id}/materials/plan",
        data={
            "slides_reminder_days": "7",
            "packet_timing": "at_time",
            "packet_send_at": "",
            "csrf_token": csrf_token(organizer, page),
        },
    )
    assert refused.status_code == 400
    assert "Choose when the packet goes." in refused.get_data(as_text=True)
    saved = organizer.post(
        f"/staff/forums/{place.forum_id}/materials/plan",
        data={
            "slides_reminder_days": "7",
            "packet_timing": "feedback_closes",
            "csrf_token": csrf_token(organizer, page),
        },
    )
    assert saved.status_code == 302
    with app.app_context():
        queue_due_packets(db.session, now=CLOSED)
        db.session.commit()
    text = organizer.get(page).get_data(as_text=True)
    assert "2 of 2 attendees have it so far" in text


def test_the_personal_page_lists_the_materials_the_person_may_see(app, client, place):
    _prepare(app, place)
    public = client.get(f"/me/{place.registrant_token}").get_data(as_text=True)
    assert "Opening slides" in public and "Model ordinance" in public
    assert "Data sharing agreement" not in public and "Speaker notes" not in public
    member = client.get(f"/me/{place.member_token}").get_data(as_text=True)
    assert "Data sharing agreement" in member and "Speaker notes" not in member
