"""Every route of the app, with bad input: never a 5xx.

The house rule: bad input gets a clear message next to the field (a page) or a JSON error with
a 4xx status (the API), never a 500. This module sweeps the whole URL map with the demo program
loaded, signed in as an administrator (who may use every staff route), with real ids and with
ids that do not exist:

* every GET route plainly and with junk query strings (text where numbers go, impossible
  dates, NUL, markup, 5,000 characters, repeated keys), the names taken from the app's own
  ``request.args`` and from the page's search and filter forms;
* every form route (POST) with the page's own form as rendered (a valid baseline), empty, every
  field at once and then each field alone filled with junk, and two values for each key; the
  fields are read from the pages that hold the form, as a person's browser would send them;
* every JSON API write with bodies that are not JSON, JSON of the wrong type, every documented
  property set to a value of the wrong type, and ids that do not exist: always a 4xx with
  a JSON error.

URL parameters come from coherent sets of real ids (a project manager's link with their team,
seat, pick and commitment; a speaker's link with their session; a held forum with its
certificates and check-ins) and from the links the pages show, which the sweep follows.

So that the sweep is worth something, every view is wrapped to count the requests that reached
it (past sign-in, CSRF and the other checks before the view): each form route must be reached
by some of its requests, and most requests of the sweep must reach their view.

Reads run first, before anything is changed; then the API writes, then the forms, where those
that delete or revoke what others use (an item, a speaker, a person, a personal link) run
last. Tests in this file run in order; the Makefile's ``--dist loadfile`` keeps a file in one
worker, and the final check counts what this process sent.
"""

from __future__ import annotations

import functools
import inspect
import io
import re
import sys
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import time, timedelta
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, RequestRedirect

from forumapp.agenda.models import AgendaItem, AgendaItemSpeaker, Speaker, SpeakerProfileProposal
from forumapp.agenda.speaker_services import add_availability
from forumapp.api.openapi import openapi_document
from forumapp.attendance.models import AttendanceCorrection, Certificate, CreditType
from forumapp.calendar.feeds import ensure_feed
from forumapp.checkin.models import CheckIn
from forumapp.checkin.tickets import format_code, ticket_for
from forumapp.commitments.models import Commitment
from forumapp.core.clock import utcnow
from forumapp.core.links import personal_token
from forumapp.core.models import (
    Audience,
    Forum,
    ForumDay,
    Person,
    Program,
    Room,
    Team,
    TeamMembership,
    TeamRole,
)
from forumapp.demo import STAFF_ACCOUNTS, load_demo
from forumapp.extensions import db, limiter
from forumapp.feedback.models import FeedbackWindow, TopicGroup
from forumapp.language_access.models import LanguageRequest
from forumapp.mail.models import OutboxMessage
from forumapp.materials.models import Material
from forumapp.messages.audience import Audience as MessageAudience
from forumapp.messages.models import GroupMessage
from forumapp.messages.sending import MessageInput, write_message
from forumapp.registration.models import BreakoutPick, DaySeat, Registration, RegistrationKind
from forumapp.registration.public import register_public

from ..builders import emailed, public_input
from ..conftest import csrf_token, make_test_app, sign_in

BOGUS_ID = 999999
LONG = "x" * 5000
# What a field or a query parameter gets instead of what it expects.
HUGE = "9999999999999999999999"  # more than any id or number column holds
JUNK = [LONG, "-1", "abc", HUGE, "2027-02-30"]
NUL = "\x00abc"
# A query parameter alone ("abc" is left out: an impossible date is not a number either).
JUNK_ALONE = ["-1", HUGE, "2027-02-30", NUL]
# A form's field alone, by the input's type: what is likeliest to get past its parsing.
JUNK_FOR_KIND = {"checkbox": [HUGE], "radio": [HUGE], "submit": []}
JUNK_FOR_KIND |= dict.fromkeys(["text", "textarea", "email", "search", "url", "tel"], [LONG, HUGE])
JUNK_FOR_KIND |= dict.fromkeys(["date", "time", "datetime-local", "month"], ["2027-02-30", HUGE])
JUNK_FOR_NUMBERS = ["-1", HUGE]  # number, select, hidden and any other input
# Query parameters the views read (``request.args``), beside those of a page's GET forms.
QUERY_NAMES = [
    "page", "lang", "via", "team", "status", "slot", "room_id", "registration_id", "print",
    "next", "mode", "edit", "day_id", "day", "q", "forum", "sort", "format", "kind", "date",
]  # fmt: skip
JUNK_QUERY = (
    "page=abc&day=-1&forum=x&q=%00&sort=%3Cscript%3E&status=nonsense&format=zzz"
    "&lang=zz&team=abc&day_id=2027-02-30&room_id=-1&registration_id=99999999999999999999"
)
# The fields of a form no page showed (the feedback window's buttons when it is closed ...).
GUESSED_FIELDS = ["submit", "value", "id", "name", "status", "text", "confirm", "day_ids"]
REAL_URLS_PER_RULE = 2
MUTATED_FIELDS_PER_FORM = 40
# Routes whose requests delete or revoke what other routes' ids stand for: swept last, in
# this order (a personal link renewed or a person erased would 404 every later request).
LAST = [
    "agenda.item_speaker_remove",
    "agenda.remove_availability",
    "materials.speaker_remove_availability",
    "registration.drop_pick",
    "registration.cancel_seat",
    "registration.registration_cancel_day",
    "registration.team_roster_pm_remove",
    "attendance.remove_correction",
    "attendance.revoke",
    "checkin.undo",
    "checkin.reissue",
    "messages.cancel",
    "materials.remove",
    "agenda.item_delete",
    "agenda.delete",
    "calendar.renew_feed",
    "registration.renew_personal_link",
    "privacy.erase",
    "core.logout",
]
# Reached through the sign-in page of a fresh client, not the administrator's.
OWN_CLIENT = {"core.login", "core.logout"}


