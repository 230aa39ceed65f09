"""The JSON API. Public content needs no token; staff send ``Authorization: Bearer <token>``."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import feedback_views, views  # noqa: E402,F401  (routes register on bp)
