"""The feedback window of a forum: when attendees may answer, opened and closed by organizers.

The window row also carries the faculty review (its reviewer and written summary, see
``review``), so ``window_for_update`` creates it on first need. Functions flush; the caller
commits once.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import select

from ..core.clock import local_instant, utcnow
from ..core.models import Forum, ForumStatus
from ..extensions import DbSession
from .errors import FeedbackClosed, FeedbackError, InvalidFeedback
from .models import FeedbackWindow


class WindowState(enum.StrEnum):
    NOT_OPEN = "not_open"
    OPEN = "open"
    CLOSED = "closed"


def feedback_window(session: DbSession, forum: Forum) -> FeedbackWindow | None:
    """The forum's window, or None while feedback was never opened nor a reviewer chosen."""
    return session.scalar(select(FeedbackWindow).where(FeedbackWindow.forum_id == forum.id))


def window_state(window: FeedbackWindow | None, now: datetime | None = None) -> WindowState:
    """Whether people may answer now."""
    now = now or utcnow()
    if window is None or window.opened_at is None or now < window.opened_at:
        return WindowState.NOT_OPEN
    if window.closes_at is not None and now >= window.closes_at:
        return WindowState.CLOSED
    return WindowState.OPEN


def is_open(session: DbSession, forum: Forum, now: datetime | None = None) -> bool:
    """Whether the forum's feedback is open now."""
    return window_state(feedback_window(session, forum), now) == WindowState.OPEN


def window_for_update(session: DbSession, forum: Forum) -> FeedbackWindow:
    """The forum's window, created (not yet open) when it has none."""
    window = feedback_window(session, forum)
    if window is None:
        window = FeedbackWindow(forum_id=forum.id, summary="")
        session.add(window)
    return window


def open_feedback(
    session: DbSession, forum: Forum, closes_local: datetime | None, now: datetime | None = None
) -> FeedbackWindow:
    """Open the forum's feedback until ``closes_local`` (a wall-clock time in the program's
    zone), or move the closing time of feedback that is open. Reopening closed feedback is
    allowed: answers given before are kept."""
    now = now or utcnow()
    if forum.status == ForumStatus.DRAFT:
        raise FeedbackError("Publish the forum before collecting feedback on it.")
    if closes_local is None:
        raise InvalidFeedback({"closes_at": "Choose when feedback closes."})
    closes_at = local_instant(closes_local.date(), closes_local.time(), forum.program.time_zone)
    if closes_at <= now:
        raise InvalidFeedback({"closes_at": "Choose a closing time in the future."})
    window = window_for_update(session, forum)
    if window_state(window, now) != WindowState.OPEN:
        window.opened_at = now
    window.closes_at = closes_at
    session.flush()
    return window


def close_feedback(session: DbSession, forum: Forum, now: datetime | None = None) -> FeedbackWindow:
    """Close feedback now; answers can no longer be given or changed."""
    now = now or utcnow()
    window = feedback_window(session, forum)
    if window is None or window_state(window, now) != WindowState.OPEN:
        raise FeedbackClosed("Feedback for this forum is not open.")
    window.closes_at = now
    session.flush()
    return window


def require_open(session: DbSession, forum: Forum, now: datetime | None = None) -> FeedbackWindow:
    """The open window, before emailing attendees; raises ``FeedbackClosed`` otherwise."""
    window = feedback_window(session, forum)
    if window is None or window_state(window, now) != WindowState.OPEN:
        raise FeedbackClosed("Open feedback before emailing attendees.")
    return window
