"""Friendly error pages for people, ``{"error", "details"}`` JSON for the API."""

from __future__ import annotations

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, InternalServerError

from ..extensions import db
from .i18n import current_language

_PAGE_TEXT = {
    400: (
        _l("Something was wrong with that request"),
        _l("Go back, check the form and try again."),
    ),
    401: (_l("Please sign in"), _l("This page needs a staff sign-in.")),
    403: (
        _l("You do not have access to this page"),
        _l("Your account's role does not include this page. Ask an administrator if you need it."),
    ),
    404: (
        _l("Page not found"),
        _l(
            "The page may have moved, or the link may be mistyped. The home page lists every forum."
        ),
    ),
    405: (_l("That action is not allowed here"), _l("Go back and use the page's own buttons.")),
    410: (
        _l("This is no longer available"),
        _l("It was removed on purpose and will not come back."),
    ),
    413: (_l("That file is too large"), _l("Choose a smaller file and try again.")),
    429: (
        _l("Too many attempts"),
        _l("For your security, please wait a minute before trying again."),
    ),
    500: (
        _l("Something went wrong on our side"),
        _l("Nothing you did caused this. Please try again in a moment; the team has been told."),
    ),
}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _render(code: int, details=None):
    # Lazy strings become text here, in the language of the request (staff pages: English).
    title, advice = (
        str(text) for text in _PAGE_TEXT.get(code, (_("Error %(code)s", code=code), ""))
    )
    if _wants_json():
        return jsonify(error=title, details=details), code
    return render_template(
        "core/error.html", code=code, title=title, advice=advice, back=_page_before()
    ), code


def _page_before() -> str | None:
    """The page of this site the request came from (a form sent with a file too large, a
    request refused as too many): a way back to it, for an error page. Another site's
    address is never offered."""
    referrer = request.referrer or ""
    if not referrer.startswith(request.host_url):
        return None
    # A form posts to its own address: going back is asking for the form again. A page that
    # failed to show is not offered as the way back to itself.
    if request.method == "GET" and referrer == request.url:
        return None
    return referrer


def register_error_handlers(app: Flask) -> None:
    """Install the handlers on ``app``."""

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if exc.code == 500 or exc.code is None:
            return _server_error(exc)
        details = exc.description if _wants_json() else None
        if details == type(exc).description and current_language() != "en":
            # Werkzeug's own English explanation: our sentence for the code says it in the
            # request's language. A description given to ``abort`` is already translated.
            details = str(_PAGE_TEXT.get(exc.code, ("", ""))[1]) or details
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
        return _render(500, _("An unexpected error occurred.") if _wants_json() else None)
