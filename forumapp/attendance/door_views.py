"""Door pages that record presence: any session's door in Entry or Exit mode, and the day's
entrance in Exit mode at the end of the day. They share the check-in door's scanner (camera,
handheld scanner or typing, ``static/js/door.js``) and its result cards."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request, url_for
from flask_login import current_user

from ..agenda.models import AgendaItem, ItemKind
from ..checkin.access import may_use_breakout_door
from ..checkin.blueprint import DOOR_STAFF, RECENT_LIMIT
from ..checkin.forms import ScanForm, new_request_id
from ..checkin.scanner_pages import (
    ResultCard,
    answer_scan,
    open_door_day_or_abort,
    register_result_styles,
    scanner_page,
)
from ..core.auth import role_required
from ..core.models import ForumDay
from ..extensions import db
from .blueprint import bp
from .models import Direction
from .scans import DoorResult, door_scan, recent_scans

register_result_styles(
    {
        DoorResult.ENTERED: ("ok", "In"),
        DoorResult.LEFT: ("ok", "Out"),
        DoorResult.NOT_CHECKED_IN: ("stop", "Not checked in today"),
        DoorResult.ALREADY_OUT: ("warn", "Already out"),
    }
)


def _mode(item: AgendaItem | None) -> Direction:
    """A session's door says its mode in the address; the entrance's exit page is for exits."""
    if item is None or request.args.get("mode") == "exit":
        return Direction.EXIT
    return Direction.ENTRY


def _session_or_404(item_id: int) -> AgendaItem:
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.kind == ItemKind.BREAK or not may_use_breakout_door(current_user, item):
        abort(404)
    return item


def _day_or_404(day_id: int) -> ForumDay:
    return open_door_day_or_abort(db.session.get(ForumDay, day_id))


def _recent(day: ForumDay, item: AgendaItem | None) -> str:
    return render_template(
        "attendance/_recent_scans.html",
        scans=recent_scans(db.session, day, item, RECENT_LIMIT),
        zone=day.forum.program.time_zone,
    )


def _page(day: ForumDay, item: AgendaItem | None, form: ScanForm, card, status: int = 200):
    mode = _mode(item)
    where = "attendance.session_door" if item else "attendance.entrance_exit"
    ids: dict[str, Any] = {"item_id": item.id} if item else {"day_id": day.id}
    scan_endpoint = "attendance.session_scan" if item else "attendance.entrance_exit_scan"
    return scanner_page(
        "attendance/presence_door.html",
        status,
        day=day,
        item=item,
        mode=mode.value,
        entry_url=url_for(where, **ids) if item else url_for("checkin.door_day", day_id=day.id),
        exit_url=url_for(where, **ids, mode="exit") if item else url_for(where, **ids),
        scan_url=url_for(scan_endpoint, **ids, mode=mode.value)
        if item
        else url_for(scan_endpoint, **ids),
        form=form,
        card=card,
        recent_html=_recent(day, item),
    )


def _answer(day: ForumDay, item: AgendaItem | None, redirect_to: str):
    direction = _mode(item)

    def record(code: str, request_id: str | None) -> ResultCard:
        outcome = door_scan(db.session, code, day, item, direction, current_user.id, request_id)
        # At a breakout's door the card says what they chose, as the breakout door's does.
        shown = outcome.breakout_choice or outcome.result
        return ResultCard(shown.value, outcome.message, outcome.registration, day, at_breakout=True)

    return answer_scan(
        lambda form: _page(day, item, form, None, 400),
        record,
        item.id if item else -day.id,
        lambda: _recent(day, item),
        redirect_to,
    )


@bp.route("/door/sessions/<int:item_id>")
@role_required(*DOOR_STAFF)
def session_door(item_id: int):
    """A session's door: scan people in (or, in Exit mode, out) for their credit hours."""
    item = _session_or_404(item_id)
    form = ScanForm(formdata=None, request_id=new_request_id())
    return _page(item.day, item, form, ResultCard.recall(item.id, at_breakout=True))


@bp.route("/door/sessions/<int:item_id>/scan", methods=["POST"])
@role_required(*DOOR_STAFF)
def session_scan(item_id: int):
    item = _session_or_404(item_id)
    back = url_for("attendance.session_door", item_id=item.id, mode=_mode(item).value)
    return _answer(item.day, item, back)


@bp.route("/door/days/<int:day_id>/exit")
@role_required(*DOOR_STAFF)
def entrance_exit(day_id: int):
    """The day's entrance in Exit mode: scan people leaving at the end of the day."""
    day = _day_or_404(day_id)
    form = ScanForm(formdata=None, request_id=new_request_id())
    return _page(day, None, form, ResultCard.recall(-day.id, at_breakout=True))


@bp.route("/door/days/<int:day_id>/exit/scan", methods=["POST"])
@role_required(*DOOR_STAFF)
def entrance_exit_scan(day_id: int):
    day = _day_or_404(day_id)
    return _answer(day, None, url_for("attendance.entrance_exit", day_id=day.id))
