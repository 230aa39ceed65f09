"""Team rosters: the organizer's roster import, and the project manager's page for their
own team's roster (reached from their personal link)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...agenda.forums import current_program
from ...core.actions import carry_out
from ...core.auth import role_required
from ...core.csv_import import CsvImportError, RowError, decode_csv
from ...core.database import discard
from ...core.forms import ButtonForm
from ...core.i18n import format_date, format_list
from ...core.links import person_for_link_or_404
from ...core.models import Person, Role, Sector, Team
from ...core.rate_limits import personal_link_limit
from ...extensions import db
from .. import rosters
from ..blueprint import bp
from ..staff_forms import RosterMemberForm, RosterUploadForm


@bp.route("/staff/teams/import", methods=["GET", "POST"])
@role_required(Role.ORGANIZER)
def roster_import():
    form = RosterUploadForm()
    errors: list[RowError] = []
    if form.validate_on_submit():
        try:
            text = decode_csv(form.file.data.read())
            program = current_program(db.session, current_app.config["PROGRAM_TIME_ZONE"])
            result = rosters.import_roster(db.session, program, text, user_id=current_user.id)
        except CsvImportError as error:
            # A refused file is not a DomainError but a list of problems by line, shown on
            # the page rather than flashed, so carry_out does not fit; the program the request
            # may have created goes too.
            discard(db.session)
            errors = error.errors
        else:
            db.session.commit()
            flash(result.summary, "success")
            return redirect(url_for("core.staff_teams"))
    status = 400 if form.errors or errors else 200
    return render_template(
        "registration/staff/roster_import.html", form=form, errors=errors
    ), status


def _managed_team_or_404(token: str, team_id: int) -> tuple[Person, Team]:
    person = person_for_link_or_404(token)
    team = rosters.managed_team(db.session, person, team_id)
    if team is None:
        abort(404)
    return person, team


@bp.route("/me/<token>/team/<int:team_id>/roster", methods=["GET", "POST"])
@personal_link_limit
def team_roster_pm(token: str, team_id: int):
    person, team = _managed_team_or_404(token, team_id)
    form = RosterMemberForm()
    if form.validate_on_submit():
        outcome = carry_out(
            lambda: rosters.add_roster_member(
                db.session,
                team,
                form.name.data or "",
                form.email.data or "",
                form.sector.data or None,
            ),
            form,
        )
        if outcome.ok:
            flash(
                _(
                    "Added %(name)s to the %(team)s roster.",
                    name=outcome.value.roster_name,
                    team=team.name,
                ),
                "success",
            )
            return redirect(url_for("registration.team_roster_pm", token=token, team_id=team.id))
    return render_template(
        "registration/staff/team_roster_pm.html",
        person=person,
        team=team,
        token=token,
        roster=rosters.roster_of(db.session, team),
        sector_labels={sector.value: sector.label for sector in Sector},
        form=form,
        button_form=ButtonForm(),
    ), (400 if form.errors else 200)


@bp.route("/me/<token>/team/<int:team_id>/roster/<int:person_id>/remove", methods=["POST"])
@personal_link_limit
def team_roster_pm_remove(token: str, team_id: int, person_id: int):
    person, team = _managed_team_or_404(token, team_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    outcome = carry_out(
        lambda: rosters.remove_roster_member(db.session, team, person_id, removed_by=person)
    )
    if outcome.ok:
        removed = outcome.value
        flash(
            _("Removed %(name)s from the %(team)s roster.", name=removed.name, team=team.name),
            "success",
        )
        if removed.released_days:
            days = format_list([format_date(day) for day in removed.released_days])
            flash(
                _(
                    "Their places on the team days (%(days)s) were given up: team days are for "
                    "the teams' members. Their calendars are told.",
                    days=days,
                ),
                "info",
            )
    return redirect(url_for("registration.team_roster_pm", token=token, team_id=team.id))
