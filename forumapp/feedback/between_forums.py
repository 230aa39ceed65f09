"""Topics between forums: a community team member raises, from their personal page, a topic
for the next forum. It counts for their team and joins the topics raised in feedback on the
latest forum that has begun (``topic_groups`` groups them all). Functions flush; the caller
commits once.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..core.models import Forum, ForumDay, ForumStatus, Person, Team, TeamMembership
from ..extensions import DbSession
from .answering import MAX_TOPIC
from .attendance import team_id_for
from .errors import InvalidFeedback, NotATeamMember
from .models import TopicSuggestion
from .suggestions import DAILY_LIMIT, over_daily_limit
from .topic_groups import place_new


def forum_for_new_topics(session: DbSession, person: Person, today: date) -> Forum | None:
    """The forum a team member's topic raised today belongs to: the latest forum of their
    program that has begun (its topics shape the next one). None for people on no team, or
    before the first forum."""
    program_ids = (
        select(Team.program_id).join(TeamMembership).where(TeamMembership.person_id == person.id)
    )
    first_day = (
        select(func.min(ForumDay.date)).where(ForumDay.forum_id == Forum.id).scalar_subquery()
    )
    return session.scalar(
        select(Forum)
        .where(
            Forum.program_id.in_(program_ids),
            Forum.status != ForumStatus.DRAFT,
            first_day <= today,
        )
        .order_by(first_day.desc(), Forum.number.desc())
        .limit(1)
    )


def submit_topic_between_forums(
    session: DbSession, person: Person, forum: Forum, text: str, daily_limit: int = DAILY_LIMIT
) -> TopicSuggestion:
    """Record a topic a team member (or project manager) raises between forums, counted for
    their team. Raises ``NotATeamMember`` or ``InvalidFeedback`` ({"text": message})."""
    team_id = team_id_for(session, person.id, forum.program_id)
    if team_id is None:
        raise NotATeamMember(_("Only members of a community team can suggest topics here."))
    text = " ".join((text or "").split())
    if not text:
        raise InvalidFeedback({"text": _("Write the topic or issue in a few words.")})
    if len(text) > MAX_TOPIC:
        raise InvalidFeedback(
            {
                "text": _(
                    "Keep the topic to %(limit)s characters (it has %(length)s).",
                    limit=MAX_TOPIC,
                    length=len(text),
                )
            }
        )
    if over_daily_limit(session, forum, [team_id], daily_limit):
        raise InvalidFeedback(
            {"text": _("Your team has sent many topics today. Please send this one tomorrow.")}
        )
    suggestion = TopicSuggestion(
        forum_id=forum.id,
        text=text,
        team_id=team_id,
        person_id=person.id,
        source="personal_page",
    )
    session.add(suggestion)
    session.flush()
    place_new(session, forum, [suggestion])
    return suggestion


def topics_suggested_by(session: DbSession, person: Person, forum: Forum) -> list[TopicSuggestion]:
    """Topics the person raised from their personal page after ``forum``."""
    return list(
        session.scalars(
            select(TopicSuggestion)
            .where(
                TopicSuggestion.forum_id == forum.id,
                TopicSuggestion.person_id == person.id,
                TopicSuggestion.source == "personal_page",
            )
            .order_by(TopicSuggestion.created_at, TopicSuggestion.id)
        )
    )


def topic_forum_for(session: DbSession, person: Person, today: date) -> Forum | None:
    """The forum a topic ``person`` raises today would be for, when they may raise one (they
    are on a team of its program); None otherwise."""
    forum = forum_for_new_topics(session, person, today)
    if forum is None or team_id_for(session, person.id, forum.program_id) is None:
        return None
    return forum
