"""How large an upload request may be, decided before its body is read
(``core.body_limits.takes_bodies_up_to``)."""

from __future__ import annotations

from flask import current_app, request
from flask_login import current_user

from ..core.links import canonical_link_key


def upload_body_limit() -> int:
    """The largest request an upload endpoint (pages and API) takes: for a caller who may be
    uploading (signed in, or holding a personal link we signed), a file of
    ``MATERIALS_MAX_BYTES`` and a megabyte for the form's other fields and the multipart
    framing; for anyone else the app's usual ``MAX_CONTENT_LENGTH``, so that nobody can make
    the server take in a large body before the request is refused. Decided before the body is
    read: the link's signature is checked, not the link itself (the view does that)."""
    token = (request.view_args or {}).get("token")
    if token is not None:
        may_upload = canonical_link_key(token) is not None
    else:
        may_upload = current_user.is_authenticated
    if not may_upload:
        return current_app.config["MAX_CONTENT_LENGTH"]
    return current_app.config["MATERIALS_MAX_BYTES"] + 1024 * 1024