def _rules_by_method():
    """``(method, rule, endpoint)`` of every route but static files, in a stable order: read
    from an app built when the module is collected (it never opens its database), so that
    each route is a test of its own."""
    app = make_test_app("sqlite://")
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, rule.rule, rule.endpoint))
    return sorted(found, key=lambda route: (route[1], route[0]))


ROUTES = _rules_by_method()
GET_ROUTES = [route for route in ROUTES if route[0] == "GET"]
FORM_ROUTES = sorted(
    (route for route in ROUTES if route[0] != "GET" and not route[1].startswith("/api/")),
    key=lambda route: LAST.index(route[2]) + 1 if route[2] in LAST else 0,
)
API_WRITE_ROUTES = [route for route in ROUTES if route[0] != "GET" and route[1].startswith("/api/")]


def _route_id(route) -> str:
    return f"{route[0]} {route[1]}"


def _is_csrf(name: str) -> bool:
    return name == "csrf_token" or name.endswith("-csrf_token")


def _junk_file(content: str = "junk \x00\xff", filename: str = "junk.pdf"):
    return (io.BytesIO(content.encode("utf-8", "surrogatepass")), filename)


JUNK_FILENAMES = ["../../etc/passwd", "x" * 300 + ".pdf", "no-extension", "évil .PDF", ""]


# --- What the sweep saw ----------------------------------------------------------------------


@dataclass
class Outcome:
    method: str
    url: str
    what: str
    status: int | None  # None: the view raised
    reached: bool
    error: str = ""
    page: str = ""  # the HTML of a page the crawl reads; not kept after
    field_error: bool = False  # a page came back with a message next to a field
    json: object = None  # the body of an API write's answer


# Every request of the sweep in this process, for the final check.
TALLY: list[Outcome] = []
REACHED: Counter[str] = Counter()  # view endpoint -> requests that reached it


def _count_view_calls(app) -> None:
    """Wrap every view so the sweep knows a request got past the checks before it."""
    for endpoint, view in list(app.view_functions.items()):

        @functools.wraps(view)
        def counted(*args, __endpoint=endpoint, __view=view, **kwargs):
            REACHED[__endpoint] += 1
            return __view(*args, **kwargs)

        app.view_functions[endpoint] = counted


def _send(client, method: str, url: str, what: str, endpoint: str, **kwargs) -> Outcome:
    """One request of the sweep, tallied; a view that raised is a failed outcome. Rate limits
    are reset first, so the sweep reaches the views rather than the limiter's 429 (turning
    them off in the config would turn off the one limiter every app of the process shares)."""
    with client.application.app_context():
        limiter.reset()
    before = REACHED[endpoint]
    page = error = ""
    field_error = False
    json_body = None
    try:
        response = client.open(url, method=method, **kwargs)
        status = response.status_code
        if status >= 500:
            error = response.get_data(as_text=True)[:2000]
        elif response.mimetype == "text/html":
            text = response.get_data(as_text=True)
            page = text if status == 200 and method == "GET" else ""
            field_error = 'aria-invalid="true"' in text
        elif response.is_json and method != "GET":
            json_body = response.get_json(silent=True)
        response.close()
    except Exception:  # the testing config propagates a view's exception: that is the 500
        status, error = None, traceback.format_exc()
    reached = REACHED[endpoint] > before
    outcome = Outcome(method, url, what, status, reached, error, page, field_error, json_body)
    TALLY.append(outcome)
    return outcome


def _server_errors(outcomes: list[Outcome]) -> list[Outcome]:
    return [o for o in outcomes if o.status is None or o.status >= 500]


def _report(failed: list[Outcome]) -> str:
    lines = [f"{len(failed)} request(s) got a server error:"]
    lines += [f"  {o.method} {o.url[:160]} ({o.what}): {o.status or 'raised'}" for o in failed]
    return "\n".join(lines) + "\n\nFirst one:\n" + failed[0].error


# --- The database: the demo program, and a few rows it does not have ------------------------


@pytest.fixture(scope="module")
def sweep_app(fresh_database, tmp_path_factory):
    """An app of its own with the demo program loaded once; speaker photos and materials in
    folders of its own (publishing or declining a proposal deletes photo files)."""
    application = make_test_app(
        fresh_database(),
        SPEAKER_PHOTO_DIR=tmp_path_factory.mktemp("speaker_photos"),
        MATERIALS_DIR=tmp_path_factory.mktemp("materials"),
    )
    with application.app_context():
        upgrade()
        load_demo(db.session)
        db.session.commit()
        _add_what_the_demo_lacks()
    _count_view_calls(application)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
        limiter.reset()


def _final_forum() -> Forum:
    return db.session.scalar(sa.select(Forum).order_by(Forum.number.desc()).limit(1))


def _add_what_the_demo_lacks() -> None:
    """Two ranges of a speaker's availability, a pending public request (its email is an
    outbox message) and a scheduled group message: the demo has none, and routes take their
    ids; and the held forum's feedback open again, so its form is there to be sent junk."""
    final = _final_forum()
    speaker = db.session.scalar(sa.select(Speaker).order_by(Speaker.id).limit(1))
    for start, end in ((time(9), time(12)), (time(13), time(15))):  # one for staff to remove
        add_availability(db.session, speaker, final.days[0], start, end)
    public_day = next(day for day in final.days if day.audience == Audience.PUBLIC)
    # Someone known who is not registered for the forum: they are asked to confirm by email.
    elsewhere = _first(
        sa.select(Person)
        .where(
            ~Person.id.in_(
                sa.select(Registration.person_id).where(Registration.forum_id == final.id)
            )
        )
        .order_by(Person.id)
    )
    register_public(
        db.session, final, public_input([public_day.id], elsewhere.name, elsewhere.email)
    )
    audience = MessageAudience(days=(public_day.date,))
    data = MessageInput("Parking", "Park in lot B.", audience, utcnow() + timedelta(days=30))
    write_message(db.session, final, data, None)
    window = _first(sa.select(FeedbackWindow).order_by(FeedbackWindow.id))
    window.closes_at = utcnow() + timedelta(days=30)
    db.session.commit()


