"""Registrations inserted by the current transaction, so the work that follows (a ticket, a
confirmation) need not look for rows they cannot have yet."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import DbSession
from .models import Registration

_NEW_REGISTRATIONS = "forumapp_new_registrations"  # session.info: those inserted this transaction
_CONFIRMED = "forumapp_confirmed_registrations"  # session.info: ids confirmed this transaction


def mark_new(session: DbSession, registration: Registration) -> None:
    """Remember that ``registration`` is inserted by this transaction (added to the session,
    flushed or not): features above may skip looking for what it cannot have yet (a ticket,
    an unsent confirmation). The object itself is remembered, not its id, so it can be
    written together with its seat in one flush."""
    session.info.setdefault(_NEW_REGISTRATIONS, set()).add(registration)


def is_new(session: DbSession, registration: Registration) -> bool:
    """Whether ``registration`` was inserted by this transaction (``mark_new``)."""
    return registration in session.info.get(_NEW_REGISTRATIONS, ())


def may_replace_a_confirmation(session: DbSession, registration: Registration) -> bool:
    """Whether an unsent confirmation of ``registration`` may exist, to be replaced by the one
    being written now: not for one this transaction inserted, until it has had one."""
    confirmed = session.info.setdefault(_CONFIRMED, set())
    earlier = not is_new(session, registration) or registration.id in confirmed
    confirmed.add(registration.id)
    return earlier


@event.listens_for(Session, "after_transaction_end")
def _forget_at_transaction_end(session: Session, transaction) -> None:
    # Once the transaction ends (commit or rollback), nothing is new any more: a later
    # transaction of the same session must look again.
    if transaction.parent is None:
        session.info.pop(_NEW_REGISTRATIONS, None)
        session.info.pop(_CONFIRMED, None)
