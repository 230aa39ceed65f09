"""Emailing attendees about a forum's feedback: the invitation with each person's own link to
the form, and reminders to those who have not answered. Mail goes through the outbox in the
caller's transaction; both actions are recorded in the audit log as the acting staff user's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _

from ..core import audit
from ..core.clock import utcnow
from ..core.i18n import local_text
from ..core.links import absolute_url, personal_token
from ..core.models import Forum, Person
from ..extensions import DbSession
from ..mail.outbox import queue_email_to_person, was_sent
from .attendance import attendees
from .models import FeedbackWindow
from .window import require_open

INVITATION_KIND = "feedback_invitation"
REMINDER_KIND = "feedback_reminder"


def feedback_link(person: Person, forum: Forum) -> str:
    """The person's own link to the forum's feedback form (no sign-in needed)."""
    return absolute_url("feedback.respond", token=personal_token(person), forum_id=forum.id)


def invitation_subject(forum: Forum) -> str:
    """The subject of the email inviting attendees to give feedback, in the language being
    rendered."""
    return _("Your feedback on %(forum)s", forum=local_text(forum, "title"))


def reminder_subject(forum: Forum) -> str:
    """The subject of the reminder to give feedback, in the language being rendered."""
    return _("Reminder: your feedback on %(forum)s", forum=local_text(forum, "title"))


@dataclass
class MailingResult:
    queued: list[Person] = field(default_factory=list)
    skipped: list[Person] = field(default_factory=list)


def invited_person_ids(session: DbSession, forum: Forum) -> set[int]:
    """People already sent (or with a queued) invitation to this forum's feedback."""
    return was_sent(session, INVITATION_KIND, forum.ref)


def send_invitations(
    session: DbSession,
    forum: Forum,
    user_id: int | None,
    send_again: bool = False,
    now: datetime | None = None,
) -> MailingResult:
    """Queue an email with a personal feedback link for every checked-in attendee, as staff
    user ``user_id`` (None: the command line). People invited before are skipped unless
    ``send_again``. Raises ``FeedbackClosed`` unless feedback is open."""
    window = require_open(session, forum, now or utcnow())
    already = set() if send_again else invited_person_ids(session, forum)
    result = MailingResult()
    for person in attendees(session, forum):
        if person.id in already:
            result.skipped.append(person)
            continue
        _queue(session, INVITATION_KIND, invitation_subject, person, forum, window)
        result.queued.append(person)
    audit.record(
        session, user_id, "invitations.feedback", f"forum:{forum.id}", queued=len(result.queued)
    )
    return result


def send_reminders(
    session: DbSession, forum: Forum, user_id: int | None, now: datetime | None = None
) -> MailingResult:
    """Queue a reminder for every checked-in attendee who has not answered yet, as staff user
    ``user_id``. Raises ``FeedbackClosed`` unless feedback is open."""
    window = require_open(session, forum, now or utcnow())
    result = MailingResult()
    for person in attendees(session, forum, without_response=True):
        _queue(session, REMINDER_KIND, reminder_subject, person, forum, window)
        result.queued.append(person)
    audit.record(
        session,
        user_id,
        "invitations.feedback_reminder",
        f"forum:{forum.id}",
        queued=len(result.queued),
    )
    return result


def _queue(
    session: DbSession,
    kind: str,
    subject: Callable[[Forum], str],
    person: Person,
    forum: Forum,
    window: FeedbackWindow,
) -> None:
    # The email template is named like the message kind (feedback_invitation.txt ...).
    queue_email_to_person(
        session,
        f"feedback/email/{kind}",
        person,
        kind=kind,
        subject=lambda: subject(forum),
        about=forum.ref,
        forum=forum,
        program=forum.program,
        closes_at=window.closes_at,
        link=feedback_link(person, forum),
    )
