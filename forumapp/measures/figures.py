"""The program's shared measures, team by team and forum by forum, and across the program.

Per team and forum: the share of the roster present (checked in), the sectors present against
the roster's, whether a project manager came, returning and new people, responses and average
rating, topics raised and addressed, and the commitments made there and how they ended. Across
the program: continuity (how many people came to k of the n forums) and commitments carried
out per forum. Built from a handful of aggregate queries; the page, its CSV, the funder report
and the API all read these figures, so they always agree.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, or_, select

from ..checkin.models import CheckIn
from ..commitments.models import Commitment, CommitmentStatus
from ..core.models import Forum, ForumDay, ForumStatus, Program, Team, TeamMembership, TeamRole
from ..extensions import DbSession
from ..feedback.models import FeedbackResponse, TopicGroup, TopicStatus, TopicSuggestion
from ..registration.models import Registration


@dataclass
class TeamForumFigures:
    """One team at one forum."""

    team_id: int
    team: str
    forum_id: int
    forum_number: int
    roster: int = 0
    present: int = 0
    sectors_on_roster: list[str] = field(default_factory=list)
    sectors_present: list[str] = field(default_factory=list)
    manager_came: bool = False
    returning: int = 0  # present, and came to an earlier forum
    new: int = 0  # present for the first time
    responses: int = 0
    rating_sum: int = 0
    topics_raised: int = 0
    topics_addressed: int = 0  # raised, in a group addressed or promoted to an agenda
    commitments: int = 0
    done: int = 0
    partly: int = 0
    dropped: int = 0

    @property
    def share_present(self) -> float | None:
        return self.present / self.roster if self.roster else None

    @property
    def average_rating(self) -> float | None:
        return self.rating_sum / self.responses if self.responses else None


@dataclass
class ForumFigures:
    """A forum across the teams."""

    forum: Forum
    first_day: date | None
    attendees: int = 0  # everyone checked in, public included
    commitments: int = 0
    done: int = 0
    partly: int = 0
    dropped: int = 0

    # Summed over the teams:
    on_rosters: int = 0
    present_from_rosters: int = 0
    teams_with_manager: int = 0
    returning: int = 0
    new: int = 0

    @property
    def carried_out(self) -> float | None:
        """Share of the forum's commitments done (partly done counts half)."""
        if not self.commitments:
            return None
        return (self.done + self.partly / 2) / self.commitments

    @property
    def share_present(self) -> float | None:
        """Share of all rosters present."""
        return self.present_from_rosters / self.on_rosters if self.on_rosters else None


@dataclass(frozen=True)
class Trend:
    """One figure forum by forum, and its change since the forum before."""

    label: str
    values: list[float | None]
    percent: bool = False

    @property
    def change(self) -> float | None:
        if len(self.values) < 2 or self.values[-1] is None or self.values[-2] is None:
            return None
        return self.values[-1] - self.values[-2]


@dataclass
class ProgramFigures:
    program: Program
    forums: list[ForumFigures]
    teams: list[TeamForumFigures]  # by team name, then forum number
    # People checked in at exactly k of the forums, for k = 1 .. len(forums).
    continuity: dict[int, int]

    def team_rows(self, team_id: int) -> list[TeamForumFigures]:
        return [row for row in self.teams if row.team_id == team_id]

    def trends(self) -> list[Trend]:
        """The program's figures forum by forum, each with its change since the forum before."""
        forums = self.forums
        return [
            Trend("People present", [f.attendees for f in forums]),
            Trend("Share of the rosters present", [f.share_present for f in forums], True),
            Trend("Teams whose project manager came", [f.teams_with_manager for f in forums]),
            Trend("Returning people", [f.returning for f in forums]),
            Trend("New people", [f.new for f in forums]),
            Trend("Commitments made", [f.commitments for f in forums]),
            Trend("Commitments carried out", [f.carried_out for f in forums], True),
        ]


def program_figures(
    session: DbSession,
    program: Program,
    since: date | None = None,
    until: date | None = None,
) -> ProgramFigures:
    """The figures of ``program``'s published forums, those whose first day is within
    ``since`` .. ``until`` (both included) when given."""
    forums = _forums(session, program, since, until)
    by_forum = {figures.forum.id: figures for figures in forums}
    came = _who_came(session, list(by_forum))
    for forum_id, people in came.items():
        by_forum[forum_id].attendees = len(people)
    forums_of_person = Counter(person for people in came.values() for person in people)
    continuity = {k: 0 for k in range(1, len(forums) + 1)}
    for count in forums_of_person.values():
        continuity[count] += 1
    rows = _team_rows(session, program, forums, came)
    for row in rows.values():
        forum = by_forum[row.forum_id]
        forum.on_rosters += row.roster
        forum.present_from_rosters += row.present
        forum.teams_with_manager += row.manager_came
        forum.returning += row.returning
        forum.new += row.new
    _add_feedback(session, rows, list(by_forum))
    _add_topics(session, rows, list(by_forum))
    _add_commitments(session, rows, by_forum)
    return ProgramFigures(program, forums, list(rows.values()), continuity)


