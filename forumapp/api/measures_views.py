"""JSON endpoint for the program's shared measures: the figures of the measures page."""

from __future__ import annotations

from ..core.auth import role_required
from ..core.models import Program, Role, Sector
from ..extensions import db
from ..measures.figures import program_figures
from . import bp, record_or_404, shapes
from .shapes import answer


@bp.route("/programs/<int:program_id>/measures")
@role_required(Role.ORGANIZER, Role.FACULTY)
def program_measures_json(program_id: int):
    """Per forum and per team the shared measures, and the program's continuity."""
    program = record_or_404(Program, program_id, "program")
    figures = program_figures(db.session, program)
    return answer(
        shapes.ProgramMeasures(
            program_id=program.id,
            forums=[
                shapes.ForumMeasure(
                    forum_id=f.forum.id,
                    number=f.forum.number,
                    title=f.forum.title,
                    first_day=f.first_day,
                    attendees=f.attendees,
                    commitments=f.commitments,
                    done=f.done,
                    partly=f.partly,
                    dropped=f.dropped,
                )
                for f in figures.forums
            ],
            teams=[
                shapes.TeamForumMeasure(
                    team_id=row.team_id,
                    team=row.team,
                    forum_id=row.forum_id,
                    roster=row.roster,
                    present=row.present,
                    share_present=row.share_present,
                    sectors_on_roster=[Sector(value) for value in row.sectors_on_roster],
                    sectors_present=[Sector(value) for value in row.sectors_present],
                    manager_came=row.manager_came,
                    returning=row.returning,
                    new=row.new,
                    responses=row.responses,
                    average_rating=row.average_rating,
                    topics_raised=row.topics_raised,
                    topics_addressed=row.topics_addressed,
                    commitments=row.commitments,
                    done=row.done,
                    partly=row.partly,
                    dropped=row.dropped,
                )
                for row in figures.teams
            ],
            continuity=[
                shapes.Continuity(forums=k, people=count) for k, count in figures.continuity.items()
            ],
        )
    )
