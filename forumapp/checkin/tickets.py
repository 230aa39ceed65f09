"""Tickets as people carry them: the QR code, the ticket in the confirmation email, and which
forum day a scan at the door is for.

The QR code holds nothing but the 26-character ticket code (uppercase letters and digits, so
the QR uses its compact alphanumeric mode and stays at version 2: 25 × 25 modules, easy for a
phone camera). Screens get error correction level M; printed badges get level Q, which survives
a crease or a smudge. Every image keeps the 4-module quiet zone that scanners need.

Registration sits below check-in and never imports it. It announces what happens through
signals (``forumapp.registration.signals``), and this module answers them: a confirmed seat gets
a ticket, and the confirmation email gets the ticket's QR code as an inline image.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import qrcode
from flask import Flask, current_app
from qrcode.constants import ERROR_CORRECT_M, ERROR_CORRECT_Q
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..core.clock import local_today
from ..core.models import Forum, ForumDay
from ..extensions import db
from ..mail.outbox import register_attachment_renderer
from ..registration.models import DaySeat, Registration, SeatStatus
from ..registration.signals import (
    EmailAddition,
    breakout_door_counts,
    confirmation_email,
    place_changed,
)
from . import services
from .models import Ticket

QUIET_ZONE = 4  # modules of white around the code, as the QR standard asks
SCREEN_LEVEL = "M"
PRINT_LEVEL = "Q"
_LEVELS = {"M": ERROR_CORRECT_M, "Q": ERROR_CORRECT_Q}
EMAIL_IMAGE_ID = "ticket"  # the HTML email shows it with <img src="cid:ticket">
EMAIL_QR_RENDERER = "ticket_qr"


# --- QR codes --------------------------------------------------------------------------------


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


# --- Who has a ticket ------------------------------------------------------------------------


def has_confirmed_seat(registration: Registration | None) -> bool:
    """A seat: confirmed on at least one day."""
    return registration is not None and any(
        seat.status == SeatStatus.CONFIRMED for seat in registration.seats
    )


def holds_ticket(registration: Registration | None) -> bool:
    """A ticket is for people with a seat (``has_confirmed_seat``) who were not erased."""
    return has_confirmed_seat(registration) and services.may_have_ticket(registration)


def live_ticket(session, registration: Registration) -> Ticket | None:
    """The registration's current ticket, if one was issued (read only)."""
    return session.scalar(
        select(Ticket).where(Ticket.registration_id == registration.id, Ticket.voided_at.is_(None))
    )


def current_ticket(session, registration: Registration) -> Ticket | None:
    """The live ticket, issued now if the registration has none (flushes); None for an erased
    person, who is never issued one again.

    Seats confirmed since tickets exist already have one; this covers older registrations. Two
    requests issuing at once (a page and its image) are fine: one wins, the other reads it.
    """
    if not services.may_have_ticket(registration):
        return None
    ticket = live_ticket(session, registration)
    if ticket is not None:
        return ticket
    try:
        with session.begin_nested():
            return services.ticket_for(session, registration)
    except IntegrityError:
        return live_ticket(session, registration)


@dataclass
class TicketState:
    """What the personal page shows about a registration's ticket."""

    registration_id: int | None
    ready: bool  # a confirmed seat: the ticket is shown
    waiting: bool  # only waitlisted: "your ticket appears when you have a seat"
    code: str | None = None

    @property
    def grouped_code(self) -> str:
        return services.format_code(self.code) if self.code else ""


def ticket_state(session, registration: Registration | None) -> TicketState:
    """Whether the registration has a ticket to show, and its code."""
    if registration is None:
        return TicketState(None, ready=False, waiting=False)
    if not services.may_have_ticket(registration):
        return TicketState(registration.id, ready=False, waiting=False)
    if has_confirmed_seat(registration):
        ticket = live_ticket(session, registration)
        return TicketState(
            registration.id, ready=True, waiting=False, code=ticket.code if ticket else None
        )
    waiting = any(seat.status == SeatStatus.WAITLISTED for seat in registration.seats)
    return TicketState(registration.id, ready=False, waiting=waiting)


