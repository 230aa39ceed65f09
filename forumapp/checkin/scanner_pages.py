"""What the two scanner pages (a day's door and a breakout's door) share: the big result card,
kept across the redirect after a scan posted without JavaScript, and the answer to a scan
posted as JSON (static/js/door.js) or as a form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import abort, jsonify, make_response, redirect, render_template, request
from flask import session as browser_session
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ..core.actions import carry_out
from ..core.clock import local_today
from ..core.headers import CONTENT_SECURITY_POLICY
from ..core.models import ForumDay, ForumStatus, Person
from ..extensions import db
from ..registration.models import Registration
from .access import may_use_door
from .breakouts import BreakoutChoice
from .forms import ScanForm, new_request_id
from .models import CheckIn
from .outcomes import ScanOutcome, ScanResult, date_label


def open_door_day_or_abort(day: ForumDay | None) -> ForumDay:
    """``day``, if the signed-in user may use its door (``access.may_use_door``). Door staff
    at another day's door of an announced forum are told when it opens (403), so a volunteer
    with yesterday's bookmark knows what is wrong; a draft's or an unknown day is a 404."""
    if day is None:
        abort(404)
    if may_use_door(current_user, day):
        return day
    if day.forum.status == ForumStatus.DRAFT:
        abort(404)
    past = day.date < local_today(day.forum.program.time_zone)
    page = render_template("checkin/door_not_today.html", day=day, past=past)
    abort(make_response(page, 403))


# The last result, kept across the redirect after a scan posted without JavaScript.
_RESULT_KEY = "door_result"
# The scanner library decodes camera frames in a Web Worker that it builds from a blob: URL.
SCANNER_PAGE_CSP = CONTENT_SECURITY_POLICY + "; worker-src 'self' blob:"

# tone: ok (green), warn (amber), stop (red). The title says it in words, never colour alone.
# Keyed by str: the enums are str enums, so a card's plain ``result`` value finds its entry.
_DOOR_RESULTS: dict[str, tuple[str, str]] = {
    ScanResult.CHECKED_IN: ("ok", "Checked in"),
    ScanResult.ALREADY_CHECKED_IN: ("warn", "Already checked in"),
    ScanResult.NOT_REGISTERED_FOR_DAY: ("stop", "Not registered for this day"),
    ScanResult.WAITLISTED: ("stop", "Waitlisted, not confirmed"),
    ScanResult.CANCELLED: ("stop", "Cancelled"),
    ScanResult.INVALID: ("stop", "Invalid code"),
    ScanResult.REQUEST_ID_REUSED: ("stop", "Scan again"),
}
_BREAKOUT_RESULTS: dict[str, tuple[str, str]] = {
    BreakoutChoice.CHOSE_THIS: ("ok", "Yes: chose this breakout"),
    BreakoutChoice.WAITLISTED: ("warn", "Scanned in: waitlisted for this breakout"),
    BreakoutChoice.CHOSE_ANOTHER: ("warn", "Scanned in: chose another breakout"),
    BreakoutChoice.NO_CHOICE: ("warn", "Scanned in: chose no breakout at this time"),
    BreakoutChoice.INVALID: ("stop", "Not a ticket for this forum"),
}


def register_result_styles(styles: dict[str, tuple[str, str]]) -> None:
    """Let a feature above check-in show its own scan results on the cards: ``result`` →
    (tone, title), at the day's door and at session doors alike."""
    _DOOR_RESULTS.update(styles)
    _BREAKOUT_RESULTS.update(styles)


#: Each breakout door choice's title, for the breakout door's list of people scanned in.
BREAKOUT_TITLES = {str(choice): title for choice, (_, title) in _BREAKOUT_RESULTS.items()}


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
        return (_BREAKOUT_RESULTS if self.at_breakout else _DOOR_RESULTS)[self.result]

    @property
    def person(self) -> Person | None:
        return self.registration.person if self.registration else None

    @property
    def can_undo(self) -> bool:
        return self.check_in is not None and self.check_in.undone_at is None

    @classmethod
    def of(cls, outcome: ScanOutcome) -> ResultCard:
        return cls(
            outcome.result.value,
            outcome.message,
            outcome.registration,
            outcome.day,
            # Someone back in after leaving: undoing would take back the morning's check-in.
            None if outcome.came_back else outcome.check_in,
            outcome.teams,
        )

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
            "day": date_label(self.day.date) if self.day and not self.at_breakout else None,
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
        return cls(
            kept["result"], kept["message"], registration, day, check_in, kept["teams"], at_breakout
        )


# --- A scanner page and a scan posted to it --------------------------------------------------


def scanner_page(template: str, status: int = 200, **context) -> ResponseReturnValue:
    """A page with the camera scanner: ``template`` with the CSP its Web Worker needs."""
    return (
        render_template(template, **context),
        status,
        {"Content-Security-Policy": SCANNER_PAGE_CSP},
    )


def answer_scan(
    render_page: Callable[[ScanForm], ResponseReturnValue],
    record: Callable[[str, str | None], ResultCard],
    where: int,
    recent_html: Callable[[], str],
    redirect_to: str,
) -> ResponseReturnValue:
    """Answer a scan posted to a scanner page, as JSON (door.js) or as a posted form.

    Without a usable code: the error as JSON, or ``render_page(form)`` again. Otherwise
    ``record(code, request_id)`` (a service call that returns the ``ResultCard``) is carried out
    and committed, and the card is answered with the refreshed ``recent_html()`` as JSON, or kept
    for the page at ``redirect_to``.
    """
    # The JSON body goes through the form like posted fields; anything but text is refused.
    if request.is_json:
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict) or not all(
            isinstance(value, str) for value in payload.values()
        ):
            abort(400)
    form = ScanForm()
    if not form.validate_on_submit():
        if request.is_json:
            errors = [error for errors in form.errors.values() for error in errors]
            return jsonify(error=" ".join(errors) or "Scan or type the code on the ticket."), 400
        form.request_id.data = new_request_id()
        return render_page(form)
    recorded = carry_out(lambda: record(form.code.data, form.request_id.data or None))
    # A scan is never refused by a DomainError: every refusal is a result on the card.
    assert recorded.ok
    card = recorded.value
    if request.is_json:
        return jsonify(card.as_json() | {"recent_html": recent_html()})
    card.remember(where)
    return redirect(redirect_to, 303)
