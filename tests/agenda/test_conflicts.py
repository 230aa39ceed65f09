"""Each kind of agenda problem is found; a clean agenda shows none."""

from datetime import date, time

from forumapp.agenda.conflicts import conflicts_for, find_conflicts
from forumapp.agenda.items import ItemInput, slot_for_input
from forumapp.agenda.models import SpeakerAvailability
from forumapp.core.clock import local_instant
from forumapp.extensions import db

from .. import builders as build

DAY = date(2027, 2, 18)


def _kinds(forum):
    return sorted(c.kind.value for c in find_conflicts(db.session, forum))


def _clean_forum():
    forum = build.forum(days=((DAY, "team"),))
    day = forum.days[0]
    hall, room_a, room_b = (
        build.room(forum, "Main Hall", 200),
        build.room(forum, "Room A", 30),
        build.room(forum, "Room B", 30),
    )
    build.item(day, "Breakfast", time(8, 30), time(9), hall, kind="break")
    welcome = build.item(day, "Welcome", time(9), time(10), hall, kind="general_session")
    first = build.item(day, "Goals", time(10, 15), time(11, 30), room_a)
    second = build.item(day, "Data sharing", time(10, 15), time(11, 30), room_b)
    return forum, day, {"hall": hall, "a": room_a, "b": room_b}, [welcome, first, second]


def test_a_conflict_free_agenda_shows_no_problems(app_ctx):
    forum, day, rooms, items = _clean_forum()
    faculty = build.speaker("Margaret Holloway")
    build.link(items[0], faculty)
    build.link(items[1], build.speaker("Daniel Okafor"))
    assert find_conflicts(db.session, forum) == []


def test_room_booked_twice_at_once(app_ctx):
    forum, day, rooms, items = _clean_forum()
    build.item(day, "Naloxone", time(11), time(12), rooms["a"])
    conflicts = find_conflicts(db.session, forum)
    assert [c.kind for c in conflicts] == ["room_double_booked"]
    assert "Room A is booked twice" in conflicts[0].message


def test_back_to_back_sessions_in_one_room_are_fine(app_ctx):
    forum, day, rooms, items = _clean_forum()
    build.item(day, "Afterwards", time(11, 30), time(12, 30), rooms["a"])
    assert _kinds(forum) == []


def test_speaker_in_two_places_at_once(app_ctx):
    forum, day, rooms, items = _clean_forum()
    busy = build.speaker("Lena Brooks")
    build.link(items[1], busy)
    build.link(items[2], busy, role="facilitator")
    conflicts = find_conflicts(db.session, forum)
    assert [c.kind for c in conflicts] == ["speaker_double_booked"]
    assert "Lena Brooks is in two places at once" in conflicts[0].message


def test_session_outside_its_day(app_ctx):
    forum, day, rooms, items = _clean_forum()
    build.item(day, "Evening mixer", time(16), time(18), rooms["b"], kind="discussion")
    assert _kinds(forum) == ["outside_day"]


def test_session_overlapping_a_meal_in_the_same_room(app_ctx):
    forum, day, rooms, items = _clean_forum()
    build.item(day, "Early bird session", time(8, 45), time(9), rooms["hall"])
    conflicts = find_conflicts(db.session, forum)
    assert [c.kind for c in conflicts] == ["meal_overlap"]
    assert "overlaps “Breakfast”" in conflicts[0].message


def test_breakout_capacity_above_its_rooms(app_ctx):
    forum, day, rooms, items = _clean_forum()
    items[1].capacity = 45
    conflicts = find_conflicts(db.session, forum)
    assert [c.kind for c in conflicts] == ["over_room_capacity"]
    assert "allows 45 people but Room A holds 30" in conflicts[0].message


def test_confidential_content_or_team_only_speaker_on_a_public_day(app_ctx):
    forum = build.forum(days=((DAY, "public"),))
    day = forum.days[0]
    room = build.room(forum)
    build.item(day, "Case reviews", time(10), time(11), room, confidential=True)
    panel = build.item(day, "Panel", time(13), time(14), room, kind="panel", title_es="Panel")
    build.link(panel, build.speaker("Team Member", is_public=False, kind="team_panelist"))
    conflicts = find_conflicts(db.session, forum)
    assert [c.kind for c in conflicts] == ["team_content_on_public_day"] * 2
    assert "marked confidential" in conflicts[0].message
    assert "Team Member is a team-only speaker" in conflicts[1].message


def test_session_outside_a_speakers_availability(app_ctx):
    forum, day, rooms, items = _clean_forum()
    expert = build.speaker("Samuel Ortiz", kind="outside_expert")
    db.session.add(
        SpeakerAvailability(
            speaker=expert,
            day=day,
            starts_at=local_instant(DAY, time(13), build.ZONE),
            ends_at=local_instant(DAY, time(16), build.ZONE),
        )
    )
    build.link(items[1], expert)
    db.session.flush()
    db.session.expire(expert)
    conflicts = find_conflicts(db.session, forum)
    assert [c.kind for c in conflicts] == ["outside_availability"]
    assert "only available 1:00 PM–4:00 PM" in conflicts[0].message


def test_cancelled_sessions_do_not_clash(app_ctx):
    forum, day, rooms, items = _clean_forum()
    build.item(day, "Dropped", time(10, 15), time(11, 30), rooms["a"], status="cancelled")
    assert _kinds(forum) == []


def test_an_unsaved_session_is_checked_before_saving(app_ctx):
    forum, day, rooms, items = _clean_forum()
    data = ItemInput(
        kind="breakout", title="Clash", start=time(10, 30), end=time(11), room_id=rooms["b"].id
    )
    slot = slot_for_input(db.session, day, data)
    assert [c.kind for c in conflicts_for(db.session, slot)] == ["room_double_booked"]
    assert find_conflicts(db.session, forum) == []  # nothing was saved