# --- Which day a scan is for -----------------------------------------------------------------


def scan_on_date(
    session,
    raw_code: str,
    on_date: date | None,
    user_id: int | None,
    request_id: str | None = None,
) -> services.ScanOutcome:
    """Scan a code at the door on ``on_date`` (default: today in the program's time zone).

    Several forums may meet on one date; the scan is for the day of the ticket's own forum when
    it meets that date, else for another forum's day (and is refused as "not this forum"). A
    retried ``request_id`` is answered as the first time, even after midnight.
    """
    # Nearly every scan at a busy door is the plain case: check it in with the least work.
    plain = services.check_in_on_date(session, raw_code, on_date, user_id, request_id)
    if plain is not None:
        return plain
    replay = services.replayed(session, request_id, raw_code, on_date)
    if replay is not None:
        return replay
    ticket = services.find_ticket(session, raw_code)
    forum = ticket.registration.forum if ticket is not None else None
    if on_date is None:
        zone = forum.program.time_zone if forum else current_app.config["PROGRAM_TIME_ZONE"]
        on_date = local_today(zone)
    days = session.scalars(
        select(ForumDay).where(ForumDay.date == on_date).order_by(ForumDay.id)
    ).all()
    day = next((d for d in days if forum is not None and d.forum_id == forum.id), None)
    day = day or (days[0] if days else None)
    if day is None and ticket is not None and ticket.voided_at is None:
        registration = ticket.registration
        return services.ScanOutcome(
            services.ScanResult.NOT_REGISTERED_FOR_DAY,
            f"No forum meets on {on_date:%A, %B} {on_date.day}, {on_date.year}: "
            f"{registration.person.name}'s ticket is for {registration.forum.title}.",
            registration,
            teams=services._teams_of(session, registration.person_id, forum.program_id),
        )
    # Without a day the code is unknown or replaced: it is refused before a day is needed.
    return services.scan_ticket(session, raw_code, ticket, day, user_id, request_id)


# --- Receivers of registration's signals -----------------------------------------------------


def _issue_ticket_for_seat(sender, session, **_extra) -> None:
    """A confirmed day seat means a ticket: issue it in the same transaction."""
    if isinstance(sender, DaySeat) and sender.status == SeatStatus.CONFIRMED:
        services.ticket_for(session, sender.registration)


def ticket_email_addition(session, registration: Registration) -> EmailAddition | None:
    """The ticket for a confirmation email: its code for the text and an inline QR image.

    None without a confirmed seat (a waitlisted person gets the ticket once they have one),
    and for an erased person.
    """
    ticket = (
        services.ticket_for(session, registration) if has_confirmed_seat(registration) else None
    )
    if ticket is None:
        return None
    return EmailAddition(
        context={"ticket_code": services.format_code(ticket.code)},
        attachments=[
            {
                "filename": "ticket.png",
                "content_type": "image/png",
                # Drawn by the mail worker: a QR image is a third of a registration's CPU.
                "rendered_by": EMAIL_QR_RENDERER,
                "arguments": {"code": ticket.code},
                "content_id": EMAIL_IMAGE_ID,
            }
        ],
    )


def email_qr_png(code: str) -> bytes:
    """The ticket's QR code as the confirmation email shows it."""
    return qr_png(code, box_size=6)


def _add_ticket_to_confirmation(sender: Registration, session, **_extra):
    return ticket_email_addition(session, sender)


def _count_breakout_doors(_sender: Forum, session, item_ids: list[int], **_extra):
    return services.breakout_attendance_counts(session, item_ids)


def register_tickets(app: Flask) -> None:
    """Connect the receivers and give templates ``ticket_state(registration)``.

    Signals are process-wide; connecting again (another app, as in tests) is harmless.
    """
    place_changed.connect(_issue_ticket_for_seat)
    confirmation_email.connect(_add_ticket_to_confirmation)
    breakout_door_counts.connect(_count_breakout_doors)
    register_attachment_renderer(EMAIL_QR_RENDERER, email_qr_png)
    app.add_template_global(lambda registration: ticket_state(db.session, registration),
                            "ticket_state")  # fmt: skip
