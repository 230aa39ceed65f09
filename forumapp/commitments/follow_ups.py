"""Follow-up mail about each team's commitments from a forum, through the outbox, each once:

- a confirmation some days after the forum (``COMMITMENT_CONFIRMATION_DAYS``, default 7);
- a reminder weeks after it (``COMMITMENT_REMINDER_DAYS``, default 28) that also lists what the
  other teams committed to (never their notes): the peer effect quality-improvement
  collaboratives rely on;
- a status request before the next forum's first day
  (``COMMITMENT_STATUS_REQUEST_DAYS_BEFORE``, default 14).

Each goes at 9:00 in the program's time zone on its day, to the team's project managers and the
owners of the commitments it lists, while it is still useful (until the next one is due, and
never once the next forum has begun). A
dropped commitment is listed in none. Once per person is kept by a unique row inserted in the
same transaction as the mail, so two workers, or a worker restarted, never send one twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..core.clock import local_instant, utcnow
from ..core.database import insert_once
from ..core.erasure import is_erased_address
from ..core.i18n import local_text
from ..core.links import absolute_url, personal_token
from ..core.models import Forum, ForumDay, Person, Team, TeamMembership, TeamRole
from ..extensions import DbSession
from ..feedback.promotion import next_forum
from ..mail.outbox import queue_email_to_person
from .models import Commitment, CommitmentFollowUp, CommitmentStatus, FollowUpKind
from .recording import next_forum_start

SEND_AT = time(9, 0)  # local time of day a follow-up goes
# Without a next forum on the calendar, a follow-up is still sent this long after its day.
GRACE_WITHOUT_NEXT_FORUM = timedelta(days=14)


@dataclass(frozen=True)
class Offsets:
    confirmation_days: int = 7
    reminder_days: int = 28
    status_request_days_before: int = 14

    @classmethod
    def from_config(cls, config) -> Offsets:
        return cls(
            confirmation_days=int(config.get("COMMITMENT_CONFIRMATION_DAYS", 7)),
            reminder_days=int(config.get("COMMITMENT_REMINDER_DAYS", 28)),
            status_request_days_before=int(config.get("COMMITMENT_STATUS_REQUEST_DAYS_BEFORE", 14)),
        )


def follow_up_subject(kind: FollowUpKind, team: Team, forum: Forum, next_forum: Forum | None):
    """The follow-up's subject, in the language being rendered (the person's)."""
    if kind == FollowUpKind.CONFIRMATION:
        return _(
            "What %(team)s committed to at %(forum)s",
            team=team.name,
            forum=local_text(forum, "title"),
        )
    if kind == FollowUpKind.REMINDER:
        return _("%(team)s's commitments, and what other teams are doing", team=team.name)
    if next_forum is None:
        return _("Where do %(team)s's commitments stand before the next forum?", team=team.name)
    return _(
        "Where do %(team)s's commitments stand before %(next_forum)s?",
        team=team.name,
        next_forum=local_text(next_forum, "title"),
    )


@dataclass(frozen=True)
class _Due:
    forum: Forum
    kind: FollowUpKind


def _days(session: DbSession, forum: Forum) -> tuple[date | None, date | None]:
    """The forum's last day and the next forum's first day."""
    last = session.scalar(select(func.max(ForumDay.date)).where(ForumDay.forum_id == forum.id))
    return last, next_forum_start(session, forum)


def _send_day(
    kind: FollowUpKind, last: date | None, following: date | None, offsets: Offsets
) -> date | None:
    if kind == FollowUpKind.STATUS_REQUEST:
        return following - timedelta(days=offsets.status_request_days_before) if following else None
    if last is None:
        return None
    days = offsets.confirmation_days if kind == FollowUpKind.CONFIRMATION else offsets.reminder_days
    return last + timedelta(days=days)


def follow_up_time(
    session: DbSession, forum: Forum, kind: FollowUpKind, offsets: Offsets
) -> tuple[datetime, datetime] | None:
    """When the follow-up goes, and until when it is still worth sending: the time of the
    next follow-up, or the next forum's first day (so nothing arrives stale, e.g. after a
    late deployment); None when it has no date (no forum day, or no next forum for the status
    request)."""
    last, following = _days(session, forum)
    zone = forum.program.time_zone
    day = _send_day(kind, last, following, offsets)
    if day is None:
        return None
    starts = local_instant(day, SEND_AT, zone)
    later = [
        local_instant(other_day, SEND_AT, zone)
        for other in FollowUpKind
        if (other_day := _send_day(other, last, following, offsets)) is not None and other_day > day
    ]
    if following is not None:
        later.append(local_instant(following, time(0, 0), zone))
    until = min(later) if later else starts + GRACE_WITHOUT_NEXT_FORUM
    return starts, until


def _due(session: DbSession, now: datetime, offsets: Offsets) -> Iterator[_Due]:
    forums = session.scalars(
        select(Forum).where(Forum.id.in_(select(Commitment.forum_id).distinct()))
    ).all()
    for forum in forums:
        for kind in FollowUpKind:
            window = follow_up_time(session, forum, kind, offsets)
            if window is not None and window[0] <= now < window[1]:
                yield _Due(forum, kind)


def _listed(session: DbSession, forum: Forum) -> dict[int, list[Commitment]]:
    """The forum's commitments that follow-ups list (not dropped), by team id."""
    rows = session.scalars(
        select(Commitment)
        .where(
            Commitment.forum_id == forum.id,
            Commitment.status != CommitmentStatus.DROPPED.value,
        )
        .options(selectinload(Commitment.owner), selectinload(Commitment.team))
        .order_by(Commitment.created_at, Commitment.id)
    ).all()
    by_team: dict[int, list[Commitment]] = {}
    for commitment in rows:
        by_team.setdefault(commitment.team_id, []).append(commitment)
    return by_team


