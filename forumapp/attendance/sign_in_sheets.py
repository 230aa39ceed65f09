"""Printable sign-in sheets (PDF), per forum day and per session: everyone expected, by name,
with their organization and team, a signature box and "time in" and "time out" columns.

They back up the door's scans: what people sign becomes an organizer's attendance correction.
On a public day signing is voluntary, and the sheet says so. Names wrap inside their column
rather than run over it, and the font is embedded so accented names print as typed.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..agenda.models import AgendaItem, ItemKind
from ..checkin.outcomes import teams_of_people
from ..core import audit
from ..core.clock import to_local
from ..core.erasure import not_erased
from ..core.i18n import format_local_time
from ..core.models import ForumDay, Person
from ..core.pdf import pdf_fonts
from ..extensions import DbSession
from ..registration.models import BreakoutPick, DaySeat, Registration, SeatStatus

VOLUNTARY = (
    "Signing is voluntary on this public day: it helps us report attendance, and you may "
    "attend without signing."
)
BLANK_ROWS = 5  # for walk-ins the list could not know


@dataclass(frozen=True)
class SheetLine:
    name: str
    organization: str
    team: str


@dataclass(frozen=True)
class SignInSheet:
    title: str  # the forum's
    subtitle: str  # the day, or the session with its time and room
    voluntary: bool
    lines: list[SheetLine]


def _lines(
    session: DbSession, registrations: list[Registration], program_id: int
) -> list[SheetLine]:
    teams = teams_of_people(session, [r.person_id for r in registrations], program_id)
    return [
        SheetLine(
            name=r.person.name,
            organization=r.person.organization or r.community,
            team=", ".join(teams[r.person_id]),
        )
        for r in registrations
    ]


def _seated_on(day: ForumDay):
    return (
        select(Registration)
        .join(Person, Person.id == Registration.person_id)
        .join(DaySeat, DaySeat.registration_id == Registration.id)
        .where(
            DaySeat.day_id == day.id,
            DaySeat.status == SeatStatus.CONFIRMED.value,
            not_erased(Person.email),
        )
        .options(selectinload(Registration.person))
        .order_by(Person.name, Registration.id)
    )


def day_sheet(session: DbSession, day: ForumDay) -> SignInSheet:
    """The sheet of everyone with a confirmed place on ``day``."""
    registrations = list(session.scalars(_seated_on(day)))
    forum = day.forum
    return SignInSheet(
        title=forum.title,
        subtitle=f"Sign-in sheet · {day.date:%A, %B} {day.date.day}, {day.date.year}",
        voluntary=day.is_public,
        lines=_lines(session, registrations, forum.program_id),
    )


def expected_registrations(session: DbSession, item: AgendaItem) -> list[Registration]:
    """Who is expected in a session, by name: a breakout's confirmed picks, or for any other
    session everyone with a confirmed place on its day."""
    query = _seated_on(item.day)
    if item.kind == ItemKind.BREAKOUT:
        query = query.join(BreakoutPick, BreakoutPick.registration_id == Registration.id).where(
            BreakoutPick.item_id == item.id, BreakoutPick.status == SeatStatus.CONFIRMED.value
        )
    return list(session.scalars(query))


def session_sheet(session: DbSession, item: AgendaItem) -> SignInSheet:
    """The sheet of a session: everyone ``expected_registrations`` names."""
    day = item.day
    zone = day.forum.program.time_zone
    when = (
        f"{to_local(item.starts_at, zone):%A, %B} {day.date.day}, "
        f"{format_local_time(item.starts_at, zone)}–{format_local_time(item.ends_at, zone)}"
    )
    room = f" · {item.room.name}" if item.room else ""
    return SignInSheet(
        title=day.forum.title,
        subtitle=f"{item.title} · {when}{room}",
        voluntary=day.is_public,
        lines=_lines(session, expected_registrations(session, item), day.forum.program_id),
    )


def sign_in_sheet_pdf(
    session: DbSession, sheet: SignInSheet, user_id: int | None, subject: str
) -> bytes:
    """The sheet as a landscape US Letter PDF, repeated headers on every page (audited: it
    prints people's names)."""
    audit.record_download(session, user_id, "export.sign_in_sheet_pdf", subject)
    regular, bold = pdf_fonts()
    cell = ParagraphStyle("cell", fontName=regular, fontSize=10, leading=12)
    head = ParagraphStyle("head", fontName=bold, fontSize=10, leading=12)
    title = ParagraphStyle("title", fontName=bold, fontSize=16, leading=20)
    plain = ParagraphStyle("plain", fontName=regular, fontSize=11, leading=14)

    def text(value: str, style: ParagraphStyle = cell) -> Paragraph:
        # Paragraph reads a mini-markup: a name like "A <b>" must print as typed.
        return Paragraph(escape(value), style)

    header = [
        text(label, head)
        for label in ("Name", "Organization", "Team", "Signature", "Time in", "Time out")
    ]
    rows = [
        [text(line.name), text(line.organization), text(line.team), "", "", ""]
        for line in sheet.lines
    ]
    rows += [["", "", "", "", "", ""] for _ in range(BLANK_ROWS)]
    widths = [2.3 * inch, 2.2 * inch, 1.6 * inch, 2.2 * inch, 0.85 * inch, 0.85 * inch]
    table = LongTable([header, *rows], colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ROWHEIGHT", (0, 1), (-1, -1), 0.42 * inch),
            ]
        )
    )
    story = [text(sheet.title, title), text(sheet.subtitle, plain)]
    if sheet.voluntary:
        story.append(text(VOLUNTARY, plain))
    story += [Spacer(1, 0.15 * inch), table]
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=landscape(LETTER),
        leftMargin=0.5 * inch,
        rightMargin=0.5 * inch,
        topMargin=0.5 * inch,
        bottomMargin=0.6 * inch,
        title=f"{sheet.title}: {sheet.subtitle}",
    )

    def page_number(canvas, doc) -> None:
        canvas.setFont(regular, 9)
        canvas.drawRightString(landscape(LETTER)[0] - 0.5 * inch, 0.35 * inch, f"Page {doc.page}")

    document.build(story, onFirstPage=page_number, onLaterPages=page_number)
    return buffer.getvalue()
