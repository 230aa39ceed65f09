"""Organizer pages for registrations (overview, exports, manual changes, settings, invitations,
roster import) and the project manager's page for their own team's roster.

Staff pages live under /staff and need the organizer role. The project manager's page is
reached from their personal link (/me/<token>/…) and shows a 404 to anyone who is not a project
manager of that team, so it reveals nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from sqlalchemy.orm import selectinload

from ..agenda.forums import current_program
from ..agenda.models import AgendaItem, ItemKind, ItemStatus
from ..core import audit
from ..core.auth import role_required
from ..core.clock import to_local
from ..core.csv_import import CsvImportError, RowError, decode_csv
from ..core.forms import ButtonForm, show_errors
from ..core.links import person_for_token
from ..core.models import Audience, Forum, Person, Program, Role, Team
from ..core.rate_limits import personal_link_limit
from ..extensions import db
from . import organizer, rosters, services
from .models import BreakoutPick, DaySeat, Registration
from .staff_forms import (
    BreakoutSettingsForm,
    InvitationForm,
    ManualRegistrationForm,
    MovePickForm,
    RegistrationDaysForm,
    RegistrationSearchForm,
    RosterMemberForm,
    RosterUploadForm,
)

bp = Blueprint("registration_staff", __name__)

ORGANIZERS = (Role.ORGANIZER,)
_SLOT_KEY = re.compile(r"^\d{1,12}-\d{1,12}$")


def _current_program() -> Program:
    return current_program(db.session, current_app.config["PROGRAM_TIME_ZONE"])


def _errors_of(error: services.RegistrationError | rosters.RosterError) -> dict:
    return error.errors


def _day_choices(forum: Forum) -> list[tuple[int, str]]:
    return [
        (day.id, f"{organizer.day_label(day)} ({'public' if day.is_public else 'teams only'})")
        for day in forum.days
    ]


def _when(day) -> str:
    return f"{day.date:%A, %B} {day.date.day}"


def _flash_result(result: services.RegistrationResult) -> None:
    """Tell the organizer what happened on each day, waitlists included."""
    registration = result.registration
    name = registration.person.name
    seats = {seat.day_id: seat for seat in registration.seats}
    if not result.created:
        flash(f"{name} already held these days; nothing changed.", "info")
    for day_result in result.days:
        when = _when(day_result.day)
        seat = seats.get(day_result.day.id)
        if day_result.status == "confirmed":
            extra = " beyond capacity (override recorded)" if seat and seat.override else ""
            flash(f"{name} is confirmed for {when}{extra}.", "success")
        else:
            flash(
                f"{when} is full: {name} is on the waitlist as number "
                f"{day_result.waitlist_position}. Tick “Override capacity” to give them a "
                "seat anyway.",
                "info",
            )


def _record_override(result: services.RegistrationResult, override: bool) -> None:
    """An organizer's deliberate capacity override goes to the audit log."""
    if override and result.created:
        audit.record(
            db.session, current_user.id, "registration.override",
            f"registration:{result.registration.id}",
            day_ids=[day_result.day.id for day_result in result.days],
        )  # fmt: skip


def _streamed_csv(
    forum: Forum, lines_of: Callable[[object, Forum], Iterator[str]], filename: str
) -> Response:
    """Stream the forum's CSV export, ``lines_of(session, forum)``, as it is produced."""
    forum_id = forum.id

    def body() -> Iterator[str]:
        yield "\ufeff"  # the byte-order mark lets Excel read names with accents correctly
        # Flask ends the view's session once the view returns, before the body streams: the
        # rows are read in the streaming context's own session, the forum first.
        yield from lines_of(db.session, db.session.get(Forum, forum_id))

    return Response(
        stream_with_context(body()),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",  # personal details
        },
    )


# --- Roster import -------------------------------------------------------------------------


