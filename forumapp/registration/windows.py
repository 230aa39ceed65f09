"""When attendees may change their places: a day's registration window, the end of a day or
of a forum, and the breakout choice deadline. Organizers are not bound by these."""

from __future__ import annotations

import enum
from datetime import date, datetime

from babel import dates as babel_dates
from flask_babel import gettext as _

from ..core.clock import to_local
from ..core.i18n import current_language, format_date, format_local_datetime, local_text
from ..core.models import Forum, ForumDay, ForumStatus
from .errors import RegistrationClosed


class WindowState(enum.StrEnum):
    """Where a day's registration stands for attendees (templates compare the values)."""

    OVER = "over"  # the day has passed, or the forum is closed
    NOT_YET = "not_yet"
    CLOSED = "closed"
    OPEN = "open"


def date_in_words(value: date) -> str:
    """``March 04, 2027`` / ``4 de marzo de 2027``: a day named in a refusal's sentence."""
    if current_language() == "en":
        return f"{value:%B %d, %Y}"
    return babel_dates.format_date(value, "long", locale=current_language())


def day_has_passed(day: ForumDay, now: datetime) -> bool:
    """Whether the forum day is over: its local date is before today's in the program's zone."""
    return day.date < to_local(now, day.forum.program.time_zone).date()


def is_over_for_attendees(day: ForumDay, now: datetime) -> bool:
    """Whether attendees can no longer change their place on ``day``: the day has passed, or
    the organizers closed the forum."""
    return day.forum.status == ForumStatus.CLOSED or day_has_passed(day, now)


def is_held(forum: Forum, now: datetime) -> bool:
    """Whether the forum is behind us for its attendees: closed by the organizers, or every
    day of it has passed. Attendees can then no longer change their places or tickets."""
    if forum.status == ForumStatus.CLOSED:
        return True
    return bool(forum.days) and all(day_has_passed(day, now) for day in forum.days)


def window_state(day: ForumDay, now: datetime) -> WindowState:
    """Whether registration for ``day`` is open at ``now``, not open yet, closed, or over."""
    if is_over_for_attendees(day, now):
        return WindowState.OVER
    if day.registration_opens_at is not None and now < day.registration_opens_at:
        return WindowState.NOT_YET
    if day.registration_closes_at is not None and now >= day.registration_closes_at:
        return WindowState.CLOSED
    return WindowState.OPEN


def choices_closed(forum: Forum, now: datetime) -> bool:
    """Whether the forum's breakout choice deadline has passed (no deadline: never)."""
    return forum.choice_deadline is not None and now >= forum.choice_deadline


def check_not_over(day: ForumDay, now: datetime, field: str = "day_ids") -> None:
    """Attendees change places only for days still to come (organizers may correct later)."""
    if day.forum.status == ForumStatus.CLOSED:
        raise RegistrationClosed(
            _(
                "%(forum)s is closed: places can no longer be changed.",
                forum=local_text(day.forum, "title"),
            ),
            field,
        )
    if day_has_passed(day, now):
        raise RegistrationClosed(
            _(
                "%(date)s is over: places on it can no longer be changed.",
                date=format_date(day.date),
            ),
            field,
        )


def check_window(day: ForumDay, now: datetime) -> None:
    """Refuse with ``RegistrationClosed`` unless registration for ``day`` is open at ``now``."""
    check_not_over(day, now)
    state = window_state(day, now)
    if state == WindowState.NOT_YET:
        raise RegistrationClosed(
            _(
                "Registration for %(date)s opens on %(when)s.",
                date=date_in_words(day.date),
                when=local_time_of(day.registration_opens_at, day),
            ),
            "day_ids",
        )
    if state == WindowState.CLOSED:
        raise RegistrationClosed(
            _(
                "Registration for %(date)s closed on %(when)s.",
                date=date_in_words(day.date),
                when=local_time_of(day.registration_closes_at, day),
            ),
            "day_ids",
        )


def local_time_of(instant: datetime | None, day: ForumDay) -> str:
    """``instant`` as the forum's pages show it, in the program's time zone."""
    return format_local_datetime(instant, day.forum.program.time_zone)
