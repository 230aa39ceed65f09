"""Every public, attendee and door page and the main staff pages pass axe-core with no serious or
critical violation, on a desktop and a 360 px phone; registering and choosing breakouts work with
the keyboard alone.

The pages show the demo program (five forums, ten teams, hundreds of registrations) plus what the
demo does not hold: a full breakout, tickets, feedback and topics, mail in the outbox and a clash
on an agenda. It is built once for the module, in a database of its own, so the per-test cleanup
of the shared test database never touches it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from playwright.sync_api import expect
from werkzeug.serving import make_server

from forumapp.agenda.models import AgendaItem, ItemKind, Speaker
from forumapp.commitments.models import Commitment
from forumapp.core.clock import utcnow
from forumapp.core.links import personal_token
from forumapp.core.models import Audience, Forum, Person, TeamMembership, TeamRole
from forumapp.demo import STAFF_ACCOUNTS
from forumapp.extensions import db
from forumapp.feedback import answering, attendance, topic_groups, window
from forumapp.mail.models import OutboxMessage
from forumapp.registration.breakouts import breakout_slots, choose_breakout
from forumapp.registration.models import Registration

from .. import builders as build
from ..conftest import make_test_app
from ..feedback.conftest import answers, closes_in
from .conftest import PHONE

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 900}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}
PASSWORDS = {role.value: (email, password) for email, _name, role, password in STAFF_ACCOUNTS}


# --- The data ----------------------------------------------------------------------------------


@dataclass
class Site:
    """The served app and the ids and links the audited pages need."""

    url: str
    ids: dict[str, int] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    storage: dict[str, dict] = field(default_factory=dict)  # signed-in browser state per role


def _forum(number: int) -> Forum:
    return db.session.scalar(sa.select(Forum).where(Forum.number == number))


def _registered_members(forum: Forum) -> list[Registration]:
    return db.session.scalars(
        sa.select(Registration)
        .join(TeamMembership, TeamMembership.person_id == Registration.person_id)
        .where(Registration.forum_id == forum.id, TeamMembership.role == TeamRole.MEMBER)
        .order_by(Registration.id)
    ).all()


def _add_what_the_demo_lacks() -> tuple[dict[str, int], dict[str, str]]:
    ids: dict[str, int] = {}
    links: dict[str, str] = {}
    now = utcnow()
    final, first, third, draft = _forum(5), _forum(1), _forum(3), _forum(4)
    ids |= {
        "program": final.program_id,
        "final": final.id,
        "first": first.id,
        "third": third.id,
        "draft": draft.id,
    }
    # Registration stays open for the final forum whatever the date the tests run on.
    for day in final.days:
        day.registration_opens_at = now - timedelta(days=30)
        day.registration_closes_at = now + timedelta(days=60)
    public_day = next(day for day in final.days if day.audience == Audience.PUBLIC)
    team_day = next(day for day in final.days if day.audience == Audience.TEAM)
    ids |= {"public_day": public_day.id, "team_day": team_day.id}

    # A public registrant with a ticket (through the service, so mail reaches the outbox).
    public = build.public_registration(
        final,
        "Rosa Reyes",
        day_ids=[public_day.id],
        now=now,
        organization="Town of Apex",
        accessibility_needs="Step-free access",
    )
    links["public"] = personal_token(public.person)
    ids["public_registration"] = public.id
    ids["public_seat"] = public.seats[0].id
    links["ticket_code"] = build.ticket_code(public)
    links["public_surname"] = "Reyes"

    # A team member whose first breakout slot has one full breakout (with a waitlist).
    slots = breakout_slots(db.session, final, team_day)
    _start, first_slot = slots[0]
    members = _registered_members(final)
    member = members[0]
    picked = {pick.item_id for pick in member.picks}
    full = next(item for item in first_slot if item.id not in picked and item.seats_taken > 0)
    full.capacity = full.seats_taken
    waiting = next(r for r in members[1:] if full.id not in {p.item_id for p in r.picks})
    choose_breakout(db.session, waiting, full, join_waitlist=True)
    links["member"] = personal_token(member.person)
    ids["breakout"] = full.id

    # A team member registered for the final forum's team day with no breakout chosen yet.
    newcomer = db.session.scalars(
        sa.select(Person)
        .join(TeamMembership)
        .where(
            TeamMembership.role == TeamRole.MEMBER,
            ~sa.exists().where(
                Registration.person_id == Person.id, Registration.forum_id == final.id
            ),
        )
        .order_by(Person.id)
    ).first()
    build.team_registration(final, newcomer, day_ids=[team_day.id], now=now)
    links["keyboard_member"] = personal_token(newcomer)

    # A project manager (their page links the roster they keep).
    manager = db.session.scalars(
        sa.select(TeamMembership)
        .where(TeamMembership.role == TeamRole.PROJECT_MANAGER)
        .order_by(TeamMembership.id)
    ).first()
    links["manager"] = personal_token(manager.person)
    ids["manager_team"] = manager.team_id
    # One of that team's commitments (the demo's, made at the forum held); one noting a
    # barrier, when the team has one.
    commitment = db.session.scalars(
        sa.select(Commitment)
        .where(Commitment.team_id == manager.team_id)
        .order_by((Commitment.barrier_note == "").asc(), Commitment.id)
    ).first()
    ids["commitment"] = commitment.id
    ids["commitments_forum"] = commitment.forum_id

    # Feedback on the first forum (held, with check-ins): answers from several teams, topics.
    window.open_feedback(db.session, first, closes_in(14), now)
    attendees = [r for r in _registered_members(first) if attendance.is_attendee(db.session, r)]
    topics_by_turn = [
        "Sharing data between agencies",
        "Sharing data across agencies",
        "Naloxone in schools",
        "Peer support in the emergency department",
        "Transportation to treatment",
    ]
    # The attendee whose form is audited has not answered yet (the demo's feedback left some).
    newcomer = next(a for a in attendees if answering.find_response(db.session, a) is None)
    others = [a for a in attendees if a is not newcomer]
    for turn, attendee in enumerate(others[:12]):
        attended = attendance.sessions_attended(db.session, attendee)
        rated = {
            item.id: ((turn + n) % 5 + 1, "Clear and practical" if n == 0 else "")
            for n, item in enumerate(attended[:3])
        }
        answering.save_response(
            db.session,
            attendee,
            answers(
                turn % 5 + 1,
                rated,
                topics=[topics_by_turn[turn % len(topics_by_turn)]],
                anonymous=turn % 4 == 0,
                most_useful="Meeting the other teams",
            ),
            now,
        )
    topic_groups.regroup(db.session, first)
    links["attendee"] = personal_token(newcomer.person)

    # A clash on the third forum's agenda: two sessions in one room at once.
    day = third.days[0]
    taken = db.session.scalars(
        sa.select(AgendaItem)
        .where(AgendaItem.day_id == day.id, AgendaItem.kind == ItemKind.BREAKOUT)
        .order_by(AgendaItem.starts_at, AgendaItem.id)
    ).first()
    start, end = taken.starts_at, taken.ends_at
    clash = AgendaItem(
        day=day,
        title="Overflow discussion",
        kind=ItemKind.DISCUSSION,
        room=taken.room,
        starts_at=start,
        ends_at=end,
    )
    db.session.add(clash)
    db.session.flush()
    ids["clash_item"] = clash.id

    ids["speaker"] = db.session.scalars(
        sa.select(Speaker.id).where(Speaker.is_public).order_by(Speaker.id)
    ).first()
    ids["registration"] = member.id

    # The outbox: what Rosa's registration queued, one message failed after retries.
    failed = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).first()
    failed.status, failed.attempts = "failed", 8
    failed.last_error = "550 5.1.1 mailbox unavailable"
    ids["message"] = failed.id
    return ids, links


@pytest.fixture(scope="module")
def site(fresh_database, browser):
    """The demo program plus the extras above, served on a port of its own."""
    # Staff sign in once per role, and two audits send the sign-in form with errors: more
    # than the 5 a minute one address may try in production.
    app = make_test_app(fresh_database(), LOGIN_RATE_LIMIT="60 per minute")
    with app.app_context():
        upgrade()
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        ids, links = _add_what_the_demo_lacks()
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    built = Site(f"http://127.0.0.1:{server.server_port}", ids, links)
    for role in ("organizer", "admin", "door"):
        built.storage[role] = _signed_in_state(browser, built.url, role)
    yield built
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _signed_in_state(browser, url: str, role: str) -> dict:
    context = browser.new_context(base_url=url)
    page = context.new_page()
    email, password = PASSWORDS[role]
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff home")
    state = context.storage_state()
    context.close()
    return state


# --- The pages ---------------------------------------------------------------------------------


@dataclass
class Audit:
    """A page to audit: who looks at it, where, and what they do first."""

    role: str | None
    path: str
    shows: str | re.Pattern  # text the page must show: proof it is the state meant
    then: Callable | None = None  # what the person does first: then(page, site)
    status: int = 200


def _submit_empty(button: str):
    def act(page, site):
        page.get_by_role("button", name=button).click()
        expect(page.locator("[aria-invalid=true], [role=alert]").first).to_be_visible()

    return act


def _scan(code: str | None = None, result: str = "Rosa Reyes"):
    def act(page, site):
        field = page.get_by_label("Ticket code")
        field.fill(code or site.links["ticket_code"])
        field.press("Enter")
        expect(page.get_by_role("status", name="Scan result")).to_contain_text(result)

    return act


def _save_clashing_session(page, site):
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_role("alert")).to_contain_text("Check before saving")


def _upload_bad_roster(page, site):
    page.get_by_label("Roster file").set_input_files(
        {
            "name": "roster.csv",
            "mimeType": "text/csv",
            "buffer": b"team,name,email,role\nDare County,No Email,,member\n",
        }
    )
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("alert")).to_be_visible()


def _preview_a_message(page, site):
    page.get_by_label("Subject").fill("Parking at {forum}")
    page.get_by_role("textbox", name="Message", exact=True).fill(
        "Dear {first_name},\n\nPark in the deck on Main Street."
    )
    page.get_by_role("group", name="Teams").get_by_role("checkbox").first.check()
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name=re.compile("^Preview:"))).to_be_visible()


def _walk_in_without_details(page, site):
    page.get_by_role("button", name="Register and check in").click()
    expect(page.get_by_label("Full name")).to_have_attribute("aria-invalid", "true")


PAGES: dict[str, Audit] = {
    # Public
    "home": Audit(None, "/", "Forum 5: Sustaining the work"),
    "program": Audit(None, "/programs/{ids[program]}", "Forum 1: Building the team"),
    "forum": Audit(None, "/forums/{ids[final]}", "Register for the public day"),
    "draft forum (404)": Audit(None, "/forums/{ids[draft]}", "Error code 404", status=404),
    "register": Audit(None, "/forums/{ids[final]}/register", "Privacy note"),
    "register with errors": Audit(
        None, "/forums/{ids[final]}/register", "Please check these", _submit_empty("Register")
    ),
    "link": Audit(None, "/link", "Send me my personal link again"),
    "link with errors": Audit(
        None, "/link", "Enter the email you registered with", _submit_empty("Send me my link")
    ),
    "speaker": Audit(None, "/speakers/{ids[speaker]}", "Margaret Holloway"),
    "sign-in with errors": Audit(None, "/login", "Sign-in did not work", _submit_empty("Sign in")),
    # The public pages in Spanish: organizer text without a Spanish version stays English
    # inside lang="en", which axe checks like the page's own lang.
    "home in Spanish": Audit(None, "/?lang=es", "Foro 5: Sostener el trabajo"),
    "forum in Spanish": Audit(
        None, "/forums/{ids[final]}?lang=es", "Inscribirse en el día abierto al público"
    ),
    "register in Spanish": Audit(
        None, "/forums/{ids[final]}/register?lang=es", "Aviso de privacidad"
    ),
    "register with errors in Spanish": Audit(
        None,
        "/forums/{ids[final]}/register?lang=es",
        "Revise estos datos",
        _submit_empty("Inscribirme"),
    ),
    "speaker in Spanish": Audit(None, "/speakers/{ids[speaker]}?lang=es", "Margaret Holloway"),
    "public attendee in Spanish": Audit(None, "/me/{links[public]}?lang=es", "Sus inscripciones"),
    "public attendee's ticket in Spanish": Audit(
        None, "/me/{links[public]}/tickets/{ids[public_registration]}?lang=es", "Código de entrada"
    ),
    "cancelling a place in Spanish": Audit(
        None, "/me/{links[public]}/seats/{ids[public_seat]}/cancel?lang=es", "Sí, cancelar mi lugar"
    ),
    "feedback form in Spanish": Audit(
        None, "/me/{links[attendee]}/feedback/{ids[first]}?lang=es", "Su opinión sobre"
    ),
    "feedback form with errors in Spanish": Audit(
        None,
        "/me/{links[attendee]}/feedback/{ids[first]}?lang=es",
        "Elija una calificación general",
        _submit_empty("Enviar mis respuestas"),
    ),
    # Attendees, by their personal link
    "registration sent": Audit(None, "/forums/{ids[final]}/register/sent", "Check your inbox"),
    "public attendee": Audit(None, "/me/{links[public]}", "Rosa Reyes"),
    "public attendee's ticket": Audit(
        None, "/me/{links[public]}/tickets/{ids[public_registration]}", "Rosa Reyes"
    ),
    "cancelling a place": Audit(
        None, "/me/{links[public]}/seats/{ids[public_seat]}/cancel", "Yes, cancel my place"
    ),
    "giving a seat back from a reminder": Audit(
        None,
        "/me/{links[public]}/seats/{ids[public_seat]}/cancel?via=reminder",
        "Give my seat to someone else",
    ),
    "team member with a full breakout": Audit(
        None, "/me/{links[member]}", "Full: choose it to join the waitlist."
    ),
    "personal agenda": Audit(None, "/me/{links[member]}/forums/{ids[final]}", "Agenda:"),
    "project manager": Audit(None, "/me/{links[manager]}", "As project manager"),
    "project manager's roster": Audit(
        None, "/me/{links[manager]}/team/{ids[manager_team]}/roster", "People on the roster"
    ),
    "team commitments": Audit(
        None,
        "/me/{links[manager]}/team/{ids[manager_team]}/commitments",
        "Add a commitment",
    ),
    "team commitments with errors": Audit(
        None,
        "/me/{links[manager]}/team/{ids[manager_team]}/commitments",
        "Write what the team commits to do.",
        _submit_empty("Add the commitment"),
    ),
    "commitment progress": Audit(
        None, "/me/{links[manager]}/commitments/{ids[commitment]}", "History"
    ),
    "feedback form": Audit(
        None, "/me/{links[attendee]}/feedback/{ids[first]}", "Your feedback on Forum 1"
    ),
    "feedback form with errors": Audit(
        None,
        "/me/{links[attendee]}/feedback/{ids[first]}",
        "Choose an overall rating",
        _submit_empty("Send my feedback"),
    ),
    "topic between forums": Audit(None, "/me/{links[attendee]}/topics", "Forum"),
    # Door: organizers reach every day's door, so one run audits the public day's and the
    # team day's (door staff get the same pages, on that day only).
    "door days": Audit("organizer", "/door", "March 15, 2028"),
    # The desktop scan checks Rosa in (green), the phone's finds her in already (amber).
    "door with a result": Audit("organizer", "/door/days/{ids[public_day]}", "Rosa Reyes", _scan()),
    "door with an invalid code": Audit(
        "organizer", "/door/days/{ids[public_day]}", "Invalid code", _scan("HELLO", "Invalid code")
    ),
    "door lookup": Audit(
        "organizer", "/door/days/{ids[public_day]}/lookup?q={links[public_surname]}", "Rosa Reyes"
    ),
    "walk-in": Audit("organizer", "/door/days/{ids[public_day]}/walk-in", "Full name"),
    "walk-in with errors": Audit(
        "organizer", "/door/days/{ids[public_day]}/walk-in", "Error:", _walk_in_without_details
    ),
    "breakout door": Audit("organizer", "/door/breakouts/{ids[breakout]}", "Ticket code"),
    # Staff
    "staff home": Audit("organizer", "/staff/", "Staff home"),
    "forums": Audit("organizer", "/staff/forums", "Every forum of the program"),
    "agenda with problems": Audit(
        "organizer", "/staff/forums/{ids[third]}/agenda", re.compile(r"Problems \(\d+\)")
    ),
    "session form with warnings": Audit(
        "organizer",
        "/staff/items/{ids[clash_item]}/edit",
        "Check before saving",
        _save_clashing_session,
    ),
    "forum form": Audit("organizer", "/staff/forums/{ids[final]}/edit", "Venue"),
    "speakers": Audit("organizer", "/staff/speakers", "Margaret Holloway"),
    "speaker form": Audit("organizer", "/staff/speakers/{ids[speaker]}/edit", "Margaret"),
    "registrations": Audit(
        "organizer", "/staff/forums/{ids[final]}/registrations", "Every registration"
    ),
    "breakouts": Audit("organizer", "/staff/forums/{ids[final]}/breakouts", "Seats left"),
    "registration": Audit("organizer", "/staff/registrations/{ids[registration]}", "Days"),
    "register someone": Audit(
        "organizer", "/staff/forums/{ids[final]}/registrations/new", "Register"
    ),
    "outbox": Audit("organizer", "/staff/outbox", "rosa.reyes@public.example.org"),
    "outbox message": Audit(
        "organizer", "/staff/outbox/{ids[message]}", "550 5.1.1 mailbox unavailable"
    ),
    "teams": Audit("organizer", "/staff/teams", "Wilkes County"),
    "roster import with problems": Audit(
        "organizer", "/staff/teams/import", "Nothing was imported", _upload_bad_roster
    ),
    "check-in overview": Audit("organizer", "/staff/checkin", "Forum 1"),
    "check-in counts": Audit("organizer", "/staff/forums/{ids[first]}/checkin", "By team"),
    "feedback overview": Audit("organizer", "/staff/feedback", "Feedback on each forum"),
    "feedback summary": Audit(
        "organizer", "/staff/forums/{ids[first]}/feedback", "Topics for the next forum"
    ),
    "feedback settings": Audit(
        "organizer", "/staff/forums/{ids[first]}/feedback/settings", "Feedback"
    ),
    "topics": Audit("organizer", "/staff/forums/{ids[first]}/topics", "Sharing data"),
    "topics import": Audit("organizer", "/staff/forums/{ids[first]}/topics/import", "CSV"),
    "registration settings": Audit(
        "organizer", "/staff/forums/{ids[final]}/registration-settings", "Forum 5"
    ),
    "team invitations": Audit("organizer", "/staff/forums/{ids[final]}/invitations", "Forum 5"),
    "speaker availability": Audit(
        "organizer", "/staff/speakers/{ids[speaker]}/availability", "Margaret Holloway"
    ),
    "day form": Audit("organizer", "/staff/days/{ids[public_day]}/edit", "Reminders"),
    "program measures": Audit("organizer", "/staff/program/measures", "no-shows, day by day"),
    "funder report": Audit("organizer", "/staff/program/report", "shown as"),
    "funder report with errors": Audit(
        "organizer",
        "/staff/program/report?since=2030-01-01&until=2020-01-01",
        "Choose an end on or after the start.",
        status=400,
    ),
    "forum commitments": Audit(
        "organizer", "/staff/forums/{ids[commitments_forum]}/commitments", "Add a commitment"
    ),
    "commitment progress for staff": Audit(
        "organizer", "/staff/commitments/{ids[commitment]}", "History"
    ),
    "messages": Audit("organizer", "/staff/forums/{ids[final]}/messages", "Who receives it"),
    "message preview": Audit(
        "organizer", "/staff/forums/{ids[final]}/messages", "copy:", _preview_a_message
    ),
    "messages with errors": Audit(
        "organizer", "/staff/forums/{ids[final]}/messages", "Error:", _submit_empty("Preview")
    ),
    "language requests": Audit(
        "organizer", "/staff/forums/{ids[final]}/language-requests", "Booking deadlines"
    ),
    "users": Audit("admin", "/staff/users", "door@forums.example.org"),
}


# --- The audit ---------------------------------------------------------------------------------


def run_axe(page) -> list[dict]:
    """axe-core's violations on the page as it is now (its default rules: WCAG 2.x A and AA
    and best practices)."""
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map(n => n.target.join(' ')).slice(0, 8),
                summary: v.nodes.length ? v.nodes[0].failureSummary : '',
            }));
        }"""
    )


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']}")
        lines.extend(f"    {target}" for target in v["targets"])
        lines.append("    " + (v["summary"] or "").replace("\n", "\n    "))
    return "\n".join(lines)