@bp.route("/staff/teams/import", methods=["GET", "POST"])
@role_required(*ORGANIZERS)
def roster_import():
    form = RosterUploadForm()
    errors: list[RowError] = []
    if form.validate_on_submit():
        try:
            text = decode_csv(form.file.data.read())
            program = _current_program()
            result = rosters.import_roster(db.session, program, text)
        except CsvImportError as error:
            db.session.rollback()
            errors = error.errors
        else:
            audit.record(
                db.session, current_user.id, "roster.import", f"program:{program.id}",
                teams=result.teams, teams_created=result.teams_created,
                people_added=result.people_added, people_updated=result.people_updated,
            )  # fmt: skip
            db.session.commit()
            flash(result.summary, "success")
            return redirect(url_for("core.staff_teams"))
    status = 400 if form.errors or errors else 200
    return render_template(
        "registration/staff/roster_import.html", form=form, errors=errors
    ), status


# --- The overview and exports --------------------------------------------------------------


@bp.route("/staff/forums/<int:forum_id>/registrations")
@role_required(*ORGANIZERS)
def registrations(forum_id: int):
    forum = db.get_or_404(Forum, forum_id)
    search_form = RegistrationSearchForm(formdata=request.args)
    search_form.validate()
    search = "" if search_form.q.errors else (search_form.q.data or "").strip()
    # Anything but a page number (``page=abc``) shows the first page.
    page = request.args.get("page", 1, type=int)
    overview = organizer.forum_overview(db.session, forum, search, page)

    def page_url(number: int) -> str:
        return url_for(
            "registration_staff.registrations", forum_id=forum.id, q=search or None, page=number
        )

    return render_template(
        "registration/staff/registrations.html",
        forum=forum,
        overview=overview,
        people=overview.people,
        page_url=page_url,
        search_form=search_form,
        search=search,
    )


@bp.route("/staff/forums/<int:forum_id>/registrations.csv")
@role_required(*ORGANIZERS)
def registrations_csv(forum_id: int):
    forum = db.get_or_404(Forum, forum_id)
    filename = f"forum-{forum.number}-registrations.csv"
    audit.record_download(
        db.session, current_user.id, "export.registrations_csv", f"forum:{forum.id}"
    )
    return _streamed_csv(forum, organizer.registrations_csv, filename)


@bp.route("/staff/forums/<int:forum_id>/breakouts.csv")
@role_required(*ORGANIZERS)
def breakouts_csv(forum_id: int):
    forum = db.get_or_404(Forum, forum_id)
    filename = f"forum-{forum.number}-breakouts.csv"
    audit.record_download(db.session, current_user.id, "export.breakouts_csv", f"forum:{forum.id}")
    return _streamed_csv(forum, organizer.breakouts_csv, filename)


# --- Settings ------------------------------------------------------------------------------


@bp.route("/staff/forums/<int:forum_id>/registration-settings", methods=["GET", "POST"])
@role_required(*ORGANIZERS)
def settings(forum_id: int):
    forum = db.get_or_404(Forum, forum_id)
    form = BreakoutSettingsForm()
    if request.method == "GET":
        zone = forum.program.time_zone
        deadline = forum.choice_deadline
        form.choice_deadline.data = (
            to_local(deadline, zone).replace(tzinfo=None) if deadline else None
        )
        form.team_breakout_cap.data = forum.team_breakout_cap
    if form.validate_on_submit():
        try:
            organizer.save_breakout_settings(
                db.session, forum, form.choice_deadline.data, form.team_breakout_cap.data
            )
        except services.RegistrationError as error:
            db.session.rollback()
            show_errors(form, _errors_of(error))
        else:
            db.session.commit()
            flash("Breakout settings saved.", "success")
            return redirect(url_for("registration_staff.registrations", forum_id=forum.id))
    return render_template("registration/staff/settings.html", forum=forum, form=form), (
        400 if form.errors else 200
    )


# --- Invitations ---------------------------------------------------------------------------


