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
from typing import Generic, TypeVar

from flask import flash, jsonify

from ..extensions import db
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
        errors: Mapping[str | None, str] | None = None,
        status: int | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors: dict[str | None, str] = dict(errors) if errors else {field: message}
        if status is not None:
            self.status = status


@dataclass
class Outcome(Generic[T]):
    """What ``carry_out`` did: ``ok`` with the service's ``value``, or the ``error``."""

    value: T | None = None
    error: DomainError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


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
        db.session.rollback()
        if show_error and form is not None:
            show_errors(form, error.errors)
        elif show_error:
            flash(error.message, "error")
        return Outcome(error=error)
    db.session.commit()
    if success:
        flash(success, "success")
    return Outcome(value=value)


def carry_out_json(action: Callable[[], T], answer: Callable[[T], object]):
    """Run ``action`` for the API: commit and return ``answer(value)``; on a ``DomainError``
    roll back and answer ``{"error", "details"}`` with its status (``details`` maps each field
    at fault to its message)."""
    try:
        value = action()
    except DomainError as error:
        db.session.rollback()
        details = {field or "request": message for field, message in error.errors.items()}
        return jsonify(error=error.message, details=details), error.status
    response = answer(value)
    db.session.commit()
    return response
