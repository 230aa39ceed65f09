"""Tickets and their codes: what a code looks like, who holds a ticket, issuing one and
replacing a lost one.

A registration has at most one live ticket; replacing it voids the old code (kept, so a scan
of it can say it was replaced). An erased person holds no ticket and is never issued one again.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import bindparam, event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..core.clock import utcnow
from ..core.erasure import is_erased_address
from ..core.models import Forum, Program
from ..extensions import DbSession
from ..registration.fresh import is_new
from ..registration.models import Registration, SeatStatus
from .models import Ticket

# --- Codes -----------------------------------------------------------------------------------

# Crockford's base32: no I, L, O or U, so a code read aloud or typed by hand has no look-alikes.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 26  # 130 random bits
_LOOK_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None, " ": None})


def new_code() -> str:
    """A fresh unguessable ticket code (26 characters of Crockford base32)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str) -> str | None:
    """The canonical form of a scanned or typed code, or None if it cannot be a code."""
    code = (raw or "").strip().upper().translate(_LOOK_ALIKES)
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    return code


def format_code(code: str) -> str:
    """A code in groups of four or five, for reading aloud or typing."""
    return "-".join(code[i : i + 5] for i in range(0, len(code), 5))


#: The time zone of the program whose ticket has the code ``:code`` (live or voided): which
#: date is "today" for that ticket. Built once, as the door runs it for nearly every scan.
TIME_ZONE_OF_CODE = (
    select(Program.time_zone)
    .select_from(Ticket)
    .join(Registration, Registration.id == Ticket.registration_id)
    .join(Forum, Forum.id == Registration.forum_id)
    .join(Program, Program.id == Forum.program_id)
    .where(Ticket.code == bindparam("code"))
)


# --- Who holds a ticket ----------------------------------------------------------------------


def may_have_ticket(registration: Registration) -> bool:
    """Whether a ticket may be issued for the registration: not for an erased person. Erasure
    voids their tickets, and no code that would check them in is issued again (their seats
    still count, so a confirmed seat alone must not bring one back)."""
    return not is_erased_address(registration.person.email)


def has_confirmed_seat(registration: Registration | None) -> bool:
    """A seat: confirmed on at least one day."""
    return registration is not None and any(
        seat.status == SeatStatus.CONFIRMED for seat in registration.seats
    )


def holds_ticket(registration: Registration | None) -> bool:
    """A ticket is for people with a seat (``has_confirmed_seat``) who were not erased."""
    return (
        registration is not None
        and has_confirmed_seat(registration)
        and may_have_ticket(registration)
    )


# --- Issuing and replacing -------------------------------------------------------------------


_TICKETS_SEEN = "forumapp_live_tickets"  # session.info: registration id → its live ticket


@event.listens_for(Session, "after_transaction_end")
def _forget_tickets_seen(session: Session, transaction) -> None:
    # Only for the transaction that saw them: a long-lived session (the mail worker's) would
    # otherwise keep every ticket it ever looked at.
    if transaction.parent is None:
        session.info.pop(_TICKETS_SEEN, None)


def live_ticket(session: DbSession, registration: Registration) -> Ticket | None:
    """The registration's current ticket, if one was issued (read only)."""
    return session.scalar(
        select(Ticket).where(Ticket.registration_id == registration.id, Ticket.voided_at.is_(None))
    )


def ticket_for(session: DbSession, registration: Registration) -> Ticket | None:
    """The registration's live ticket, created on first use (flushes); None for an erased
    person, who gets no ticket (``may_have_ticket``)."""
    if not may_have_ticket(registration):
        return None
    # A registration asks twice in one request (its seat's signal, then its confirmation
    # email): the second time the ticket is the one this session already holds.
    known = session.info.setdefault(_TICKETS_SEEN, {})
    ticket = known.get(registration.id)
    if ticket is not None and ticket.voided_at is None and ticket in session:
        return ticket
    # A registration this transaction made has no ticket yet: no need to look for one.
    ticket = None if is_new(session, registration) else live_ticket(session, registration)
    if ticket is None:
        ticket = Ticket(registration=registration, code=new_code())
        session.add(ticket)
        session.flush()
    known[registration.id] = ticket
    return ticket


def current_ticket(session: DbSession, registration: Registration) -> Ticket | None:
    """The live ticket, issued now if the registration has none (flushes); None for an erased
    person, who is never issued one again.

    Seats confirmed since tickets exist already have one; this covers older registrations. Two
    requests issuing at once (a page and its image) are fine: one wins, the other reads it.
    """
    if not may_have_ticket(registration):
        return None
    ticket = live_ticket(session, registration)
    if ticket is not None:
        return ticket
    try:
        with session.begin_nested():
            return ticket_for(session, registration)
    except IntegrityError:
        return live_ticket(session, registration)


def reissue_ticket(session: DbSession, registration: Registration) -> Ticket | None:
    """Void the current code and issue a new one (for a lost or photographed ticket); for an
    erased person only the voiding (None)."""
    current = live_ticket(session, registration)
    if current is not None:
        current.voided_at = utcnow()
        session.flush()
    if not may_have_ticket(registration):
        return None
    ticket = Ticket(registration=registration, code=new_code())
    session.add(ticket)
    session.flush()
    return ticket


# --- What the personal page shows ------------------------------------------------------------


@dataclass
class TicketState:
    """What the personal page shows about a registration's ticket."""

    registration_id: int | None
    ready: bool  # a confirmed seat: the ticket is shown
    waiting: bool  # only waitlisted: "your ticket appears when you have a seat"
    code: str | None = None

    @property
    def grouped_code(self) -> str:
        return format_code(self.code) if self.code else ""


def ticket_state(session: DbSession, registration: Registration | None) -> TicketState:
    """Whether the registration has a ticket to show, and its code."""
    if registration is None:
        return TicketState(None, ready=False, waiting=False)
    if not may_have_ticket(registration):
        return TicketState(registration.id, ready=False, waiting=False)
    if has_confirmed_seat(registration):
        ticket = live_ticket(session, registration)
        return TicketState(
            registration.id, ready=True, waiting=False, code=ticket.code if ticket else None
        )
    waiting = any(seat.status == SeatStatus.WAITLISTED for seat in registration.seats)
    return TicketState(registration.id, ready=False, waiting=waiting)
