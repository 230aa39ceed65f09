"""Recording commitments and their progress: who may, what is checked, and the dated history.

A project manager records their team's commitments from their personal link (and every member
may, when the manager allows it); the owner and the project manager update them; organizers
and faculty may do both from the staff pages or the API. A barrier noted on a commitment joins
the topics raised after its forum, as a barrier, so the topic grouping flags one that several
teams share. Functions flush; the caller commits once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..agenda.models import AgendaItem
from ..core.clock import utcnow
from ..core.database import is_storable_text
from ..core.i18n import format_date
from ..core.links import person_for_token
from ..core.models import Forum, ForumDay, Person, Team, TeamMembership, TeamRole
from ..extensions import DbSession
from ..feedback.models import TopicGroup, TopicSuggestion
from ..feedback.suggestions import BARRIER_SOURCE
from ..feedback.topic_groups import place_new, tidy_after_leaving
from .errors import CommitmentError, NotAllowed
from .models import Commitment, CommitmentStatus, CommitmentUpdate

TEXT_MAX = 1000
NOTE_MAX = 2000


@dataclass(frozen=True)
class Author:
    """Who records or updates: a person through their personal link, or a staff account."""

    person: Person | None = None
    user_id: int | None = None


@dataclass(frozen=True)
class CommitmentInput:
    forum_id: int
    text: str
    owner_id: int | None = None
    due: date | None = None  # None: the next forum's first day
    topic_group_id: int | None = None
    agenda_item_id: int | None = None


@dataclass(frozen=True)
class ProgressInput:
    status: str
    progress_note: str = ""
    barrier_note: str = ""


def role_on(session: DbSession, person: Person, team: Team) -> str | None:
    """``person``'s role on ``team``'s roster, or None."""
    return session.scalar(
        select(TeamMembership.role).where(
            TeamMembership.team_id == team.id, TeamMembership.person_id == person.id
        )
    )


def linked_team(session: DbSession, token: str, team_id: int) -> tuple[Person, Team] | None:
    """The person of personal link ``token`` and team ``team_id`` when they are on its roster;
    None for a forged or revoked link, an unknown team, or someone not on it."""
    person = person_for_token(session, token)
    team = session.get(Team, team_id)
    if person is None or team is None or role_on(session, person, team) is None:
        return None
    return person, team


def may_record(session: DbSession, person: Person, team: Team) -> bool:
    """May ``person`` record ``team``'s commitments from their personal link?"""
    role = role_on(session, person, team)
    return role == TeamRole.PROJECT_MANAGER or (role is not None and team.members_may_commit)


def may_update(session: DbSession, person: Person, commitment: Commitment) -> bool:
    """May ``person`` update ``commitment``: its owner, or the team's project manager."""
    if commitment.owner_id == person.id:
        return True
    return role_on(session, person, commitment.team) == TeamRole.PROJECT_MANAGER


def first_day(session: DbSession, forum: Forum) -> date | None:
    return session.scalar(select(func.min(ForumDay.date)).where(ForumDay.forum_id == forum.id))


def next_forum_start(session: DbSession, forum: Forum) -> date | None:
    """The first day of the program's forum numbered after ``forum``, when it has one."""
    return session.scalar(
        select(func.min(ForumDay.date))
        .join(Forum, Forum.id == ForumDay.forum_id)
        .where(Forum.program_id == forum.program_id, Forum.number == forum.number + 1)
    )


def program_end(session: DbSession, program_id: int) -> date | None:
    """The last day of the program's forums."""
    return session.scalar(
        select(func.max(ForumDay.date))
        .join(Forum, Forum.id == ForumDay.forum_id)
        .where(Forum.program_id == program_id)
    )