# --- Real ids: coherent sets of them, for the URLs ------------------------------------------


def _first(query):
    return db.session.scalar(query.limit(1))


def _contexts() -> list[dict]:
    """Sets of URL values that belong together, most useful first."""
    program = _first(sa.select(Program).order_by(Program.id))
    forums = db.session.scalars(sa.select(Forum).order_by(Forum.number)).all()
    held, final = forums[0], forums[-1]
    return [
        _project_manager_context(final),
        _held_forum_context(held),
        _public_attendee_context(final),
        _unregistered_member_context(final),
        _speaker_context(),
        _staff_context(final, program),
        {"forum_id": next(f.id for f in forums if f.status == "draft"), "program_id": program.id},
    ]


def _project_manager_context(final: Forum) -> dict:
    manager = _first(
        sa.select(TeamMembership)
        .join(Registration, Registration.person_id == TeamMembership.person_id)
        .where(TeamMembership.role == TeamRole.PROJECT_MANAGER, Registration.forum_id == final.id)
        .order_by(TeamMembership.id)
    )
    registration = _first(
        sa.select(Registration).where(
            Registration.forum_id == final.id, Registration.person_id == manager.person_id
        )
    )
    seat = _first(sa.select(DaySeat).where(DaySeat.registration_id == registration.id))
    pick = _first(
        sa.select(BreakoutPick)
        .where(BreakoutPick.registration_id == registration.id)
        .order_by(BreakoutPick.id)
    )
    member = _first(
        sa.select(TeamMembership)
        .where(
            TeamMembership.team_id == manager.team_id,
            TeamMembership.role == TeamRole.MEMBER,
        )
        .order_by(TeamMembership.id.desc())
    )
    commitment = _first(
        sa.select(Commitment).where(Commitment.team_id == manager.team_id).order_by(Commitment.id)
    )
    return {
        "token": personal_token(manager.person),
        "team_id": manager.team_id,
        "person_id": member.person_id,
        "forum_id": final.id,
        "registration_id": registration.id,
        "seat_id": seat.id,
        "day_id": seat.day_id,
        "pick_id": pick.id if pick else BOGUS_ID,
        "item_id": pick.item_id if pick else BOGUS_ID,
        "commitment_id": commitment.id if commitment else BOGUS_ID,
    }


def _held_forum_context(held: Forum) -> dict:
    certificate = _first(
        sa.select(Certificate).where(Certificate.forum_id == held.id).order_by(Certificate.id)
    )
    registration = db.session.get(Registration, certificate.registration_id)
    check_in = _first(
        sa.select(CheckIn).where(CheckIn.registration_id == registration.id).order_by(CheckIn.id)
    )
    correction = _first(sa.select(AttendanceCorrection).order_by(AttendanceCorrection.id))
    membership = _first(
        sa.select(TeamMembership).where(TeamMembership.person_id == registration.person_id)
    )
    team_id = membership.team_id if membership else BOGUS_ID
    commitment = _first(
        sa.select(Commitment).where(Commitment.team_id == team_id).order_by(Commitment.id)
    )
    group = _first(
        sa.select(TopicGroup).where(TopicGroup.forum_id == held.id).order_by(TopicGroup.id)
    )
    material = _first(
        sa.select(Material)
        .where(Material.forum_id == held.id, Material.filename.is_not(None))
        .order_by(Material.id)
    )
    return {
        "token": personal_token(registration.person),
        "forum_id": held.id,
        "registration_id": registration.id,
        "certificate_id": certificate.id,
        "code": certificate.code,
        "day_id": held.days[0].id,
        "check_in_id": check_in.id if check_in else BOGUS_ID,
        "item_id": correction.item_id,
        "correction_id": correction.id,
        "team_id": team_id,
        "commitment_id": commitment.id if commitment else BOGUS_ID,
        "group_id": group.id,
        "material_id": material.id,
        "filename": material.filename,
    }


def _public_attendee_context(final: Forum) -> dict:
    registration = _first(
        sa.select(Registration)
        .where(Registration.forum_id == final.id, Registration.kind == RegistrationKind.PUBLIC)
        .order_by(Registration.id)
    )
    seat = registration.seats[0]
    ticket_for(db.session, registration)
    db.session.commit()
    return {
        "token": personal_token(registration.person),
        "forum_id": final.id,
        "registration_id": registration.id,
        "seat_id": seat.id,
        "day_id": seat.day_id,
    }


def _unregistered_member_context(final: Forum) -> dict:
    """A team member who has not registered for the forum: their page has the form to."""
    registered = sa.select(Registration.person_id).where(Registration.forum_id == final.id)
    member = _first(
        sa.select(TeamMembership)
        .where(TeamMembership.role == TeamRole.MEMBER, ~TeamMembership.person_id.in_(registered))
        .order_by(TeamMembership.id)
    )
    return {"token": personal_token(member.person), "forum_id": final.id}


def _speaker_context() -> dict:
    speaker = _first(sa.select(Speaker).order_by(Speaker.id))
    link = _first(
        sa.select(AgendaItemSpeaker)
        .where(AgendaItemSpeaker.speaker_id == speaker.id)
        .order_by(AgendaItemSpeaker.id)
    )
    item = db.session.get(AgendaItem, link.item_id)
    return {
        "token": personal_token(speaker.person),
        "speaker_id": speaker.id,
        "item_id": item.id,
        "link_id": link.id,
        "availability_id": speaker.availability[0].id,
        "staff_availability_id": speaker.availability[1].id,
        "day_id": item.day_id,
        "forum_id": item.day.forum_id,
    }


