"""Finding someone at the door by name, email or organization, when their ticket is not at
hand: each match with their seat that day, their check-in and their teams."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ..core.erasure import not_erased
from ..core.models import ForumDay, Person
from ..core.search import contains_text
from ..extensions import DbSession
from ..registration.models import DaySeat, Registration
from .models import CheckIn
from .outcomes import teams_of_people


@dataclass
class LookupRow:
    registration: Registration
    seat: DaySeat | None
    check_in: CheckIn | None
    teams: list[str]


def lookup(session: DbSession, day: ForumDay, query: str, limit: int = 25) -> list[LookupRow]:
    """Registrations of the day's forum matching a name, email or organization; erased people
    are not found (nothing at the door admits them again)."""
    words = query.strip()
    if len(words) < 2:
        return []
    registrations = session.scalars(
        select(Registration)
        .join(Person)
        .where(
            Registration.forum_id == day.forum_id,
            not_erased(Person.email),
            or_(
                contains_text(Person.name, words),
                contains_text(Person.email, words),
                contains_text(Person.organization, words),
            ),
        )
        .options(selectinload(Registration.person), selectinload(Registration.seats))
        .order_by(Person.name)
        .limit(limit)
    ).all()
    ids = [r.id for r in registrations]
    live = {
        c.registration_id: c
        for c in session.scalars(
            select(CheckIn).where(
                CheckIn.registration_id.in_(ids),
                CheckIn.day_id == day.id,
                CheckIn.undone_at.is_(None),
            )
        )
    }
    teams = teams_of_people(session, [r.person_id for r in registrations], day.forum.program_id)
    rows = []
    for registration in registrations:
        seat = next((s for s in registration.seats if s.day_id == day.id), None)
        rows.append(
            LookupRow(registration, seat, live.get(registration.id), teams[registration.person_id])
        )
    return rows
