"""The errors the agenda's rules raise."""

from __future__ import annotations

from ..core.actions import DomainError


class AgendaError(DomainError):
    """An agenda edit that cannot be made; ``field`` names the form field at fault, if any."""


class SpeakerError(DomainError):
    """A speaker edit that cannot be made; ``field`` names the form field at fault, if any."""
