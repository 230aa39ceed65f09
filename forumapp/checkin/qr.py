"""QR codes of tickets, for screens, paper and email.

The QR code holds nothing but the 26-character ticket code (uppercase letters and digits, so
the QR uses its compact alphanumeric mode and stays at version 2: 25 × 25 modules, easy for a
phone camera). Screens get error correction level M; printed badges get level Q, which survives
a crease or a smudge. Every image keeps the 4-module quiet zone that scanners need.
"""

from __future__ import annotations

import io

import qrcode
from qrcode.constants import ERROR_CORRECT_M, ERROR_CORRECT_Q

QUIET_ZONE = 4  # modules of white around the code, as the QR standard asks
SCREEN_LEVEL = "M"
PRINT_LEVEL = "Q"
_LEVELS = {"M": ERROR_CORRECT_M, "Q": ERROR_CORRECT_Q}


def _qr(code: str, level: str, box_size: int = 10) -> qrcode.QRCode:
    qr = qrcode.QRCode(error_correction=_LEVELS[level], box_size=box_size, border=QUIET_ZONE)
    qr.add_data(code)
    qr.make(fit=True)
    return qr


def qr_png(code: str, level: str = SCREEN_LEVEL, box_size: int = 8) -> bytes:
    """A PNG of the QR code for ``code``, ``box_size`` pixels per module, quiet zone included."""
    buffer = io.BytesIO()
    _qr(code, level, box_size).make_image().save(buffer)
    return buffer.getvalue()


def qr_modules(code: str, level: str = PRINT_LEVEL) -> list[list[bool]]:
    """The QR code as rows of modules (True: dark), quiet zone included, for drawing in a PDF."""
    return _qr(code, level).get_matrix()


def email_qr_png(code: str) -> bytes:
    """The ticket's QR code as the confirmation email shows it."""
    return qr_png(code, box_size=6)
