"""Calendar updates left for the mail worker: ``PendingInvite`` rows, written into invitations.

The receivers do not build invitations: inside the sender's transaction they only write a
``PendingInvite`` row per person and event (``defer_refresh``), so a registration stays quick
and an organizer's edit on a day with hundreds of people answers at once; a rolled-back edit
leaves nothing. The mail worker (``deliver_due``, through ``CALENDAR_WRITER``, registered by
``receivers.register_calendar``) then runs ``write_pending_invites``: rows for the same person
and event become one email that reads the state of that moment, so a seat taken and given back
before it came sends nothing, and two quick edits make one update naming both. An event that
cannot be written keeps its rows, marked failed, and the outbox page shows them with the error
and a button to try again.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import delete, func, select, update

from ..agenda import visibility as agenda
from ..agenda.models import AgendaItem
from ..core.clock import utcnow
from ..core.models import ForumDay, Person
from ..mail.worker import MailWriter, UnwrittenMail, announce_mail_to_write
from .events import day_summary, event_target, viewer_for
from .invitations import refresh_invite
from .models import PendingInvite

PENDING_BATCH = 200  # pending invites the worker handles per transaction
FAILURES_SHOWN = 50


def defer_refresh(
    session,
    person_id: int,
    event_key: str,
    *,
    changed: bool = False,
    exclude_item_id: int | None = None,
    visible_item_id: int | None = None,
    what_changed: list[str] | None = None,
) -> None:
    """Ask the mail worker to bring one person's event in line (see ``PendingInvite``)."""
    session.add(
        PendingInvite(
            person_id=person_id,
            event_key=event_key,
            changed=changed,
            exclude_item_id=exclude_item_id,
            visible_item_id=visible_item_id,
            what_changed=what_changed or [],
        )
    )
    announce_mail_to_write()


def people_in_order(session, person_ids) -> list[Person]:
    """The people with these ids who still exist, by id, so mail goes out in a stable order."""
    ids = sorted(set(person_ids))
    if not ids:
        return []
    return list(session.scalars(select(Person).where(Person.id.in_(ids)).order_by(Person.id)))


# --- Writing ---------------------------------------------------------------------------------


