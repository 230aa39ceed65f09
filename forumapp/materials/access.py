"""Who may see which material: the reader, worked out once per request from who is looking
(the public, a person through their personal link, staff), and the one rule every list and
every file download obeys."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from ..agenda import visibility as agenda
from ..agenda.models import AgendaItemSpeaker, Speaker
from ..core.models import Forum, Person
from ..extensions import DbSession
from ..registration.models import DaySeat, Registration, SeatStatus
from ..registration.people import is_team_member
from .models import Material, Visibility


@dataclass(frozen=True)
class Reader:
    """Who is reading materials of one forum."""

    is_staff: bool = False
    is_team_member: bool = False
    day_ids: frozenset[int] = field(default_factory=frozenset)  # confirmed places
    speaker_item_ids: frozenset[int] = field(default_factory=frozenset)  # their sessions

    @property
    def viewer(self) -> agenda.Viewer:
        return agenda.Viewer(is_staff=self.is_staff, is_team_member=self.is_team_member)


ANONYMOUS = Reader()
STAFF = Reader(is_staff=True)


def reader_for_person(session: DbSession, person: Person, forum: Forum) -> Reader:
    """A person reading through their personal link: their confirmed days of ``forum``,
    whether they are on a team, and the sessions they speak at."""
    day_ids = session.scalars(
        select(DaySeat.day_id)
        .join(Registration)
        .where(
            Registration.person_id == person.id,
            Registration.forum_id == forum.id,
            DaySeat.status == SeatStatus.CONFIRMED,
        )
    )
    speaker_items = session.scalars(
        select(AgendaItemSpeaker.item_id).join(Speaker).where(Speaker.person_id == person.id)
    )
    return Reader(
        is_team_member=is_team_member(session, person, forum),
        day_ids=frozenset(day_ids),
        speaker_item_ids=frozenset(speaker_items),
    )


def may_see(reader: Reader, material: Material) -> bool:
    """The rule: staff see everything; a session's speakers see its materials; otherwise the
    session (or forum) must be visible to the reader and the material's visibility must let
    them in."""
    if reader.is_staff:
        return True
    item = material.item
    if item is not None and item.id in reader.speaker_item_ids:
        return True
    if item is not None and not agenda.can_see_item(reader.viewer, item):
        return False
    if not agenda.can_see_forum(reader.viewer, material.forum):
        return False
    visibility = Visibility(material.visibility)
    if visibility == Visibility.PUBLIC:
        return True
    if visibility == Visibility.TEAMS:
        return reader.is_team_member
    if visibility == Visibility.REGISTRANTS:
        days = {item.day_id} if item is not None else {day.id for day in material.forum.days}
        return bool(days & reader.day_ids)
    return False