def _staff_context(final: Forum, program: Program) -> dict:
    proposal = _first(sa.select(SpeakerProfileProposal).order_by(SpeakerProfileProposal.id))
    outbox = _first(sa.select(OutboxMessage).order_by(OutboxMessage.id))
    confirm_link = re.search(r"/register/confirm/([A-Za-z0-9._-]+)", emailed(outbox).text_body)
    feed = ensure_feed(db.session, db.session.get(Person, outbox.person_id))
    db.session.commit()
    return {
        "forum_id": final.id,
        "program_id": program.id,
        "speaker_id": proposal.speaker_id,
        "decision": "publish",
        "room_id": _first(sa.select(Room.id).where(Room.forum_id == final.id).order_by(Room.id)),
        "credit_type_id": _first(sa.select(CreditType.id).order_by(CreditType.id)),
        "request_id": _first(sa.select(LanguageRequest.id).order_by(LanguageRequest.id)),
        "message_id": _first(sa.select(GroupMessage.id).order_by(GroupMessage.id)),
        "outbox_message_id": outbox.id,
        "confirm_token": confirm_link.group(1),
        "feed_token": feed.token,
        "day_id": next(day.id for day in final.days if day.audience == Audience.PUBLIC),
        "item_id": _first(
            sa.select(AgendaItem.id)
            .join(ForumDay)
            .where(ForumDay.forum_id == final.id)
            .order_by(AgendaItem.id)
        ),
        "person_id": _first(sa.select(Person.id).order_by(Person.id.desc())),
    }


# Where one parameter name stands for different things: (endpoint prefix, name) -> context key.
ALIASES = {
    ("mail.", "message_id"): "outbox_message_id",
    ("registration.confirm_public_request", "token"): "confirm_token",
    ("calendar.personal_feed", "token"): "feed_token",
    ("agenda.remove_availability", "availability_id"): "staff_availability_id",
}


def _searches() -> list[tuple[tuple[str, str], str]]:
    """Pages that show their forms only for a search: the door's lookup of a name."""
    context = _public_attendee_context(_final_forum())
    registration = db.session.get(Registration, context["registration_id"])
    surname = registration.person.name.split()[-1]
    lookup = f"/door/days/{context['day_id']}/lookup?q={surname}"
    return [(("GET", "/door/days/<int:day_id>/lookup"), lookup)]


def _values_for(endpoint: str, argument: str, context: dict):
    for (prefix, name), key in ALIASES.items():
        if endpoint.startswith(prefix) and argument == name:
            return context.get(key)
    return context.get(argument)


def _context_urls(adapter, rule, contexts: list[dict]) -> list[str]:
    urls: list[str] = []
    for context in contexts:
        values = {a: _values_for(rule.endpoint, a, context) for a in rule.arguments}
        if any(value is None for value in values.values()):
            continue
        url = adapter.build(rule.endpoint, values, method=sorted(rule.methods)[0])
        if url not in urls:
            urls.append(url)
    return urls


def _bogus_url(adapter, rule) -> str | None:
    if not rule.arguments:
        return None
    converters = rule._converters  # werkzeug keeps them private; only their kind is read
    values = {
        argument: BOGUS_ID if isinstance(converters[argument], IntegerConverter) else "bogus"
        for argument in rule.arguments
    }
    return adapter.build(rule.endpoint, values, method=sorted(rule.methods)[0])


# --- Forms and links, as a browser reads them from a page -----------------------------------


@dataclass
class FormField:
    name: str
    kind: str  # the input's type, "select" or "textarea"
    value: str | None  # what the page sends as rendered; None: nothing (an unchecked box)


@dataclass
class Form:
    method: str
    action: str
    enctype: str
    fields: list[FormField] = field(default_factory=list)
    guessed: bool = False  # no page showed it: its fields are guesses

    def names(self) -> list[str]:
        return list(dict.fromkeys(f.name for f in self.fields if not _is_csrf(f.name)))

    def kinds(self) -> dict[str, str]:
        return {f.name: f.kind for f in reversed(self.fields)}

    def file_names(self) -> set[str]:
        return {f.name for f in self.fields if f.kind == "file"}

    def baseline(self) -> dict[str, list]:
        """What a browser sends when the form is submitted as rendered (first button)."""
        data: dict[str, list] = defaultdict(list)
        pressed: set[str] = set()
        for f in self.fields:
            if f.value is None:
                continue
            if f.kind == "submit":
                if pressed:
                    continue
                pressed.add(f.name)
            data[f.name].append(f.value)
        return dict(data)


_SENT_AS_TYPED = {"checkbox", "radio", "submit", "file", "image", "reset", "button"}