@bp.route("/staff/forums/<int:forum_id>/invitations", methods=["GET", "POST"])
@role_required(*ORGANIZERS)
def invitations(forum_id: int):
    forum = db.get_or_404(Forum, forum_id)
    program = forum.program
    teams = list(program.teams)
    counts = rosters.team_member_counts(db.session, program)
    form = InvitationForm()
    form.team_id.choices = [(None, f"Every team ({sum(counts.values())} roster places)")] + [
        (team.id, f"{team.name} ({counts.get(team.id, 0)} people)") for team in teams
    ]
    if form.validate_on_submit():
        team = db.get_or_404(Team, form.team_id.data) if form.team_id.data else None
        if team is not None and team.program_id != program.id:
            abort(404)
        try:
            result = rosters.send_team_invitations(
                db.session, forum, team, send_again=form.send_again.data
            )
        except rosters.RosterError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            audit.record(
                db.session, current_user.id, "invitations.team", f"forum:{forum.id}",
                team_id=team.id if team else None, queued=len(result.queued),
            )  # fmt: skip
            db.session.commit()
            queued = len(result.queued)
            plural = "" if queued == 1 else "s"
            flash(f"Queued {queued} invitation{plural} for {forum.title}.", "success")
            if result.already_invited:
                skipped = len(result.already_invited)
                flash(
                    f"{skipped} {'person was' if skipped == 1 else 'people were'} invited before "
                    "and skipped. Tick “Also send again” to send them another copy.",
                    "info",
                )
            return redirect(url_for("registration_staff.invitations", forum_id=forum.id))
    invited = len(rosters.invited_person_ids(db.session, forum))
    return render_template(
        "registration/staff/invitations.html", forum=forum, form=form, invited=invited
    ), (400 if form.errors else 200)


# --- Registering and changing registrations by hand ----------------------------------------


@bp.route("/staff/forums/<int:forum_id>/registrations/new", methods=["GET", "POST"])
@role_required(*ORGANIZERS)
def register_someone(forum_id: int):
    forum = db.get_or_404(Forum, forum_id)
    form = ManualRegistrationForm()
    form.day_ids.choices = _day_choices(forum)
    if form.validate_on_submit():
        try:
            result = organizer.register_someone(
                db.session,
                forum,
                email=form.email.data or "",
                name=form.name.data or "",
                organization=form.organization.data or "",
                day_ids=form.day_ids.data or [],
                override=form.override.data,
            )
        except services.RegistrationError as error:
            db.session.rollback()
            show_errors(form, _errors_of(error))
        else:
            _record_override(result, form.override.data)
            db.session.commit()
            _flash_result(result)
            team_days = [r.day for r in result.days if r.day.audience == Audience.TEAM]
            person = result.registration.person
            if team_days and not services.is_team_member(db.session, person, forum):
                flash(
                    f"{person.name} is on no team's roster, yet now has a place on a day for "
                    "the community teams. Add them to a roster if that is right; otherwise "
                    "cancel that day.",
                    "warning",
                )
            return redirect(
                url_for("registration_staff.registration", registration_id=result.registration.id)
            )
    return render_template("registration/staff/register.html", forum=forum, form=form), (
        400 if form.errors else 200
    )


def _registration_or_404(registration_id: int) -> Registration:
    return db.get_or_404(
        Registration,
        registration_id,
        options=[
            selectinload(Registration.person),
            selectinload(Registration.seats),
            selectinload(Registration.picks),
        ],
    )


def _slot_forms(registration: Registration) -> list[dict]:
    """Per breakout slot of the forum: its breakouts and a form to move this person's pick."""
    forum = registration.forum
    picks = [p for p in registration.picks if p.status in services.ACTIVE]
    slots = []
    for day in forum.days:
        for starts_at, items in services.breakout_slots(db.session, forum, day):
            key = f"{day.id}-{int(starts_at.timestamp())}"
            ids = {item.id for item in items}
            current = next((p for p in picks if p.item_id in ids), None)
            form = MovePickForm(prefix=f"slot-{key}", formdata=None)
            form.item_id.choices = [(item.id, _breakout_label(item)) for item in items]
            if current is not None:
                form.item_id.data = current.item_id
            slots.append(
                {
                    "day": day,
                    "starts_at": starts_at,
                    "key": key,
                    "current": current,
                    "position": services.waitlist_position(db.session, current)
                    if current is not None
                    else None,
                    "form": form,
                }
            )
    return slots


