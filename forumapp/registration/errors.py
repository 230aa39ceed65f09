"""The ways the registration rules refuse a request; each is a ``core.actions.DomainError``
(the sentence to show, the input at fault, the status the JSON API answers)."""

from __future__ import annotations

from collections.abc import Mapping

from ..core.actions import DomainError


class RegistrationError(DomainError):
    """A registration request that cannot be carried out."""

    status = 422


class InvalidRegistration(RegistrationError):
    """Bad input; ``errors`` maps each field to its message."""

    def __init__(self, errors: Mapping[str, str]):
        super().__init__(" ".join(errors.values()), next(iter(errors), None), errors=errors)


class NotAllowed(RegistrationError):
    """The person may not register for that (e.g. a team-only day for the public)."""

    status = 403


class RegistrationClosed(RegistrationError):
    """Outside the day's registration window, or past the breakout choice deadline."""

    status = 409


class BreakoutFull(RegistrationError):
    """No seat left in the breakout; the person may join its waitlist or choose another."""

    status = 409
