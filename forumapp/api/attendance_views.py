"""JSON endpoint for a forum's attendance: per person per session entry, exit and credited
minutes by credit type (organizer tokens; the rows of the attendance download)."""

from __future__ import annotations

from flask_login import current_user

from ..attendance.exports import attendance_records, forum_credit_types
from ..core import audit
from ..core.auth import role_required
from ..core.models import Forum, Role
from ..extensions import db
from . import bp, record_or_404, shapes
from .shapes import answer


@bp.route("/forums/<int:forum_id>/attendance")
@role_required(Role.ORGANIZER)
def forum_attendance_json(forum_id: int):
    """Who was in each session and the credit it earned; audited as a download."""
    forum = record_or_404(Forum, forum_id, "forum")
    audit.record_download(db.session, current_user.id, "export.attendance_api", f"forum:{forum.id}")
    return answer(
        shapes.ForumAttendance(
            forum_id=forum.id,
            credit_types=[
                shapes.CreditTypeRef(
                    id=credit_type.id,
                    name=credit_type.name,
                    accrediting_body=credit_type.accrediting_body,
                    provider_number=credit_type.provider_number,
                    minutes_per_unit=credit_type.minutes_per_unit,
                    unit_name=credit_type.unit_name,
                    requires_exit=credit_type.requires_exit,
                )
                for credit_type in forum_credit_types(db.session, forum)
            ],
            attendance=[
                shapes.SessionPresence(
                    registration_id=record.registration_id,
                    name=record.name,
                    session_id=record.item_id,
                    session=record.session,
                    day=record.day,
                    entry=record.entry,
                    exit=record.exit,
                    evidence=record.source,
                    minutes=record.minutes,
                    credited={str(key): minutes for key, minutes in record.credited.items()},
                )
                for record in attendance_records(db.session, forum)
            ],
        )
    )
