"""The emails registration queues (through the outbox, in the caller's transaction): the
personal link, the confirmation, a seat that opened up, and the request to confirm a
registration asked for on a known email."""

from __future__ import annotations

from dataclasses import replace

from flask_babel import gettext as _

from ..agenda.models import AgendaItem
from ..core.i18n import format_date, in_language, local_text
from ..core.links import absolute_url, personal_token, revoke_personal_links
from ..core.models import Forum, ForumDay, Person
from ..extensions import DbSession
from ..mail.outbox import (
    RenderedMessage,
    Subject,
    queue_email_rendered_when_sent,
    queue_email_to_person,
    register_message_renderer,
    render_email_to_person,
)
from .fresh import may_replace_a_confirmation
from .models import BreakoutPick, DaySeat, Registration
from .seats import day_results, held_days
from .signals import confirmation_email


def personal_link(person: Person) -> str:
    """The address of the person's personal page (no account needed)."""
    return absolute_url("attendee.personal_page", token=personal_token(person))


def send_personal_link(session: DbSession, person: Person, forum: Forum | None = None) -> None:
    """Queue an email with the person's personal link."""
    queue_email_to_person(
        session,
        "registration/email/personal_link",
        person,
        kind="personal_link",
        subject=lambda: (
            _("Your personal link for %(forum)s", forum=local_text(forum, "title"))
            if forum
            else _("Your personal link")
        ),
        forum=forum,
        link=personal_link(person),
    )


def renew_personal_link(session: DbSession, person: Person) -> None:
    """Revoke every personal link sent so far and email the person a new one."""
    revoke_personal_links(session, person)
    send_personal_link(session, person)


# The confirmation is rendered by the mail worker when it is sent (``render_confirmation``).
CONFIRMATION_RENDERER = "registration_confirmation"


def _confirmation_subject(forum: Forum) -> Subject:
    return lambda: _("Your registration: %(forum)s", forum=local_text(forum, "title"))


def send_confirmation(session: DbSession, registration: Registration) -> None:
    """Queue the registration's confirmation. It is rendered when it is sent, so it tells
    every day held then (``render_confirmation``), and it replaces any unsent one
    (``supersedes``), which said no more than it will."""
    queue_email_rendered_when_sent(
        session,
        CONFIRMATION_RENDERER,
        {"registration_id": registration.id, "person_id": registration.person_id},
        registration.person,
        kind="registration",
        about=f"registration:{registration.id}",
        # A registration this transaction made has no earlier confirmation to replace.
        supersedes=may_replace_a_confirmation(session, registration),
        subject=_confirmation_subject(registration.forum),
    )


def render_confirmation(
    session: DbSession, registration_id: int, person_id: int | None = None
) -> RenderedMessage | None:
    """The confirmation of a registration as it stands: every day it holds, a seat or a
    waitlist place, with what features above add (the ticket) through ``confirmation_email``;
    None once it holds no day (it was cancelled before the mail went out), or when the
    registration is no longer ``person_id``'s (its row gone and the id given to another one:
    their ticket and link must not reach this inbox)."""
    registration = session.get(Registration, registration_id)
    if registration is None or (person_id is not None and registration.person_id != person_id):
        return None
    days = day_results(session, registration, held_days(registration))
    if not days:
        return None
    person = registration.person
    forum = registration.forum
    extra, attachments = _email_additions(session, registration)
    rendered = render_email_to_person(
        "registration/email/registration_confirmation",
        person,
        subject=_confirmation_subject(forum),
        forum=forum,
        program=forum.program,
        days=days,
        link=personal_link(person),
        **extra,
    )
    return replace(rendered, attachments=attachments)


register_message_renderer(CONFIRMATION_RENDERER, render_confirmation)


def _email_additions(session: DbSession, registration: Registration) -> tuple[dict, list[dict]]:
    """What features above add to the registration's email (the ticket) through
    ``confirmation_email``: template context and attachments."""
    extra: dict = {}
    attachments: list[dict] = []
    for _receiver, addition in confirmation_email.send(registration, session=session):
        if addition is not None:
            extra |= addition.context
            attachments += addition.attachments
    return extra, attachments


def send_promotion(
    session: DbSession, place: DaySeat | BreakoutPick, given_up: AgendaItem | None = None
) -> None:
    """Tell someone who waited that they have the seat now (and, for a breakout, which
    breakout of the slot they left for it)."""
    registration = place.registration
    person = registration.person
    forum = registration.forum
    with in_language(person.language):
        if isinstance(place, DaySeat):
            what = format_date(place.day.date)
            day = place.day
        else:
            what = _("the breakout “%(title)s”", title=local_text(place.item, "title"))
            day = place.item.day
        given_up_title = local_text(given_up, "title") if given_up is not None else None
    extra: dict = {}
    attachments: list[dict] = []
    if isinstance(place, DaySeat):
        # A seat on a day is what lets them in: the ticket comes with the news, as with a
        # confirmation.
        extra, attachments = _email_additions(session, registration)
    queue_email_to_person(
        session,
        "registration/email/waitlist_promotion",
        person,
        kind="promotion",
        subject=lambda: _("A seat opened up for you: %(forum)s", forum=local_text(forum, "title")),
        attachments=attachments,
        forum=forum,
        program=forum.program,
        what=what,
        given_up=given_up_title,
        day=day,
        link=personal_link(person),
        **extra,
    )


def send_registration_request(
    session: DbSession,
    forum: Forum,
    person: Person,
    days: list[ForumDay],
    *,
    community: str,
    accessibility_needs: str,
    dietary_needs: str,
    confirm_url: str,
) -> None:
    """Ask the owner of a known email to confirm a registration someone asked for on it."""
    queue_email_to_person(
        session,
        "registration/email/registration_request",
        person,
        kind="registration_request",
        subject=lambda: _(
            "Please confirm your registration: %(forum)s", forum=local_text(forum, "title")
        ),
        forum=forum,
        days=days,
        community=community,
        accessibility_needs=accessibility_needs,
        dietary_needs=dietary_needs,
        confirm_url=confirm_url,
        link=personal_link(person),
    )