def _breakout_label(item: AgendaItem) -> str:
    capacity = item.effective_capacity
    if capacity is None:
        return f"{item.title} ({item.seats_taken} taken)"
    waiting = services.waitlist_length(db.session, BreakoutPick, item.id)
    full = ", full" if item.seats_taken >= capacity else ""
    wait = f", {waiting} waiting" if waiting else ""
    return f"{item.title} ({item.seats_taken}/{capacity} taken{full}{wait})"


@bp.route("/staff/registrations/<int:registration_id>")
@role_required(*ORGANIZERS)
def registration(registration_id: int):
    registration = _registration_or_404(registration_id)
    forum = registration.forum
    seats = {seat.day_id: seat for seat in registration.seats}
    days = [
        {
            "day": day,
            "seat": seats.get(day.id),
            "position": services.waitlist_position(db.session, seats[day.id])
            if day.id in seats
            else None,
        }
        for day in forum.days
    ]
    days_form = RegistrationDaysForm(formdata=None)
    days_form.day_ids.choices = _day_choices(forum)
    teams = [
        m.team for m in registration.person.memberships if m.team.program_id == forum.program_id
    ]
    return render_template(
        "registration/staff/registration.html",
        registration=registration,
        person=registration.person,
        forum=forum,
        teams=teams,
        days=days,
        slots=_slot_forms(registration),
        days_form=days_form,
        button_form=ButtonForm(),
    )


def _back_to(registration: Registration, anchor: str = ""):
    return redirect(
        url_for("registration_staff.registration", registration_id=registration.id) + anchor
    )


@bp.route("/staff/registrations/<int:registration_id>/days", methods=["POST"])
@role_required(*ORGANIZERS)
def registration_add_days(registration_id: int):
    registration = _registration_or_404(registration_id)
    form = RegistrationDaysForm()
    form.day_ids.choices = _day_choices(registration.forum)
    if not form.validate_on_submit() or not form.day_ids.data:
        flash("Choose at least one of the forum's days.", "error")
        return _back_to(registration, "#days")
    try:
        result = services.register_by_organizer(
            db.session,
            registration.forum,
            registration.person,
            form.day_ids.data,
            override=form.override.data,
        )
    except services.RegistrationError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        _record_override(result, form.override.data)
        db.session.commit()
        _flash_result(result)
    return _back_to(registration, "#days")


@bp.route("/staff/registrations/<int:registration_id>/days/<int:day_id>/cancel", methods=["POST"])
@role_required(*ORGANIZERS)
def registration_cancel_day(registration_id: int, day_id: int):
    registration = _registration_or_404(registration_id)
    day = next((day for day in registration.forum.days if day.id == day_id), None)
    if day is None:
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    seat = next((seat for seat in registration.seats if seat.day_id == day_id), None)
    was_waiting = seat is not None and seat.status == "waitlisted"
    waiting = services.waitlist_length(db.session, DaySeat, day_id) - was_waiting
    cancelled = services.cancel_days(db.session, registration, [day_id])
    promoted = waiting - services.waitlist_length(db.session, DaySeat, day_id)
    if cancelled:
        audit.record(
            db.session, current_user.id, "registration.cancel_day",
            f"registration:{registration.id}", day_id=day_id,
        )  # fmt: skip
    db.session.commit()
    name = registration.person.name
    if cancelled:
        if was_waiting:
            after = "They were on the waitlist; the others waiting moved up one place."
        elif promoted:
            after = "The first person waiting got the seat and is told by email."
        elif waiting:
            after = "The day is still full (people let in by override), so nobody waiting moved up."
        else:
            after = "Nobody was waiting: one more seat is free."
        flash(f"Cancelled {name}'s place on {_when(day)} and their breakouts that day. {after}",
              "success")  # fmt: skip
    else:
        flash(f"{name} held no place on {_when(day)}; nothing changed.", "info")
    return _back_to(registration, "#days")


