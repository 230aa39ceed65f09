"""JSON endpoints. They call the same services as the HTML views."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core.auth import role_required
from ..core.models import Forum, ForumStatus, Role
from ..extensions import db
from . import bp


def _viewer_is_staff() -> bool:
    return current_user.is_authenticated


@bp.route("/me")
@role_required(*Role)
def me():
    """Who the bearer token belongs to."""
    return jsonify(email=current_user.email, name=current_user.name, role=current_user.role)


@bp.route("/forums")
def forums():
    """Forums with their days; drafts only for staff."""
    query = select(Forum).options(selectinload(Forum.days)).order_by(Forum.number)
    if not _viewer_is_staff():
        query = query.where(Forum.status != ForumStatus.DRAFT)
    return jsonify(
        forums=[
            {
                "id": forum.id,
                "number": forum.number,
                "title": forum.title,
                "status": forum.status,
                "venue": {
                    "name": forum.venue_name,
                    "address": forum.venue_address,
                    "city": forum.venue_city,
                },
                "days": [
                    {
                        "date": day.date.isoformat(),
                        "audience": day.audience,
                        "capacity": day.capacity,
                    }
                    for day in forum.days
                ],
            }
            for forum in db.session.scalars(query)
        ]
    )
