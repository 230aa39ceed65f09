"""A speaker keeps their own public profile and availability from their page: a bio or photo
change waits for staff to publish it when the program reviews them, and is published at once
when it does not; the times they give appear on the organizers' availability page."""

from __future__ import annotations

import io
from datetime import date

import sqlalchemy as sa
from PIL import Image

from forumapp.agenda.models import Speaker, SpeakerAvailability, SpeakerProfileProposal
from forumapp.core.audit import AuditEntry
from forumapp.extensions import db

from ..conftest import csrf_token


def _png(colour=(20, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), colour).save(out, format="PNG")
    return out.getvalue()


def _send_profile(client, token: str, bio: str, photo: bytes | None = None, bio_es: str = ""):
    page = f"/me/{token}/speaking"
    data = {"bio": bio, "bio_es": bio_es, "csrf_token": csrf_token(client, page)}
    if photo is not None:
        data["photo"] = (io.BytesIO(photo), "me.png")
    return client.post(
        f"/me/{token}/speaking/profile", data=data, content_type="multipart/form-data"
    )


def _speaker(app) -> Speaker:
    return db.session.scalar(sa.select(Speaker))


def test_a_reviewed_change_waits_until_staff_publish_it(app, client, place, signed_in):
    with app.app_context():
        _speaker(app).bio = "Old bio."
        db.session.commit()

    bio = "Directs the county's reentry council."
    sent = _send_profile(client, place.speaker_token, bio, _png())

    assert sent.status_code == 302
    page = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "waits for the program staff to publish it" in page
    with app.app_context():
        speaker = _speaker(app)
        speaker_id = speaker.id
        assert speaker.bio == "Old bio." and speaker.photo_filename is None
    public = client.get(f"/speakers/{speaker_id}").get_data(as_text=True)
    assert "Old bio." in public and "reentry council" not in public

    organizer = signed_in("organizer")
    listing = organizer.get("/staff/speakers").get_data(as_text=True)
    assert "Profile changes waiting for review" in listing and "Dr Rita Speaker" in listing
    edit = organizer.get(f"/staff/speakers/{speaker_id}/edit").get_data(as_text=True)
    assert "reentry council" in edit
    assert organizer.get(f"/staff/speakers/{speaker_id}/proposal/photo").mimetype == "image/jpeg"
    published = organizer.post(
        f"/staff/speakers/{speaker_id}/proposal/publish",
        data={"csrf_token": csrf_token(organizer, f"/staff/speakers/{speaker_id}/edit")},
    )
    assert published.status_code == 302
    with app.app_context():
        speaker = _speaker(app)
        assert speaker.bio == "Directs the county's reentry council."
        assert speaker.photo_filename is not None
        assert db.session.scalar(sa.select(sa.func.count(SpeakerProfileProposal.id))) == 0
        actions = set(db.session.scalars(sa.select(AuditEntry.action)))
        assert {"speaker.profile_propose", "speaker.profile_publish"} <= actions
    assert "reentry council" in client.get(f"/speakers/{speaker_id}").get_data(as_text=True)
    assert client.get(f"/speakers/{speaker_id}/photo").status_code == 200


def test_a_declined_change_leaves_the_profile_and_discards_the_photo(app, client, place, signed_in):
    _send_profile(client, place.speaker_token, "Something staff will not publish.", _png())
    with app.app_context():
        speaker = _speaker(app)
        speaker_id = speaker.id
        photo = app.config["SPEAKER_PHOTO_DIR"] / speaker.profile_proposal.photo_filename
    assert photo.exists()
    organizer = signed_in("organizer")
    organizer.post(
        f"/staff/speakers/{speaker_id}/proposal/decline",
        data={"csrf_token": csrf_token(organizer, f"/staff/speakers/{speaker_id}/edit")},
    )
    with app.app_context():
        speaker = _speaker(app)
        assert speaker.bio == "" and speaker.profile_proposal is None
    assert not photo.exists()


def test_without_review_a_change_is_published_at_once(app, client, place):
    app.config["SPEAKER_PROFILE_REVIEW"] = False
    sent = _send_profile(client, place.speaker_token, "Public health nurse.", bio_es="Enfermera.")
    assert sent.status_code == 302
    with app.app_context():
        speaker = _speaker(app)
        assert (speaker.bio, speaker.bio_es) == ("Public health nurse.", "Enfermera.")
        assert speaker.profile_proposal is None


def test_a_file_that_is_not_a_photo_is_refused_next_to_the_field(app, client, place):
    refused = _send_profile(client, place.speaker_token, "Bio", b"%PDF-1.4 not an image")
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    assert "Upload a JPEG, PNG, WebP or GIF image" in text or "not a photo we can use" in text
    with app.app_context():
        assert _speaker(app).profile_proposal is None
    too_long = _send_profile(client, place.speaker_token, "x" * 2001)
    assert too_long.status_code == 400
    assert 'aria-invalid="true"' in too_long.get_data(as_text=True)


def test_a_speaker_gives_and_removes_their_availability(app, client, place, signed_in, today_is):
    today_is(date(2027, 3, 1))
    token = place.speaker_token
    page = f"/me/{token}/speaking"
    assert "Add a time range" in client.get(page).get_data(as_text=True)
    added = client.post(
        f"/me/{token}/speaking/availability",
        data={
            "day": str(place.public_day_id),
            "start": "08:30",
            "end": "11:00",
            "csrf_token": csrf_token(client, page),
        },
    )
    assert added.status_code == 302
    backwards = client.post(
        f"/me/{token}/speaking/availability",
        data={
            "day": str(place.public_day_id),
            "start": "14:00",
            "end": "13:00",
            "csrf_token": csrf_token(client, page),
        },
    )
    assert backwards.status_code == 400
    assert "The end time must be after the start time." in backwards.get_data(as_text=True)
    with app.app_context():
        speaker = _speaker(app)
        speaker_id = speaker.id
        (row,) = speaker.availability
        row_id = row.id
    organizer = signed_in("organizer")
    staff_page = organizer.get(f"/staff/speakers/{speaker_id}/availability").get_data(as_text=True)
    assert "8:30" in staff_page and "11:00" in staff_page
    organizer.get("/logout")

    client.post(
        f"/me/{token}/speaking/availability/{row_id}/remove",
        data={"csrf_token": csrf_token(client, page)},
    )
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(SpeakerAvailability.id))) == 0


def test_a_speaker_cannot_touch_someone_elses_availability(app, client, place, today_is):
    from forumapp.core.models import ForumDay

    from .. import builders as build

    today_is(date(2027, 3, 1))
    with app.app_context():
        other = build.speaker("Dr Other")
        day = db.session.get(ForumDay, place.public_day_id)
        db.session.add(
            SpeakerAvailability(
                speaker=other, day=day, starts_at=day_start(day), ends_at=day_end(day)
            )
        )
        db.session.commit()
        other_row = db.session.scalar(sa.select(SpeakerAvailability.id))
    page = f"/me/{place.speaker_token}/speaking"
    refused = client.post(
        f"/me/{place.speaker_token}/speaking/availability/{other_row}/remove",
        data={"csrf_token": csrf_token(client, page)},
    )
    assert refused.status_code == 404
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(SpeakerAvailability.id))) == 1


def day_start(day):
    from datetime import time

    from forumapp.core.clock import local_instant

    return local_instant(day.date, time(9), "America/New_York")


def day_end(day):
    from datetime import time

    from forumapp.core.clock import local_instant

    return local_instant(day.date, time(10), "America/New_York")
