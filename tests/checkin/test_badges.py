"""Name badges: a PDF sheet of cards with names (accents and all), teams and QR codes."""

from __future__ import annotations

import io

import PIL.Image
import pytest
import zxingcpp
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics

from forumapp.checkin import badges, qr
from forumapp.checkin.tickets import new_code
from forumapp.core.models import ForumDay
from forumapp.extensions import db

from ..registration.conftest import make_forum
from .people import decode_qr, pdf_to_png, register_member, register_public


@pytest.fixture
def forum_setup(app):
    """Forum 5 with room for everyone on its public day."""
    with app.app_context():
        setup = make_forum(public_capacity=None)
        db.session.commit()
        return setup


def _url(setup) -> str:
    return f"/staff/forums/{setup.forum_id}/badges.pdf"


def _pdf(response) -> PdfReader:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    return PdfReader(io.BytesIO(response.data))


def _text(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


NAMES = [
    "José Ñúñez Müller",
    "Zoë Ødegård",
    "Ada Lovelace",
    "Grace Hopper",
    "Alan Turing",
    "Katherine Johnson",
    "Dorothy Vaughan",
    "Mary Jackson",
    "Annie Easley",
]


def test_a_days_badges_fill_pages_of_eight_with_every_name(app, forum_setup, signed_in):
    for name in NAMES:
        register_public(app, forum_setup, name, organization="Département de Santé")
    client = signed_in("organizer")
    reader = _pdf(client.get(_url(forum_setup), query_string={"day_id": forum_setup.public_day_id}))
    assert len(reader.pages) == 2  # 9 people: 8 + 1
    text = _text(reader)
    for name in NAMES:
        assert name in text
    assert "Département de Santé" in text and "Forum 5: Testing" in text
    # In name order, left to right and top down.
    first_page = reader.pages[0].extract_text()
    assert first_page.index("Ada Lovelace") < first_page.index("Alan Turing")
    assert "Zoë Ødegård" in reader.pages[1].extract_text()


def test_the_text_is_in_an_embedded_font_with_accented_letters(app, forum_setup, signed_in):
    register_public(app, forum_setup, "José Ñúñez Müller")
    reader = _pdf(signed_in("organizer").get(_url(forum_setup)))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    embedded = [font.get_object() for font in fonts.values()]
    assert {str(font["/BaseFont"]).split("+")[-1] for font in embedded} == {
        "BitstreamVeraSans-Roman",
        "BitstreamVeraSans-Bold",
    }
    assert all("/FontFile2" in font["/FontDescriptor"] for font in embedded)  # embedded
    # Vera, shipped with reportlab, has the glyphs (a missing one would draw an empty box).
    face = pdfmetrics.getFont(badges.BOLD).face
    assert all(ord(c) in face.charToGlyph for c in "José Ñúñez Müller Zoë Ødegård…")


def test_chosen_people_only(app, forum_setup, signed_in):
    ada = register_public(app, forum_setup, "Ada Lovelace")
    register_public(app, forum_setup, "Grace Hopper")
    tia = register_member(
        app, forum_setup, "Tia Member", "Buncombe County", [forum_setup.team_day_id]
    )
    client = signed_in("organizer")
    response = client.get(
        _url(forum_setup),
        query_string=[
            ("registration_id", ada.registration_id),
            ("registration_id", tia.registration_id),
        ],
    )
    text = _text(_pdf(response))
    assert "Ada Lovelace" in text and "Tia Member" in text and "Grace Hopper" not in text
    assert "Team: Buncombe County" in text


def test_the_qr_codes_on_the_badges_are_the_tickets_at_level_q(app, forum_setup, signed_in):
    ada = register_public(app, forum_setup, "Ada Lovelace")
    response = signed_in("organizer").get(_url(forum_setup))
    _pdf(response)
    # What is drawn: the ticket's modules at level Q with the quiet zone.
    modules = qr.qr_modules(ada.code, "Q")
    size = len(modules)
    image = PIL.Image.new("1", (size, size), 1)
    image.putdata([0 if dark else 1 for row in modules for dark in row])
    image = image.resize((size * 8, size * 8), PIL.Image.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    assert decode_qr(buffer.getvalue()) == (ada.code, "Q")
    # And, where poppler is installed, read from the printed page itself.
    page = pdf_to_png(response.data)
    if page is not None:
        found = zxingcpp.read_barcodes(PIL.Image.open(io.BytesIO(page)))
        assert [(r.text, r.ec_level) for r in found] == [(ada.code, "Q")]


def test_waitlisted_people_get_no_badge_and_an_empty_choice_says_so(app, forum_setup, signed_in):
    with app.app_context():
        db.session.get(ForumDay, forum_setup.public_day_id).capacity = 1
        db.session.commit()
    register_public(app, forum_setup, "Ada Lovelace")
    waiting = register_public(app, forum_setup, "Will Wait")
    client = signed_in("organizer")
    assert "Will Wait" not in _text(_pdf(client.get(_url(forum_setup))))
    response = client.get(
        _url(forum_setup), query_string={"registration_id": waiting.registration_id}
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nobody to print" in page


def test_a_registration_id_too_large_for_any_row_is_no_registration(app, forum_setup, signed_in):
    ada = register_public(app, forum_setup, "Ada Lovelace")
    client = signed_in("organizer")
    too_large = "9999999999999999999999"
    alone = client.get(_url(forum_setup), query_string={"registration_id": too_large})
    assert alone.status_code == 400  # as for any registration_id that is not a number
    both = [("registration_id", too_large), ("registration_id", ada.registration_id)]
    text = _text(_pdf(client.get(_url(forum_setup), query_string=both)))
    assert "Ada Lovelace" in text


def test_a_day_of_another_forum_is_not_found(app, forum_setup, signed_in):
    client = signed_in("organizer")
    assert client.get(_url(forum_setup), query_string={"day_id": 987654}).status_code == 404
    assert client.get("/staff/forums/987654/badges.pdf").status_code == 404


def test_the_badge_page_offers_each_day_and_each_seated_person(app, forum_setup, signed_in):
    register_public(app, forum_setup, "José Ñúñez Müller")
    page = signed_in("organizer").get(f"/staff/forums/{forum_setup.forum_id}/badges")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Monday, March 15, 2027: 1 badge (PDF)" in body
    assert f"day_id={forum_setup.public_day_id}" in body
    assert "José Ñúñez Müller" in body and 'name="registration_id"' in body


@pytest.mark.parametrize("role", ["door", "faculty"])
def test_only_organizers_print_badges(app, forum_setup, signed_in, role):
    client = signed_in(role)
    assert client.get(_url(forum_setup)).status_code == 403
    assert client.get(f"/staff/forums/{forum_setup.forum_id}/badges").status_code == 403


@pytest.mark.parametrize(
    "name",
    [
        "Ana Li",
        "Christopher Alexander Montgomery-Smythe",
        "Maximiliana Bartholomew-Featherstonehaugh Wolfeschlegelsteinhausen",
        "Supercalifragilisticexpialidociousnessextraordinary",
    ],
)
def test_long_names_shrink_and_wrap_to_fit_the_card(app_ctx, name):
    width = badges.CARD_WIDTH - 2 * badges.PADDING
    lines, size = badges.name_lines(name, width)
    assert 1 <= len(lines) <= 2
    assert badges.TWO_LINE_SIZES[1] <= size <= badges.NAME_SIZES[0]
    for line in lines:
        assert pdfmetrics.stringWidth(line, badges.BOLD, size) <= width
    # Nothing is lost: the lines spell the whole name (broken at a space, after a hyphen, or
    # with a hyphen added inside a single long word).
    assert name in {" ".join(lines), "".join(lines), lines[0][:-1] + lines[-1]}
    if name == "Ana Li":
        assert (lines, size) == (["Ana Li"], badges.NAME_SIZES[0])


def test_a_long_organization_wraps_within_the_card(app_ctx):
    organization = "Department of Public Health and Human Services, " * 4
    pdf = badges.badges_pdf(
        [badges.BadgeCard("Ada Lovelace", organization, ["Wake"], "Forum 5", new_code())]
    )
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Department of Public" in text and "…" in text  # cut after three lines
