"""Writing email: ``queue_email`` stores a message in the caller's transaction.

Nothing is sent inside a request. ``forumapp.mail.sending`` sends what is due, with retries,
so an SMTP outage delays mail but never loses it. Mail queued where people wait (a
registration's confirmation) may leave its bodies to be rendered when it is sent
(``queue_email_rendered_when_sent``): the mail worker then does that work, not the request.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, TypeAlias

from flask import current_app, render_template
from flask_babel import LazyString
from sqlalchemy import func, select, update

from ..core.clock import utcnow
from ..core.erasure import is_erased_address
from ..core.i18n import in_language
from ..core.models import Person
from ..core.pagination import Page, paginate
from .models import MessageStatus, OutboxMessage

if TYPE_CHECKING:
    from .sending import ClaimedMessage

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


@dataclass(frozen=True)
class RenderedMessage:
    """The bodies and attachments of one email, as a message renderer writes them, and the
    subject when it writes that too (in the language it writes the bodies in)."""

    text_body: str
    html_body: str | None = None
    attachments: list[dict] = field(default_factory=list)
    subject: str | None = None
    to_name: str | None = None  # set by ``rendered_message``: the person's name as it is now


# Messages rendered when they are sent, by name: see ``register_message_renderer``.
_MESSAGE_RENDERERS: dict[str, Callable[..., RenderedMessage | None]] = {}


def register_message_renderer(name: str, render: Callable[..., RenderedMessage | None]) -> None:
    """Let ``queue_email_rendered_when_sent`` store messages that ``render(session,
    **arguments)`` writes when they are sent; it returns None when nothing is left to say
    (what the message was about is gone), and the message is then not sent. Registering the
    same name again replaces the function."""
    _MESSAGE_RENDERERS[name] = render


def rendered_message(session, message: OutboxMessage | ClaimedMessage) -> RenderedMessage | None:
    """What ``message`` (stored, or claimed for sending) says: its stored bodies and
    attachments, or for a message still to be rendered, what its renderer writes now after
    the message's own attachments. Stores nothing.

    None when nothing is left to say: what the message was about is gone, or the person no
    longer has its address (it was changed, or the person erased, which changes it too). The
    renderer writes with the person as they are now, personal link included, and that link
    must not reach an address whose links were revoked when it stopped being theirs.
    """
    attachments = list(message.attachments or [])
    if message.rendered_by is None:
        return RenderedMessage(message.text_body, message.html_body, attachments)
    person = session.get(Person, message.person_id) if message.person_id is not None else None
    if person is None or person.email != message.to_email:
        return None
    render = _MESSAGE_RENDERERS[message.rendered_by]
    rendered = render(session, **(message.render_arguments or {}))
    if rendered is None:
        return None
    return RenderedMessage(
        rendered.text_body,
        rendered.html_body,
        [*attachments, *rendered.attachments],
        subject=rendered.subject,
        to_name=person.name,
    )


def preview_of(session, message: OutboxMessage) -> RenderedMessage | None:
    """What staff (and a person's data export) are shown of ``message``: what it said, or for
    a message still to be rendered and waiting to be sent, how it would read now. None for
    one that was never rendered and will not be (superseded, failed), or whose renderer
    fails now (the error is logged; its ``last_error`` says what the worker met)."""
    if message.rendered_by is not None and message.status != MessageStatus.PENDING:
        return None
    try:
        return rendered_message(session, message)
    except Exception:
        current_app.logger.exception("Message %s cannot be rendered for a preview", message.id)
        return None


def render_email_to_person(
    template: str, person: Person, *, subject: Subject, **context
) -> RenderedMessage:
    """``templates/<template>.txt`` and ``.html`` and the subject, rendered for ``person`` in
    their language as ``queue_email_to_person`` renders them: for message renderers."""
    with in_language(person.language):
        subject_now = subject_text(subject)
        rendered = _render_templates(
            template, subject=subject_now, to_name=person.name, person=person, **context
        )
    return RenderedMessage(rendered.text_body, rendered.html_body, subject=subject_now)


def _render_templates(template: str, **context) -> RenderedMessage:
    return RenderedMessage(
        text_body=render_template(f"{template}.txt", **context),
        html_body=render_template(f"{template}.html", **context),
    )


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
    message = _store(
        session,
        OutboxMessage(
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
        ),
        supersedes,
    )
    if message is not None:
        session.flush()
    return message


def queue_email_rendered_when_sent(
    session,
    rendered_by: str,
    arguments: dict,
    person: Person,
    *,
    kind: str,
    subject: Subject,
    about: str | None = None,
    supersedes: bool = False,
) -> OutboxMessage | None:
    """Store a message to ``person`` whose bodies and attachments are rendered when it is
    sent, by the renderer registered as ``rendered_by`` called with the JSON ``arguments``
    (``register_message_renderer``); the written message is stored then. The subject is
    written now too, in the person's language, so the outbox lists it at once; a renderer
    that writes the subject replaces it, in the language the bodies are written in. The
    message is not sent if the person's address is no longer ``person.email`` by then.

    For mail queued where people wait: rendering templates is a good part of a registration's
    work, and the worker does it instead, outside the request (and on SQLite outside the write
    lock). The message then tells how things stand when it goes out, which with ``supersedes``
    is what a replacing message says anyway. Not flushed: it is written with the caller's
    other rows. Nothing is stored where ``queue_email`` would store nothing.
    """
    if rendered_by not in _MESSAGE_RENDERERS:  # fail in the caller's transaction
        raise ValueError(f"No message renderer is registered as {rendered_by}")
    with in_language(person.language):
        subject_now = subject_text(subject)
    return _store(
        session,
        OutboxMessage(
            kind=kind,
            person_id=person.id,
            about=about,
            to_email=person.email,
            to_name=person.name,
            subject=subject_now,
            text_body="",
            rendered_by=rendered_by,
            render_arguments=dict(arguments),
            alternatives=[],
            attachments=[],
        ),
        supersedes,
    )


def _store(session, message: OutboxMessage, supersedes: bool) -> OutboxMessage | None:
    """Add ``message`` to the session, unless its address is an erased person's or past the
    hourly cap, after marking what it supersedes."""
    if is_erased_address(message.to_email):
        return None
    if message.kind in REQUESTED_KINDS and _over_request_cap(session, message.to_email):
        return None
    if supersedes:
        if message.about is None:
            raise ValueError("A message that supersedes others needs ``about``")
        session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.about == message.about,
                OutboxMessage.to_email == message.to_email,
                OutboxMessage.status.in_([MessageStatus.PENDING, MessageStatus.FAILED]),
            )
            .values(status=MessageStatus.SUPERSEDED.value)
        )
    session.add(message)
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
    rendered = _render_templates(template, subject=subject, to_name=to_name, **context)
    return queue_email(
        session,
        to_email=to_email,
        to_name=to_name,
        subject=subject,
        text_body=rendered.text_body,
        html_body=rendered.html_body,
        kind=kind,
        person_id=person_id,
        about=about,
        supersedes=supersedes,
        attachments=attachments,
    )


def queue_email_to_person(
    session,
    template: str,
    person: Person,
    *,
    kind: str,
    subject: Subject,
    about: str | None = None,
    supersedes: bool = False,
    attachments: Sequence[dict] = (),
    **context,
) -> OutboxMessage | None:
    """``templates/<template>.txt`` and ``.html`` queued to ``person``, who is also in the
    template context, written in the person's language (``render_email_to_person``): the
    templates, the dates in them and ``subject``, which may be a lazy string
    (``lazy_gettext``) or a function of no arguments called in that language.

    ``about``, ``supersedes`` and ``attachments`` as for ``queue_email``.
    """
    rendered = render_email_to_person(template, person, subject=subject, **context)
    return queue_email(
        session,
        to_email=person.email,
        to_name=person.name,
        person_id=person.id,
        kind=kind,
        subject=rendered.subject or "",
        text_body=rendered.text_body,
        html_body=rendered.html_body,
        about=about,
        supersedes=supersedes,
        attachments=attachments,
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
