"""Materials: uploads checked by content and size with safe names, the visibility rules for
listing and for the file itself, and forged addresses answering 404."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import flask
import pytest
import sqlalchemy as sa

from forumapp.core.audit import AuditEntry
from forumapp.extensions import db
from forumapp.materials.content import detect_type, safe_filename
from forumapp.materials.models import Material

from ..conftest import csrf_token
from .conftest import HTML, pdf_bytes, pptx_bytes

PAGE = "/staff/forums/{}/materials"


def _upload(
    client, place, target, visibility="public", filename="ordinance.pdf", data=None, **extra
):
    path = PAGE.format(place.forum_id)
    title = extra.pop("title", "Model ordinance")
    fields = {
        "target": str(target),
        "title": title,
        "title_es": "",
        "visibility": visibility,
        "url": "",
        "csrf_token": csrf_token(client, path),
        **extra,
    }
    if data is not False:
        fields["file"] = (io.BytesIO(pdf_bytes() if data is None else data), filename)
    return client.post(path, data=fields, content_type="multipart/form-data")


def _only_material(app) -> Material:
    with app.app_context():
        material = db.session.scalar(sa.select(Material).order_by(Material.id.desc()))
        db.session.expunge(material)
        return material


def test_the_content_decides_the_type_not_the_name():
    assert detect_type(pdf_bytes(), "x.pdf") == "pdf"
    assert detect_type(pptx_bytes(), "talk.pptx") == "pptx"
    assert detect_type(HTML, "slides.pdf") is None
    assert detect_type(b"MZ\x90\x00", "setup.pdf") is None


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\ana\\Ordenanza modelo – ñandú.pdf", "Ordenanza modelo – ñandú.pdf"),
        ('a"b<c>\u202eevil.pdf', "a_b_c_evil.pdf"),
        ("no-ending", "no-ending.pdf"),
    ],
)
def test_file_names_lose_folders_and_dangerous_characters(sent, kept):
    assert safe_filename(sent, "pdf") == kept


def test_an_organizer_uploads_a_pdf_and_the_public_gets_it_with_safe_headers(
    app, client, signed_in, place
):
    signed_in("organizer")
    response = _upload(client, place, place.public_item_id, filename="../Ordenanza – ñ.pdf")
    assert response.status_code == 302
    material = _only_material(app)
    assert material.filename == "Ordenanza – ñ.pdf" and material.content_type == "application/pdf"
    with app.app_context():
        assert db.session.scalar(
            sa.select(AuditEntry.id).where(AuditEntry.action == "material.upload")
        )

    anonymous = app.test_client()
    file = anonymous.get(f"/materials/{material.id}/{material.filename}")
    assert file.status_code == 200 and file.data.startswith(b"%PDF-")
    assert file.headers["X-Content-Type-Options"] == "nosniff"
    assert file.mimetype == "application/pdf"
    assert "filename*=UTF-8''Ordenanza" in file.headers["Content-Disposition"]
    assert "sandbox" in file.headers["Content-Security-Policy"]


def test_html_named_pdf_and_oversized_files_are_refused_next_to_the_field(
    app, client, signed_in, place
):
    signed_in("organizer")
    refused = _upload(client, place, place.public_item_id, data=HTML)
    assert refused.status_code == 400
    assert "checked by its content, not its name" in refused.get_data(as_text=True)

    app.config["MATERIALS_MAX_BYTES"] = 1024
    try:
        big = _upload(client, place, place.public_item_id, data=pdf_bytes("x" * 3000) + b" " * 2000)
    finally:
        app.config["MATERIALS_MAX_BYTES"] = 25 * 1024 * 1024
    assert big.status_code == 400
    assert "The file is larger than 1 KB" in big.get_data(as_text=True)

    mismatch = _upload(client, place, place.public_item_id, data=pptx_bytes(), filename="a.pdf")
    assert "a PowerPoint presentation" in mismatch.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Material)) == 0


# Who may open a file of each visibility: anonymous, a public registrant of its day, a team
# member (not registered that day), someone of another forum, the session's speaker, staff.
EXPECTED = {
    # visibility: (anonymous, registrant, member, stranger, speaker)
    "public": (True, True, True, True, True),
    "registrants": (False, True, False, False, True),
    "teams": (False, False, True, False, True),
    "staff": (False, False, False, False, True),
}


@pytest.mark.parametrize("visibility", list(EXPECTED))
def test_each_visibility_opens_the_file_to_exactly_its_readers(
    app, client, signed_in, place, visibility
):
    signed_in("organizer")
    # A session of the public day, for which the member holds no place.
    _upload(client, place, place.public_item_id, visibility=visibility)
    material = _only_material(app)
    name = material.filename
    assert client.get(f"/materials/{material.id}/{name}").status_code == 200  # staff

    anonymous = app.test_client()
    tokens = (place.registrant_token, place.member_token, place.stranger_token, place.speaker_token)
    answers = (
        anonymous.get(f"/materials/{material.id}/{name}").status_code == 200,
        *(
            anonymous.get(f"/me/{token}/materials/{material.id}/{name}").status_code == 200
            for token in tokens
        ),
    )
    assert answers == EXPECTED[visibility]
    # The lists say the same as the file: the forum's public page, each person's agenda.
    listed = (
        "Model ordinance" in anonymous.get(f"/forums/{place.forum_id}").get_data(as_text=True),
        *(
            "Model ordinance"
            in anonymous.get(f"/me/{token}/forums/{place.forum_id}").get_data(as_text=True)
            for token in tokens
        ),
    )
    assert listed == EXPECTED[visibility]


def test_a_guessed_or_forged_file_address_is_not_found(app, client, signed_in, place):
    signed_in("organizer")
    _upload(client, place, place.public_item_id, visibility="staff")
    material = _only_material(app)
    anonymous = app.test_client()
    missing = anonymous.get("/materials/999999/x.pdf")
    for path in (
        f"/materials/{material.id}/{material.filename}",  # staff only
        f"/materials/{material.id}/other-name.pdf",
        f"/materials/{material.id}/..%2F..%2Finstance%2Fforumapp.sqlite",
        f"/me/forged-token/materials/{material.id}/{material.filename}",
    ):
        response = anonymous.get(path)
        assert response.status_code == missing.status_code == 404, path


def test_a_link_material_needs_a_web_address(app, client, signed_in, place):
    signed_in("organizer")
    bad = _upload(client, place, "forum", data=False, url="javascript:alert(1)")
    assert "Enter a web address starting with https:// (or http://)." in bad.get_data(as_text=True)
    good = _upload(client, place, "forum", data=False, url="https://example.org/ordinance")
    assert good.status_code == 302
    assert _only_material(app).url == "https://example.org/ordinance"
    both = _upload(client, place, "forum", url="https://example.org/x")
    assert "Choose a file or give a link (one of them)." in both.get_data(as_text=True)


def test_the_public_agenda_lists_public_materials_only(app, client, signed_in, place):
    signed_in("organizer")
    _upload(client, place, place.public_item_id, title="Public slides")
    _upload(client, place, place.public_item_id, visibility="teams", title="Team notes")

    page = app.test_client().get(f"/forums/{place.forum_id}").get_data(as_text=True)

    assert "Public slides" in page and "(PDF," in page
    assert "Team notes" not in page


def test_the_api_lists_visible_materials_and_takes_an_organizers_upload(
    app, client, token_for, place
):
    organizer = token_for("organizer")
    url = f"/api/v1/items/{place.public_item_id}/materials"
    created = client.post(
        url,
        data={
            "title": "Slides",
            "visibility": "public",
            "file": (io.BytesIO(pdf_bytes()), "s.pdf"),
        },
        headers=organizer,
        content_type="multipart/form-data",
    )
    assert created.status_code == 201
    assert created.get_json()["kind"] == "file" and created.get_json()["filename"] == "s.pdf"
    hidden = client.post(
        url,
        data={"title": "Staff notes", "visibility": "staff", "url": "https://example.org/n"},
        headers=organizer,
    )
    assert hidden.status_code == 201
    refused = client.post(
        url,
        data={"title": "Fake", "file": (io.BytesIO(HTML), "fake.pdf")},
        headers=organizer,
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400 and "file" in refused.get_json()["details"]
    assert client.post(url, data={"title": "x"}, headers=token_for("door")).status_code == 403

    public = client.get(f"/api/v1/forums/{place.forum_id}/materials").get_json()
    assert [m["title"] for m in public["materials"]] == ["Slides"]
    staff = client.get(f"/api/v1/forums/{place.forum_id}/materials", headers=organizer).get_json()
    assert [m["title"] for m in staff["materials"]] == ["Slides", "Staff notes"]
    agenda = client.get(f"/api/v1/forums/{place.forum_id}/agenda").get_json()
    opening = next(item for item in agenda["items"] if item["id"] == place.public_item_id)
    assert [m["title"] for m in opening["materials"]] == ["Slides"]
    download = urlsplit(opening["materials"][0]["url"]).path
    assert app.test_client().get(download).status_code == 200


def _pdf_of_about(size: int) -> bytes:
    """A real PDF padded with a comment to a little over ``size`` bytes."""
    return pdf_bytes() + b"%" + b"x" * size


def test_the_pages_take_a_file_larger_than_other_requests_may_be(
    app, client, signed_in, place, monkeypatch
):
    # The CSRF check reads the form before any view runs: the upload's own limit must be in
    # force by then, or every file above MAX_CONTENT_LENGTH is refused with a 413.
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    slides = _pdf_of_about(200 * 1024)
    signed_in("organizer")
    assert _upload(client, place, place.public_item_id, data=slides).status_code == 302
    speaker, speaker_page = app.test_client(), f"/me/{place.speaker_token}/speaking"
    by_speaker = speaker.post(
        f"{speaker_page}/sessions/{place.public_item_id}/materials",
        data={
            "title": "My long slides",
            "visibility": "public",
            "file": (io.BytesIO(slides), "long.pdf"),
            "csrf_token": csrf_token(speaker, speaker_page),
        },
        content_type="multipart/form-data",
    )
    assert by_speaker.status_code == 302, by_speaker.get_data(as_text=True)
    with app.app_context():
        sizes = db.session.scalars(sa.select(Material.size)).all()
    assert sizes == [len(slides), len(slides)]


def test_nobody_unknown_can_send_an_upload_endpoint_a_body_larger_than_other_requests(
    app, client, place, monkeypatch
):
    """The raised limit is for callers who may upload: a large body from anyone else is
    refused before it is taken in, as at any other endpoint."""
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    slides = {"title": "Big", "file": (io.BytesIO(_pdf_of_about(200 * 1024)), "big.pdf")}
    forged = place.speaker_token[:-2] + ("AA" if not place.speaker_token.endswith("AA") else "BB")
    for url in (
        f"/staff/forums/{place.forum_id}/materials",
        f"/me/{forged}/speaking/sessions/{place.public_item_id}/materials",
        # A registrant's own link is one we signed, but they are no speaker.
        f"/me/{place.registrant_token}/speaking/sessions/{place.public_item_id}/materials",
        f"/api/v1/items/{place.public_item_id}/materials",
    ):
        refused = client.post(url, data=dict(slides), content_type="multipart/form-data")
        assert refused.status_code == 413, url
        slides["file"] = (io.BytesIO(_pdf_of_about(200 * 1024)), "big.pdf")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Material)) == 0


def test_no_transaction_stays_open_while_an_upload_comes_in(
    app, client, signed_in, place, monkeypatch
):
    """Deciding the limit looks the caller up; the body, which may take minutes to arrive
    over a venue's network, is read after that lookup's transaction has ended (on
    PostgreSQL a connection idle in a transaction holds back vacuum)."""
    open_while_reading = []
    read_form = flask.Request._load_form_data

    def reading(request):
        open_while_reading.append(db.session().in_transaction())
        return read_form(request)

    monkeypatch.setattr(flask.Request, "_load_form_data", reading)
    signed_in("organizer")
    open_while_reading.clear()
    assert _upload(client, place, place.public_item_id, data=_pdf_of_about(1024)).status_code == 302
    assert open_while_reading[:1] == [False]
    speaker_page = f"/me/{place.speaker_token}/speaking"
    token = csrf_token(client, speaker_page)
    open_while_reading.clear()
    by_speaker = client.post(
        f"{speaker_page}/sessions/{place.public_item_id}/materials",
        data={
            "title": "My slides",
            "visibility": "public",
            "file": (io.BytesIO(_pdf_of_about(1024)), "slides.pdf"),
            "csrf_token": token,
        },
        content_type="multipart/form-data",
    )
    assert by_speaker.status_code == 302
    assert open_while_reading[:1] == [False]


def test_the_api_takes_an_upload_as_large_as_the_materials_limit_and_other_bodies_not(
    app, client, token_for, place, monkeypatch
):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)  # any other body
    monkeypatch.setitem(app.config, "MATERIALS_MAX_BYTES", 256 * 1024)
    organizer = token_for("organizer")
    url = f"/api/v1/items/{place.public_item_id}/materials"

    def upload(content: bytes):
        return client.post(
            url,
            data={"title": "Long slides", "file": (io.BytesIO(content), "long.pdf")},
            headers=organizer,
            content_type="multipart/form-data",
        )

    slides = _pdf_of_about(200 * 1024)
    created = upload(slides)
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.get_json()["size"] == len(slides)
    oversized = upload(_pdf_of_about(300 * 1024))
    assert oversized.status_code == 400 and "file" in oversized.get_json()["details"]
    assert upload(b"x" * (1400 * 1024)).status_code == 413  # beyond the file and its form
    registration = client.post(
        f"/api/v1/forums/{place.forum_id}/registrations", json={"name": "x" * (70 * 1024)}
    )
    assert registration.status_code == 413


def test_the_resources_page_and_its_atom_feed_hold_public_materials_and_the_summary(
    app, client, signed_in, place
):
    import feedparser

    from forumapp.core.clock import utcnow
    from forumapp.feedback.models import FeedbackWindow

    signed_in("organizer")
    _upload(client, place, place.public_item_id, title="Public slides")
    _upload(client, place, place.public_item_id, visibility="teams", title="Team notes")
    with app.app_context():
        db.session.add(
            FeedbackWindow(
                forum_id=place.forum_id,
                summary="Teams asked for more on jail reentry.",
                summary_sent_at=utcnow(),
            )
        )
        db.session.commit()
    anonymous = app.test_client()

    page = anonymous.get(f"/forums/{place.forum_id}/resources").get_data(as_text=True)
    feed = anonymous.get(f"/forums/{place.forum_id}/resources.atom")

    assert "Public slides" in page and "Team notes" not in page
    assert "Teams asked for more on jail reentry." in page
    assert feed.mimetype == "application/atom+xml"
    parsed = feedparser.parse(feed.data)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.feed.title == "Resources from Forum 1: Testing"
    assert [entry.title for entry in parsed.entries] == [
        "Public slides",
        "What we heard at Forum 1: Testing",
    ]
    assert anonymous.get(urlsplit(parsed.entries[0].link).path).status_code == 200
