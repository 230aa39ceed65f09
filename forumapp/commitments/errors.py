"""The errors of the commitments feature."""

from __future__ import annotations

from ..core.actions import DomainError


class CommitmentError(DomainError):
    """A commitment that cannot be recorded or updated as asked; ``field`` names the input."""


class NotAllowed(CommitmentError):
    """The person may not record or change this team's commitments."""

    status = 403
