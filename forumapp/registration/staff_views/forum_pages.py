"""A forum's registrations as a whole: the overview, the breakout table, the CSV downloads,
the breakout settings and the team invitations."""

from __future__ import annotations

from collections.abc import Iterator

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from ...core.actions import carry_out
from ...core.auth import role_required
from ...core.clock import to_local, utcnow
from ...core.models import Forum, Role, Team
from ...extensions import db
from .. import day_measures, exports, organizer, overview, rosters
from ..additions import registrations_panels
from ..blueprint import bp
from ..staff_forms import BreakoutSettingsForm, InvitationForm, RegistrationSearchForm

ORGANIZERS = (Role.ORGANIZER,)


@bp.route("/staff/forums/<int:forum_id>/registrations")
@role_required(*ORGANIZERS)
def registrations(forum_id: int):
    forum = db.get_or_404(Forum, forum_id)
    search_form = RegistrationSearchForm(formdata=request.args)
    search_form.validate()
    search = "" if search_form.q.errors else (search_form.q.data or "").strip()
    # Anything but a page number (``page=abc``) shows the first page.
    page = request.args.get("page", 1, type=int)
    forum_overview = overview.forum_overview(db.session, forum, search, page)

    def page_url(number: int) -> str:
        return url_for(
            "registration.registrations", forum_id=forum.id, q=search or None, page=number
        )

    return render_template(
        "registration/staff/registrations.html",
        forum=forum,
        overview=forum_overview,
        people=forum_overview.people,
        page_url=page_url,
        search_form=search_form,
        search=search,
        day_measures=day_measures.day_measures(db.session, forum.days, utcnow()),
        panels=registrations_panels(db.session, forum, utcnow()),
    )


# --- Downloads -----------------------------------------------------------------------------


@bp.route("/staff/forums/<int:forum_id>/registrations.csv")
@role_required(*ORGANIZERS)
def registrations_csv(forum_id: int):
    forum = db.get_or_404(Forum, forum_id)
    return _streamed_csv(forum, exports.export_registrations(db.session, forum, current_user.id))


@bp.route("/staff/forums/<int:forum_id>/breakouts.csv")
@role_required(*ORGANIZERS)
def breakouts_csv(forum_id: int):
    forum = db.get_or_404(Forum, forum_id)
    return _streamed_csv(forum, exports.export_breakouts(db.session, forum, current_user.id))


def _streamed_csv(forum: Forum, export: exports.CsvExport) -> Response:
    """Stream the forum's CSV download as it is produced."""
    forum_id = forum.id

    def body() -> Iterator[str]:
        yield "\ufeff"  # the byte-order mark lets Excel read names with accents correctly
        # Flask ends the view's session once the view returns, before the body streams: the
        # rows are read in the streaming context's own session, the forum first.
        yield from export.lines_of(db.session, db.session.get_one(Forum, forum_id))

    return Response(
        stream_with_context(body()),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{export.filename}"',
            "Cache-Control": "no-store",  # personal details
        },
    )


# --- Settings and invitations --------------------------------------------------------------


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
        form.interpreter_booking_days.data = forum.interpreter_booking_days
    if (
        form.validate_on_submit()
        and carry_out(
            lambda: organizer.save_breakout_settings(
                db.session,
                forum,
                form.choice_deadline.data,
                form.team_breakout_cap.data,
                interpreter_booking_days=form.interpreter_booking_days.data,
            ),
            form,
            success="Breakout settings saved.",
        ).ok
    ):
        return redirect(url_for("registration.registrations", forum_id=forum.id))
    return render_template("registration/staff/settings.html", forum=forum, form=form), (
        400 if form.errors else 200
    )


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
        outcome = carry_out(
            lambda: rosters.send_team_invitations(
                db.session, forum, team, send_again=form.send_again.data, user_id=current_user.id
            )
        )
        if outcome.ok:
            _flash_invitations(forum, outcome.value)
            return redirect(url_for("registration.invitations", forum_id=forum.id))
    invited = len(rosters.invited_person_ids(db.session, forum))
    return render_template(
        "registration/staff/invitations.html", forum=forum, form=form, invited=invited
    ), (400 if form.errors else 200)


def _flash_invitations(forum: Forum, result: rosters.InvitationResult) -> None:
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
