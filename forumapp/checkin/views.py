"""Door pages (scan, lookup, walk-ins, undo, breakout doors) and the organizers' live counts.

The scan page works without JavaScript: the form posts and the result is shown after a
redirect. With JavaScript (static/js/door.js) the same endpoint answers JSON, so the phone's
camera, a handheld scanner (which types the code and Enter) and typing all check in without a
page load, and a retried request is counted once (``request_id``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as browser_session
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..agenda.models import AgendaItem, ItemKind, ItemStatus
from ..core import audit
from ..core.auth import role_required
from ..core.clock import local_today, utcnow
from ..core.forms import ButtonForm
from ..core.headers import CONTENT_SECURITY_POLICY
from ..core.models import Forum, ForumDay, ForumStatus, Role
from ..extensions import db
from ..registration.errors import InvalidRegistration, RegistrationError
from ..registration.models import BreakoutPick, Registration, SeatStatus
from ..registration.seats import seats_left, waitlist_position
from . import services
from .forms import LookupForm, ScanForm, WalkInForm, new_request_id
from .models import BreakoutAttendance, CheckIn
from .services import BreakoutChoice, ScanResult

bp = Blueprint("checkin", __name__)

DOOR_STAFF = (Role.DOOR, Role.ORGANIZER)
COUNT_READERS = (Role.ORGANIZER, Role.FACULTY)
RECENT_LIMIT = 10
# The last result, kept across the redirect after a scan posted without JavaScript.
_RESULT_KEY = "door_result"
# The scanner library decodes camera frames in a Web Worker that it builds from a blob: URL.
SCANNER_PAGE_CSP = CONTENT_SECURITY_POLICY + "; worker-src 'self' blob:"


def _breakout_or_404(item_id: int) -> AgendaItem:
    """The breakout, if the signed-in user may use its door (``services.may_use_breakout_door``);
    one they may not answers like an unknown id."""
    item = db.session.get(AgendaItem, item_id)
    if (
        item is None
        or item.kind != ItemKind.BREAKOUT
        or not services.may_use_breakout_door(current_user, item)
    ):
        abort(404)
    return item


def _door_day_or_404(day_id: int) -> ForumDay:
    """The day, if the signed-in user may use its door (``services.may_use_door``); door staff
    asking for another day's (or a draft's) door are answered as for an unknown id."""
    day = db.session.get(ForumDay, day_id)
    if day is None or not services.may_use_door(current_user, day):
        abort(404)
    return day


def _today(day: ForumDay) -> date:
    return local_today(day.forum.program.time_zone)


def _button_or_400() -> None:
    if not ButtonForm().validate_on_submit():
        abort(400)


# --- The result card -------------------------------------------------------------------------

# tone: ok (green), warn (amber), stop (red). The title says it in words, never colour alone.
_DOOR_RESULTS = {
    ScanResult.CHECKED_IN: ("ok", "Checked in"),
    ScanResult.ALREADY_CHECKED_IN: ("warn", "Already checked in"),
    ScanResult.NOT_REGISTERED_FOR_DAY: ("stop", "Not registered for this day"),
    ScanResult.WAITLISTED: ("stop", "Waitlisted, not confirmed"),
    ScanResult.CANCELLED: ("stop", "Cancelled"),
    ScanResult.INVALID: ("stop", "Invalid code"),
    ScanResult.REQUEST_ID_REUSED: ("stop", "Scan again"),
}
_BREAKOUT_RESULTS = {
    BreakoutChoice.CHOSE_THIS: ("ok", "Yes: chose this breakout"),
    BreakoutChoice.WAITLISTED: ("warn", "Scanned in: waitlisted for this breakout"),
    BreakoutChoice.CHOSE_ANOTHER: ("warn", "Scanned in: chose another breakout"),
    BreakoutChoice.NO_CHOICE: ("warn", "Scanned in: chose no breakout at this time"),
    BreakoutChoice.INVALID: ("stop", "Not a ticket for this forum"),
}


@dataclass
class ResultCard:
    """What the big result card shows after a scan, a lookup check-in or a walk-in."""

    result: str
    message: str
    registration: Registration | None = None
    day: ForumDay | None = None
    check_in: CheckIn | None = None
    teams: list[str] = field(default_factory=list)
    at_breakout: bool = False

    @property
    def tone(self) -> str:
        return self._style[0]

    @property
    def title(self) -> str:
        return self._style[1]

    @property
    def _style(self) -> tuple[str, str]:
        # The enums are str enums, so the plain value finds its entry.
        return (_BREAKOUT_RESULTS if self.at_breakout else _DOOR_RESULTS)[self.result]

    @property
    def person(self):
        return self.registration.person if self.registration else None

    @property
    def can_undo(self) -> bool:
        return self.check_in is not None and self.check_in.undone_at is None

    @classmethod
    def of(cls, outcome: services.ScanOutcome) -> ResultCard:
        return cls(
            outcome.result.value, outcome.message, outcome.registration, outcome.day,
            outcome.check_in, outcome.teams,
        )  # fmt: skip

    def as_json(self) -> dict:
        person = self.person
        return {
            "result": self.result,
            "tone": self.tone,
            "title": self.title,
            "message": self.message,
            "name": person.name if person else None,
            "organization": person.organization if person else None,
            "teams": self.teams,
            "day": _day_label(self.day) if self.day and not self.at_breakout else None,
            "accessibility_needs": (
                self.registration.accessibility_needs or None if self.registration else None
            ),
            "check_in_id": self.check_in.id if self.check_in else None,
            "card_html": render_template("checkin/_result_card.html", card=self),
        }

    def remember(self, where: int) -> None:
        """Keep the card for the page the redirect leads to."""
        browser_session[_RESULT_KEY] = {
            "breakout": self.at_breakout,
            "where": where,
            "result": self.result,
            "message": self.message,
            "registration_id": self.registration.id if self.registration else None,
            "check_in_id": self.check_in.id if self.check_in else None,
            "teams": self.teams,
        }

    @classmethod
    def recall(cls, where: int, at_breakout: bool = False) -> ResultCard | None:
        """The card remembered for this day's (or breakout's) page, shown once."""
        kept = browser_session.get(_RESULT_KEY)
        if not kept or kept.get("where") != where or kept.get("breakout") != at_breakout:
            return None
        browser_session.pop(_RESULT_KEY)
        registration = (
            db.session.get(Registration, kept["registration_id"])
            if kept["registration_id"]
            else None
        )
        check_in = db.session.get(CheckIn, kept["check_in_id"]) if kept["check_in_id"] else None
        day = None if at_breakout else db.session.get(ForumDay, where)
        return cls(kept["result"], kept["message"], registration, day, check_in, kept["teams"],
                   at_breakout)  # fmt: skip


def _day_label(day: ForumDay) -> str:
    return f"{day.date:%A, %B} {day.date.day}"


# --- Choosing a day --------------------------------------------------------------------------


@bp.route("/door")
@role_required(*DOOR_STAFF)
def door_days():
    days = db.session.scalars(
        select(ForumDay)
        .join(Forum)
        .where(Forum.status != ForumStatus.DRAFT)
        .options(selectinload(ForumDay.forum).selectinload(Forum.program))
        .order_by(ForumDay.date, Forum.number)
    ).all()
    today, upcoming, earlier = [], [], []
    for day in days:
        if not services.may_use_door(current_user, day):
            continue  # door staff are shown today's days only
        that_day = _today(day)
        if day.date == that_day:
            today.append(day)
        elif day.date > that_day:
            upcoming.append(day)
        else:
            earlier.append(day)
    return render_template(
        "checkin/door_days.html", today=today, upcoming=upcoming, earlier=earlier[::-1][:10]
    )


# --- The scan page ---------------------------------------------------------------------------


def _recent_check_ins(day: ForumDay) -> list[CheckIn]:
    return db.session.scalars(
        select(CheckIn)
        .where(CheckIn.day_id == day.id)
        .options(
            selectinload(CheckIn.registration).selectinload(Registration.person),
            selectinload(CheckIn.checked_in_by),
            selectinload(CheckIn.undone_by),
        )
        .order_by(CheckIn.checked_in_at.desc(), CheckIn.id.desc())
        .limit(RECENT_LIMIT)
    ).all()


def _render_recent(day: ForumDay) -> str:
    return render_template(
        "checkin/_recent.html",
        day=day,
        recent=_recent_check_ins(day),
        counts=services.live_counts(db.session, day),
        button_form=ButtonForm(),
    )


def _scanner_page(template: str, status: int = 200, **context):
    return (
        render_template(template, **context),
        status,
        {"Content-Security-Policy": SCANNER_PAGE_CSP},
    )


def _render_door_day(day: ForumDay, form: ScanForm, card: ResultCard | None, status: int = 200):
    breakouts = db.session.scalars(
        select(AgendaItem)
        .where(
            AgendaItem.day_id == day.id,
            AgendaItem.kind == ItemKind.BREAKOUT,
            AgendaItem.status == ItemStatus.SCHEDULED,
        )
        .options(selectinload(AgendaItem.room))
        .order_by(AgendaItem.starts_at, AgendaItem.title)
    ).all()
    return _scanner_page(
        "checkin/door_day.html",
        status,
        day=day,
        form=form,
        card=card,
        lookup_form=LookupForm(formdata=None),
        recent_html=_render_recent(day),
        breakouts=breakouts,
        is_today=day.date == _today(day),
    )


@bp.route("/door/days/<int:day_id>")
@role_required(*DOOR_STAFF)
def door_day(day_id: int):
    day = _door_day_or_404(day_id)
    form = ScanForm(formdata=None, request_id=new_request_id())
    return _render_door_day(day, form, ResultCard.recall(day.id))


def _scan_refused(form: ScanForm, render_page):
    """A scan without a usable code: JSON for the scanner script, the page for a form."""
    if request.is_json:
        errors = [error for errors in form.errors.values() for error in errors]
        return jsonify(error=" ".join(errors) or "Scan or type the code on the ticket."), 400
    form.request_id.data = new_request_id()
    return render_page(form)


def _json_strings_only() -> None:
    # The JSON body goes through the form like posted fields; anything but text is refused.
    if request.is_json:
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict) or not all(
            isinstance(value, str) for value in payload.values()
        ):
            abort(400)


@bp.route("/door/days/<int:day_id>/scan", methods=["POST"])
@role_required(*DOOR_STAFF)
def door_scan(day_id: int):
    """Check in the holder of a scanned or typed code: JSON in and out, or a posted form."""
    day = _door_day_or_404(day_id)
    _json_strings_only()
    form = ScanForm()
    if not form.validate_on_submit():
        return _scan_refused(form, lambda f: _render_door_day(day, f, None, 400))
    outcome = services.scan(
        db.session, form.code.data, day, current_user.id, form.request_id.data or None
    )
    db.session.commit()
    card = ResultCard.of(outcome)
    if request.is_json:
        return jsonify(card.as_json() | {"recent_html": _render_recent(day)})
    card.remember(day.id)
    return redirect(url_for("checkin.door_day", day_id=day.id), 303)


@bp.route("/door/check-ins/<int:check_in_id>/undo", methods=["POST"])
@role_required(*DOOR_STAFF)
def undo(check_in_id: int):
    check_in = db.get_or_404(CheckIn, check_in_id)
    if not services.may_use_door(current_user, check_in.day):
        abort(404)
    _button_or_400()
    if check_in.undone_at is None:
        services.undo_check_in(db.session, check_in, current_user.id)
        audit.record(
            db.session, current_user.id, "checkin.undo", f"check_in:{check_in.id}",
            registration_id=check_in.registration_id, day_id=check_in.day_id,
        )  # fmt: skip
    db.session.commit()
    flash(
        f"Check-in undone for {check_in.registration.person.name} on "
        f"{_day_label(check_in.day)}. Their ticket can be scanned again.",
        "success",
    )
    return redirect(url_for("checkin.door_day", day_id=check_in.day_id), 303)


# --- Lookup and walk-ins ---------------------------------------------------------------------


def _seat_label(row: services.LookupRow) -> str:
    if row.seat is None:
        return "Not registered for this day"
    if row.seat.status == SeatStatus.WAITLISTED:
        return f"Waitlisted (number {waitlist_position(db.session, row.seat)})"
    return {SeatStatus.CONFIRMED: "Confirmed", SeatStatus.CANCELLED: "Cancelled"}[row.seat.status]


@bp.route("/door/days/<int:day_id>/lookup")
@role_required(*DOOR_STAFF)
def lookup(day_id: int):
    day = _door_day_or_404(day_id)
    form = LookupForm(request.args)
    rows = None
    if "q" in request.args and form.validate():
        rows = services.lookup(db.session, day, form.q.data)
    return render_template(
        "checkin/lookup.html",
        day=day,
        form=form,
        rows=rows,
        seat_label=_seat_label,
        button_form=ButtonForm(),
    )


@bp.route("/door/days/<int:day_id>/registrations/<int:registration_id>/check-in", methods=["POST"])
@role_required(*DOOR_STAFF)
def check_in_from_lookup(day_id: int, registration_id: int):
    day = _door_day_or_404(day_id)
    registration = db.get_or_404(Registration, registration_id)
    _button_or_400()
    outcome = services.check_in_registration(
        db.session, registration, day, current_user.id, method="lookup"
    )
    db.session.commit()
    ResultCard.of(outcome).remember(day.id)
    return redirect(url_for("checkin.door_day", day_id=day.id), 303)


@bp.route("/door/days/<int:day_id>/walk-in", methods=["GET", "POST"])
@role_required(*DOOR_STAFF)
def walk_in(day_id: int):
    day = _door_day_or_404(day_id)
    form = WalkInForm()
    card = None
    if day.is_public and form.validate_on_submit():
        try:
            outcome = services.walk_in(
                db.session, day, form.name.data, form.email.data, form.organization.data,
                current_user.id, override=form.override.data,
            )  # fmt: skip
        except InvalidRegistration as error:
            db.session.rollback()
            for name, message in error.errors.items():
                target = getattr(form, name, None)
                if target is not None:
                    target.errors = [*target.errors, message]
                else:
                    flash(message, "error")
        except RegistrationError as error:  # a team-only day, or any other refusal
            db.session.rollback()
            flash(error.message, "error")
        else:
            seat = next((s for s in outcome.registration.seats if s.day_id == day.id), None)
            if form.override.data and seat is not None and seat.override:
                audit.record(
                    db.session, current_user.id, "checkin.walk_in_override",
                    f"registration:{outcome.registration.id}", day_id=day.id,
                )  # fmt: skip
            db.session.commit()
            card = ResultCard.of(outcome)
            if outcome.result != ScanResult.WAITLISTED:
                card.remember(day.id)
                return redirect(url_for("checkin.door_day", day_id=day.id), 303)
            # The day is full: keep the details on the form so one tick lets them in.
    status = 400 if form.errors else 200
    return render_template(
        "checkin/walk_in.html", day=day, form=form, card=card, seats_left=seats_left(day)
    ), status


# --- Breakout doors --------------------------------------------------------------------------


def _render_breakout_recent(item: AgendaItem) -> str:
    scanned = db.session.scalars(
        select(BreakoutAttendance)
        .where(BreakoutAttendance.item_id == item.id)
        .options(selectinload(BreakoutAttendance.registration).selectinload(Registration.person))
        .order_by(BreakoutAttendance.scanned_at.desc(), BreakoutAttendance.id.desc())
        .limit(RECENT_LIMIT)
    ).all()
    scanned_total = db.session.scalar(
        select(func.count())
        .select_from(BreakoutAttendance)
        .where(BreakoutAttendance.item_id == item.id)
    )
    chosen = db.session.scalar(
        select(func.count())
        .select_from(BreakoutPick)
        .where(BreakoutPick.item_id == item.id, BreakoutPick.status == SeatStatus.CONFIRMED)
    )
    return render_template(
        "checkin/_breakout_recent.html",
        item=item,
        scanned=scanned,
        scanned_total=scanned_total,
        chosen=chosen,
        titles={choice.value: title for choice, (_, title) in _BREAKOUT_RESULTS.items()},
    )


def _render_breakout_door(item: AgendaItem, form: ScanForm, card, status: int = 200):
    return _scanner_page(
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
    _json_strings_only()
    form = ScanForm()
    if not form.validate_on_submit():
        return _scan_refused(form, lambda f: _render_breakout_door(item, f, None, 400))
    choice, message, registration = services.breakout_scan(
        db.session, form.code.data, item, current_user.id
    )
    db.session.commit()
    card = ResultCard(choice.value, message, registration, item.day, at_breakout=True)
    if request.is_json:
        return jsonify(card.as_json() | {"recent_html": _render_breakout_recent(item)})
    card.remember(item.id)
    return redirect(url_for("checkin.breakout_door", item_id=item.id), 303)


# --- Live counts for organizers --------------------------------------------------------------


@dataclass
class Bar:
    x: int
    y: int
    height: int
    label: str
    count: int
    labelled: bool  # whether the time is written under this bar


@dataclass
class ArrivalChart:
    """An SVG bar chart of arrivals per time bucket, computed here so the template stays plain."""

    bars: list[Bar]
    width: int
    height: int
    bar_width: int
    plot_height: int
    peak: int


def arrival_chart(arrivals: list[tuple[datetime, int]], plot_height: int = 120) -> ArrivalChart:
    bar_width, gap, top = 22, 6, 18  # top leaves room for the count above the tallest bar
    peak = max((count for _, count in arrivals), default=0)
    bars = []
    for index, (start, count) in enumerate(arrivals):
        height = round(count / peak * plot_height) if peak else 0
        bars.append(
            Bar(
                x=index * (bar_width + gap),
                y=top + plot_height - height,
                height=height,
                label=start.strftime("%I:%M %p").lstrip("0"),
                count=count,
                labelled=start.minute == 0 or len(arrivals) <= 6,
            )
        )
    return ArrivalChart(
        bars=bars,
        width=len(bars) * (bar_width + gap) + 48,  # room for the last time label
        height=top + plot_height + 36,
        bar_width=bar_width,
        plot_height=top + plot_height,
        peak=peak,
    )


@bp.route("/staff/checkin")
@role_required(*COUNT_READERS)
def counts_index():
    forums = db.session.scalars(
        select(Forum)
        .where(Forum.status != ForumStatus.DRAFT)
        .options(selectinload(Forum.days), selectinload(Forum.program))
        .order_by(Forum.program_id, Forum.number)
    ).all()
    return render_template("checkin/counts_index.html", forums=forums)


@bp.route("/staff/forums/<int:forum_id>/checkin")
@role_required(*COUNT_READERS)
def counts(forum_id: int):
    forum = db.get_or_404(Forum, forum_id)
    days = [services.live_counts(db.session, day) for day in forum.days]
    return render_template(
        "checkin/counts.html",
        forum=forum,
        days=days,
        charts={counts.day.id: arrival_chart(counts.arrivals) for counts in days},
        updated_at=utcnow(),
    )
