"""Walk-ins: someone who arrives unregistered on a public day is registered at the door and
checked in, in one step."""

from __future__ import annotations

from ..core import audit
from ..core.models import Audience, ForumDay
from ..core.names import name_problem
from ..extensions import DbSession
from ..registration.errors import InvalidRegistration, RegistrationError
from ..registration.models import SeatStatus
from ..registration.people import find_or_create_person
from ..registration.registering import register_by_organizer
from ..registration.seats import seats_left
from .outcomes import ScanOutcome, ScanResult, date_label
from .scanning import check_in_registration


class WalkInError(RegistrationError):
    """A walk-in that cannot be registered."""


def walk_in(
    session: DbSession,
    day: ForumDay,
    name: str,
    email: str,
    organization: str,
    user_id: int | None,
    override: bool = False,
) -> ScanOutcome:
    """Register someone at the door for a public day and check them in.

    Capacity is respected unless door staff deliberately ``override`` it; a full day puts
    the walk-in on the waitlist, not in the room. A seat given beyond capacity is audited
    (``checkin.walk_in_override``). Raises ``InvalidRegistration`` naming the fields at fault,
    ``WalkInError`` for a day that is not public.
    """
    if day.audience != Audience.PUBLIC:
        raise WalkInError("Walk-ins are only for days open to the public.")
    errors = {}
    if problem := name_problem(name.strip(), missing="Enter the person's name."):
        errors["name"] = problem
    try:
        person = find_or_create_person(session, name, email, organization)
    except ValueError as exc:
        errors["email"] = f"Enter a valid email address. {exc}"
    if errors:
        raise InvalidRegistration(errors)
    result = register_by_organizer(session, day.forum, person, [day.id], override=override)
    registration = result.registration
    assert registration is not None, "an organizer's registration is never pending"
    seat = next((s for s in registration.seats if s.day_id == day.id), None)
    if override and seat is not None and seat.override:
        audit.record(
            session,
            user_id,
            "checkin.walk_in_override",
            f"registration:{registration.id}",
            day_id=day.id,
        )
    if result.days[0].status != SeatStatus.CONFIRMED:
        seats = seats_left(day)
        return ScanOutcome(
            ScanResult.WAITLISTED,
            f"{date_label(day.date)} is full ({seats} seats left): {person.name} is on the "
            "waitlist. Tick “Override capacity” to let them in anyway.",
            registration,
            day,
        )
    return check_in_registration(session, registration, day, user_id, "walk_in")