class PageParser(HTMLParser):
    """The links and forms of one page."""

    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._by_id: dict[str, Form] = {}
        self._form: Form | None = None
        self._select: tuple[Form, str, bool] | None = None
        self._options: list[tuple[str, bool]] = []
        self._option: list | None = None
        self._textarea: tuple[Form, str] | None = None
        self._text = ""
        self._owned: list[tuple[str, str, dict]] = []  # inputs with a form="id" attribute

    def handle_starttag(self, tag, attrs):
        a = {name: (value if value is not None else "") for name, value in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.page_url, a["href"]))
        elif tag == "form":
            self._open_form(a)
        elif tag in ("input", "button", "select", "textarea") and "disabled" not in a:
            self._field(tag, a)
        elif tag == "option" and self._select:
            self._option = [a.get("value"), "selected" in a, ""]

    def _open_form(self, a: dict) -> None:
        action = urljoin(self.page_url, a.get("action") or self.page_url)
        enctype = a.get("enctype", "application/x-www-form-urlencoded")
        self._form = Form((a.get("method") or "get").upper(), action, enctype)
        self.forms.append(self._form)
        if a.get("id"):
            self._by_id[a["id"]] = self._form

    def _field(self, tag: str, a: dict) -> None:
        owner = self._by_id.get(a["form"]) if a.get("form") else self._form
        if a.get("form") and owner is None:
            self._owned.append((tag, a["form"], a))
            return
        if owner is None or not a.get("name"):
            return
        self._add(owner, tag, a)

    def _add(self, form: Form, tag: str, a: dict) -> None:
        name = a["name"]
        if tag == "select":
            self._select, self._options = (form, name, "multiple" in a), []
        elif tag == "textarea":
            self._textarea, self._text = (form, name), ""
        elif tag == "button":
            if (a.get("type") or "submit") == "submit":
                form.fields.append(FormField(name, "submit", a.get("value", "")))
        else:
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                value = a.get("value", "on") if "checked" in a else None
            elif kind in _SENT_AS_TYPED:
                value = a.get("value", "") if kind == "submit" else None
            else:
                value = a.get("value", "")
            form.fields.append(FormField(name, kind, value))

    def handle_data(self, data):
        if self._option is not None:
            self._option[2] += data
        if self._textarea:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "option" and self._option is not None and self._select:
            value, selected, text = self._option
            self._options.append((text.strip() if value is None else value, selected))
            self._option = None
        elif tag == "select" and self._select:
            self._close_select()
        elif tag == "textarea" and self._textarea:
            form, name = self._textarea
            form.fields.append(FormField(name, "textarea", self._text.lstrip("\n")))
            self._textarea = None

    def _close_select(self) -> None:
        form, name, multiple = self._select
        chosen = [value for value, selected in self._options if selected]
        if not chosen and self._options and not multiple:
            chosen = [self._options[0][0]]
        for value in chosen or [None]:
            form.fields.append(FormField(name, "select", value))
        self._select = None

    def close(self):
        super().close()
        for tag, form_id, a in self._owned:
            if form_id in self._by_id and a.get("name"):
                self._add(self._by_id[form_id], tag, a)


# --- The site as the sweep found it ---------------------------------------------------------


@dataclass
class Site:
    """The URLs of each route, the forms that post to each, and the administrator's client."""

    client: object
    bearer: dict[str, str]
    csrf: str
    urls: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    bogus: dict[tuple[str, str], str] = field(default_factory=dict)
    forms: dict[tuple[str, str], list[Form]] = field(default_factory=lambda: defaultdict(list))
    query_names: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    crawled: dict[str, Outcome] = field(default_factory=dict)

    def read_names(self, endpoint: str) -> set[str]:
        """The query parameter names the module of the endpoint's view spells out."""
        view = inspect.unwrap(self.client.application.view_functions[endpoint])
        source = inspect.getsource(sys.modules[view.__module__])
        return {name for name in QUERY_NAMES if f'"{name}"' in source}


def _match(adapter, url: str, method: str):
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost") or parts.scheme not in ("", "http"):
        return None
    try:
        rule, _args = adapter.match(parts.path, method=method, return_rule=True)
    except (HTTPException, RequestRedirect):
        return None
    return None if rule.endpoint == "static" else rule


def _local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.fixture(scope="module")
def site(sweep_app) -> Site:
    """Sign in as the demo's administrator and read every page the sweep will send junk to,
    following the links they show, before anything is changed."""
    return read_site(sweep_app)


def read_site(sweep_app, pages: dict[str, str] | None = None) -> Site:
    """The ``site`` fixture's crawl; ``pages``, if given, gets the HTML of each page read
    (status 200, text/html), by URL (tests/core/test_page_structure.py checks them)."""
    client = sweep_app.test_client()
    admin = next(account for account in STAFF_ACCOUNTS if account[2].value == "admin")
    assert sign_in(client, admin[0], admin[3]).status_code == 302
    result = sweep_app.test_cli_runner().invoke(args=["token", "create", admin[0]])
    assert result.exit_code == 0, result.output
    bearer = {"Authorization": f"Bearer {result.stdout.strip().splitlines()[0]}"}
    found = Site(client, bearer, csrf_token(client, "/staff/forums/new"))
    adapter = sweep_app.url_map.bind("localhost")
    with sweep_app.app_context():
        contexts = _contexts()
        searches = _searches()
    for rule in sweep_app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            key = (method, rule.rule)
            found.urls[key] = _context_urls(adapter, rule, contexts)[:REAL_URLS_PER_RULE]
            if (bogus := _bogus_url(adapter, rule)) is not None:
                found.bogus[key] = bogus
    for key, url in searches:
        found.urls[key].insert(0, url)
    _crawl(found, adapter, pages)
    return found


def _crawl(found: Site, adapter, pages: dict[str, str] | None = None) -> None:
    queue = [url for (method, _), urls in found.urls.items() if method == "GET" for url in urls]
    queue += [url for (method, _), url in found.bogus.items() if method == "GET"]
    while queue:
        url = queue.pop(0)
        if url in found.crawled:
            continue
        rule = _match(adapter, url, "GET")
        if rule is None:
            continue
        outcome, page = _read(found, rule, url)
        found.crawled[url] = outcome
        if page is not None:
            if pages is not None:
                pages[url] = page
            queue += _learn(found, adapter, url, page)


def _read(found: Site, rule, url: str) -> tuple[Outcome, str | None]:
    client = found.client
    if rule.endpoint in OWN_CLIENT:
        client = client.application.test_client()
    headers = found.bearer if _wants_bearer(rule.rule) else {}
    outcome = _send(client, "GET", url, "plain", rule.endpoint, headers=headers)
    page, outcome.page = outcome.page, ""
    return outcome, page or None


