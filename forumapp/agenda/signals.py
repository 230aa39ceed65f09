"""Signals the agenda sends so that features built on it (calendar invitations, notices)
can react without the agenda importing them.

Receivers run inside the sender's transaction and must only write (e.g. queue email through the
outbox): the caller commits once.
"""

from blinker import Namespace

_signals = Namespace()

#: A published session's time, room or status changed, or it was deleted.
#: Sent with the ``AgendaChange`` row as sender and ``session=``.
agenda_changed = _signals.signal("agenda-changed")

#: A published forum day's times changed. Sent with the ``ForumDay`` and ``session=``.
day_changed = _signals.signal("day-changed")

#: A day's or a session's capacity was raised or removed, so seats may be free for the people
#: waiting. Sent with the ``ForumDay`` or ``AgendaItem`` and ``session=``.
capacity_raised = _signals.signal("capacity-raised")
