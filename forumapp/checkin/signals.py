"""Signals the door sends so that features built on it (attendance) can react without
check-in importing them. Receivers run inside the sender's transaction and only write; the
caller commits once."""

from blinker import Namespace

_signals = Namespace()

#: Someone already checked in that day came to the entrance again (scanned, or checked in from
#: a lookup). Sent with their ``CheckIn`` as sender and ``session=``, ``at=``, ``user_id=``. A
#: receiver that records the comeback returns when the person had left (a ``datetime``).
entered_again = _signals.signal("entered-again")

#: Someone was scanned at a breakout's own door (``/door/breakouts/<id>``). Sent with their
#: ``Registration`` as sender and ``session=``, ``item=``, ``at=``, ``user_id=``: attendance
#: records a return through that door after an exit at the session's.
scanned_at_breakout = _signals.signal("scanned-at-breakout")