@bp.route("/staff/registrations/<int:registration_id>/picks", methods=["POST"])
@role_required(*ORGANIZERS)
def registration_move_pick(registration_id: int):
    registration = _registration_or_404(registration_id)
    slot_key = request.args.get("slot", "")
    if not _SLOT_KEY.match(slot_key):
        abort(400)
    form = MovePickForm(prefix=f"slot-{slot_key}")
    form.item_id.choices = [
        (item.id, item.title)
        for day in registration.forum.days
        for item in day.items
        if item.kind == ItemKind.BREAKOUT and item.status == ItemStatus.SCHEDULED
    ]
    if not form.validate_on_submit():
        flash("Choose one of the slot's breakouts.", "error")
        return _back_to(registration, "#breakouts")
    item = db.get_or_404(AgendaItem, form.item_id.data)
    override = form.override.data
    name = registration.person.name
    leaving = services._pick_in_slot(registration, item)  # for the audit log
    before = leaving.item_id if leaving is not None else None
    try:
        pick = services.choose_breakout(
            db.session, registration, item, join_waitlist=True, override=override
        )
    except services.RegistrationError as error:
        db.session.rollback()
        hint = "" if override else " Tick “Override” to make the change anyway."
        flash(f"{error.message}{hint}", "error")
        return _back_to(registration, "#breakouts")
    audit.record(
        db.session, current_user.id, "registration.move_pick", f"registration:{registration.id}",
        from_item_id=before, to_item_id=item.id, status=pick.status, override=pick.override,
    )  # fmt: skip
    db.session.commit()
    if pick.status == "waitlisted":
        position = services.waitlist_position(db.session, pick)
        flash(
            f"“{item.title}” is full: {name} is number {position} on its waitlist. Tick "
            "“Override” to give them a seat anyway.",
            "info",
        )
    elif pick.override:
        flash(f"{name} now has a seat in “{item.title}” (override recorded).", "success")
    else:
        flash(f"{name} now has a seat in “{item.title}”.", "success")
    return _back_to(registration, "#breakouts")


# --- The project manager's roster page -----------------------------------------------------


def _managed_team_or_404(token: str, team_id: int) -> tuple[Person, Team]:
    person = person_for_token(db.session, token)
    team = rosters.managed_team(db.session, person, team_id) if person is not None else None
    if team is None:
        abort(404)
    return person, team


@bp.route("/me/<token>/team/<int:team_id>/roster", methods=["GET", "POST"])
@personal_link_limit
def team_roster_pm(token: str, team_id: int):
    person, team = _managed_team_or_404(token, team_id)
    form = RosterMemberForm()
    if form.validate_on_submit():
        try:
            membership = rosters.add_roster_member(
                db.session, team, form.name.data or "", form.email.data or ""
            )
        except rosters.RosterError as error:
            db.session.rollback()
            show_errors(form, _errors_of(error))
        else:
            db.session.commit()
            flash(f"Added {membership.roster_name} to the {team.name} roster.", "success")
            return redirect(
                url_for("registration_staff.team_roster_pm", token=token, team_id=team.id)
            )
    return render_template(
        "registration/staff/team_roster_pm.html",
        person=person,
        team=team,
        token=token,
        roster=rosters.roster_of(db.session, team),
        form=form,
        button_form=ButtonForm(),
    ), (400 if form.errors else 200)


@bp.route("/me/<token>/team/<int:team_id>/roster/<int:person_id>/remove", methods=["POST"])
@personal_link_limit
def team_roster_pm_remove(token: str, team_id: int, person_id: int):
    person, team = _managed_team_or_404(token, team_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        removed = rosters.remove_roster_member(db.session, team, person_id, removed_by=person)
    except rosters.RosterError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(f"Removed {removed} from the {team.name} roster.", "success")
    return redirect(url_for("registration_staff.team_roster_pm", token=token, team_id=team.id))
