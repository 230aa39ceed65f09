"""Personal links: signed, unguessable URLs that let a person act without an account.

A personal link reaches a person only through their own inbox: no page or API answer ever
shows one to the caller who asked, so knowing someone's email is never enough to act as them.
"""

from __future__ import annotations

import hmac
import re
import secrets

from blinker import Namespace
from flask import abort, current_app
from itsdangerous import BadSignature, URLSafeSerializer

from ..extensions import DbSession, db
from .i18n import page_speaks_for
from .models import Person

_SALT = "personal-link"

_signals = Namespace()

# Sent with ``session=`` when every personal link of a person is revoked, so the features
# above core that hand out secrets of their own (the calendar feed) replace theirs too.
personal_links_revoked = _signals.signal("personal-links-revoked")


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def personal_token(person: Person) -> str:
    """The token in a person's personal link. ``revoke_personal_links`` makes it stop working."""
    return _serializer().dumps([person.id, person.link_nonce])


def _payload(token: str) -> tuple[int, str] | None:
    try:
        person_id, nonce = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(person_id, int) or not isinstance(nonce, str):
        return None
    return person_id, nonce


def person_for_token(session: DbSession, token: str) -> Person | None:
    """The person a token belongs to, or ``None`` for a forged, altered, revoked or
    non-canonical token (base64 decoding forgives padding and stray characters, so a token
    that decodes is still compared with the one we issue)."""
    payload = _payload(token)
    if payload is None:
        return None
    person = session.get(Person, payload[0])
    if person is None or person.link_nonce != payload[1]:
        return None
    if not hmac.compare_digest(token.encode(), personal_token(person).encode()):
        return None
    return person


def canonical_link_key(token: str) -> str | None:
    """One key per person's link however its token is spelled (for rate limits), or ``None``
    when the token is not a link we signed."""
    payload = _payload(token)
    return None if payload is None else f"{payload[0]}:{payload[1]}"


def revoke_personal_links(session: DbSession, person: Person) -> None:
    """Make every personal link (and the calendar feed link) sent to ``person`` stop working.

    Called when what a link can do grows (the person joins a team's roster or becomes its
    project manager: a link issued before, possibly to someone who registered that address
    first, must not inherit the new access) and when staff change the person's email (the new
    address must not inherit the old one's links). The caller sends any new link, to the
    person's inbox only.
    """
    person.link_nonce = secrets.token_hex(8)
    session.flush()
    personal_links_revoked.send(person, session=session)


def absolute_url(endpoint: str, **values) -> str:
    """A full URL for emails, built on ``PUBLIC_BASE_URL`` (works outside a request too)."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    adapter = current_app.url_map.bind("localhost")
    return base + adapter.build(endpoint, values)


# Every secret a message can carry in a URL: the personal link, a registration confirmation
# link and the calendar feed link.
_SECRET_LINK_PATHS = (
    (re.compile(r"/me/[A-Za-z0-9._-]+"), "/me/…(personal link hidden)"),
    (re.compile(r"/register/confirm/[A-Za-z0-9._-]+"), "/register/confirm/…(link hidden)"),
    (re.compile(r"/calendar/[A-Za-z0-9_-]+\.ics"), "/calendar/…(feed link hidden).ics"),
)


def hide_personal_links(text: str) -> str:
    """``text`` with the secret of every personal, confirmation and feed link replaced, for
    anyone but the inbox it went to (staff who read sent mail, a data export that may be
    passed on): such a link would let its reader act as that person."""
    for pattern, replacement in _SECRET_LINK_PATHS:
        text = pattern.sub(replacement, text)
    return text


def person_for_link_or_404(token: str) -> Person:
    """For a page on a personal link: the person it belongs to, or a 404 for any other token
    (so a forged link and a revoked one look the same)."""
    person = person_for_token(db.session, token)
    if person is None:
        abort(404)
    page_speaks_for(person)
    return person