def _recipients(session: DbSession, team: Team, commitments: list[Commitment]) -> list[Person]:
    managers = session.scalars(
        select(Person)
        .join(TeamMembership, TeamMembership.person_id == Person.id)
        .where(
            TeamMembership.team_id == team.id,
            TeamMembership.role == TeamRole.PROJECT_MANAGER.value,
        )
    ).all()
    people = {person.id: person for person in managers}
    for commitment in commitments:
        if commitment.owner is not None:
            people.setdefault(commitment.owner.id, commitment.owner)
    return [person for person in people.values() if not is_erased_address(person.email)]


def _claim(session: DbSession, due: _Due, team: Team, person: Person, listed: int) -> bool:
    """Record that this person gets this follow-up; False when someone already did."""
    return insert_once(
        session,
        CommitmentFollowUp,
        ["forum_id", "team_id", "kind", "person_id"],
        forum_id=due.forum.id,
        team_id=team.id,
        kind=due.kind.value,
        person_id=person.id,
        queued_at=utcnow(),
        commitments=listed,
    )


@dataclass(frozen=True)
class _Pending:
    """One follow-up one person has not had yet."""

    due: _Due
    team: Team
    person: Person
    commitments: list[Commitment]
    others: list[tuple[Team, list[Commitment]]]  # the reminder's other teams, by name
    next_forum: Forum | None


def _pending(session: DbSession, now: datetime, offsets: Offsets) -> Iterator[_Pending]:
    for due in _due(session, now, offsets):
        by_team = _listed(session, due.forum)
        already = set(
            session.execute(
                select(CommitmentFollowUp.team_id, CommitmentFollowUp.person_id).where(
                    CommitmentFollowUp.forum_id == due.forum.id,
                    CommitmentFollowUp.kind == due.kind.value,
                )
            ).tuples()
        )
        following = next_forum(session, due.forum)
        teams = sorted(by_team.values(), key=lambda listed: listed[0].team.name)
        for commitments in teams:
            team = commitments[0].team
            others = [
                (listed[0].team, listed)
                for listed in teams
                if listed[0].team_id != team.id and due.kind == FollowUpKind.REMINDER
            ]
            for person in _recipients(session, team, commitments):
                if (team.id, person.id) not in already:
                    yield _Pending(due, team, person, commitments, others, following)


def queue_due_follow_ups(
    session: DbSession, now: datetime | None = None, offsets: Offsets | None = None
) -> int:
    """Queue every follow-up whose time has come and that has not gone yet; returns how many
    emails were queued. Flushes; the caller commits."""
    now = now or utcnow()
    queued = 0
    for pending in list(_pending(session, now, offsets or Offsets())):
        if _claim(session, pending.due, pending.team, pending.person, len(pending.commitments)):
            _queue(session, pending)
            queued += 1
    return queued


def _queue(session: DbSession, pending: _Pending) -> None:
    due, team, person = pending.due, pending.team, pending.person
    token = personal_token(person)
    queue_email_to_person(
        session,
        f"commitments/email/{due.kind.value}",
        person,
        kind=f"commitment_{due.kind.value}",
        subject=lambda: follow_up_subject(due.kind, team, due.forum, pending.next_forum),
        team=team,
        forum=due.forum,
        next_forum=pending.next_forum,
        commitments=pending.commitments,
        others=pending.others,
        team_link=absolute_url("commitments.team_page", token=token, team_id=team.id),
        progress_links={
            commitment.id: absolute_url(
                "commitments.progress_page", token=token, commitment_id=commitment.id
            )
            for commitment in pending.commitments
        },
        program=due.forum.program,
    )


def due_follow_ups(
    session: DbSession, now: datetime | None = None, offsets: Offsets | None = None
) -> int:
    """How many follow-up emails wait to be queued now (for the outbox page)."""
    return sum(1 for _ in _pending(session, now or utcnow(), offsets or Offsets()))
