"""Breakout doors (door staff scan people into a breakout's room) and the organizer's breakout
table, which shows beside each breakout's seats how many came through its door."""

from __future__ import annotations

from flask import abort, render_template, url_for
from flask_login import current_user

from ..agenda.models import AgendaItem, ItemKind
from ..core.auth import role_required
from ..core.models import Forum
from ..extensions import db
from .access import may_use_breakout_door
from .blueprint import DOOR_STAFF, ORGANIZERS, RECENT_LIMIT, bp
from .breakouts import breakout_door_list, breakout_table_with_door_counts
from .breakouts import breakout_scan as record_breakout_scan
from .forms import ScanForm, new_request_id
from .scanner_pages import BREAKOUT_TITLES, ResultCard, answer_scan, scanner_page


def _breakout_or_404(item_id: int) -> AgendaItem:
    """The breakout, if the signed-in user may use its door (``access.may_use_breakout_door``);
    one they may not answers like an unknown id."""
    item = db.session.get(AgendaItem, item_id)
    if (
        item is None
        or item.kind != ItemKind.BREAKOUT
        or not may_use_breakout_door(current_user, item)
    ):
        abort(404)
    return item


def _render_breakout_recent(item: AgendaItem) -> str:
    door = breakout_door_list(db.session, item, RECENT_LIMIT)
    return render_template(
        "checkin/_breakout_recent.html",
        item=item,
        scanned=door.scanned,
        scanned_total=door.scanned_total,
        chosen=door.chosen,
        titles=BREAKOUT_TITLES,
    )


def _render_breakout_door(item: AgendaItem, form: ScanForm, card, status: int = 200):
    return scanner_page(
        "checkin/breakout_door.html",
        status,
        item=item,
        day=item.day,
        form=form,
        card=card,
        recent_html=_render_breakout_recent(item),
    )


@bp.route("/door/breakouts/<int:item_id>")
@role_required(*DOOR_STAFF)
def breakout_door(item_id: int):
    item = _breakout_or_404(item_id)
    form = ScanForm(formdata=None, request_id=new_request_id())
    return _render_breakout_door(item, form, ResultCard.recall(item.id, at_breakout=True))


@bp.route("/door/breakouts/<int:item_id>/scan", methods=["POST"])
@role_required(*DOOR_STAFF)
def breakout_scan(item_id: int):
    """Record a person at a breakout's door and say whether they chose this breakout."""
    item = _breakout_or_404(item_id)

    def record(code: str, _request_id: str | None) -> ResultCard:
        choice, message, registration = record_breakout_scan(
            db.session, code, item, current_user.id
        )
        return ResultCard(choice.value, message, registration, item.day, at_breakout=True)

    return answer_scan(
        lambda form: _render_breakout_door(item, form, None, 400),
        record,
        item.id,
        lambda: _render_breakout_recent(item),
        url_for("checkin.breakout_door", item_id=item.id),
    )


@bp.route("/staff/forums/<int:forum_id>/breakouts")
@role_required(*ORGANIZERS)
def breakout_table(forum_id: int):
    """The forum's breakouts by day and slot: room, capacity, seats, waitlists and how many
    people were scanned in at each door."""
    forum = db.get_or_404(Forum, forum_id)
    return render_template(
        "checkin/breakout_table.html",
        forum=forum,
        table=breakout_table_with_door_counts(db.session, forum),
    )