def _wants_bearer(rule: str) -> bool:
    return rule.startswith("/api/") and "<token>" not in rule


def _learn(found: Site, adapter, url: str, page: str) -> list[str]:
    """Note the forms of ``page``; return the links worth reading next."""
    parser = PageParser("http://localhost" + url)
    parser.feed(page)
    parser.close()
    for form in parser.forms:
        action = _local(form.action)
        if form.method == "GET":
            found.query_names[urlsplit(action).path].update(form.names())
            continue
        rule = _match(adapter, action, form.method)
        if rule is None:
            continue
        key = (form.method, rule.rule)
        form.action = action
        found.forms[key].append(form)
        if action not in found.urls[key] and len(found.urls[key]) < REAL_URLS_PER_RULE:
            found.urls[key].append(action)
    follow = []
    for link in parser.links:
        rule = _match(adapter, link, "GET")
        if rule is None:
            continue
        key, local = ("GET", rule.rule), _local(link)
        if local not in found.urls[key] and len(found.urls[key]) < REAL_URLS_PER_RULE:
            found.urls[key].append(local)
            follow.append(local)
    return follow


# --- Reads: plain and with junk query strings ----------------------------------------------


def _label(value: str) -> str:
    return f"{len(value)} characters" if len(value) > 40 else repr(value)


def _query_variants(site: Site, endpoint: str, url: str, thorough: bool):
    """``(what, query)`` of junk: the mixture, every name twice (5,000 characters, then a
    number); ``thorough``: then each name the view's module or the page's filter form reads
    alone, with each junk value (a name read first and refused would hide the others)."""
    path = urlsplit(url).path
    names = sorted(set(QUERY_NAMES) | site.query_names.get(path, set()))
    yield "junk query", JUNK_QUERY
    # Each name twice, first 5,000 characters long (what ``get`` reads), then a number.
    yield "every parameter twice", urlencode([(n, v) for n in names for v in (LONG, "1")])
    if not thorough:
        return
    for name in sorted(site.read_names(endpoint) | site.query_names.get(path, set())):
        for value in JUNK_ALONE:
            yield f"{name}={_label(value)}", urlencode({name: value})


def _with_query(url: str, query: str) -> str:
    return url + ("&" if "?" in url else "?") + query


def _client_and_token(site: Site, endpoint: str):
    """The administrator's client and CSRF token; a fresh client for signing in and out."""
    if endpoint not in OWN_CLIENT:
        return site.client, site.csrf
    client = site.client.application.test_client()
    if endpoint == "core.logout":
        organizer = next(account for account in STAFF_ACCOUNTS if account[2].value == "organizer")
        assert sign_in(client, organizer[0], organizer[3]).status_code == 302
        return client, csrf_token(client, "/staff/")
    return client, csrf_token(client, "/login")


@pytest.mark.parametrize("route", GET_ROUTES, ids=_route_id)
def test_reading_with_junk_query_strings_is_never_a_server_error(site, route):
    method, rule, endpoint = route
    key = (method, rule)
    client, _token = _client_and_token(site, endpoint)
    headers = site.bearer if _wants_bearer(rule) else {}
    real, bogus = site.urls[key], site.bogus.get(key)
    outcomes = [site.crawled[url] for url in [*real, bogus] if url in site.crawled]
    for index, url in enumerate(real):
        for what, query in _query_variants(site, endpoint, url, thorough=index == 0):
            outcomes.append(
                _send(client, method, _with_query(url, query), what, endpoint, headers=headers)
            )
    if failed := _server_errors(outcomes):
        pytest.fail(_report(failed), pytrace=False)
    if bogus:
        assert 400 <= site.crawled[bogus].status < 500, f"{bogus}: {site.crawled[bogus].status}"
    if real:
        assert any(o.reached for o in outcomes), f"no request reached the view of {rule}"


# --- The JSON API: bodies that are not what the document says -------------------------------

# Instead of a member's value: null, text where a number goes and a number where text goes,
# a list, an object, too long, out of range, an impossible date.
WRONG_VALUES = [None, "abc", [None], {}, LONG, -1, 10**22, "2027-02-30"]
NOT_JSON = [
    ("form-encoded", "name=x&days=1", "application/x-www-form-urlencoded"),
    ("broken JSON", '{"name": ', "application/json"),
    ("no body", "", "application/json"),
    ("JSON as text/plain", '{"name": "x"}', "text/plain"),
    ("NUL in JSON", '{"text": "\\u0000"}', "application/json"),
    ("a lone surrogate", '{"text": "\\ud800"}', "application/json"),
]
WRONG_TYPES = [[], ["abc"], "a string", None, 42, True]


def _api_baselines() -> dict[tuple[str, str], object]:
    """A valid body for each API write, with the real values the sweep's URLs stand for."""
    final = _final_forum()
    public_day = next(day for day in final.days if day.audience == Audience.PUBLIC)
    registration = db.session.get(Registration, _public_attendee_context(final)["registration_id"])
    code = format_code(ticket_for(db.session, registration).code)
    db.session.commit()
    held = _first(sa.select(Forum).order_by(Forum.number))
    commitment = {"forum_id": held.id, "text": "Hold a town hall on naloxone"}
    progress = {"status": "in_progress", "note": "Two of three meetings held"}
    return {
        ("POST", "/api/v1/checkins"): {"code": code, "day": public_day.date.isoformat()},
        ("POST", "/api/v1/checkins/batch"): [
            {
                "code": code,
                "day": public_day.date.isoformat(),
                "request_id": "sweep-offline-1",
                "scanned_at": f"{public_day.date.isoformat()}T09:00:00-05:00",
            }
        ],
        ("POST", "/api/v1/forums/<int:forum_id>/registrations"): {
            "name": "Sweep Visitor",
            "email": "sweep.visitor@public.example.org",
            "consent": True,
            "days": [public_day.date.isoformat()],
        },
        ("POST", "/api/v1/forums/<int:forum_id>/topic-suggestions"): {
            "suggestions": [{"text": "Housing first", "team_id": _first(sa.select(Team.id))}]
        },
        ("POST", "/api/v1/forums/<int:forum_id>/messages"): {
            "subject": "Parking",
            "body": "Hello {first_name}",
            "audience": {"days": [public_day.date.isoformat()]},
            "dry_run": True,
        },
        ("POST", "/api/v1/teams/<int:team_id>/commitments"): commitment,
        ("POST", "/api/v1/me/<token>/teams/<int:team_id>/commitments"): commitment,
        ("PATCH", "/api/v1/commitments/<int:commitment_id>"): progress,
        ("PATCH", "/api/v1/me/<token>/commitments/<int:commitment_id>"): progress,
        ("POST", "/api/v1/items/<int:item_id>/materials"): {
            "title": "Slides",
            "visibility": "public",
            "url": "https://example.org/slides.pdf",
        },
    }


