"""The JSON API. Public content needs no token; staff send ``Authorization: Bearer <token>``."""

from typing import TypeVar

from flask import Blueprint, abort, g, request
from flask_login import current_user

from ..core.auth import user_for_bearer_token
from ..core.database import SAFE_METHODS
from ..extensions import csrf, db

M = TypeVar("M")

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.before_request
def _authenticate():
    """Who is calling: the bearer token when one is sent, whatever cookie comes with it.

    A token that is wrong, revoked or belongs to a deactivated account is refused, rather than
    silently answered with the public view. The API needs no CSRF token because staff use
    bearer tokens; a write made with a browser's session cookie instead must carry one like
    any form, or another site could make a signed-in browser post here.
    """
    if "Authorization" in request.headers:
        user = user_for_bearer_token(request)
        if user is None:
            abort(401, "The bearer token is not valid: it may be mistyped, revoked or expired.")
        g._login_user = user  # Flask-Login's current_user for this request
    elif request.method not in SAFE_METHODS and current_user.is_authenticated:
        csrf.protect()


def record_or_404(model: type[M], record_id: int, what: str) -> M:
    """The ``model`` row with ``record_id``, or a 404 saying "There is no <what> with id N."."""
    return db.get_or_404(model, record_id, description=f"There is no {what} with id {record_id}.")


@bp.before_request
def _refuse_large_bodies():
    """A body over ``MAX_CONTENT_LENGTH`` (an upload's own limit for an upload: see
    ``core.body_limits``) is refused (413) before anything is looked up, so every endpoint
    that takes a body answers it the same way, whatever its ids."""
    limit = request.max_content_length
    if limit and (request.content_length or 0) > limit:
        abort(413)


# Routes register on bp when their modules are imported.
from . import (  # noqa: E402
    attendance_views,  # noqa: F401
    commitments_views,  # noqa: F401
    door_sync_views,  # noqa: F401
    feedback_views,  # noqa: F401
    materials_views,  # noqa: F401
    measures_views,  # noqa: F401
    messages_views,  # noqa: F401
    views,  # noqa: F401
)
