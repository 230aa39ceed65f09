"""Mail to a forum's speakers: organizers send each their personal link, in their language;
the mail worker reminds speakers with a session that has no material to upload slides N days
before the forum, once each."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import sqlalchemy as sa

from forumapp.agenda.models import AgendaItem, Speaker, SpeakerForumStatus
from forumapp.core.models import Forum
from forumapp.extensions import db
from forumapp.mail.models import OutboxMessage
from forumapp.materials.models import SpeakerMailing
from forumapp.materials.speaker_mail import queue_due_slides_reminders

from .. import builders as build
from ..conftest import csrf_token
from .conftest import pdf_bytes


def _messages(kind: str) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        )
    )


def test_organizers_email_each_speaker_their_link_in_their_language(app, client, place, signed_in):
    with app.app_context():
        item = db.session.get(AgendaItem, place.public_item_id)
        spanish = build.speaker("Dra Lucía Ponente")
        spanish.person.language = "es"
        build.link(item, spanish)
        declined = build.speaker("Dr Not Coming")
        build.link(item, declined)
        db.session.add(
            SpeakerForumStatus(speaker=declined, forum_id=place.forum_id, status="declined")
        )
        db.session.commit()
    organizer = signed_in("organizer")
    page = f"/staff/forums/{place.forum_id}/materials"
    assert "Email each speaker their link (2)" in organizer.get(page).get_data(as_text=True)

    sent = organizer.post(
        f"/staff/forums/{place.forum_id}/materials/speaker-links",
        data={"csrf_token": csrf_token(organizer, page)},
    )

    assert sent.status_code == 302
    with app.app_context():
        messages = _messages("speaker_link")
        assert sorted(m.to_name for m in messages) == ["Dr Rita Speaker", "Dra Lucía Ponente"]
        english = next(m for m in messages if m.to_name == "Dr Rita Speaker")
        assert english.subject == "Your speaker page for Forum 1: Testing"
        assert f"/me/{place.speaker_token}/speaking" in english.text_body
        assert "Opening" in english.text_body
        assert next(m for m in messages if m.to_name != "Dr Rita Speaker").subject.startswith(
            "Su página de ponente"
        )
    organizer.post(
        f"/staff/forums/{place.forum_id}/materials/speaker-links",
        data={"csrf_token": csrf_token(organizer, page)},
    )
    with app.app_context():
        assert len(_messages("speaker_link")) == 4
        assert set(db.session.scalars(sa.select(SpeakerMailing.sent_count))) == {2}
    assert "Never" not in organizer.get(page).get_data(as_text=True)


def _at(day: int, hour: int) -> datetime:
    return datetime(2027, 3, day, hour, tzinfo=UTC)


def test_the_slides_reminder_goes_once_to_speakers_whose_sessions_lack_material(app, place):
    with app.app_context():
        forum = db.session.get(Forum, place.forum_id)
        team_item = db.session.get(AgendaItem, place.team_item_id)
        prepared = build.speaker("Dr Already Uploaded")
        build.link(team_item, prepared)
        db.session.commit()
        from forumapp.materials import services
        from forumapp.materials.storage import material_storage

        services.add_file(
            db.session,
            material_storage(),
            forum,
            team_item,
            services.MaterialInput("Slides"),
            "slides.pdf",
            pdf_bytes(),
            app.config["MATERIALS_MAX_BYTES"],
            services.Uploader(),
        )
        db.session.commit()

        # The forum's first day is March 15: 7 days before at 9:00 in New York is 14:00 UTC.
        assert queue_due_slides_reminders(db.session, now=_at(8, 13)) == 0
        assert queue_due_slides_reminders(db.session, now=_at(8, 14)) == 1
        db.session.commit()
        assert queue_due_slides_reminders(db.session, now=_at(9, 14)) == 0
        (reminder,) = _messages("speaker_slides_reminder")
        assert reminder.to_name == "Dr Rita Speaker"
        assert "Opening" in reminder.text_body
        assert f"/me/{place.speaker_token}/speaking" in reminder.text_body


def test_no_slides_reminder_once_the_forum_began_or_when_turned_off(app, place, signed_in):
    organizer = signed_in("organizer")
    page = f"/staff/forums/{place.forum_id}/materials"
    saved = organizer.post(
        f"/staff/forums/{place.forum_id}/materials/plan",
        data={
            "slides_reminder_days": "",
            "packet_timing": "",
            "csrf_token": csrf_token(organizer, page),
        },
    )
    assert saved.status_code == 302
    with app.app_context():
        assert queue_due_slides_reminders(db.session, now=_at(10, 14)) == 0
    refused = organizer.post(
        f"/staff/forums/{place.forum_id}/materials/plan",
        data={
            "slides_reminder_days": "90",
            "packet_timing": "",
            "csrf_token": csrf_token(organizer, page),
        },
    )
    assert refused.status_code == 400
    assert "Choose between 1 and 60 days." in refused.get_data(as_text=True)
    organizer.post(
        f"/staff/forums/{place.forum_id}/materials/plan",
        data={
            "slides_reminder_days": "3",
            "packet_timing": "",
            "csrf_token": csrf_token(organizer, page),
        },
    )
    with app.app_context():
        assert queue_due_slides_reminders(db.session, now=_at(11, 14)) == 0  # 4 days before
        assert queue_due_slides_reminders(db.session, now=_at(15, 14)) == 0  # the forum began
        assert queue_due_slides_reminders(db.session, now=_at(12, 14)) == 1


def test_two_workers_at_once_queue_the_reminder_once(app, place):
    """The claim is a unique row: a second worker's insert finds it and sends nothing."""
    with app.app_context():
        speaker_id = db.session.scalar(sa.select(Speaker.id))
        db.session.add(
            SpeakerMailing(forum_id=place.forum_id, speaker_id=speaker_id, kind="slides_reminder")
        )
        db.session.commit()
        assert queue_due_slides_reminders(db.session, now=_at(8, 14)) == 0
        assert _messages("speaker_slides_reminder") == []


def test_a_speaker_upload_counts_for_the_reminder(app, client, place):
    """A speaker who uploaded from their own page is not reminded."""
    page = f"/me/{place.speaker_token}/speaking"
    client.post(
        f"/me/{place.speaker_token}/speaking/sessions/{place.public_item_id}/materials",
        data={
            "title": "Slides",
            "visibility": "public",
            "file": (io.BytesIO(pdf_bytes()), "slides.pdf"),
            "csrf_token": csrf_token(client, page),
        },
        content_type="multipart/form-data",
    )
    with app.app_context():
        assert queue_due_slides_reminders(db.session, now=_at(8, 14)) == 0


def test_the_staff_page_tells_when_the_reminder_goes(app, place, signed_in):
    organizer = signed_in("organizer")
    text = organizer.get(f"/staff/forums/{place.forum_id}/materials").get_data(as_text=True)
    assert "The slides reminder goes" in text and "Mar" in text
    assert date(2027, 3, 8).strftime("%b") in text
