"""The feedback feature's domain errors: collecting feedback (``FeedbackError``) and working
on the topics raised after a forum (``TopicError``). Both are ``core.actions.DomainError``s:
the message, the input at fault and the status an API answers."""

from __future__ import annotations

from ..core.actions import DomainError
from ..core.csv_import import CsvImportError, RowError


class FeedbackError(DomainError):
    """A feedback action that cannot be carried out."""

    status = 422


class InvalidFeedback(FeedbackError):
    """Bad input; ``errors`` maps each form field to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(" ".join(errors.values()), next(iter(errors), None), errors=errors)


class NotAnAttendee(FeedbackError):
    """Only people checked in at the forum may answer."""

    status = 403


class FeedbackClosed(FeedbackError):
    """Feedback is not open (yet, or any more)."""

    status = 409


class NotATeamMember(FeedbackError):
    """Only community team members suggest topics between forums."""

    status = 403


class TopicError(DomainError):
    """A topic action that cannot be carried out; ``field`` names the input at fault."""


class InvalidSuggestions(TopicError):
    """Some suggestions are not acceptable; ``errors`` maps each one's position to a message.
    Nothing was added."""

    def __init__(self, errors: dict[int, str]):
        listed = " ".join(f"Suggestion {index + 1}: {message}" for index, message in errors.items())
        super().__init__(listed)
        self.errors = {position: text for position, text in errors.items()}


class NoNextForum(TopicError):
    """The forum after this one does not exist yet (or has no day to put a session on)."""


class SuggestionsFileRefused(TopicError):
    """A file of suggestions that cannot be imported; ``rows`` lists every problem by line
    (``core.csv_import.RowError``). Nothing was added."""

    def __init__(self, refusal: CsvImportError):
        super().__init__(refusal.message)
        self.rows: list[RowError] = refusal.errors