def _forums(
    session: DbSession, program: Program, since: date | None, until: date | None
) -> list[ForumFigures]:
    first_day = (
        select(func.min(ForumDay.date)).where(ForumDay.forum_id == Forum.id).scalar_subquery()
    )
    rows = session.execute(
        select(Forum, first_day)
        .where(Forum.program_id == program.id, Forum.status != ForumStatus.DRAFT)
        .order_by(Forum.number)
    ).all()

    def in_range(day: date | None) -> bool:
        if since is None and until is None:
            return True
        return (
            day is not None and (since is None or day >= since) and (until is None or day <= until)
        )

    return [ForumFigures(forum, day) for forum, day in rows if in_range(day)]


def _who_came(session: DbSession, forum_ids: list[int]) -> dict[int, set[int]]:
    """Forum id -> the people with a check-in there that was not undone."""
    came: dict[int, set[int]] = defaultdict(set)
    for forum_id, person_id in session.execute(
        select(Registration.forum_id, Registration.person_id)
        .where(
            Registration.forum_id.in_(forum_ids),
            Registration.id.in_(select(CheckIn.registration_id).where(CheckIn.undone_at.is_(None))),
        )
        .distinct()
    ):
        came[forum_id].add(person_id)
    return came


_Key = tuple[int, int]  # (team id, forum id)


def _team_rows(
    session: DbSession, program: Program, forums: list[ForumFigures], came: dict[int, set[int]]
) -> dict[_Key, TeamForumFigures]:
    """Each team at each forum: roster, presence, sectors, project manager, returning, new."""
    teams = session.scalars(
        select(Team).where(Team.program_id == program.id).order_by(Team.name, Team.id)
    ).all()
    rosters: dict[int, list[tuple[int, str, str | None]]] = defaultdict(list)
    for team_id, person_id, role, sector in session.execute(
        select(
            TeamMembership.team_id,
            TeamMembership.person_id,
            TeamMembership.role,
            TeamMembership.sector,
        ).where(TeamMembership.team_id.in_([team.id for team in teams]))
    ):
        rosters[team_id].append((person_id, role, sector))
    rows: dict[_Key, TeamForumFigures] = {}
    for team in teams:
        roster = rosters[team.id]
        seen_before: set[int] = set()
        for figures in forums:  # in forum order, so earlier attendance accumulates
            forum_id = figures.forum.id
            present = [(p, role, sector) for p, role, sector in roster if p in came[forum_id]]
            returning = sum(1 for p, _, _ in present if p in seen_before)
            rows[(team.id, forum_id)] = TeamForumFigures(
                team_id=team.id,
                team=team.name,
                forum_id=forum_id,
                forum_number=figures.forum.number,
                roster=len(roster),
                present=len(present),
                sectors_on_roster=sorted({sector for _, _, sector in roster if sector}),
                sectors_present=sorted({sector for _, _, sector in present if sector}),
                manager_came=any(role == TeamRole.PROJECT_MANAGER for _, role, _ in present),
                returning=returning,
                new=len(present) - returning,
            )
            seen_before |= came[forum_id]
    return rows


def _add_feedback(session: DbSession, rows: dict[_Key, TeamForumFigures], forum_ids: list[int]):
    for forum_id, team_id, count, rating_sum in session.execute(
        select(
            FeedbackResponse.forum_id,
            FeedbackResponse.team_id,
            func.count(),
            func.sum(FeedbackResponse.overall_rating),
        )
        .where(FeedbackResponse.forum_id.in_(forum_ids), FeedbackResponse.team_id.is_not(None))
        .group_by(FeedbackResponse.forum_id, FeedbackResponse.team_id)
    ):
        if (row := rows.get((team_id, forum_id))) is not None:
            row.responses = count
            row.rating_sum = rating_sum or 0


def _add_topics(session: DbSession, rows: dict[_Key, TeamForumFigures], forum_ids: list[int]):
    addressed = or_(
        TopicGroup.status == TopicStatus.ADDRESSED, TopicGroup.promoted_item_id.is_not(None)
    )
    for forum_id, team_id, raised, done in session.execute(
        select(
            TopicSuggestion.forum_id,
            TopicSuggestion.team_id,
            func.count(),
            func.count().filter(addressed),
        )
        .outerjoin(TopicGroup, TopicGroup.id == TopicSuggestion.group_id)
        .where(TopicSuggestion.forum_id.in_(forum_ids), TopicSuggestion.team_id.is_not(None))
        .group_by(TopicSuggestion.forum_id, TopicSuggestion.team_id)
    ):
        if (row := rows.get((team_id, forum_id))) is not None:
            row.topics_raised = raised
            row.topics_addressed = done


def _add_commitments(
    session: DbSession, rows: dict[_Key, TeamForumFigures], by_forum: dict[int, ForumFigures]
):
    for forum_id, team_id, status, count in session.execute(
        select(Commitment.forum_id, Commitment.team_id, Commitment.status, func.count())
        .where(Commitment.forum_id.in_(list(by_forum)))
        .group_by(Commitment.forum_id, Commitment.team_id, Commitment.status)
    ):
        for target in (rows.get((team_id, forum_id)), by_forum[forum_id]):
            if target is None:
                continue
            target.commitments += count
            if status == CommitmentStatus.DONE:
                target.done += count
            elif status == CommitmentStatus.PARTLY:
                target.partly += count
            elif status == CommitmentStatus.DROPPED:
                target.dropped += count
