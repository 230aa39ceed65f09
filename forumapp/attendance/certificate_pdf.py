"""The certificate as a PDF (US Letter), in the holder's language: holder, program and
sponsor, forum, dates, venue, each session with its minutes and instructors, credit per type
with the accrediting body and provider number, the signature, and the verification code with
its short address. The font is embedded, so accented names print as typed; a long name
shrinks to fit the page's width."""

from __future__ import annotations

import io
from datetime import date

from flask_babel import gettext as _
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.units import inch
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from ..core.i18n import current_language, format_date, in_language
from ..core.links import absolute_url
from ..core.pdf import pdf_fonts
from .models import Certificate

WIDTH, HEIGHT = LETTER
MARGIN = 0.8 * inch


def _fit_size(text: str, font: str, largest: float, smallest: float, width: float) -> float:
    size = largest
    while size > smallest and stringWidth(text, font, size) > width:
        size -= 0.5
    return size


class _Page:
    """Lines written down the page, wrapped to its width."""

    def __init__(self, canvas: Canvas):
        self.canvas = canvas
        self.regular, self.bold = pdf_fonts()
        self.y = HEIGHT - MARGIN
        self.width = WIDTH - 2 * MARGIN

    def line(self, text: str, bold: bool = False, size: float = 10.5, gap: float = 4) -> None:
        font = self.bold if bold else self.regular
        for part in simpleSplit(text, font, size, self.width):
            self.y -= size + gap
            self.canvas.setFont(font, size)
            self.canvas.drawString(MARGIN, self.y, part)

    def space(self, points: float) -> None:
        self.y -= points


def _local(content: dict, field: str) -> str:
    spanish = content.get(f"{field}_es") if current_language() == "es" else None
    return spanish or content.get(field, "")


def draw_certificate(canvas: Canvas, certificate: Certificate, signature: bytes | None) -> None:
    """Draw one certificate on the canvas's current page (the caller shows the page)."""
    page = _Page(canvas)
    content = certificate.content
    page.line(_("Certificate of attendance"), bold=True, size=22)
    if certificate.issue > 1:
        canvas.setFont(page.regular, 10)
        canvas.drawRightString(
            WIDTH - MARGIN, page.y, _("Reissued (issue %(issue)d)", issue=certificate.issue)
        )
    page.space(14)
    page.line(_("This certifies that"), size=11)
    holder = content.get("holder", "")
    size = _fit_size(holder, page.bold, 26, 11, page.width)
    page.space(size + 8)
    canvas.setFont(page.bold, size)
    canvas.drawString(MARGIN, page.y, holder)
    if content.get("organization"):
        page.line(content["organization"], size=11)
    page.space(6)
    page.line(_("attended %(forum)s", forum=_local(content, "forum")), bold=True, size=13)
    page.line(_("Program: %(program)s", program=content.get("program", "")))
    if content.get("sponsor"):
        page.line(_("Sponsor: %(sponsor)s", sponsor=content["sponsor"]))
    dates = ", ".join(format_date(date.fromisoformat(day)) for day in content.get("dates", []))
    page.line(_("Dates: %(dates)s", dates=dates))
    page.line(_("Venue: %(venue)s", venue=content.get("venue", "")))
    _draw_sessions(page, content.get("sessions", []))
    _draw_credit(page, content.get("credit", []))
    _draw_signature(page, content, signature)
    url = absolute_url("attendance.verify", code=certificate.code)
    canvas.setFont(page.regular, 9)
    canvas.drawString(
        MARGIN,
        MARGIN * 0.8,
        _("Verification code %(code)s · check it at %(url)s", code=certificate.code, url=url),
    )


def _draw_sessions(page: _Page, sessions: list[dict]) -> None:
    page.space(8)
    page.line(_("Sessions attended"), bold=True, size=12)
    for item in sessions:
        text = _(
            "%(date)s %(start)s–%(end)s · %(title)s · %(minutes)d minutes",
            date=item["date"],
            start=item["start"],
            end=item["end"],
            title=_local(item, "title"),
            minutes=item["minutes"],
        )
        if item.get("instructors"):
            text += " · " + _("Instructors: %(names)s", names=", ".join(item["instructors"]))
        page.line(text, size=9.5, gap=2)


def _draw_credit(page: _Page, credit: list[dict]) -> None:
    page.space(8)
    page.line(_("Credit"), bold=True, size=12)
    for kind in credit:
        units = format(kind["units"], "g")
        page.line(
            _(
                "%(name)s: %(units)s %(unit)s (%(minutes)d minutes)",
                name=kind["name"],
                units=units,
                unit=kind["unit_name"],
                minutes=kind["credited_minutes"],
            )
        )
        if kind.get("accrediting_body") or kind.get("provider_number"):
            page.line(
                _(
                    "Accredited by %(body)s · Provider number %(number)s",
                    body=kind.get("accrediting_body") or "—",
                    number=kind.get("provider_number") or "—",
                ),
                size=9,
                gap=2,
            )


def _draw_signature(page: _Page, content: dict, signature: bytes | None) -> None:
    page.space(16)
    if signature:
        try:
            image = ImageReader(io.BytesIO(signature))
            width, height = image.getSize()
            scale = min(2.2 * inch / width, 0.8 * inch / height)
            page.space(height * scale)
            page.canvas.drawImage(image, MARGIN, page.y, width * scale, height * scale, mask="auto")
        except (OSError, ValueError):
            pass  # an unreadable image must not stop the certificate
    if content.get("signer_name"):
        page.line(content["signer_name"], bold=True, size=11)
    if content.get("signer_title"):
        page.line(content["signer_title"], size=10)


def certificates_pdf(
    certificates: list[tuple[Certificate, str | None]], signature: bytes | None
) -> bytes:
    """One PDF page per certificate, each in its holder's language (``(certificate,
    language)`` pairs)."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=LETTER, pageCompression=1)
    canvas.setTitle(_("Certificate of attendance"))
    for certificate, language in certificates:
        with in_language(language):
            draw_certificate(canvas, certificate, signature)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
