"""What every PDF the app prints shares: a TrueType font embedded in the file, so that accented
names (é, ñ, ü, ø …) print as typed. Bitstream Vera ships inside reportlab."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import reportlab
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

REGULAR, BOLD = "AppSans", "AppSans-Bold"


@cache
def pdf_fonts() -> tuple[str, str]:
    """The names of the regular and bold fonts, registered with reportlab on first use."""
    folder = Path(reportlab.__file__).parent / "fonts"
    pdfmetrics.registerFont(TTFont(REGULAR, str(folder / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(folder / "VeraBd.ttf")))
    return REGULAR, BOLD
