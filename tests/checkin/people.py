"""For ticket, API and badge tests: people registered (by ``tests.builders``) with what they
carry, and reading the QR codes and PDFs they are given."""

from __future__ import annotations

import io
import subprocess
from dataclasses import dataclass

import PIL.Image
import sqlalchemy as sa
import zxingcpp

from forumapp.checkin import tickets
from forumapp.core.links import personal_token
from forumapp.core.models import Person
from forumapp.extensions import db
from forumapp.registration.models import Registration

from .. import builders as build
from ..registration.conftest import NOW


@dataclass
class Registered:
    """Someone registered, with what they carry: their personal link's token and ticket code."""

    registration_id: int
    token: str
    code: str | None  # None while they have no confirmed seat

    @property
    def page(self) -> str:
        return f"/me/{self.token}"

    @property
    def image(self) -> str:
        return f"/me/{self.token}/tickets/{self.registration_id}.png"


def _registered(registration_: Registration) -> Registered:
    ticket = tickets.live_ticket(db.session, registration_)
    return Registered(
        registration_.id, personal_token(registration_.person), ticket.code if ticket else None
    )


def register_public(app, setup, name: str, now=NOW, **fields) -> Registered:
    """Register ``name`` for the forum's public day as the public form would at ``now``, and
    commit."""
    with app.app_context():
        fields.setdefault("day_ids", [setup.public_day_id])
        registration = build.public_registration(setup.forum_id, name, now=now, **fields)
        db.session.commit()
        return _registered(registration)


def register_member(app, setup, name: str, team: str, day_ids: list[int]) -> Registered:
    """Register ``name`` (put on ``team``'s roster if new) for ``day_ids``, and commit."""
    with app.app_context():
        email = build.email_for(name, "county.example.org")
        member = db.session.scalar(sa.select(Person).filter_by(email=email))
        member = member or build.team_member(name, team)
        registration = build.team_registration(setup.forum_id, member, day_ids=day_ids, now=NOW)
        db.session.commit()
        return _registered(registration)


def live_code(app, registration_id: int) -> str | None:
    with app.app_context():
        ticket = tickets.live_ticket(db.session, db.session.get(Registration, registration_id))
        return ticket.code if ticket else None


def decode_qr(png: bytes) -> tuple[str, str]:
    """Read a QR code image as a phone at the door would: (text, error correction level)."""
    found = zxingcpp.read_barcodes(PIL.Image.open(io.BytesIO(png)))
    assert len(found) == 1, f"expected one QR code, found {len(found)}"
    return found[0].text, found[0].ec_level


def pdf_to_png(pdf: bytes, page: int = 1) -> bytes | None:
    """A page of a PDF as a PNG through poppler's ``pdftoppm``, or None where it is missing."""
    try:
        done = subprocess.run(
            ["pdftoppm", "-r", "200", "-png", "-f", str(page), "-l", str(page), "-"],
            input=pdf,
            capture_output=True,
            check=True,
            timeout=60,
        )
    except (FileNotFoundError, subprocess.CalledProcessError):
        return None
    return done.stdout