@pytest.fixture(scope="module")
def api_baselines(site, sweep_app):
    with sweep_app.app_context():
        return _api_baselines()


def _mutations(value, path: str = ""):
    """``(where, value)``: ``value`` with one node (an object's member, a list's item) replaced
    by each wrong value, or left out; nodes of nodes too."""
    if isinstance(value, dict):
        for key, member in value.items():
            where = f"{path}.{key}"
            yield f"{where} left out", {k: v for k, v in value.items() if k != key}
            for wrong in WRONG_VALUES:
                yield f"{where}={_short(wrong)}", value | {key: wrong}
            for inner_where, inner in _mutations(member, where):
                yield inner_where, value | {key: inner}
        yield f"{path}.unexpected added", value | {"unexpected": 1}
    elif isinstance(value, list) and value:
        for wrong in WRONG_VALUES:
            yield f"{path}[0]={_short(wrong)}", [wrong, *value[1:]]
        for inner_where, inner in _mutations(value[0], f"{path}[0]"):
            yield inner_where, [inner, *value[1:]]
        yield f"{path} 201 items", value * 201


def _short(value) -> str:
    text = repr(value)
    return text if len(text) < 30 else f"{len(text)} characters"


def _documented_properties(rule: str, method: str) -> list[str]:
    """The top-level properties of the operation's documented JSON body."""
    document = openapi_document()
    path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.removeprefix("/api/v1"))
    body = document["paths"][path][method.lower()].get("requestBody", {})
    schema = next(iter(body.get("content", {}).values()), {}).get("schema", {})
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return list(schema.get("properties", {}))


def _json_requests(baseline, properties: list[str]):
    for what, data, content_type in NOT_JSON:
        yield what, {"data": data, "content_type": content_type}, True
    for wrong in WRONG_TYPES:
        yield f"JSON {_short(wrong)}", {"json": wrong}, True
    yield "JSON {}", {"json": {}}, False  # a progress update may leave everything as it was
    yield "as documented", {"json": baseline}, False
    for where, body in _mutations(baseline):
        yield where, {"json": body}, False
    if isinstance(baseline, dict):
        for name in properties:
            if name not in baseline:
                for wrong in WRONG_VALUES:
                    yield f".{name}={_short(wrong)}", {"json": baseline | {name: wrong}}, False
        everything_wrong = {name: "abc" for name in properties} | {"x": [None]}
        yield "every property wrong", {"json": everything_wrong}, True


def _multipart_requests(baseline: dict):
    yield "JSON instead of a form", {"json": baseline}, False
    yield "empty form", {"data": {}}, True
    yield "as documented", {"data": dict(baseline)}, False
    for name in [*baseline, "file"]:
        for wrong in ["", LONG, NUL, "-1", "javascript:alert(1)", "zzz"]:
            yield f"{name}={_label(wrong)}", {"data": baseline | {name: wrong}}, False
    for filename in JUNK_FILENAMES:
        data = baseline | {"file": _junk_file(LONG, filename)}
        yield f"file {filename[:20]!r}", {"data": data}, False


def _check_api_answer(outcome: Outcome, must_refuse: bool) -> str | None:
    """Why the answer breaks the rule, or None: a 4xx must carry ``{"error": ...}``."""
    if outcome.status is None or outcome.status >= 500:
        return None  # reported as a server error
    if must_refuse and not 400 <= outcome.status < 500:
        return f"{outcome.what}: {outcome.status}, not a 4xx"
    if outcome.status >= 400 and not (
        isinstance(outcome.json, dict) and isinstance(outcome.json.get("error"), str)
    ):
        return f"{outcome.what}: {outcome.status} without a JSON error"
    return None


@pytest.mark.parametrize("route", API_WRITE_ROUTES, ids=_route_id)
def test_api_writes_with_bad_bodies_get_a_json_4xx(site, api_baselines, route):
    method, rule, endpoint = route
    key = (method, rule)
    headers = site.bearer if _wants_bearer(rule) else {}
    baseline = api_baselines[key]
    requests = (
        _multipart_requests(baseline)
        if "materials" in rule
        else _json_requests(baseline, _documented_properties(rule, method))
    )
    real, bogus = site.urls[key][:1], site.bogus.get(key)
    # A personal link's caller has no staff cookie (with one, a write needs a CSRF token).
    client = site.client if headers else site.client.application.test_client()
    outcomes, problems = [], []
    for what, request, must_refuse in requests:
        for url in real:
            outcome = _send(client, method, url, what, endpoint, headers=headers, **request)
            outcomes.append(outcome)
            problems.append(_check_api_answer(outcome, must_refuse))
    if bogus:
        outcome = _send(
            client, method, bogus, "as documented", endpoint, headers=headers, json=baseline
        )
        outcomes.append(outcome)
        problems.append(_check_api_answer(outcome, must_refuse=True))
    if failed := _server_errors(outcomes):
        pytest.fail(_report(failed), pytrace=False)
    assert [p for p in problems if p] == []
    assert real and any(o.reached for o in outcomes), f"no request reached {rule}"