@pytest.fixture(scope="module")
def tabs(browser, site):
    """One browser tab per (role, viewport), reused by every audit (a fresh tab per page costs
    more than the audit itself)."""
    made: dict[tuple[str | None, str], object] = {}

    def get(role: str | None, viewport: str):
        if (role, viewport) not in made:
            options = {"viewport": VIEWPORTS[viewport], "base_url": site.url}
            if viewport == "phone":
                options["is_mobile"] = True
            if role:
                options["storage_state"] = site.storage[role]
            context = browser.new_context(**options)
            # axe-core comes in as an init script, which the DevTools protocol runs in each new
            # document outside the page's Content-Security-Policy. A <script> tag
            # (page.add_script_tag) would be refused by the app's script-src 'self', and
            # bypass_csp=True would audit the pages without the policy they are served with.
            context.add_init_script(path=str(AXE))
            page = context.new_page()
            page.set_default_timeout(10_000)
            made[(role, viewport)] = page
        return made[(role, viewport)]

    yield get
    for page in made.values():
        page.context.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_serious_accessibility_violations(site, tabs, name, viewport):
    audit = PAGES[name]
    page = tabs(audit.role, viewport)
    if audit.role is None:
        # A Spanish audit's ?lang=es is remembered in a cookie: each public page starts afresh.
        page.context.clear_cookies()
    response = page.goto(audit.path.format(ids=site.ids, links=site.links))
    assert response.status == (200 if audit.then else audit.status), f"{name}: HTTP"
    if audit.then is not None:
        audit.then(page, site)
    expect(page.locator("main")).to_contain_text(audit.shows)
    # What is folded away (data tables under charts, a topic's suggestions) is audited too.
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    serious = [v for v in run_axe(page) if v["impact"] in ("serious", "critical")]
    assert not serious, f"{name} ({viewport}) has accessibility violations:\n" + describe(serious)


