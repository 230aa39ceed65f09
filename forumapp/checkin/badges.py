"""Name badges as a PDF: a sheet of 3.5 × 2.25 inch cards, 8 to a US Letter page.

Each card has the person's name (large, shrunk to fit the card's width, on two lines if it
must), their organization and teams, the forum's title and the ticket's QR code (level Q, drawn
as vector squares with its quiet zone, so it prints sharp at any size). The text uses Bitstream
Vera, a TrueType font shipped inside reportlab, embedded in the PDF: accented names (é, ñ, ü,
ø …) print as typed. Thin grey lines mark where to cut, or the sheet fits 2 × 4 badge stock.
Staff print them, but each badge is the person's: its words (the forum's title, "Team") are in
the person's language.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from flask_babel import ngettext
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.units import inch
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core import audit
from ..core.erasure import not_erased
from ..core.i18n import in_language, local_text
from ..core.models import Forum, Person
from ..core.pdf import BOLD, REGULAR, pdf_fonts
from ..extensions import DbSession
from ..registration.models import DaySeat, Registration, SeatStatus
from . import qr, tickets
from .outcomes import teams_of_people

CARD_WIDTH = 3.5 * inch
CARD_HEIGHT = 2.25 * inch
COLUMNS, ROWS = 2, 4
PER_PAGE = COLUMNS * ROWS
PADDING = 10
QR_SIZE = 1.1 * inch
NAME_SIZES = (22, 13)  # largest; one line at least this large needs no wrapping
TWO_LINE_SIZES = (16, 7)  # largest on two lines; smallest of all (a longer name is cut)


@dataclass
class BadgeCard:
    """What one badge shows."""

    name: str
    organization: str
    teams: list[str] = field(default_factory=list)
    forum_title: str = ""
    code: str = ""
    language: str = "en"  # the person's: the words printed around their name


# --- Who gets a badge ------------------------------------------------------------------------


def badge_cards(
    session: DbSession,
    forum: Forum,
    day_id: int | None = None,
    registration_ids: list[int] | None = None,
) -> list[BadgeCard]:
    """Badges for the forum's people with a confirmed seat (on ``day_id``, or on any day),
    optionally only those in ``registration_ids``; by name. Issues missing tickets (flushes).
    Erased people get no badge: they hold no ticket, and none is issued for them."""
    seated = select(DaySeat.registration_id).where(DaySeat.status == SeatStatus.CONFIRMED.value)
    if day_id is not None:
        seated = seated.where(DaySeat.day_id == day_id)
    query = (
        select(Registration)
        .join(Person, Person.id == Registration.person_id)
        .where(
            Registration.forum_id == forum.id,
            Registration.id.in_(seated),
            not_erased(Person.email),
        )
        .options(selectinload(Registration.person))
        .order_by(Person.name, Registration.id)
    )
    if registration_ids is not None:
        query = query.where(Registration.id.in_(registration_ids))
    registrations = session.scalars(query).all()
    teams = teams_of_people(session, [r.person_id for r in registrations], forum.program_id)
    cards = []
    for registration in registrations:
        ticket = tickets.current_ticket(session, registration)
        if ticket is None:  # erased while this list was read
            continue
        language = registration.person.language
        with in_language(language):
            forum_title = local_text(forum, "title")
        cards.append(
            BadgeCard(
                name=registration.person.name,
                organization=registration.person.organization or registration.community,
                teams=teams[registration.person_id],
                forum_title=forum_title,
                code=ticket.code,
                language=language,
            )
        )
    return cards


# --- Drawing ---------------------------------------------------------------------------------


def _fit(text: str, font: str, size: float, width: float) -> str:
    """``text`` cut with an ellipsis so it fits ``width``."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _wrap(text: str, font: str, size: float, width: float, max_lines: int) -> list[str]:
    """``text`` in lines no wider than ``width``; the last kept line ends in "…" if cut."""
    lines = []
    for line in simpleSplit(text, font, size, width):
        lines.append(_fit(line, font, size, width))  # one very long word
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = _fit(lines[-1] + "…", font, size, width)
    return lines


def _two_lines(name: str) -> list[str]:
    """The name in two lines as even as possible, broken after a space or a hyphen (inside a
    word only when the name is a single word)."""
    breaks = [i + 1 for i, c in enumerate(name) if c in " -" and 0 < i < len(name) - 1]
    if not breaks:
        breaks = list(range(2, len(name) - 1))
    if not breaks:
        return [name]

    def widest(i: int) -> float:
        first, second = _first_line(name, i), name[i:].strip()
        return max(pdfmetrics.stringWidth(first, BOLD, 1), pdfmetrics.stringWidth(second, BOLD, 1))

    best = min(breaks, key=widest)
    return [_first_line(name, best), name[best:].strip()]


def _first_line(name: str, i: int) -> str:
    first = name[:i].rstrip()
    return first if name[i - 1] in " -" else first + "-"


