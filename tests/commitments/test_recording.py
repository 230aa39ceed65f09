"""Recording commitments: who may, what is checked, the dated history, and barriers joining
the topics for the next forum."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from forumapp.commitments.errors import CommitmentError, NotAllowed
from forumapp.commitments.models import Commitment
from forumapp.commitments.recording import (
    Author,
    CommitmentInput,
    ProgressInput,
    add_commitment,
    set_members_may_commit,
    update_progress,
)
from forumapp.core.models import Team
from forumapp.extensions import db
from forumapp.feedback.models import TopicGroup, TopicSuggestion
from forumapp.feedback.suggestions import BARRIER_SOURCE, add_suggestions
from forumapp.feedback.topic_groups import place_new
from forumapp.privacy.services import erase_person

from .. import builders as build

FORUM_DAY = date(2027, 2, 18)
NEXT_FORUM_DAY = date(2027, 5, 20)


@pytest.fixture
def team(app_ctx):
    """Dare County with its project manager and a member, forum 1 held and forum 2 planned."""
    forum = build.forum(days=((FORUM_DAY, "team"),))
    build.forum(number=2, status="draft", days=((NEXT_FORUM_DAY, "team"),))
    manager = build.team_member("Pat Manager", "Dare County", "project_manager")
    member = build.team_member("Mo Member", "Dare County")
    build.team_member("Nell Nash", "Nash County")
    db.session.commit()
    dare = db.session.scalar(sa.select(Team).filter_by(name="Dare County"))
    dare.forum, dare.manager, dare.member = forum, manager, member
    return dare


def _add(team, author=None, **fields):
    data = CommitmentInput(
        forum_id=fields.pop("forum_id", team.forum.id),
        text=fields.pop("text", "Convene the jail health working group monthly"),
        **fields,
    )
    return add_commitment(db.session, team, data, author or Author(person=team.manager))


def test_the_project_manager_records_a_commitment_due_at_the_next_forum(team):
    commitment = _add(team, owner_id=team.member.id)
    assert commitment.status == "planned"
    assert commitment.due == NEXT_FORUM_DAY
    assert commitment.owner.name == "Mo Member"
    assert [step.status for step in commitment.updates] == ["planned"]
    assert commitment.updates[0].person_id == team.manager.id


def test_members_record_commitments_only_when_the_manager_allows(team):
    with pytest.raises(NotAllowed):
        _add(team, Author(person=team.member))
    with pytest.raises(NotAllowed):
        set_members_may_commit(db.session, team, True, team.member)
    set_members_may_commit(db.session, team, True, team.manager)
    assert _add(team, Author(person=team.member)).team_id == team.id


def test_someone_on_another_team_may_not_record_for_this_one(team):
    nell = db.session.scalar(sa.select(Team).filter_by(name="Nash County")).memberships[0].person
    with pytest.raises(NotAllowed):
        _add(team, Author(person=nell))


@pytest.mark.parametrize(
    "fields, field, words",
    [
        ({"text": "   "}, "text", "Write what the team commits to do."),
        ({"text": "x" * 1001}, "text", "Use at most 1000 characters"),
        ({"due": date(2027, 1, 1)}, "due", "on or after the forum"),
        ({"due": date(2028, 1, 1)}, "due", "before the program ends"),
        ({"forum_id": 999}, "forum_id", "Choose a forum of the team's program."),
    ],
)
def test_what_cannot_be_recorded_is_refused_by_field(team, fields, field, words):
    with pytest.raises(CommitmentError, match=words) as refused:
        _add(team, **fields)
    assert refused.value.field == field


def test_an_owner_must_be_on_the_team_roster(team):
    nell = db.session.scalar(sa.select(Team).filter_by(name="Nash County")).memberships[0].person
    with pytest.raises(CommitmentError, match="from the Dare County roster") as refused:
        _add(team, owner_id=nell.id)
    assert refused.value.field == "owner_id"


def test_progress_is_kept_as_a_dated_history_by_the_owner_or_the_manager(team):
    commitment = _add(team, owner_id=team.member.id)
    update_progress(
        db.session, commitment, ProgressInput("in_progress", "Met twice"), Author(team.member)
    )
    update_progress(
        db.session, commitment, ProgressInput("done", "Monthly now"), Author(team.manager)
    )
    assert [step.status for step in commitment.updates] == ["planned", "in_progress", "done"]
    assert commitment.progress_note == "Monthly now"
    other = build.team_member("Odd Other", "Dare County")
    with pytest.raises(NotAllowed):
        update_progress(db.session, commitment, ProgressInput("dropped"), Author(other))
    with pytest.raises(CommitmentError, match="Choose a status"):
        update_progress(db.session, commitment, ProgressInput("finished"), Author(team.manager))


def test_a_barrier_joins_the_topics_of_its_forum_for_the_team_and_follows_the_note(team):
    commitment = _add(team)

    def barriers():
        return db.session.execute(
            sa.select(
                TopicSuggestion.text, TopicSuggestion.team_id, TopicSuggestion.forum_id
            ).where(TopicSuggestion.source == BARRIER_SOURCE)
        ).all()

    def barrier_grouped() -> bool:
        topic = db.session.get(TopicSuggestion, commitment.barrier_topic_id)
        return topic.group_id is not None

    update_progress(
        db.session,
        commitment,
        ProgressInput("in_progress", "", "No data-sharing agreement"),
        Author(team.manager),
    )
    assert barriers() == [("No data-sharing agreement", team.id, team.forum.id)]
    assert barrier_grouped()  # in a topic group at once, as feedback's topics are
    update_progress(
        db.session,
        commitment,
        ProgressInput("in_progress", "", "No data-sharing agreement yet"),
        Author(team.manager),
    )
    assert [text for text, _, _ in barriers()] == ["No data-sharing agreement yet"]
    assert barrier_grouped()
    update_progress(db.session, commitment, ProgressInput("done"), Author(team.manager))
    assert barriers() == []


def test_a_barrier_rewritten_or_withdrawn_leaves_no_group_named_by_its_old_words(team):
    """Faculty read the groups' labels: a barrier's old words must not stay in the label of a
    group it has left, nor leave an empty group behind."""
    nash = db.session.scalar(sa.select(Team).filter_by(name="Nash County"))
    [leaving_jail] = add_suggestions(
        db.session, team.forum, [("Naloxone for people leaving jail", nash.id, None, "feedback")]
    )
    place_new(db.session, team.forum, [leaving_jail])
    commitment = _add(team)

    def note_barrier(text: str) -> None:
        update_progress(
            db.session, commitment, ProgressInput("in_progress", "", text), Author(team.manager)
        )

    def labels() -> list[str]:
        return sorted(db.session.scalars(sa.select(TopicGroup.label)))

    note_barrier("Naloxone vending machines at the library")
    assert labels() == ["Naloxone, jail, library"]  # the barrier joined Nash's topic
    note_barrier("No data-sharing agreement")
    assert labels() == ["Data sharing, agreement", "Naloxone, jail"]
    note_barrier("No data-sharing agreement with the hospital")
    assert labels() == ["Data sharing, agreement, hospital", "Naloxone, jail"]
    note_barrier("")  # withdrawn
    assert labels() == ["Naloxone, jail"]
    assert db.session.get(TopicSuggestion, leaving_jail.id).group_id is not None


def test_erasing_the_owner_keeps_the_commitment(team):
    commitment = _add(team, owner_id=team.member.id)
    db.session.commit()
    erase_person(db.session, team.member, None)
    db.session.commit()
    kept = db.session.get(Commitment, commitment.id)
    assert kept.owner_id == team.member.id
    assert kept.owner.name == "Erased person"
