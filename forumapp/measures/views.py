"""The measures pages: the program's shared measures for organizers and faculty, their CSV,
and the printable funder report for a date range (small cells suppressed) with its CSV."""

from __future__ import annotations

import csv
import io
from datetime import date

from flask import Blueprint, Response, abort, render_template, request
from sqlalchemy import select
from wtforms.validators import Optional

from ..core.auth import role_required
from ..core.clock import utcnow
from ..core.forms import AppForm, DateField
from ..core.models import Program, Role
from ..extensions import db
from ..feedback.measures import program_measures
from ..feedback.summary_charts import measures_charts
from ..registration.day_measures import day_measures
from .figures import ProgramFigures, program_figures
from .table import HEADER, SMALL_CELL, SUPPRESSED, people, team_forum_rows

bp = Blueprint("measures", __name__)

READERS = (Role.FACULTY, Role.ORGANIZER)


class ReportRangeForm(AppForm):
    """The funder report's dates; a GET that changes nothing."""

    class Meta:
        csrf = False

    since = DateField("Forums from", validators=[Optional()])
    until = DateField("until (included)", validators=[Optional()])


def _program() -> Program:
    program = db.session.scalar(select(Program).order_by(Program.id))
    if program is None:
        abort(404)
    return program


@bp.route("/staff/program/measures")
@role_required(*READERS)
def program_page():
    program = _program()
    result = program_measures(db.session, program)
    days = [day for forum_measures in result.forums for day in forum_measures.forum.days]
    return render_template(
        "measures/program.html",
        measures=result,
        figures=program_figures(db.session, program),
        charts=measures_charts(result),
        day_measures=day_measures(db.session, days, utcnow()),
    )


def _csv(rows: list[list[object]], filename: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/staff/program/measures.csv")
@role_required(*READERS)
def program_csv():
    """Every figure, team by team and forum by forum, unsuppressed (staff only)."""
    figures = program_figures(db.session, _program())
    return _csv(team_forum_rows(figures, suppress=False), "program-measures.csv")


def _report_figures() -> tuple[ReportRangeForm, ProgramFigures, bool]:
    form = ReportRangeForm(formdata=request.args)
    valid = form.validate()
    since: date | None = form.since.data if valid else None
    until: date | None = form.until.data if valid else None
    if since and until and since > until:
        form.until.errors = ["Choose an end on or after the start."]
        valid, since, until = False, None, None
    return form, program_figures(db.session, _program(), since, until), valid


@bp.route("/staff/program/report")
@role_required(*READERS)
def funder_report():
    """A printable report of the measures for the forums in a date range, small cells
    suppressed, for funders."""
    form, figures, valid = _report_figures()
    return render_template(
        "measures/report.html",
        form=form,
        figures=figures,
        rows=team_forum_rows(figures, suppress=True),
        header=HEADER,
        people=people,
        small_cell=SMALL_CELL,
        suppressed=SUPPRESSED,
    ), (200 if valid or not form.errors else 400)


@bp.route("/staff/program/report.csv")
@role_required(*READERS)
def funder_report_csv():
    form, figures, valid = _report_figures()
    if not valid:
        abort(400)
    return _csv(team_forum_rows(figures, suppress=True), "funder-report.csv")
