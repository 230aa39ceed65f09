"""Topic regrouping at scale: 3,000 suggestions from ten teams regrouped in one call, and one
more suggestion added through the API (placed in a group, no regroup) on top of them.

Both are timed in this process on the benchmark database, wall clock, best of three: what an
organizer waits for when they press "Regroup", and what a request adding a suggestion costs
once a forum has thousands. Adding reads the forum's texts (their analyses are remembered)
and compares the new one with each group, so it grows with the forum but stays far below a
regroup: its target is absolute, with the same call on a forum of a tenth the size beside it.
"""

from __future__ import annotations

import random
import time
from dataclasses import asdict, dataclass

from sqlalchemy import delete, insert, select

from forumapp.core.models import Forum, Program, Team
from forumapp.feedback.models import TopicGroup, TopicSuggestion
from forumapp.feedback.suggestions import add_suggestions
from forumapp.feedback.topic_groups import place_new, regroup

from .report import Row

REGROUP_TARGET_S = 3.0
ADD_TARGET_MS = 100.0  # one suggestion added to a forum of 3,000
SUBJECTS = [
    "naloxone", "Narcan", "peer support", "recovery housing", "transportation to treatment",
    "settlement funds", "data sharing", "stigma", "jail-based treatment", "MOUD",
    "buprenorphine", "syringe services", "harm reduction", "school prevention",
    "family support", "employment after recovery", "faith communities",
    "EMS post-overdose follow-up", "drug courts", "telehealth", "rural access",
    "youth prevention", "workforce burnout", "fentanyl test strips", "housing first",
    "law enforcement diversion", "reentry", "case management",
]  # fmt: skip
OPENINGS = [
    "How to fund", "More on", "Expanding", "Best way to start", "Evaluating", "Barriers to",
    "Partnering on", "Measuring", "Sustaining", "Scaling up", "Training staff for",
]  # fmt: skip
ENDINGS = [
    "in rural counties", "with the health department", "for our jail", "after the grant ends",
    "with hospitals", "in schools", "with sheriffs", "", "", "",
]  # fmt: skip


def suggestion_texts(count: int, seed: int = 7) -> list[str]:
    """Suggestions as teams word them: a few dozen subjects, many phrasings, some typos."""
    chance = random.Random(seed)
    texts = []
    for _ in range(count):
        text = f"{chance.choice(OPENINGS)} {chance.choice(SUBJECTS)} {chance.choice(ENDINGS)}"
        if chance.random() < 0.2:
            text += f" and {chance.choice(SUBJECTS)}"
        if chance.random() < 0.1:
            text = text.replace("a", "e", 1)
        texts.append(text.strip())
    return texts


@dataclass
class TopicFigures:
    suggestions: int
    groups: int
    regroup_s: float
    add_small_s: float
    add_large_s: float

    def as_dict(self) -> dict:
        return asdict(self)

    def rows(self, database: str) -> list[Row]:
        name = "topic grouping"
        ratio = self.add_large_s / self.add_small_s
        return [
            Row(
                name,
                database,
                f"regroup {self.suggestions} suggestions (s)",
                self.regroup_s,
                target=f"< {REGROUP_TARGET_S:.0f} s",
                passed=self.regroup_s < REGROUP_TARGET_S,
            ),
            Row(name, database, "groups", self.groups),
            Row(
                name,
                database,
                f"add one at {self.suggestions} (ms; baseline: at {self.suggestions // 10})",
                self.add_large_s * 1000,
                self.add_small_s * 1000,
                ratio,
                f"< {ADD_TARGET_MS:.0f} ms",
                self.add_large_s * 1000 < ADD_TARGET_MS,
            ),
        ]


def _seed(session, program: Program, number: int, count: int) -> Forum:
    forum = Forum(
        program=program,
        number=number,
        title=f"Topics bench {number}",
        venue_name="Civic Center",
        venue_address="1 Main Street",
        venue_city="Durham",
        status="closed",
    )
    session.add(forum)
    session.flush()
    teams = session.scalars(select(Team.id).where(Team.program_id == program.id)).all()
    session.execute(
        insert(TopicSuggestion),
        [
            {"forum_id": forum.id, "text": text, "team_id": teams[i % len(teams)], "source": "csv"}
            for i, text in enumerate(suggestion_texts(count, seed=number))
        ],
    )
    session.commit()
    return forum


def _add_one(session, forum: Forum) -> float:
    started = time.perf_counter()
    added = add_suggestions(session, forum, [("Naloxone vending machines at the jail", None)])
    place_new(session, forum, added)
    session.commit()
    return time.perf_counter() - started


def run(session, count: int = 3000) -> TopicFigures:
    """Seed two forums (``count`` and a tenth of it), regroup the large one three times,
    add one suggestion to each three times; best times."""
    program = session.scalar(select(Program))
    if program is None:
        program = Program(name="Topics bench program")
        session.add(program)
        session.flush()
    if not session.scalar(select(Team.id).where(Team.program_id == program.id)):
        session.add_all(Team(program=program, name=f"Bench team {n}") for n in range(10))
        session.flush()
    large = _seed(session, program, 901, count)
    small = _seed(session, program, 902, count // 10)
    regroup_times = []
    for _ in range(3):
        session.execute(
            delete(TopicGroup).where(TopicGroup.forum_id == large.id),
            execution_options={"synchronize_session": False},
        )
        session.commit()
        session.expire_all()
        started = time.perf_counter()
        regroup(session, large)
        session.commit()
        regroup_times.append(time.perf_counter() - started)
    regroup(session, small)
    session.commit()
    groups = session.query(TopicGroup).filter(TopicGroup.forum_id == large.id).count()
    add_small = min(_add_one(session, small) for _ in range(3))
    add_large = min(_add_one(session, large) for _ in range(3))
    return TopicFigures(count, groups, min(regroup_times), add_small, add_large)