# --- Keyboard only -----------------------------------------------------------------------------


@pytest.fixture
def keyboard_page(browser, site):
    context = browser.new_context(viewport=DESKTOP, base_url=site.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def is_focused(locator) -> bool:
    return locator.evaluate("element => element === document.activeElement")


def tab_to(page, locator, backwards: bool = False, limit: int = 60) -> None:
    """Press Tab (or Shift+Tab) until ``locator`` has the focus, as a keyboard user would."""
    for _ in range(limit):
        if is_focused(locator):
            return
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    raise AssertionError(f"{locator} never got the focus in {limit} presses of Tab")


def focus_is_visible(page) -> bool:
    """The focused element shows a focus ring (an outline, as app.css draws for :focus-visible)."""
    return page.evaluate(
        """() => {
            const style = getComputedStyle(document.activeElement);
            return style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
        }"""
    )


def test_public_registration_with_the_keyboard_alone(keyboard_page, site):
    page = keyboard_page
    page.goto(f"/forums/{site.ids['final']}")
    tab_to(page, page.get_by_role("link", name="Register for the public day"))
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^Register for"))

    name = page.get_by_label("Full name")
    tab_to(page, name)
    assert focus_is_visible(page)
    page.keyboard.type("Grace Hopper")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Email")).to_be_focused()
    page.keyboard.type("grace.hopper@public.example.org")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Organization (optional)")).to_be_focused()
    page.keyboard.type("Town of Cary")
    # Forgot the privacy box: the error summary links to it.
    tab_to(page, page.get_by_role("button", name="Register"))
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Please check this")
    expect(name).to_have_value("Grace Hopper")
    consent = page.get_by_label("I agree to the privacy note above")
    tab_to(page, summary.get_by_role("link"))
    page.keyboard.press("Enter")
    expect(consent).to_be_focused()
    assert focus_is_visible(page)
    page.keyboard.press("Space")
    expect(consent).to_be_checked()

    tab_to(page, page.get_by_role("button", name="Register"))
    page.keyboard.press("Shift+Tab")  # a look back: the box is still ticked
    expect(consent).to_be_focused()
    expect(consent).to_be_checked()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    expect(page.get_by_role("status")).to_contain_text(
        "We've emailed grace.hopper@public.example.org"
    )


def test_team_member_chooses_breakouts_with_the_keyboard_alone(keyboard_page, site):
    page = keyboard_page
    page.goto(f"/me/{site.links['keyboard_member']}")
    forum = page.get_by_role("region", name=re.compile("^Forum 5"))
    slots = forum.get_by_role("group", name=re.compile("choose one breakout"))
    expect(slots).to_have_count(3)

    chosen = []
    # The page lists every forum the member is registered for; Forum 5 comes after the others.
    tab_to(page, slots.nth(0).get_by_role("radio").first, limit=100)
    for index, presses in enumerate([1, 2, 1]):
        radios = slots.nth(index).get_by_role("radio")
        # Tab lands on the group's first radio (none is chosen yet); arrows move and choose.
        expect(radios.first).to_be_focused()
        assert focus_is_visible(page)
        for _ in range(presses):
            page.keyboard.press("ArrowDown")
        expect(radios.nth(presses)).to_be_focused()
        expect(radios.nth(presses)).to_be_checked()
        chosen.append(radios.nth(presses).evaluate("radio => radio.id"))
        page.keyboard.press("Tab")  # on to the next group, or the button after the last

    save = forum.get_by_role("button", name="Save my choices")
    expect(save).to_be_focused()
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Your breakout choices are saved.")
    for radio_id in chosen:
        expect(page.locator(f"#{radio_id}")).to_be_checked()