# --- Forms: as rendered, empty, and filled with junk ----------------------------------------


def _bodies(form: Form, token: str, depth: int):
    """``(what, data)`` for each post to the form's route. For the first real URL (depth 0):
    as rendered, empty, two values per key, NUL and every junk value in every field at once,
    then each field alone with junk for its type, the others as rendered; for the route's
    second URL (1) the first three of those; for an id that does not exist (2) the first.
    The CSRF token is the client's, under the name the form gives it."""
    baseline = form.baseline()
    csrf = {name: token for name in baseline if _is_csrf(name)} or {"csrf_token": token}
    names, files = form.names(), form.file_names()
    rendered = {n: v for n, v in baseline.items() if not _is_csrf(n)} | csrf
    bodies = [
        ("as rendered", lambda: rendered | {n: _junk_file() for n in files if n not in rendered}),
        ("empty", lambda: dict(csrf)),
        ("two values per key", lambda: csrf | {n: ["1", "abc"] for n in names if n not in files}),
        ("NUL in every field", lambda: csrf | _filled(names, files, NUL)),
    ]
    bodies += [
        (f"every field {_label(value)}", functools.partial(_filled, names, files, value, csrf))
        for value in JUNK
    ]
    if depth == 0 and not form.guessed:
        bodies += _one_field_at_a_time(rendered, names, form.kinds())
    for what, make in bodies[: {0: None, 1: 3, 2: 1}[depth]]:
        yield what, make()


def _filled(names: list[str], files: set[str], value, base: dict | None = None) -> dict:
    filled = {name: (_junk_file(value) if name in files else value) for name in names}
    return (base or {}) | filled


def _one_field_at_a_time(rendered: dict, names: list[str], kinds: dict[str, str]) -> list:
    bodies = []
    for name in names[:MUTATED_FIELDS_PER_FORM]:
        if kinds[name] == "file":
            bodies += [
                (
                    f"{name}: file {filename[:20]!r}",
                    functools.partial(_with_file, rendered, name, filename),
                )
                for filename in JUNK_FILENAMES
            ]
            bodies.append((f"{name}: text instead of a file", lambda n=name: rendered | {n: "abc"}))
            continue
        bodies += [
            (f"{name}={_label(value)}", lambda n=name, v=value: rendered | {n: v})
            for value in JUNK_FOR_KIND.get(kinds[name], JUNK_FOR_NUMBERS)
        ]
    return bodies


def _with_file(rendered: dict, name: str, filename: str) -> dict:
    return rendered | {name: _junk_file(LONG, filename)}


def _form_for(site: Site, key, url: str) -> Form:
    """The form that posts to ``url`` on a page the crawl read; another of the route's for
    an id it did not see; for a route whose form the crawl never saw (a button, mostly,
    that needs only its CSRF token), a few names forms often have."""
    forms = site.forms.get(key, [])
    for form in forms:
        if form.action == url:
            return form
    if forms:
        return forms[0]
    guessed = [FormField(name, "text", None) for name in GUESSED_FIELDS]
    return Form("POST", url, "", guessed, guessed=True)


@pytest.mark.parametrize("route", FORM_ROUTES, ids=_route_id)
def test_posting_junk_to_a_form_is_never_a_server_error(site, route):
    method, rule, endpoint = route
    key = (method, rule)
    client, token = _client_and_token(site, endpoint)
    real, bogus = site.urls[key], site.bogus.get(key)
    outcomes = []
    targets = [(url, min(index, 1)) for index, url in enumerate(real)]
    targets += [(bogus, 2)] if bogus else []
    for url, depth in targets:
        form = _form_for(site, key, url)
        for what, data in _bodies(form, token, depth):
            outcomes.append(_send(client, method, url, what, endpoint, data=data))
    if failed := _server_errors(outcomes):
        pytest.fail(_report(failed), pytrace=False)
    not_refused = [o for o in outcomes if o.url == bogus and not 400 <= o.status < 500]
    assert not_refused == [], "an id that does not exist was not refused"
    if real:
        reached = [o for o in outcomes if o.reached]
        assert reached, f"no post reached the view of {rule}: {Counter(o.status for o in outcomes)}"


# --- The sweep itself: it must have reached the views ---------------------------------------


def test_the_sweep_reached_the_views(site):
    """Most requests got past sign-in, CSRF and the other checks before the view, and forms
    came back with messages next to their fields: the sweep tested the views, not the
    guards in front of them (a CSRF 400 or a wrong id's 404 would prove nothing)."""
    writes = [o for o in TALLY if o.method != "GET"]
    if len(writes) < 1000:
        pytest.skip("runs after the rest of this file's sweep, in the same process")
    reads = [o for o in TALLY if o.method == "GET"]
    reached = [o for o in writes if o.reached]
    statuses = Counter(o.status for o in reached)
    with_field_errors = sum(o.field_error for o in writes)
    print(
        f"\n{len(TALLY)} requests: {len(reads)} reads, {len(writes)} writes, of which "
        f"{len(reached)} reached their view ({statuses.most_common(8)}); "
        f"{with_field_errors} pages came back with a message next to a field"
    )
    assert sum(o.reached for o in reads) / len(reads) > 0.9
    assert len(reached) / len(writes) > 0.8
    assert with_field_errors > 300
    # Refused by the view's validation (a page with messages, a JSON error) ...
    assert statuses[400] + statuses[422] > 600
    # ... or accepted, or answered with a message on the page it leads back to.
    assert statuses[302] + statuses[303] + statuses[200] + statuses[201] > 300
