"""The errors of the messages feature."""

from __future__ import annotations

from ..core.actions import DomainError


class MessageError(DomainError):
    """A message that cannot be written, scheduled or cancelled; ``field`` names the input."""
