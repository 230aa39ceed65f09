"""Email addresses: one normal form everywhere, so look-ups and uniqueness ignore case."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _


class InvalidEmail(ValueError):
    """An address that cannot receive mail; the message says why, for the person typing it, in
    the page's language."""


def normalise_email(raw: str) -> str:
    """Return the normal form of an address (trimmed, lower-case), or raise ``InvalidEmail``.

    Mail servers treat the local part as case-sensitive in theory, but no provider the
    program's attendees use does, and two accounts differing only by case are always a
    mistake.
    """
    address = (raw or "").strip()
    try:
        result = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidEmail(_problem_with(address, str(exc))) from exc
    return result.normalized.lower()


def _problem_with(address: str, reason: str) -> str:
    """Why ``address``, refused by email-validator for ``reason``, is no address, in words of
    the catalog: the library's own messages are English only."""
    local, at, domain = address.rpartition("@")
    if "special-use or reserved" in reason:
        return _(
            "The part after the @ sign is kept for tests and private networks: use a real one."
        )
    if "too long" in reason:
        return _("The address is too long.")
    if not address:
        return _("The address is empty.")
    if not at:
        return _("An email address has an @ sign.")
    if "@" in local:
        return _("An email address has only one @ sign.")
    if any(character.isspace() for character in address):
        return _("An email address has no spaces.")
    if not local:
        return _("Something must come before the @ sign.")
    if not domain:
        return _("Something must come after the @ sign.")
    if "." not in domain.strip(".") and not domain.startswith("."):
        return _("After the @ sign comes a domain with a dot, as in example.org.")
    return _("It has characters or dots in places an email address cannot have them.")
