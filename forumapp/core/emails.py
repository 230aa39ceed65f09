"""Email addresses: one normal form everywhere, so look-ups and uniqueness ignore case."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email


class InvalidEmail(ValueError):
    """An address that cannot receive mail; the message says why, for the person typing it."""


def normalise_email(raw: str) -> str:
    """Return the normal form of an address (trimmed, lower-case), or raise ``InvalidEmail``.

    Mail servers treat the local part as case-sensitive in theory, but no provider the
    program's attendees use does, and two accounts differing only by case are always a
    mistake.
    """
    try:
        result = validate_email((raw or "").strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidEmail(str(exc)) from exc
    return result.normalized.lower()