def _text(value: str, field: str, maximum: int, *, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise CommitmentError(_("Write what the team commits to do."), field)
    if len(text) > maximum:
        raise CommitmentError(
            _(
                "Use at most %(max)d characters; this has %(length)d.",
                max=maximum,
                length=len(text),
            ),
            field,
        )
    if not is_storable_text(text):
        raise CommitmentError(_("Remove the control characters from the text."), field)
    return text


def _due(session: DbSession, forum: Forum, due: date | None) -> date:
    starts = first_day(session, forum)
    ends = program_end(session, forum.program_id)
    if due is None:
        due = next_forum_start(session, forum)
        if due is None:
            raise CommitmentError(_("Give a due date: the next forum has no date yet."), "due")
        return due
    if starts is not None and due < starts:
        raise CommitmentError(
            _("Choose a date on or after the forum (%(date)s).", date=format_date(starts)), "due"
        )
    if ends is not None and due > ends:
        raise CommitmentError(
            _("Choose a date before the program ends (%(date)s).", date=format_date(ends)), "due"
        )
    return due


def add_commitment(
    session: DbSession,
    team: Team,
    data: CommitmentInput,
    author: Author,
    now: datetime | None = None,
) -> Commitment:
    """Record a commitment of ``team`` made at forum ``data.forum_id``. A person acting
    through their link must be allowed (``may_record``): ``NotAllowed``. Every other refusal
    is a ``CommitmentError`` naming the field."""
    now = now or utcnow()
    if author.person is not None and not may_record(session, author.person, team):
        raise NotAllowed(_("Only the team's project manager records its commitments."))
    forum = session.get(Forum, data.forum_id)
    if forum is None or forum.program_id != team.program_id:
        raise CommitmentError(_("Choose a forum of the team's program."), "forum_id")
    text = _text(data.text, "text", TEXT_MAX, required=True)
    if data.owner_id is not None:
        on_roster = session.scalar(
            select(TeamMembership.id).where(
                TeamMembership.team_id == team.id, TeamMembership.person_id == data.owner_id
            )
        )
        if on_roster is None:
            raise CommitmentError(
                _("Choose an owner from the %(team)s roster.", team=team.name), "owner_id"
            )
    if data.topic_group_id is not None:
        group = session.get(TopicGroup, data.topic_group_id)
        if group is None or group.forum_id != forum.id:
            raise CommitmentError(_("Choose a topic raised after this forum."), "topic_group_id")
    if data.agenda_item_id is not None:
        item = session.get(AgendaItem, data.agenda_item_id)
        if item is None or item.day.forum_id != forum.id:
            raise CommitmentError(_("Choose a session of this forum."), "agenda_item_id")
    commitment = Commitment(
        team_id=team.id,
        forum_id=forum.id,
        text=text,
        owner_id=data.owner_id,
        due=_due(session, forum, data.due),
        topic_group_id=data.topic_group_id,
        agenda_item_id=data.agenda_item_id,
        status=CommitmentStatus.PLANNED.value,
        created_at=now,
        updated_at=now,
    )
    session.add(commitment)
    session.flush()
    session.add(_history(commitment, author, now))
    session.flush()
    return commitment


def update_progress(
    session: DbSession,
    commitment: Commitment,
    data: ProgressInput,
    author: Author,
    now: datetime | None = None,
) -> Commitment:
    """Set a commitment's status and notes, adding a dated step to its history. A person
    acting through their link must own it or manage its team (``NotAllowed``)."""
    now = now or utcnow()
    if author.person is not None and not may_update(session, author.person, commitment):
        raise NotAllowed(_("Only the commitment's owner and the project manager update it."))
    if data.status not in set(CommitmentStatus):
        choices = ", ".join(status.label for status in CommitmentStatus)
        raise CommitmentError(_("Choose a status: %(choices)s.", choices=choices), "status")
    progress = _text(data.progress_note, "progress_note", NOTE_MAX, required=False)
    barrier = _text(data.barrier_note, "barrier_note", NOTE_MAX, required=False)
    commitment.status = data.status
    commitment.progress_note = progress
    if barrier != commitment.barrier_note:
        _raise_barrier(session, commitment, barrier)
    commitment.barrier_note = barrier
    commitment.updated_at = now
    session.add(_history(commitment, author, now))
    session.flush()
    return commitment


def _history(commitment: Commitment, author: Author, now: datetime) -> CommitmentUpdate:
    return CommitmentUpdate(
        commitment_id=commitment.id,
        status=commitment.status,
        progress_note=commitment.progress_note,
        barrier_note=commitment.barrier_note,
        person_id=author.person.id if author.person is not None else None,
        user_id=author.user_id,
        at=now,
    )


def _raise_barrier(session: DbSession, commitment: Commitment, barrier: str) -> None:
    """Keep one barrier topic per commitment, raised after its forum for its team: written,
    rewritten or withdrawn with the note. Written or rewritten, it is placed at once in the
    topic group it is most like (``place_new``), as topics from feedback are, so faculty see
    a barrier several teams share flagged without a regroup."""
    existing = (
        session.get(TopicSuggestion, commitment.barrier_topic_id)
        if commitment.barrier_topic_id is not None
        else None
    )
    if existing is not None and not barrier:
        commitment.barrier_topic_id = None
        left = existing.group_id
        session.delete(existing)
        tidy_after_leaving(session, {left})
    elif existing is not None:
        left, existing.text = existing.group_id, barrier
        existing.group_id = None  # placed again by its new words
        tidy_after_leaving(session, {left})
        place_new(session, commitment.forum, [existing])
    elif barrier:
        topic = TopicSuggestion(
            forum_id=commitment.forum_id,
            team_id=commitment.team_id,
            text=barrier,
            source=BARRIER_SOURCE,
        )
        session.add(topic)
        session.flush()
        commitment.barrier_topic_id = topic.id
        place_new(session, commitment.forum, [topic])


def set_members_may_commit(session: DbSession, team: Team, allowed: bool, manager: Person) -> None:
    """The project manager's choice whether every member records commitments too."""
    if role_on(session, manager, team) != TeamRole.PROJECT_MANAGER:
        raise NotAllowed(_("Only the team's project manager decides this."))
    team.members_may_commit = allowed
    session.flush()


def team_commitments(
    session: DbSession, team: Team, forum: Forum | None = None
) -> Sequence[Commitment]:
    """The team's commitments (of ``forum`` when given), by forum then as recorded."""
    query = select(Commitment).where(Commitment.team_id == team.id)
    if forum is not None:
        query = query.where(Commitment.forum_id == forum.id)
    return session.scalars(
        query.options(selectinload(Commitment.owner), selectinload(Commitment.updates))
        .join(Forum, Forum.id == Commitment.forum_id)
        .order_by(Forum.number, Commitment.created_at, Commitment.id)
    ).all()


def forum_commitments(session: DbSession, forum: Forum) -> Sequence[Commitment]:
    """Every team's commitments made at ``forum``, by team then as recorded."""
    return session.scalars(
        select(Commitment)
        .where(Commitment.forum_id == forum.id)
        .join(Team, Team.id == Commitment.team_id)
        .options(selectinload(Commitment.owner), selectinload(Commitment.team))
        .order_by(Team.name, Commitment.created_at, Commitment.id)
    ).all()


def roster_choices(session: DbSession, team: Team) -> list[tuple[int, str]]:
    """``(person id, name)`` of the team's roster, for choosing an owner."""
    rows = session.execute(
        select(TeamMembership)
        .where(TeamMembership.team_id == team.id)
        .options(selectinload(TeamMembership.person))
    ).scalars()
    return sorted(((m.person_id, m.roster_name) for m in rows), key=lambda pair: pair[1])
