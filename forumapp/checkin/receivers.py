"""What check-in answers for the features below it.

Registration sits below check-in and never imports it. It announces what happens through
signals (``forumapp.registration.signals``), and this module answers them: a confirmed seat gets
a ticket, and the confirmation email gets the ticket's QR code as an inline image. It also
gives registration's day measures the count of people checked in (the no-show rate).
"""

from __future__ import annotations

from flask import Flask

from ..extensions import DbSession
from ..mail.outbox import register_attachment_renderer
from ..registration.additions import ExportColumns, register_export_columns
from ..registration.day_measures import register_attendance_counter
from ..registration.models import DaySeat, Registration, SeatStatus
from ..registration.signals import EmailAddition, confirmation_email, place_changed
from .counts import check_in_times, check_in_times_columns, confirmed_people_checked_in
from .qr import email_qr_png
from .tickets import format_code, has_confirmed_seat, live_ticket, may_have_ticket, ticket_for

EMAIL_IMAGE_ID = "ticket"  # the HTML email shows it with <img src="cid:ticket">
EMAIL_QR_RENDERER = "ticket_qr"


def _issue_ticket_for_seat(sender, session: DbSession, **_extra) -> None:
    """A confirmed day seat means a ticket: issue it in the same transaction."""
    if isinstance(sender, DaySeat) and sender.status == SeatStatus.CONFIRMED:
        ticket_for(session, sender.registration)


def ticket_email_addition(
    session: DbSession, registration: Registration, *, issue: bool = True
) -> EmailAddition | None:
    """The ticket for an email: its code for the text and an inline QR image.

    None without a confirmed seat (a waitlisted person gets the ticket once they have one),
    and for an erased person. With ``issue`` a confirmed registration that has no ticket yet
    (one older than tickets) is issued one now; without, only a live ticket is shown, and
    nothing is written.
    """
    if not has_confirmed_seat(registration):
        return None
    if issue:
        ticket = ticket_for(session, registration)
    else:
        ticket = live_ticket(session, registration) if may_have_ticket(registration) else None
    if ticket is None:
        return None
    return EmailAddition(
        context={"ticket_code": format_code(ticket.code)},
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


def _add_ticket_to_confirmation(sender: Registration, session: DbSession, **_extra):
    # The mail worker renders the confirmation in a transaction that only reads; a confirmed
    # seat was issued its ticket when it was confirmed (``_issue_ticket_for_seat``).
    return ticket_email_addition(session, sender, issue=False)


def register_checkin(app: Flask) -> None:
    """Connect the receivers, give the mail worker the ticket's QR image, and give the
    registration measures their check-in count (the no-show rate).

    Signals are process-wide; connecting again (another app, as in tests) is harmless.
    """
    place_changed.connect(_issue_ticket_for_seat)
    confirmation_email.connect(_add_ticket_to_confirmation)
    register_attachment_renderer(EMAIL_QR_RENDERER, email_qr_png)
    register_attendance_counter(confirmed_people_checked_in)
    register_export_columns("check_in_times", ExportColumns(check_in_times_columns, check_in_times))
