"""How a view or an API route carries out a service: one domain error, one commit.

Services raise a ``DomainError`` (or a subclass of their own) when the rules refuse a request;
it carries the sentence to show the person, the form field at fault and the HTTP status. The
caller runs the service through ``carry_out`` (pages) or ``carry_out_json`` (the API), which
commits once on success and, on refusal, rolls back everything the service wrote and shows
the message: next to its field, as a flash, or as a JSON error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, Literal, TypeAlias, TypeVar

from flask import flash, jsonify

from ..extensions import db
from .database import commit_keeping_loaded, discard
from .forms import show_errors

T = TypeVar("T")


class DomainError(Exception):
    """A request the rules refuse. ``message`` is for the person who asked; ``field`` names
    the form input at fault (None: the request as a whole); ``errors`` maps each field at
    fault to its message when there are several; ``status`` is the HTTP status to answer."""

    status: int = 400

    def __init__(
        self,
        message: str,
        field: str | None = None,
        *,
        errors: Mapping[str, str] | None = None,
        status: int | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.field = field
        # Keyed by form field, None for the request as a whole; ``InvalidSuggestions`` keys
        # its messages by the position of each refused suggestion instead.
        self.errors: dict[str | int | None, str] = (
            {name: text for name, text in errors.items()} if errors else {field: message}
        )
        if status is not None:
            self.status = status


@dataclass
class Done(Generic[T]):
    """``carry_out`` committed the service's ``value``."""

    value: T
    error: None = None
    ok: Literal[True] = True


@dataclass
class Refused:
    """The rules refused the service call; ``error`` says why and nothing was written."""

    error: DomainError
    value: None = None
    ok: Literal[False] = False


# What ``carry_out`` did. Testing ``ok`` tells a type checker which of the two it is, so after
# ``if outcome.ok:`` the ``value`` is the service's result, never None.
Outcome: TypeAlias = Done[T] | Refused


def carry_out(
    action: Callable[[], T],
    form=None,
    success: str | None = None,
    *,
    show_error: bool = True,
) -> Outcome[T]:
    """Run ``action`` (a service call) and commit; flash ``success`` when it went through.

    A ``DomainError`` rolls back what the action wrote and is shown next to ``form``'s fields
    (when given; a message naming no field of the form is flashed) or flashed; with
    ``show_error=False`` it is only returned, for a page that shows it in its own way.
    """
    try:
        value = action()
    except DomainError as error:
        discard(db.session)
        if show_error and form is not None:
            show_errors(form, error.errors)
        elif show_error:
            flash(error.message, "error")
        return Refused(error)
    db.session.commit()
    if success:
        flash(success, "success")
    return Done(value)


def carry_out_json(action: Callable[[], T], answer: Callable[[T], object]):
    """Run ``action`` for the API: commit, then return ``answer(value)``; on a ``DomainError``
    roll back and answer ``{"error", "details"}`` with its status (``details`` maps each field
    at fault to its message)."""
    try:
        value = action()
    except DomainError as error:
        discard(db.session)
        details = {field or "request": message for field, message in error.errors.items()}
        return jsonify(error=error.message, details=details), error.status
    # Committed before the answer is built, so the write lock is not held while it is; the
    # objects the action loaded stay loaded for the answer to read.
    commit_keeping_loaded(db.session)
    return answer(value)
