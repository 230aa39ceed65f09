"""Writing email: one function, ``queue_email``, stores a message in the caller's transaction.

Nothing is sent inside a request. ``forumapp.mail.sending`` sends what is due, with retries,
so an SMTP outage delays mail but never loses it.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TypeAlias

from flask import current_app, render_template
from flask_babel import LazyString
from sqlalchemy import func, select, update

from ..core.clock import utcnow
from ..core.erasure import is_erased_address
from ..core.i18n import in_language
from ..core.models import Person
from ..core.pagination import Page, paginate
from .models import MessageStatus, OutboxMessage

# What mail takes as a subject: text, a lazy translation, or a function of no arguments
# (for subjects that also hold organizer-written text in the person's language).
Subject: TypeAlias = str | LazyString | Callable[[], str]

# Attachments drawn when the message is sent, by name: see ``register_attachment_renderer``.
_ATTACHMENT_RENDERERS: dict[str, Callable[..., bytes | str]] = {}


def register_attachment_renderer(name: str, render: Callable[..., bytes | str]) -> None:
    """Let attachments say ``{"rendered_by": name, "arguments": {...}}`` instead of holding
    their content: the worker calls ``render(**arguments)`` when it builds the email.

    Costly content (a QR code image) is then drawn by the mail worker, not inside the request
    that queued the message. Registering the same name again replaces the function.
    """
    _ATTACHMENT_RENDERERS[name] = render


def attachment_content(part: dict) -> bytes | str:
    """What a stored attachment holds: text ``content``, binary ``content_base64``, or what its
    renderer draws now."""
    if "rendered_by" in part:
        return _ATTACHMENT_RENDERERS[part["rendered_by"]](**part.get("arguments", {}))
    if "content_base64" in part:
        return base64.b64decode(part["content_base64"])
    return part["content"]


# Mail that anyone can make us send by typing an address ("send my link", registering a known
# email): at most ``MAIL_REQUESTED_PER_HOUR`` of these reach one address in an hour, so nobody
# can flood a person's inbox through the forms. Past the cap nothing is stored.
REQUESTED_KINDS = frozenset({"personal_link", "registration_request"})


def _over_request_cap(session, to_email: str) -> bool:
    cap = current_app.config["MAIL_REQUESTED_PER_HOUR"]
    sent = session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            OutboxMessage.to_email == to_email,
            OutboxMessage.kind.in_(REQUESTED_KINDS),
            OutboxMessage.created_at > utcnow() - timedelta(hours=1),
        )
    )
    return sent >= cap


def queue_email(
    session,
    *,
    to_email: str,
    subject: str,
    text_body: str,
    html_body: str | None = None,
    to_name: str = "",
    kind: str = "general",
    person_id: int | None = None,
    about: str | None = None,
    supersedes: bool = False,
    alternatives: Sequence[dict] = (),
    attachments: Sequence[dict] = (),
) -> OutboxMessage | None:
    """Store one email for delivery; it is sent only if the caller's transaction commits.

    Nothing is stored for an erased person's placeholder address (``None`` is returned): their
    seats still count, so they are still among the people that waitlists and agenda changes
    reach, but nobody can read that mail. Nothing is stored either for a message of
    ``REQUESTED_KINDS`` past the hourly cap for its address.

    ``about`` names what the message is about (``forum:5``) for callers that send something
    once per person and thing and look for it again (``was_sent``). With ``supersedes`` the
    message describes the whole current state of that thing, so earlier messages about it
    that have not gone out yet (pending, or failed during an outage) are marked superseded
    and never sent: people get the up-to-date message, not an old one after it.

    An attachment is ``{"filename", "content_type", "content"}`` with text content, or with
    ``"content_base64"`` instead of ``"content"`` for binary data. With a ``"content_id"`` it is
    an inline part the HTML body shows by ``<img src="cid:<content_id>">``. An attachment
    with ``"rendered_by"`` and ``"arguments"`` instead is drawn when the email is sent (see
    ``register_attachment_renderer``).
    """
    unknown = {p["rendered_by"] for p in attachments if "rendered_by" in p}
    unknown -= _ATTACHMENT_RENDERERS.keys()
    if unknown:  # fail in the caller's transaction, not at every delivery attempt
        raise ValueError(f"No attachment renderer is registered as {', '.join(sorted(unknown))}")
    if is_erased_address(to_email):
        return None
    if kind in REQUESTED_KINDS and _over_request_cap(session, to_email):
        return None
    message = OutboxMessage(
        kind=kind,
        person_id=person_id,
        about=about,
        to_email=to_email,
        to_name=to_name,
        subject=subject,
        text_body=text_body,
        html_body=html_body,
        alternatives=list(alternatives),
        attachments=list(attachments),
    )
    if supersedes:
        if about is None:
            raise ValueError("A message that supersedes others needs ``about``")
        session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.about == about,
                OutboxMessage.to_email == to_email,
                OutboxMessage.status.in_([MessageStatus.PENDING, MessageStatus.FAILED]),
            )
            .values(status=MessageStatus.SUPERSEDED.value)
        )
    session.add(message)
    session.flush()
    return message


def queue_templated_email(
    session,
    template: str,
    *,
    to_email: str,
    to_name: str = "",
    kind: str,
    subject: str,
    person_id: int | None = None,
    about: str | None = None,
    supersedes: bool = False,
    attachments: Sequence[dict] = (),
    **context,
) -> OutboxMessage | None:
    """Render ``templates/<template>.txt`` and ``.html`` (a feature's emails live in
    ``templates/<feature>/email/``) and queue the message.

    ``about``, ``supersedes`` and ``attachments`` as for ``queue_email``.
    """
    context = {"subject": subject, "to_name": to_name, **context}
    return queue_email(
        session,
        to_email=to_email,
        to_name=to_name,
        subject=subject,
        text_body=render_template(f"{template}.txt", **context),
        html_body=render_template(f"{template}.html", **context),
        kind=kind,
        person_id=person_id,
        about=about,
        supersedes=supersedes,
        attachments=attachments,
    )


def queue_email_to_person(
    session, template: str, person: Person, *, kind: str, subject: Subject, **context
) -> OutboxMessage | None:
    """``queue_templated_email`` addressed to ``person``, who is also in the template context,
    written in the person's language (``Person.language``): the templates, the dates in them
    and ``subject``, which may be a lazy string (``lazy_gettext``) or a function of no
    arguments called in that language."""
    with in_language(person.language):
        return queue_templated_email(
            session,
            template,
            to_email=person.email,
            to_name=person.name,
            person_id=person.id,
            kind=kind,
            subject=subject_text(subject),
            person=person,
            **context,
        )


def subject_text(subject: Subject) -> str:
    """``subject`` as text in the language being rendered."""
    if callable(subject) and not isinstance(subject, LazyString):
        return str(subject())
    return str(subject)


def was_sent(session, kind: str, about: str) -> set[int]:
    """The people sent (or with queued) a message of ``kind`` about ``about``."""
    return set(
        session.scalars(
            select(OutboxMessage.person_id).where(
                OutboxMessage.kind == kind,
                OutboxMessage.about == about,
                OutboxMessage.person_id.is_not(None),
            )
        )
    )


def find_messages(
    session, status: str | None = None, page: int = 1, per_page: int = 50
) -> Page[OutboxMessage]:
    """One page of the outbox, newest first; only messages in ``status`` when it is given."""
    query = select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    if status:
        query = query.where(OutboxMessage.status == status)
    return paginate(session, query, page, per_page)
