"""How large a request body may be: the app's ``MAX_CONTENT_LENGTH``, or an upload view's own
limit (``takes_bodies_up_to``), decided before anything reads the body.

Reading a form parses the whole body against the limit in force at that moment, and the
CSRF check and the form-text check read it before any view runs: a view that raised the limit
itself would be too late, and its larger files refused with a 413.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, request

from .database import SAFE_METHODS

View = TypeVar("View", bound=Callable)

_LIMIT_ATTRIBUTE = "forumapp_body_limit"


def takes_bodies_up_to(limit: Callable[[], int]) -> Callable[[View], View]:
    """Let the decorated view take request bodies of up to ``limit()`` bytes instead of
    ``MAX_CONTENT_LENGTH`` (an upload). Decorators above it must keep the view's attributes
    (``functools.wraps`` does)."""

    def decorate(view: View) -> View:
        setattr(view, _LIMIT_ATTRIBUTE, limit)
        return view

    return decorate


def init_body_limits(app: Flask) -> None:
    """Apply each view's own body limit before any other hook of ``app`` reads the body: call
    before the extensions that register hooks (CSRF, the limiter)."""

    @app.before_request
    def _apply_body_limit():
        if request.method in SAFE_METHODS:  # a page view sends no body worth a lookup
            return
        limit = getattr(app.view_functions.get(request.endpoint or ""), _LIMIT_ATTRIBUTE, None)
        if limit is not None:
            request.max_content_length = limit()
