"""The MIME message of a stored email, as the SMTP server receives it, built at each attempt."""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from typing import TYPE_CHECKING

from ..core.clock import utcnow
from .models import OutboxMessage
from .outbox import attachment_content

if TYPE_CHECKING:
    from .sending import ClaimedMessage

# Bodies are encoded quoted-printable or base64, so any SMTP server relays them unchanged.
# Headers are not folded below SMTP's own 998-octet limit: CPython 3.11's folder drops the
# quotes around a long display name, so "…, Bob <x@evil.example>" in a person's name became
# a second address in To:. Names (at most 200 characters) then stay on one quoted line.
MIME_POLICY = SMTP.clone(cte_type="7bit", max_line_length=998)


def build_email(message: ClaimedMessage | OutboxMessage, sender: str) -> EmailMessage:
    """The MIME message for a stored email.

    Text body, then in one ``multipart/alternative`` the HTML body and every stored alternative
    part (an iMIP ``text/calendar; method=REQUEST`` must sit there), wrapped with the
    attachments in ``multipart/mixed`` when there are any. A part's ``content_type`` is sent as
    stored, parameters and all (values quoted, as MIME allows: ``method="REQUEST"``), with
    ``charset=utf-8`` added to text parts that lack one. An attachment with a ``content_id``
    (an image the HTML shows by ``cid:``) sits inline beside the HTML in ``multipart/related``.
    """
    email = EmailMessage(policy=MIME_POLICY)
    email["Subject"] = message.subject
    email["From"] = sender
    email["To"] = Address(display_name=message.to_name or "", addr_spec=message.to_email)
    email["Date"] = format_datetime(utcnow())
    domain = parseaddr(sender)[1].rpartition("@")[2] or "forumapp.invalid"
    # The same on every attempt, so a rare duplicate can be recognised as one.
    email["Message-ID"] = f"<outbox.{message.id}.{message.created_at:%Y%m%d%H%M%S}@{domain}>"
    email.set_content(message.text_body)
    attachments = list(message.attachments or [])
    inline = [part for part in attachments if part.get("content_id")] if message.html_body else []
    if message.html_body or message.alternatives:
        email.make_alternative()
        if message.html_body:
            email.add_alternative(message.html_body, subtype="html")
            if inline:
                html = list(email.iter_parts())[-1]
                html.make_related()
                for part in inline:
                    html.attach(_attachment_part(part, inline=True))
        for part in message.alternatives:
            # typeshed wants the attached part to be the message's own class; the email package
            # attaches any ``MIMEPart`` (``add_attachment`` builds them the same way).
            email.attach(_mime_part(part["content_type"], part["content"]))  # type: ignore[arg-type]
    files = [part for part in attachments if not any(part is other for other in inline)]
    if files:
        email.make_mixed()
        for part in files:
            email.attach(_attachment_part(part))  # type: ignore[arg-type]  # as above
    return email


def _attachment_part(part: dict, inline: bool = False) -> MIMEPart:
    """A stored attachment as a MIME part (drawn now if it has a renderer)."""
    content = attachment_content(part)
    disposition = "inline" if inline else "attachment"
    mime = _mime_part(part["content_type"], content, part["filename"], disposition)
    if part.get("content_id"):
        mime["Content-ID"] = f"<{part['content_id']}>"
    return mime


def _mime_part(
    content_type: str,
    content: str | bytes,
    filename: str | None = None,
    disposition: str | None = None,
) -> MIMEPart:
    probe = EmailMessage(policy=MIME_POLICY)
    probe["Content-Type"] = content_type
    maintype, subtype = probe.get_content_maintype(), probe.get_content_subtype()
    disposition = disposition or ("attachment" if filename else None)
    part = MIMEPart(policy=MIME_POLICY)
    if maintype == "text":
        text = content.decode("utf-8") if isinstance(content, bytes) else content
        charset = probe.get_content_charset() or "utf-8"
        part.set_content(
            text, subtype=subtype, charset=charset, disposition=disposition, filename=filename
        )
        if probe.get_param("charset") is None:
            content_type = f"{content_type}; charset={charset}"
    else:
        data = content.encode("utf-8") if isinstance(content, str) else content
        part.set_content(data, maintype, subtype, disposition=disposition, filename=filename)
    part.replace_header("Content-Type", content_type)
    return part
