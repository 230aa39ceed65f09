"""Signals the registration feature sends, for the features above it (calendar, check-in).

Receivers run inside the sender's transaction and must only write (queue email through the
outbox); the caller commits once.
"""

from dataclasses import dataclass, field

from blinker import Namespace

_signals = Namespace()

#: A day seat or breakout pick became confirmed, waitlisted or cancelled. Sent with the
#: ``DaySeat`` or ``BreakoutPick`` as sender and ``session=``.
place_changed = _signals.signal("place-changed")

#: A registration's confirmation email is being written: by the mail worker when it sends it,
#: in a transaction of its own that should only read. Sent with the ``Registration`` as sender
#: and ``session=``; a receiver may return an ``EmailAddition`` to put in the email. The
#: check-in feature adds the ticket's QR code this way.
confirmation_email = _signals.signal("confirmation-email")


@dataclass
class EmailAddition:
    """Template variables and outbox attachments a receiver adds to an email."""

    context: dict = field(default_factory=dict)
    attachments: list[dict] = field(default_factory=list)