def write_pending_invites(session, limit: int = PENDING_BATCH) -> int:
    """Bring in line up to ``limit`` events that requests left for the mail worker, queueing
    their invitations, updates and cancellations; returns how many rows were handled.

    Rows for the same person and event are handled once, with every change they describe.
    The state is read now, so an event confirmed and cancelled before the worker came sends
    nothing. An event that cannot be brought in line keeps its rows, marked failed with the
    error (``unwritten_invites``), and the others go on. On PostgreSQL a second worker skips
    the rows this one holds. Flushes; the caller commits.
    """
    rows = session.scalars(
        select(PendingInvite)
        .where(PendingInvite.failed_at.is_(None))
        .order_by(PendingInvite.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    batches: dict[tuple[int, str], list[PendingInvite]] = {}
    for row in rows:
        batches.setdefault((row.person_id, row.event_key), []).append(row)
    for (person_id, event_key), batch in batches.items():
        written, error = _write_batch(session, person_id, event_key, batch)
        if error is not None:
            now = utcnow()
            for row in batch:
                row.failed_at, row.last_error = now, error
        else:
            _forget(session, person_id, event_key, batch, with_failures=written)
    session.flush()
    return len(rows)


def _write_batch(
    session, person_id: int, event_key: str, batch: list[PendingInvite]
) -> tuple[bool, str | None]:
    """Bring one person's event in line with every change in ``batch``. Returns whether it
    was written (False when the changes were not for this person to see) and the error."""
    person = session.get(Person, person_id)
    visible = [row.visible_item_id for row in batch if row.visible_item_id is not None]
    if person is None or not all(_may_see(session, person, item_id) for item_id in visible):
        return False, None
    lines = list(dict.fromkeys(line for row in batch for line in row.what_changed))
    excluded = [row.exclude_item_id for row in batch if row.exclude_item_id is not None]
    try:
        with session.begin_nested():
            refresh_invite(
                session,
                person,
                event_key,
                changed=any(row.changed for row in batch),
                exclude_item_id=excluded[-1] if excluded else None,
                what_changed=lines,
            )
    except Exception as exc:  # one broken event must not hold up everyone else's mail
        current_app.logger.exception(
            "Could not bring %s in line for person %s", event_key, person_id
        )
        return False, f"{type(exc).__name__}: {exc}"[:300]
    return True, None


def _may_see(session, person: Person, item_id: int) -> bool:
    item = session.get(AgendaItem, item_id)
    if item is None:
        return True  # deleted since: the day invitation no longer lists it
    return agenda.can_see_item(viewer_for(session, person, item.day.forum), item)


def _forget(
    session, person_id: int, event_key: str, batch: list[PendingInvite], with_failures: bool
) -> None:
    """Drop the rows just handled and, ``with_failures`` (the event was written: it is in line
    now), its earlier failed ones. Rows another request added since stay, as their change may
    have come after the state was read."""
    for row in batch:
        session.delete(row)
    if not with_failures:
        return
    session.execute(
        delete(PendingInvite).where(
            PendingInvite.person_id == person_id,
            PendingInvite.event_key == event_key,
            PendingInvite.failed_at.is_not(None),
        )
    )


# --- The backlog, for the outbox page --------------------------------------------------------


def waiting_invites(session) -> int:
    """How many calendar updates wait for the mail worker (failed ones not counted)."""
    return session.scalar(
        select(func.count()).select_from(PendingInvite).where(PendingInvite.failed_at.is_(None))
    )


def unwritten_invites(session, limit: int = FAILURES_SHOWN) -> list[UnwrittenMail]:
    """The calendar updates that could not be written, one per person and event, newest first."""
    rows = session.execute(
        select(
            PendingInvite.person_id,
            PendingInvite.event_key,
            func.max(PendingInvite.failed_at),
            func.max(PendingInvite.last_error),
        )
        .where(PendingInvite.failed_at.is_not(None))
        .group_by(PendingInvite.person_id, PendingInvite.event_key)
        .order_by(func.max(PendingInvite.failed_at).desc())
        .limit(limit)
    ).all()
    people = {person.id: person for person in people_in_order(session, [row[0] for row in rows])}
    return [
        UnwrittenMail(
            about=f"{_who(people.get(person_id))}: {_what(session, event_key)}",
            error=error or "",
            failed_at=failed_at,
        )
        for person_id, event_key, failed_at, error in rows
    ]


def _who(person: Person | None) -> str:
    return f"{person.name} <{person.email}>" if person else "someone since erased"


def _what(session, event_key: str) -> str:
    target = event_target(session, event_key)
    if isinstance(target, ForumDay):
        return day_summary(target)
    if isinstance(target, AgendaItem):
        return f"{target.title}, {day_summary(target.day)}"
    return "a session since deleted"


def failed_invites(session) -> int:
    """How many people's calendar events could not be brought in line."""
    failed_events = (
        select(PendingInvite.person_id, PendingInvite.event_key)
        .where(PendingInvite.failed_at.is_not(None))
        .distinct()
    )
    return session.scalar(select(func.count()).select_from(failed_events.subquery()))


def retry_unwritten_invites(session) -> int:
    """Put the failed calendar updates back in line for the worker; returns how many people's
    events. Flushes; the caller commits."""
    count = failed_invites(session)
    session.execute(
        update(PendingInvite)
        .where(PendingInvite.failed_at.is_not(None))
        .values(failed_at=None, last_error=None)
    )
    if count:
        announce_mail_to_write()
    return count


CALENDAR_WRITER = MailWriter(
    name="calendar updates",
    write=write_pending_invites,
    waiting=waiting_invites,
    failed=failed_invites,
    failures=unwritten_invites,
    retry=retry_unwritten_invites,
)
