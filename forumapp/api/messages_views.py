"""JSON endpoints for group messages: write one (or only count its recipients) and list a
forum's messages with their delivery. Organizer tokens only; sending is limited per organizer,
shared with the messages page."""

from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user

from ..core.actions import carry_out_json
from ..core.auth import role_required
from ..core.clock import to_local
from ..core.models import Forum, Role
from ..core.rate_limits import count_as_sent, group_message_limit
from ..extensions import db
from ..messages.audience import Audience
from ..messages.models import GroupMessage, MessageStatus
from ..messages.sending import MessageInput, Preview, forum_messages, preview, write_message
from . import bp, record_or_404, shapes
from .request_shapes import BodyRefused, MessageRequest
from .shapes import answer


def _input(body: MessageRequest) -> MessageInput:
    audience = body.audience
    return MessageInput(
        subject=body.subject,
        body=body.body,
        audience=Audience(
            days=tuple(audience.days),
            sessions=tuple(audience.sessions),
            teams=tuple(audience.teams),
            roles=tuple(audience.roles),
            status=tuple(audience.status),
        ),
        send_at=body.send_at,
    )


@bp.route("/forums/<int:forum_id>/messages", methods=["POST"])
@role_required(Role.ORGANIZER)
@group_message_limit
def create_message(forum_id: int):
    """Write a message to a group of the forum's people, now or at ``send_at``; with
    ``dry_run`` only say how many people it reaches. Refusals are 400 with ``details`` naming
    the field (``audience``, ``audience.days``, ``body``, ``send_at``...)."""
    forum = record_or_404(Forum, forum_id, "forum")
    try:
        body = MessageRequest.read(request.get_data(cache=False))
    except BodyRefused as refused:
        return jsonify(error="The message is not valid", details=refused.details), 422
    data = _input(body)
    if body.dry_run:
        return carry_out_json(
            lambda: preview(db.session, forum, data),
            lambda shown: answer(_count_shape(shown)),
        )
    return carry_out_json(
        lambda: write_message(db.session, forum, data, current_user.id),
        lambda message: _written(message, forum),
    )


def _count_shape(shown: Preview) -> shapes.MessageCount:
    return shapes.MessageCount(recipients=shown.recipients, sample=shown.sample)


def _written(message: GroupMessage, forum: Forum):
    count_as_sent()
    return answer(
        shapes.MessageWritten(
            id=message.id,
            recipients=message.recipients,
            send_at=to_local(message.send_at, forum.program.time_zone),
        ),
        201,
    )


@bp.route("/forums/<int:forum_id>/messages")
@role_required(Role.ORGANIZER)
def list_messages(forum_id: int):
    """The forum's messages, newest first, with their copies queued, sent and failed."""
    forum = record_or_404(Forum, forum_id, "forum")
    time_zone = forum.program.time_zone
    return answer(
        shapes.GroupMessages(
            forum_id=forum.id,
            messages=[
                shapes.GroupMessage(
                    id=counts.message.id,
                    subject=counts.message.subject,
                    status=MessageStatus(counts.message.status),
                    send_at=to_local(counts.message.send_at, time_zone),
                    created_at=to_local(counts.message.created_at, time_zone),
                    audience=shapes.MessageAudienceAsWritten(**counts.message.audience),
                    recipients=counts.message.recipients,
                    queued=counts.queued,
                    sent=counts.sent,
                    failed=counts.failed,
                )
                for counts in forum_messages(db.session, forum)
            ],
        )
    )
