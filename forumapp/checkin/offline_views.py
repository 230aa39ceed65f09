"""The door page's service worker (static/js/door-offline.js registers it): it keeps the door
page and the scripts it needs, so a reload while the venue's network is down still opens the
page and judges scans against the roster snapshot (``checkin.offline``)."""

from __future__ import annotations

import hashlib
from functools import cache

from flask import current_app, render_template, url_for

from .blueprint import bp

# What a door page needs to open and scan without the network (static/ paths).
OFFLINE_ASSETS = (
    "css/app.css",
    "js/messages.js",
    "js/door-wipe.js",
    "js/door.js",
    "js/door-offline.js",
    "vendor/qr-scanner-1.4.2/qr-scanner.umd.min.js",
    "vendor/qr-scanner-1.4.2/qr-scanner-worker.min.js",
)


@cache
def _assets_version(static_folder: str) -> str:
    """A digest of the cached files: a deploy that changes one changes the worker's bytes, so
    phones install the new worker and drop the old copies."""
    digest = hashlib.sha256()
    for path in OFFLINE_ASSETS:
        with open(f"{static_folder}/{path}", "rb") as asset:
            digest.update(asset.read())
    return digest.hexdigest()[:16]


# Public on purpose: a browser fetches its service worker without asking (and again to look
# for updates); the worker holds no data, and the pages it keeps each need a sign-in.
@bp.route("/door/service-worker.js")
def door_service_worker():
    assert current_app.static_folder is not None
    script = render_template(
        "checkin/door_service_worker.js",
        version=_assets_version(current_app.static_folder),
        assets=[url_for("static", filename=path) for path in OFFLINE_ASSETS],
    )
    return (
        script,
        200,
        {
            "Content-Type": "application/javascript; charset=utf-8",
            "Cache-Control": "no-cache",
        },
    )
