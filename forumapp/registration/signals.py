"""Signals the registration feature sends when a place changes, for the calendar feature.

Receivers run inside the sender's transaction and must only write (queue email through the
outbox); the caller commits once.
"""

from blinker import Namespace

_signals = Namespace()

#: A day seat or breakout pick became confirmed, waitlisted or cancelled. Sent with the
#: ``DaySeat`` or ``BreakoutPick`` as sender and ``session=``.
place_changed = _signals.signal("place-changed")