def name_lines(name: str, width: float) -> tuple[list[str], float]:
    """The name's lines and font size: one line as large as fits, or two lines when that
    allows a larger size (a long name), never smaller than the smallest size (then cut)."""
    pdf_fonts()
    largest, one_line_enough = NAME_SIZES
    two_largest, smallest = TWO_LINE_SIZES

    def size_for(lines: list[str], cap: float) -> float:
        widest = max(pdfmetrics.stringWidth(line, BOLD, 1) for line in lines) or 1
        return min(cap, int(width / widest * 2) / 2)  # rounded down to half points

    one = size_for([name], largest)
    if one >= one_line_enough:
        return [name], one
    lines = _two_lines(name)
    two = size_for(lines, two_largest) if len(lines) == 2 else 0
    if max(one, two) >= smallest:
        return ([name], one) if one >= two else (lines, two)
    return [_fit(line, BOLD, smallest, width) for line in lines], smallest


def _draw_qr(canvas: Canvas, code: str, x: float, y: float, size: float) -> None:
    modules = qr.qr_modules(code, qr.PRINT_LEVEL)  # quiet zone included
    step = size / len(modules)
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    for row, cells in enumerate(modules):
        for column, dark in enumerate(cells):
            if dark:
                # A hair larger than a module, so neighbours join without white seams.
                canvas.rect(
                    x + column * step,
                    y + size - (row + 1) * step,
                    step + 0.05,
                    step + 0.05,
                    stroke=0,
                    fill=1,
                )


def _draw_card(canvas: Canvas, card: BadgeCard, x: float, y: float) -> None:
    canvas.setStrokeColorRGB(0.75, 0.75, 0.75)
    canvas.setLineWidth(0.5)
    canvas.rect(x, y, CARD_WIDTH, CARD_HEIGHT, stroke=1, fill=0)  # where to cut
    inner = CARD_WIDTH - 2 * PADDING
    top = y + CARD_HEIGHT - PADDING
    canvas.setFillColorRGB(0.3, 0.3, 0.3)
    canvas.setFont(REGULAR, 8)
    canvas.drawString(x + PADDING, top - 8, _fit(card.forum_title, REGULAR, 8, inner))
    canvas.setFillColorRGB(0, 0, 0)
    lines, size = name_lines(card.name, inner)
    baseline = top - 14 - size
    canvas.setFont(BOLD, size)
    for line in lines:
        canvas.drawString(x + PADDING, baseline, line)
        baseline -= size * 1.1
    qr_x = x + CARD_WIDTH - PADDING - QR_SIZE
    _draw_qr(canvas, card.code, qr_x, y + PADDING - 4, QR_SIZE)
    text_width = qr_x - (x + PADDING) - 6
    baseline -= 4
    canvas.setFont(REGULAR, 9.5)
    for line in _wrap(card.organization, REGULAR, 9.5, text_width, 3) if card.organization else []:
        canvas.drawString(x + PADDING, baseline, line)
        baseline -= 11.5
    if card.teams:
        baseline -= 2
        canvas.setFillColorRGB(0.3, 0.3, 0.3)
        canvas.setFont(REGULAR, 8.5)
        with in_language(card.language):
            label = ngettext(
                "Team: %(teams)s", "Teams: %(teams)s", len(card.teams), teams=", ".join(card.teams)
            )
        for line in _wrap(label, REGULAR, 8.5, text_width, 2):
            canvas.drawString(x + PADDING, baseline, line)
            baseline -= 10
        canvas.setFillColorRGB(0, 0, 0)


def badges_pdf(cards: list[BadgeCard], title: str = "Name badges") -> bytes:
    """A PDF of the cards, 8 per Letter page (2 across, 4 down), left to right, top down."""
    pdf_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=LETTER, pageCompression=1, initialFontName=REGULAR)
    canvas.setTitle(title)
    canvas.setAuthor("forumapp")
    page_width, page_height = LETTER
    left = (page_width - COLUMNS * CARD_WIDTH) / 2
    bottom = (page_height - ROWS * CARD_HEIGHT) / 2
    for index, card in enumerate(cards):
        if index and index % PER_PAGE == 0:
            canvas.showPage()
        row, column = divmod(index % PER_PAGE, COLUMNS)
        x = left + column * CARD_WIDTH
        y = bottom + (ROWS - 1 - row) * CARD_HEIGHT
        _draw_card(canvas, card, x, y)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# --- Printing --------------------------------------------------------------------------------


def export_badges(
    session: DbSession,
    forum: Forum,
    day_id: int | None,
    registration_ids: list[int],
    user_id: int | None,
) -> bytes | None:
    """The badges PDF for the people ``badge_cards`` picks (``registration_ids`` empty: all of
    them), audited as ``export.badges_pdf``; issues missing tickets for the QR codes (flushes).
    None when nobody matches, and nothing is recorded."""
    cards = badge_cards(session, forum, day_id, registration_ids or None)
    if not cards:
        return None
    pdf = badges_pdf(cards, title=f"Name badges · {forum.title}")
    audit.record(
        session,
        user_id,
        "export.badges_pdf",
        f"forum:{forum.id}",
        day_id=day_id,
        registration_ids=registration_ids,
        badges=len(cards),
    )
    return pdf
