"""Speaker records: organizers add, edit, find and export speakers; the public sees profiles."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, time

import pytest
from PIL import Image
from sqlalchemy import select

from forumapp.agenda.models import (
    AgendaItem,
    AgendaItemSpeaker,
    Speaker,
    SpeakerAvailability,
    SpeakerForumStatus,
)
from forumapp.core.clock import local_instant
from forumapp.core.models import Forum, ForumDay, Person, Program
from forumapp.extensions import db

from ..conftest import CSRF_RE, csrf_token

ZONE = "America/New_York"
FEB_18 = date(2027, 2, 18)
FEB_19 = date(2027, 2, 19)


# --- Builders ------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def photo_dir(app, tmp_path):
    """Speaker photos go to a folder of the test's own, never the instance folder."""
    before = app.config["SPEAKER_PHOTO_DIR"]
    app.config["SPEAKER_PHOTO_DIR"] = tmp_path / "speaker_photos"
    yield tmp_path / "speaker_photos"
    app.config["SPEAKER_PHOTO_DIR"] = before


@pytest.fixture
def organizer(signed_in):
    return signed_in("organizer")


def make_forum(app, number: int, days, status: str = "published") -> dict:
    """A forum with ``days`` as (date, audience); returns its id and its days' ids by date."""
    with app.app_context():
        program = db.session.scalar(select(Program)) or Program(
            name="Opioid Response Project", time_zone=ZONE
        )
        forum = Forum(
            program=program,
            number=number,
            title=f"Forum {number} in Town {number}",
            venue_name="Civic Center",
            venue_address="1 Main Street",
            venue_city=f"Town {number}",
            status=status,
            days=[ForumDay(date=d, audience=audience) for d, audience in days],
        )
        db.session.add(forum)
        db.session.commit()
        return {"id": forum.id, "days": {day.date: day.id for day in forum.days}}


def make_speaker(app, name: str, **fields) -> int:
    email = fields.pop("email", name.lower().replace(" ", ".") + "@speakers.example.org")
    phone = fields.pop("phone", "919-555-0100")
    fields.setdefault("kind", "faculty")
    fields.setdefault("is_public", True)
    with app.app_context():
        speaker = Speaker(person=Person(name=name, email=email, phone=phone), **fields)
        db.session.add(speaker)
        db.session.commit()
        return speaker.id


def make_session(app, day_id: int, title: str, speaker_id: int, start=time(10), **fields) -> int:
    with app.app_context():
        day = db.session.get(ForumDay, day_id)
        item = AgendaItem(
            day=day,
            title=title,
            kind=fields.pop("kind", "breakout"),
            starts_at=local_instant(day.date, start, ZONE),
            ends_at=local_instant(day.date, time(start.hour + 1), ZONE),
            **fields,
        )
        item.speaker_links.append(AgendaItemSpeaker(speaker_id=speaker_id, role="speaker"))
        db.session.add(item)
        db.session.commit()
        return item.id


def speaker_form(**changes) -> dict:
    """What an organizer types into the speaker form."""
    fields = {
        "name": "Renee Castillo",
        "email": "RCastillo@SOG.example.org",
        "phone": "919-555-0142",
        "kind": "faculty",
        "title": "Professor of Public Health",
        "affiliation": "School of Government",
        "bio": "Studies how counties coordinate treatment and recovery.",
        "is_public": "y",
        "status": "invited",
        "staff_notes": "Honorarium $500; flies in from Denver",
    }
    fields.update(changes)
    return {key: value for key, value in fields.items() if value is not None}


def post_form(client, path: str, data: dict, form_path: str | None = None):
    """Post a form the way a browser does: with the CSRF token from the page that shows it."""
    token = csrf_token(client, form_path or path)
    return client.post(path, data={**data, "csrf_token": token}, content_type="multipart/form-data")


