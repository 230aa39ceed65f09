"""The commitments part of a team member's personal page: each of their teams, how many of
its commitments are still open, and the ones they own. Plain values, so any page can show it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..core.models import Person, Team, TeamMembership
from ..extensions import DbSession
from .models import Commitment, CommitmentStatus
from .recording import may_record

OPEN = (CommitmentStatus.PLANNED.value, CommitmentStatus.IN_PROGRESS.value)


@dataclass(frozen=True)
class TeamCommitments:
    team: Team
    open: int  # planned or in progress
    owned: list[Commitment]  # the person's own open ones
    may_add: bool


def commitments_panel(session: DbSession, person: Person) -> list[TeamCommitments]:
    """One entry per team ``person`` is on, by team name."""
    teams = session.scalars(
        select(Team)
        .join(TeamMembership, TeamMembership.team_id == Team.id)
        .where(TeamMembership.person_id == person.id)
        .order_by(Team.name)
    ).all()
    panel = []
    for team in teams:
        open_ones = session.scalars(
            select(Commitment)
            .where(Commitment.team_id == team.id, Commitment.status.in_(OPEN))
            .order_by(Commitment.due, Commitment.id)
        ).all()
        panel.append(
            TeamCommitments(
                team=team,
                open=len(open_ones),
                owned=[c for c in open_ones if c.owner_id == person.id],
                may_add=may_record(session, person, team),
            )
        )
    return panel
