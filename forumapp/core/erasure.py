"""How an erased person looks: what replaces their name and email address.

The placeholder address is under ``.invalid``, a name reserved never to exist (RFC 2606). The
email validator refuses it, so nobody can ever register with it, it can never collide with a
real address, and no mail is ever queued for it (see ``forumapp.mail.outbox``).
"""

from __future__ import annotations

ERASED_NAME = "Erased person"
ERASED_DOMAIN = "erased.invalid"


def erased_email(person_id: int) -> str:
    """The unique, non-identifying address an erased person keeps (``email`` is unique)."""
    return f"erased-{person_id}@{ERASED_DOMAIN}"


def is_erased_address(email: str | None) -> bool:
    if not email:
        return False
    return email.lower().endswith("@" + ERASED_DOMAIN)


def not_erased(email_column):
    """SQL condition: the address in ``email_column`` is not an erased person's placeholder
    (placeholders are written in lower case by ``erased_email``)."""
    return ~email_column.endswith("@" + ERASED_DOMAIN, autoescape=True)
