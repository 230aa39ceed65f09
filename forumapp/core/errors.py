"""Friendly error pages for people, ``{"error", "details"}`` JSON for the API."""

from __future__ import annotations

from flask import Flask, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from ..extensions import db

_PAGE_TEXT = {
    400: ("Something was wrong with that request", "Go back, check the form and try again."),
    401: ("Please sign in", "This page needs a staff sign-in."),
    403: (
        "You do not have access to this page",
        "Your account's role does not include this page. Ask an administrator if you need it.",
    ),
    404: (
        "Page not found",
        "The page may have moved, or the link may be mistyped. The home page lists every forum.",
    ),
    405: ("That action is not allowed here", "Go back and use the page's own buttons."),
    410: ("This is no longer available", "It was removed on purpose and will not come back."),
    413: ("That file is too large", "Choose a smaller file and try again."),
    429: (
        "Too many attempts",
        "For your security, please wait a minute before trying again.",
    ),
    500: (
        "Something went wrong on our side",
        "Nothing you did caused this. Please try again in a moment; the team has been told.",
    ),
}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _render(code: int, details=None):
    title, advice = _PAGE_TEXT.get(code, (f"Error {code}", ""))
    if _wants_json():
        return jsonify(error=title, details=details), code
    return render_template("core/error.html", code=code, title=title, advice=advice), code


def register_error_handlers(app: Flask) -> None:
    """Install the handlers on ``app``."""

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        details = exc.description if _wants_json() else None
        if exc.code == 500 or exc.code is None:
            return _server_error(exc)
        response = make_response(_render(exc.code, details))
        # The exception's own headers: Allow on a 405, Retry-After on a 429 and the like.
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(InternalServerError)
    def _server_error(exc):
        # Leave no half-written transaction behind for the next request on this connection.
        db.session.rollback()
        original = getattr(exc, "original_exception", None)
        if original is not None:
            app.logger.error("Unhandled error on %s", request.path, exc_info=original)
        return _render(500, "An unexpected error occurred." if _wants_json() else None)
