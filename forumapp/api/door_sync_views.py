"""The offline door's two endpoints: the day's roster snapshot, and the sync of the scans a
door let through while the network was down (``checkin.offline``). Door staff and organizers,
by token or by the door page's signed-in session (with its CSRF token for the sync)."""

from __future__ import annotations

import base64

from flask import abort, current_app, jsonify, request
from flask_login import current_user

from ..checkin.access import may_use_door
from ..checkin.offline import BATCH_MAX, OfflineScan, roster_snapshot, snapshot_key, sync_scans
from ..core import clock
from ..core.auth import role_required
from ..core.models import ForumDay, Role
from ..extensions import db
from . import bp, record_or_404, shapes
from .request_shapes import BodyRefused, read_offline_scans
from .shapes import answer

DOOR = (Role.DOOR, Role.ORGANIZER)


@bp.route("/days/<int:day_id>/door-snapshot")
@role_required(*DOOR)
def door_snapshot(day_id: int):
    """What an offline door needs to judge scans of the day: hashed codes and who they are."""
    day = record_or_404(ForumDay, day_id, "forum day")
    if not may_use_door(current_user, day):
        abort(404, f"There is no forum day with id {day_id}.")
    key = snapshot_key(current_app.config["SECRET_KEY"], day, current_user)
    entries = roster_snapshot(db.session, day, key)
    response, status = answer(
        shapes.DoorSnapshot(
            day_id=day.id,
            date=day.date,
            forum=day.forum.title,
            generated_at=clock.utcnow(),  # the clock tests set, as the sync reads it
            key=base64.urlsafe_b64encode(key).decode().rstrip("="),
            tickets=[shapes.SnapshotTicket(**vars(entry)) for entry in entries],
        )
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response, status


@bp.route("/checkins/batch", methods=["POST"])
@role_required(*DOOR)
def sync_checkins():
    """Check in, in order, the scans an offline door let through, each with the time it was
    made; answers each one. A retried batch changes nothing."""
    try:
        scans = read_offline_scans(request.get_data(cache=False), BATCH_MAX)
    except BodyRefused as refused:
        return jsonify(error="The scans are not valid", details=refused.details), 422
    results = sync_scans(
        db.session,
        [OfflineScan(a.code, a.day, a.request_id, a.scanned_at) for a in scans],
        current_user,
        current_app.config["PROGRAM_TIME_ZONE"],
    )
    db.session.commit()
    return answer(
        shapes.SyncedScans(
            results=[
                shapes.SyncedScan(**{k: v for k, v in vars(result).items() if v is not None})
                for result in results
            ]
        )
    )
