"""Signals the door sends so that features built on it (attendance) can react without
check-in importing them. Receivers run inside the sender's transaction and only write; the
caller commits once."""

from blinker import Namespace

_signals = Namespace()

#: Someone already checked in that day came to the entrance again (scanned, or checked in from
#: a lookup). Sent with their ``CheckIn`` as sender and ``session=``, ``at=``, ``user_id=``. A
#: receiver that records the comeback returns when the person had left (a ``datetime``).
entered_again = _signals.signal("entered-again")