def png_bytes(size=(1200, 800), colour=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def speaker_row(app, speaker_id: int) -> Speaker:
    with app.app_context():
        speaker = db.session.get(Speaker, speaker_id)
        db.session.expunge(speaker)  # readable after the context closes
        return speaker


def files_in(folder) -> list[str]:
    return sorted(path.name for path in folder.glob("*")) if folder.exists() else []


# --- Creating, editing, deleting -----------------------------------------------------------


def test_organizer_adds_a_speaker_with_the_form(app, organizer):
    response = post_form(organizer, "/staff/speakers/new", speaker_form())
    assert response.status_code == 302
    page = organizer.get(response.headers["Location"]).get_data(as_text=True)
    assert "Added Renee Castillo as a speaker" in page
    assert 'value="rcastillo@sog.example.org"' in page

    listing = organizer.get("/staff/speakers").get_data(as_text=True)
    assert "Renee Castillo" in listing and "School of Government" in listing
    with app.app_context():
        speaker = db.session.scalar(select(Speaker))
        assert speaker.person.email == "rcastillo@sog.example.org"
        assert speaker.person.phone == "919-555-0142"
        assert speaker.staff_notes == "Honorarium $500; flies in from Denver"
        assert speaker.is_public and speaker.kind == "faculty" and speaker.status == "invited"


def test_speaker_form_shows_errors_next_to_the_fields(app, organizer):
    response = post_form(
        organizer, "/staff/speakers/new", speaker_form(name="", email="not an address")
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The speaker was not saved" in page
    assert 'id="name-error"' in page and "Enter the speaker&#39;s name." in page
    with app.app_context():
        assert db.session.scalar(select(Speaker)) is None


def test_invalid_email_is_explained_next_to_the_email_field(app, organizer):
    response = post_form(organizer, "/staff/speakers/new", speaker_form(email="nobody@"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="email-error"' in page and "Enter an email address like" in page


def test_a_known_person_becomes_a_speaker_but_only_once(app, organizer):
    with app.app_context():
        db.session.add(Person(name="Pat Rivers", email="pat@county.example.org"))
        db.session.commit()
    form = speaker_form(name="Pat Rivers", email="pat@county.example.org", kind="team_panelist")
    assert post_form(organizer, "/staff/speakers/new", form).status_code == 302
    with app.app_context():
        assert len(db.session.scalars(select(Person)).all()) == 1

    again = post_form(organizer, "/staff/speakers/new", form)
    page = again.get_data(as_text=True)
    assert again.status_code == 400
    assert 'id="email-error"' in page and "Pat Rivers already has a speaker record" in page


def test_organizer_edits_a_speaker(app, organizer):
    speaker_id = make_speaker(app, "Daniel Okafor", affiliation="School of Government")
    path = f"/staff/speakers/{speaker_id}/edit"
    page = organizer.get(path).get_data(as_text=True)
    assert 'value="Daniel Okafor"' in page and 'value="daniel.okafor@speakers.example.org"' in page

    form = speaker_form(
        name="Dr. Daniel Okafor",
        email="dokafor@sog.example.org",
        affiliation="UNC School of Government",
        status="confirmed",
        is_public=None,  # unticked
    )
    response = post_form(organizer, path, form)
    assert response.status_code == 302
    assert "Saved Dr. Daniel Okafor" in organizer.get(path).get_data(as_text=True)
    speaker = speaker_row(app, speaker_id)
    assert speaker.affiliation == "UNC School of Government"
    assert speaker.status == "confirmed" and speaker.is_public is False
    with app.app_context():
        assert db.session.get(Speaker, speaker_id).person.email == "dokafor@sog.example.org"


def test_an_edit_cannot_take_another_persons_email(app, organizer):
    make_speaker(app, "Lena Brooks", email="lbrooks@sog.example.org")
    with app.app_context():
        db.session.add(Person(name="Sam Team", email="sam@county.example.org"))
        db.session.commit()
    other_id = make_speaker(app, "Thomas Whitaker")
    path = f"/staff/speakers/{other_id}/edit"
    for email, message in [
        ("lbrooks@sog.example.org", "Lena Brooks already has a speaker record"),
        ("sam@county.example.org", "That email already belongs to Sam Team"),
    ]:
        response = post_form(organizer, path, speaker_form(name="Thomas Whitaker", email=email))
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert 'id="email-error"' in page and message in page


def test_per_forum_status_is_set_on_the_edit_page_and_shown_in_the_list(app, organizer):
    first = make_forum(app, 1, [(FEB_18, "team")])
    second = make_forum(app, 2, [(FEB_19, "team")])
    make_forum(app, 3, [(date(2027, 5, 6), "team")])
    speaker_id = make_speaker(app, "Karen Pershing", kind="outside_expert")
    path = f"/staff/speakers/{speaker_id}/edit"
    form = speaker_form(
        name="Karen Pershing",
        email="karen@coalition.example.org",
        **{f"forum_status_{first['id']}": "confirmed", f"forum_status_{second['id']}": "declined"},
    )
    assert post_form(organizer, path, form).status_code == 302

    listing = organizer.get("/staff/speakers").get_data(as_text=True)
    by_forum = re.search(r'<ul class="plain-list by-forum">(.*?)</ul>', listing, re.S).group(1)
    assert re.findall(r"<li>([^<]+)</li>", by_forum) == ["Forum 1: Confirmed", "Forum 2: Declined"]
    edit_page = organizer.get(path).get_data(as_text=True)
    assert re.search(r'<option selected value="confirmed">', edit_page)
    assert "Forum 1 in Town 1" in edit_page and "Forum 1: Forum 1" not in edit_page

    # Choosing "Not asked" clears a forum's status.
    form[f"forum_status_{first['id']}"] = ""
    assert post_form(organizer, path, form).status_code == 302
    with app.app_context():
        rows = db.session.scalars(select(SpeakerForumStatus)).all()
        assert [(row.forum_id, row.status) for row in rows] == [(second["id"], "declined")]


def test_organizer_deletes_a_speaker_but_keeps_the_person(app, organizer, photo_dir):
    speaker_id = make_speaker(app, "Marcus Lee")
    path = f"/staff/speakers/{speaker_id}/edit"
    upload = speaker_form(name="Marcus Lee", email="marcus@recovery.example.org")
    upload["photo"] = (io.BytesIO(png_bytes()), "marcus.png")
    assert post_form(organizer, path, upload).status_code == 302
    assert len(files_in(photo_dir)) == 1

    response = post_form(organizer, f"/staff/speakers/{speaker_id}/delete", {}, form_path=path)
    assert response.status_code == 302
    page = organizer.get(response.headers["Location"]).get_data(as_text=True)
    assert "Deleted the speaker record of Marcus Lee" in page
    assert organizer.get(path).status_code == 404
    assert files_in(photo_dir) == []
    with app.app_context():
        assert db.session.scalar(select(Person.name)) == "Marcus Lee"


def test_a_speaker_on_a_session_cannot_be_deleted(app, organizer):
    forum = make_forum(app, 1, [(FEB_18, "public")])
    speaker_id = make_speaker(app, "Angela Freeman")
    make_session(app, forum["days"][FEB_18], "Medicaid and treatment", speaker_id)
    path = f"/staff/speakers/{speaker_id}/edit"
    response = post_form(organizer, f"/staff/speakers/{speaker_id}/delete", {}, form_path=path)
    assert response.headers["Location"].endswith(path)
    page = organizer.get(path).get_data(as_text=True)
    assert "Angela Freeman is on 1 session" in page
    assert speaker_row(app, speaker_id) is not None


def test_delete_without_csrf_token_is_refused(app, organizer):
    speaker_id = make_speaker(app, "Marcus Lee")
    assert organizer.post(f"/staff/speakers/{speaker_id}/delete").status_code == 400
    assert speaker_row(app, speaker_id) is not None


# --- Photos --------------------------------------------------------------------------------


def _upload(client, speaker_id: int, content: bytes, filename: str, **form):
    data = speaker_form(name="Judge Patricia Gaines", email="pgaines@courts.example.org", **form)
    data["photo"] = (io.BytesIO(content), filename)
    return post_form(client, f"/staff/speakers/{speaker_id}/edit", data)


def test_photo_upload_stores_a_resized_jpeg_under_a_generated_name(app, organizer, photo_dir):
    speaker_id = make_speaker(app, "Patricia Gaines")
    response = _upload(organizer, speaker_id, png_bytes((1200, 800)), "my photo ../../x.png")
    assert response.status_code == 302

    [stored] = files_in(photo_dir)
    assert re.fullmatch(r"[0-9a-f]{32}\.jpg", stored)
    with Image.open(photo_dir / stored) as image:
        assert image.format == "JPEG"
        assert image.size == (600, 400)
    assert speaker_row(app, speaker_id).photo_filename == stored

    served = organizer.get(f"/speakers/{speaker_id}/photo")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.data == (photo_dir / stored).read_bytes()
    assert f"/speakers/{speaker_id}/photo" in organizer.get(
        f"/staff/speakers/{speaker_id}/edit"
    ).get_data(as_text=True)


def test_photo_metadata_is_stripped(app, organizer, photo_dir):
    speaker_id = make_speaker(app, "Patricia Gaines")
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # camera make
    exif[0x0112] = 6  # orientation: rotate 90° to view
    out = io.BytesIO()
    Image.new("RGB", (800, 400), (10, 120, 10)).save(out, format="JPEG", exif=exif.tobytes())
    assert _upload(organizer, speaker_id, out.getvalue(), "portrait.JPG").status_code == 302

    [stored] = files_in(photo_dir)
    raw = (photo_dir / stored).read_bytes()
    assert b"SecretCam" not in raw and b"Exif" not in raw
    with Image.open(photo_dir / stored) as image:
        assert image.size == (300, 600)  # turned upright before the metadata went


def test_a_text_file_named_png_is_refused_next_to_the_field(app, organizer, photo_dir):
    speaker_id = make_speaker(app, "Patricia Gaines", title="Chief District Court Judge")
    response = _upload(
        organizer,
        speaker_id,
        b"=cmd|' /C calc'!A0\nnot a picture\n",
        "judge.png",
        title="Changed title",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="photo-error"' in page
    assert "That file is not a photo we can use" in page
    assert files_in(photo_dir) == []
    speaker = speaker_row(app, speaker_id)
    assert speaker.photo_filename is None and speaker.title == "Chief District Court Judge"


def test_a_photo_over_3_mb_is_refused_next_to_the_field(app, organizer, photo_dir):
    speaker_id = make_speaker(app, "Patricia Gaines")
    big = png_bytes((64, 64)) + b"\0" * (3 * 1024 * 1024)
    response = _upload(organizer, speaker_id, big, "huge.png")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="photo-error"' in page and "The photo must be 3 MB or smaller." in page
    assert files_in(photo_dir) == []


def test_a_file_that_is_not_an_image_type_is_refused(app, organizer, photo_dir):
    speaker_id = make_speaker(app, "Patricia Gaines")
    response = _upload(organizer, speaker_id, png_bytes(), "photo.svg")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Choose a JPEG, PNG, WebP or GIF image." in page
    assert files_in(photo_dir) == []


def test_a_decompression_bomb_is_refused(app, organizer, photo_dir):
    speaker_id = make_speaker(app, "Patricia Gaines")
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, format="PNG")  # 100 megapixels, a few KB
    assert len(out.getvalue()) < 3 * 1024 * 1024
    response = _upload(organizer, speaker_id, out.getvalue(), "bomb.png")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="photo-error"' in page and "too many pixels" in page
    assert files_in(photo_dir) == []


def test_an_upload_over_10_mb_gets_the_too_large_page(app, organizer, photo_dir):
    speaker_id = make_speaker(app, "Patricia Gaines")
    response = _upload(organizer, speaker_id, b"\0" * (11 * 1024 * 1024), "big.png")
    assert response.status_code == 413
    assert "That file is too large" in response.get_data(as_text=True)
    assert files_in(photo_dir) == []


def test_a_new_photo_replaces_the_old_file_and_removing_deletes_it(app, organizer, photo_dir):
    speaker_id = make_speaker(app, "Patricia Gaines")
    _upload(organizer, speaker_id, png_bytes(colour=(1, 2, 3)), "first.png")
    [first] = files_in(photo_dir)
    _upload(organizer, speaker_id, png_bytes(colour=(200, 2, 3)), "second.png")
    [second] = files_in(photo_dir)
    assert second != first

    data = speaker_form(name="Judge Patricia Gaines", email="p@courts.example.org")
    data["remove_photo"] = "y"
    assert post_form(organizer, f"/staff/speakers/{speaker_id}/edit", data).status_code == 302
    assert files_in(photo_dir) == []
    assert speaker_row(app, speaker_id).photo_filename is None
    assert organizer.get(f"/speakers/{speaker_id}/photo").status_code == 404


def test_a_new_speaker_can_be_added_with_a_photo(app, organizer, photo_dir):
    data = speaker_form()
    data["photo"] = (io.BytesIO(png_bytes((300, 900))), "renee.webp.png")
    assert post_form(organizer, "/staff/speakers/new", data).status_code == 302
    [stored] = files_in(photo_dir)
    with Image.open(photo_dir / stored) as image:
        assert image.size == (200, 600)


# --- Search, filters, CSV ------------------------------------------------------------------


@pytest.fixture
def roster(app):
    """Four speakers across two forums, with statuses."""
    first = make_forum(app, 1, [(FEB_18, "public")])
    second = make_forum(app, 2, [(FEB_19, "team")])
    ids = {
        "holloway": make_speaker(
            app, "Margaret Holloway", affiliation="School of Government", status="confirmed"
        ),
        "ortiz": make_speaker(
            app,
            "Samuel Ortiz",
            kind="outside_expert",
            affiliation="Mission Hospital",
            email="sortiz@HOSPITAL.example.org",
        ),
        "pershing": make_speaker(
            app,
            "Karen Pershing",
            kind="outside_expert",
            affiliation="Recovery Coalition",
            status="declined",
        ),
        "rivers": make_speaker(app, "Pat Rivers", kind="team_panelist", affiliation="Ashe County"),
    }
    with app.app_context():
        for who, forum, status in [
            ("ortiz", first, "confirmed"),
            ("pershing", first, "invited"),
            ("ortiz", second, "declined"),
        ]:
            db.session.add(
                SpeakerForumStatus(speaker_id=ids[who], forum_id=forum["id"], status=status)
            )
        db.session.commit()
    make_session(app, second["days"][FEB_19], "County panel", ids["rivers"])
    return {"forums": (first["id"], second["id"]), **ids}


def _names_in(page: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a></th>', page)


def test_search_matches_name_affiliation_or_email_ignoring_case(organizer, roster):
    everyone = organizer.get("/staff/speakers").get_data(as_text=True)
    assert "Not a valid choice" not in everyone
    assert _names_in(everyone) == [
        "Karen Pershing",
        "Margaret Holloway",
        "Pat Rivers",
        "Samuel Ortiz",
    ]
    for query, expected in [
        ("holloWAY", ["Margaret Holloway"]),
        ("mission hosp", ["Samuel Ortiz"]),
        ("sortiz@hospital", ["Samuel Ortiz"]),
        ("COUNTY", ["Pat Rivers"]),
        ("%", []),
        ("nobody at all", []),
    ]:
        page = organizer.get("/staff/speakers", query_string={"q": query}).get_data(as_text=True)
        assert _names_in(page) == expected, query
    empty = organizer.get("/staff/speakers", query_string={"q": "nobody"}).get_data(as_text=True)
    assert "No speakers match" in empty and "0 speakers found" in empty


def test_a_search_with_control_characters_is_refused_and_not_run(organizer, roster):
    response = organizer.get("/staff/speakers", query_string={"q": "holloway\x00"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Remove the control characters from this text." in page
    assert 'aria-invalid="true"' in page
    assert len(_names_in(page)) == 4  # the search is left out, as any invalid filter
    export = organizer.get("/staff/speakers/export.csv", query_string={"q": "holloway\x00"})
    assert export.status_code == 200 and "Samuel Ortiz" in export.get_data(as_text=True)


def test_filters_by_kind_status_and_forum(organizer, roster):
    first, second = roster["forums"]

    def names(**query):
        return _names_in(
            organizer.get("/staff/speakers", query_string=query).get_data(as_text=True)
        )

    assert names(kind="outside_expert") == ["Karen Pershing", "Samuel Ortiz"]
    assert names(status="confirmed") == ["Margaret Holloway"]  # overall status
    assert names(forum=first) == ["Karen Pershing", "Samuel Ortiz"]
    assert names(forum=second) == ["Pat Rivers", "Samuel Ortiz"]  # a status or a session there
    assert names(forum=first, status="confirmed") == ["Samuel Ortiz"]
    assert names(forum=second, status="declined", kind="outside_expert") == ["Samuel Ortiz"]
    # A bad value is ignored and explained next to its field, not a crash.
    assert names(kind="no-such-kind") == [
        "Karen Pershing",
        "Margaret Holloway",
        "Pat Rivers",
        "Samuel Ortiz",
    ]
    page = organizer.get("/staff/speakers", query_string={"kind": "x"}).get_data(as_text=True)
    assert 'id="kind-error"' in page


def test_csv_export_holds_the_filtered_list_with_staff_fields(app, organizer, roster):
    first, _ = roster["forums"]
    listing = organizer.get("/staff/speakers", query_string={"kind": "outside_expert"})
    link = re.search(r'href="([^"]*export\.csv[^"]*)"', listing.get_data(as_text=True))
    response = organizer.get(link.group(1).replace("&amp;", "&"))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Name", "Email", "Phone", "Kind"]
    assert "Staff notes" in rows[0] and "Status by forum" in rows[0]
    by_name = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert sorted(by_name) == ["Karen Pershing", "Samuel Ortiz"]
    ortiz = by_name["Samuel Ortiz"]
    assert ortiz["Email"] == "sortiz@hospital.example.org"
    assert ortiz["Phone"] == "919-555-0100"
    assert ortiz["Kind"] == "Outside expert"
    assert ortiz["Status by forum"] == "Forum 1: confirmed; Forum 2: declined"


def test_csv_export_defuses_spreadsheet_formulas(app, organizer):
    make_speaker(
        app,
        '=HYPERLINK("http://evil.example","click")',
        email="formula@speakers.example.org",
        phone="+1 919 555 0100",
        affiliation="@SUM(A1:A9)",
        title="-2+3",
        staff_notes="Plain notes",
    )
    response = organizer.get("/staff/speakers/export.csv")
    [header, row] = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    cells = dict(zip(header, row, strict=True))
    assert cells["Name"] == '\'=HYPERLINK("http://evil.example","click")'
    assert cells["Affiliation"] == "'@SUM(A1:A9)"
    assert cells["Title"] == "'-2+3"
    assert cells["Phone"] == "'+1 919 555 0100"
    assert cells["Staff notes"] == "Plain notes"


# --- Availability --------------------------------------------------------------------------


def test_organizer_adds_and_removes_availability_in_local_time(app, organizer):
    forum = make_forum(app, 1, [(FEB_18, "public"), (FEB_19, "team")])
    speaker_id = make_speaker(app, "Lena Brooks")
    path = f"/staff/speakers/{speaker_id}/availability"
    day_id = forum["days"][FEB_19]
    response = post_form(organizer, path, {"day": day_id, "start": "09:00", "end": "12:30"})
    assert response.status_code == 302
    page = organizer.get(path).get_data(as_text=True)
    assert "Added the time range" in page
    assert "Friday, February 19, 2027" in page and "9:00 AM" in page and "12:30 PM" in page
    with app.app_context():
        [stored] = db.session.scalars(select(SpeakerAvailability)).all()
        assert stored.day_id == day_id
        assert stored.starts_at == datetime(2027, 2, 19, 14, 0, tzinfo=UTC)  # EST is UTC-5
        assert stored.ends_at == datetime(2027, 2, 19, 17, 30, tzinfo=UTC)
        availability_id = stored.id

    remove = f"{path}/{availability_id}/remove"
    assert post_form(organizer, remove, {}, form_path=path).status_code == 302
    page = organizer.get(path).get_data(as_text=True)
    assert "Removed the time range" in page and "No time ranges yet" in page


def test_availability_refuses_backwards_and_overlapping_ranges(app, organizer):
    forum = make_forum(app, 1, [(FEB_18, "public")])
    speaker_id = make_speaker(app, "Lena Brooks")
    path = f"/staff/speakers/{speaker_id}/availability"
    day_id = forum["days"][FEB_18]

    backwards = post_form(organizer, path, {"day": day_id, "start": "14:00", "end": "13:00"})
    page = backwards.get_data(as_text=True)
    assert backwards.status_code == 400
    assert 'id="end-error"' in page and "The end time must be after the start time." in page

    first = post_form(organizer, path, {"day": day_id, "start": "09:00", "end": "12:00"})
    assert first.status_code == 302
    overlap = post_form(organizer, path, {"day": day_id, "start": "11:00", "end": "13:00"})
    assert overlap.status_code == 400
    assert "overlaps the range 9:00 AM–12:00 PM" in overlap.get_data(as_text=True)

    missing = post_form(organizer, path, {"day": day_id, "start": "", "end": "13:00"})
    assert 'id="start-error"' in missing.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.scalars(select(SpeakerAvailability)).all()) == 1


def test_one_speakers_range_cannot_be_removed_through_another(app, organizer):
    forum = make_forum(app, 1, [(FEB_18, "public")])
    owner = make_speaker(app, "Lena Brooks")
    other = make_speaker(app, "Marcus Lee")
    with app.app_context():
        day = db.session.get(ForumDay, forum["days"][FEB_18])
        availability = SpeakerAvailability(
            speaker_id=owner,
            day=day,
            starts_at=local_instant(FEB_18, time(9), ZONE),
            ends_at=local_instant(FEB_18, time(11), ZONE),
        )
        db.session.add(availability)
        db.session.commit()
        availability_id = availability.id
    form_path = f"/staff/speakers/{other}/availability"
    remove = f"{form_path}/{availability_id}/remove"
    response = post_form(organizer, remove, {}, form_path=form_path)
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(SpeakerAvailability, availability_id) is not None


# --- The public speaker page ---------------------------------------------------------------


@pytest.fixture
def touring_speaker(app):
    """A public speaker with sessions at two forums, some of them not for the public."""
    first = make_forum(app, 1, [(FEB_18, "public")])
    final = make_forum(app, 5, [(date(2027, 10, 7), "public"), (date(2027, 10, 8), "team")])
    draft = make_forum(app, 6, [(date(2028, 2, 3), "public")], status="draft")
    speaker_id = make_speaker(
        app,
        "Margaret Holloway",
        title="Director, Opioid Response Project",
        affiliation="School of Government",
        bio="Leads the project's faculty team.",
        phone="919-555-0199",
        staff_notes="Needs parking pass",
        status="confirmed",
    )
    make_session(app, first["days"][FEB_18], "Opening plenary", speaker_id, kind="general_session")
    make_session(
        app,
        first["days"][FEB_18],
        "Closed-door briefing",
        speaker_id,
        start=time(13),
        confidential=True,
    )
    make_session(app, final["days"][date(2027, 10, 7)], "What we learned", speaker_id)
    make_session(app, final["days"][date(2027, 10, 8)], "Team action plans", speaker_id)
    make_session(app, draft["days"][date(2028, 2, 3)], "Next year", speaker_id)
    return speaker_id


def test_public_speaker_page_lists_sessions_across_forums_but_hides_team_content(
    client, touring_speaker
):
    response = client.get(f"/speakers/{touring_speaker}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Margaret Holloway</h1>" in page
    assert "Director, Opioid Response Project, School of Government" in page
    assert "Leads the project&#39;s faculty team." in page
    assert "Opening plenary" in page and ">Forum 1 in Town 1</a>" in page
    assert "What we learned" in page and "Forum 5 in Town 5" in page
    assert "Thursday, February 18, 2027" in page and "10:00 AM" in page
    for hidden in ["Closed-door briefing", "Team action plans", "Next year"]:
        assert hidden not in page


def test_public_speaker_page_never_shows_staff_only_fields(client, signed_in, touring_speaker):
    for visitor in [client, signed_in("organizer")]:
        page = visitor.get(f"/speakers/{touring_speaker}").get_data(as_text=True)
        for secret in ["speakers.example.org", "919-555-0199", "Needs parking pass", "onfirmed"]:
            assert secret not in page


def test_signed_in_staff_see_every_session_on_the_speaker_page(signed_in, touring_speaker):
    page = signed_in("faculty").get(f"/speakers/{touring_speaker}").get_data(as_text=True)
    for title in ["Opening plenary", "Closed-door briefing", "Team action plans", "Next year"]:
        assert title in page


def test_hidden_speakers_page_and_photo_are_not_found_for_the_public(
    app, client, signed_in, photo_dir
):
    speaker_id = make_speaker(app, "Pat Rivers", kind="team_panelist", is_public=False)
    photo_dir.mkdir(parents=True)
    (photo_dir / ("a" * 32 + ".jpg")).write_bytes(png_bytes())
    with app.app_context():
        db.session.get(Speaker, speaker_id).photo_filename = "a" * 32 + ".jpg"
        db.session.commit()
    assert client.get(f"/speakers/{speaker_id}").status_code == 404
    assert client.get(f"/speakers/{speaker_id}/photo").status_code == 404
    assert client.get("/speakers/999999").status_code == 404

    staff = signed_in("door")
    page = staff.get(f"/speakers/{speaker_id}")
    assert page.status_code == 200
    assert "hidden from the public" in page.get_data(as_text=True)
    photo = staff.get(f"/speakers/{speaker_id}/photo")
    assert photo.status_code == 200 and "private" in photo.headers["Cache-Control"]


def test_public_speakers_photo_is_served_to_everyone(app, organizer, client, photo_dir):
    speaker_id = make_speaker(app, "Patricia Gaines")
    _upload(organizer, speaker_id, png_bytes(), "judge.png")
    anonymous = app.test_client()
    page = anonymous.get(f"/speakers/{speaker_id}").get_data(as_text=True)
    assert 'alt="Photo of Judge Patricia Gaines"' in page
    photo = anonymous.get(f"/speakers/{speaker_id}/photo")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"


# --- Who may use the staff pages -----------------------------------------------------------


@pytest.mark.parametrize("role", ["door", "faculty"])
def test_door_and_faculty_staff_cannot_manage_speakers(app, signed_in, role):
    speaker_id = make_speaker(app, "Lena Brooks")
    client = signed_in(role)
    token = CSRF_RE.search(client.get("/").get_data(as_text=True)).group(1)
    for path in [
        "/staff/speakers",
        "/staff/speakers/new",
        f"/staff/speakers/{speaker_id}/edit",
        f"/staff/speakers/{speaker_id}/availability",
        "/staff/speakers/export.csv",
    ]:
        assert client.get(path).status_code == 403, path
    response = client.post(f"/staff/speakers/{speaker_id}/delete", data={"csrf_token": token})
    assert response.status_code == 403
    assert speaker_row(app, speaker_id) is not None


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/staff/speakers/export.csv")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
