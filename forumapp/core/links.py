"""Personal links: signed, unguessable URLs that let a person act without an account."""

from __future__ import annotations

import re

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from .models import Person

_SALT = "personal-link"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def personal_token(person: Person) -> str:
    """The token in a person's personal link. Rotating ``person.link_nonce`` revokes it."""
    return _serializer().dumps([person.id, person.link_nonce])


def person_for_token(session, token: str) -> Person | None:
    """The person a token belongs to, or ``None`` for a forged, altered or revoked token."""
    try:
        person_id, nonce = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    person = session.get(Person, person_id) if isinstance(person_id, int) else None
    if person is None or person.link_nonce != nonce:
        return None
    return person


def absolute_url(endpoint: str, **values) -> str:
    """A full URL for emails, built on ``PUBLIC_BASE_URL`` (works outside a request too)."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    adapter = current_app.url_map.bind("localhost")
    return base + adapter.build(endpoint, values)


_PERSONAL_LINK_PATH = re.compile(r"/me/[A-Za-z0-9._-]+")


def hide_personal_links(text: str) -> str:
    """``text`` with every personal link's secret replaced, for staff who read sent mail:
    a link shown to an organizer would let them act as that person."""
    return _PERSONAL_LINK_PATH.sub("/me/…(personal link hidden)", text)
