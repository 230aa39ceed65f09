"""Topic groups: counts by distinct team, flagged first, faculty edits, regrouping that keeps
their work, CSV import, and promotion to a draft session of the next forum."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.attributes import set_committed_value

from forumapp.agenda.models import AgendaItem
from forumapp.core.clock import to_local
from forumapp.core.csv_import import CsvImportError, decode_csv
from forumapp.extensions import db
from forumapp.feedback import (
    errors,
    group_edits,
    suggestions,
    topic_groups,
    topic_import,
)
from forumapp.feedback.models import TopicGroup, TopicSuggestion
from forumapp.feedback.promotion import promote_group

from .. import builders as build
from .topic_builders import build_topic_world, group_of, suggest

JAIL = [
    ("naloxone distribution in jails", "Buncombe County"),
    ("Narcan access for people leaving jail", "Dare County"),
    ("Narcan for inmates at release", "Buncombe County"),
]


@pytest.fixture
def world(app_ctx):
    return build_topic_world()


def _rows(world, **options):
    return topic_groups.topic_groups(db.session, world.forum(), **options)


def _group_count(world) -> int:
    return db.session.scalar(
        select(func.count(TopicGroup.id)).where(TopicGroup.forum_id == world.forum_id)
    )


# --- Counting and sorting ------------------------------------------------------------------


def test_three_suggestions_from_two_teams_count_two_teams(world):
    ids = suggest(world, *JAIL)
    topic_groups.regroup(db.session, world.forum())
    [row] = _rows(world)
    assert row.suggestion_ids == ids
    assert (row.suggestions, row.teams, row.flagged) == (3, 2, True)


def test_suggestions_without_a_team_count_no_team(world):
    suggest(world, ("Narcan in jails", None), ("naloxone for people leaving jail", None))
    topic_groups.regroup(db.session, world.forum())
    [row] = _rows(world)
    assert (row.suggestions, row.teams, row.flagged) == (2, 0, False)


def test_groups_raised_by_several_teams_come_first(world):
    suggest(
        world,
        ("settlement fund reporting", "Wake County"),
        ("how to spend opioid settlement money", "Wake County"),
        ("opioid settlement spending plan", "Wake County"),
        ("drug court in a small county", "Dare County"),
        *JAIL,
    )
    topic_groups.regroup(db.session, world.forum())
    rows = _rows(world)
    assert [(r.suggestions, r.teams, r.flagged) for r in rows] == [
        (3, 2, True),
        (3, 1, False),
        (1, 1, False),
    ]
    assert "jail" in rows[0].group.label.lower()
    # The threshold is configurable: with three teams needed, nothing is flagged.
    assert not any(r.flagged for r in _rows(world, flag_teams=3))


# --- Regrouping ----------------------------------------------------------------------------


def test_new_suggestions_join_on_regroup_and_unchanged_groups_keep_their_id_and_label(world):
    first = suggest(world, *JAIL[:2], ("drug court in a small county", "Dare County"))
    topic_groups.regroup(db.session, world.forum())
    jail_group = group_of(first[0])
    jail_id, jail_label = jail_group.id, jail_group.label
    court_id = group_of(first[2]).id

    suggest(world, ("starting a recovery court", "Wake County"))
    assert topic_groups.ungrouped_count(db.session, world.forum()) == 1
    topic_groups.regroup(db.session, world.forum())

    assert topic_groups.ungrouped_count(db.session, world.forum()) == 0
    assert (group_of(first[0]).id, group_of(first[0]).label) == (jail_id, jail_label)
    court = group_of(first[2])
    assert court.id == court_id
    assert len(court.suggestions) == 2
    assert _group_count(world) == 2


def test_regroup_leaves_renamed_marked_and_promoted_groups_alone(world):
    ids = suggest(world, *JAIL, ("drug court", "Dare County"), ("recovery court", "Wake County"))
    topic_groups.regroup(db.session, world.forum())
    jail, court = group_of(ids[0]), group_of(ids[3])
    group_edits.rename_group(db.session, jail, "Jail health")
    group_edits.set_status(db.session, court, "set_aside", "Covered by the state")

    suggest(world, ("naloxone for people released from detention", "Wake County"))
    topic_groups.regroup(db.session, world.forum())

    assert group_of(ids[0]).label == "Jail health"
    assert len(group_of(ids[0]).suggestions) == 3
    assert group_of(ids[3]).status == "set_aside"
    assert len(group_of(ids[3]).suggestions) == 2


# --- Faculty edits -------------------------------------------------------------------------


def test_rename_marks_the_group_curated(world):
    ids = suggest(world, *JAIL)
    topic_groups.regroup(db.session, world.forum())
    group = group_edits.rename_group(db.session, group_of(ids[0]), "  Naloxone at jail release ")
    assert (group.label, group.curated) == ("Naloxone at jail release", True)
    with pytest.raises(errors.TopicError, match="name"):
        group_edits.rename_group(db.session, group, "   ")


def test_merge_moves_suggestions_and_deletes_the_others(world):
    ids = suggest(world, *JAIL[:1], ("drug court", "Dare County"), ("stigma", "Wake County"))
    topic_groups.regroup(db.session, world.forum())
    target, court, stigma = (group_of(i) for i in ids)
    group_edits.set_status(db.session, court, "open", "Ask the DA")
    merged = group_edits.merge_groups(db.session, target, [court, stigma])
    assert merged.curated
    assert sorted(s.id for s in merged.suggestions) == sorted(ids)
    assert "Ask the DA" in merged.note
    assert _group_count(world) == 1
    with pytest.raises(errors.TopicError, match="other group"):
        group_edits.merge_groups(db.session, merged, [merged])


def test_split_moves_ticked_suggestions_to_a_new_curated_group(world):
    ids = suggest(world, *JAIL)
    topic_groups.regroup(db.session, world.forum())
    group = group_of(ids[0])
    new_group = group_edits.split_group(db.session, group, [ids[2]], "Release planning")
    assert (new_group.label, new_group.curated) == ("Release planning", True)
    assert [s.id for s in new_group.suggestions] == [ids[2]]
    assert sorted(s.id for s in group_of(ids[0]).suggestions) == ids[:2]
    assert group_of(ids[0]).curated
    # Regrouping now leaves both alone.
    topic_groups.regroup(db.session, world.forum())
    assert group_of(ids[2]).id == new_group.id
    with pytest.raises(errors.TopicError, match="at least one"):
        group_edits.split_group(db.session, new_group, [ids[2]])
    with pytest.raises(errors.TopicError, match="Tick"):
        group_edits.split_group(db.session, group, [ids[2]])


def test_split_without_a_name_is_named_by_key_words(world):
    ids = suggest(world, *JAIL, ("jail reentry planning", "Wake County"))
    topic_groups.regroup(db.session, world.forum())
    new_group = group_edits.split_group(db.session, group_of(ids[0]), [ids[3]])
    assert "reentry" in new_group.label.lower() or "jail" in new_group.label.lower()


def test_status_and_note(world):
    ids = suggest(world, *JAIL)
    topic_groups.regroup(db.session, world.forum())
    group = group_edits.set_status(db.session, group_of(ids[0]), "addressed", "Forum 2 breakout")
    assert (group.status, group.note) == ("addressed", "Forum 2 breakout")
    with pytest.raises(errors.TopicError, match="Choose"):
        group_edits.set_status(db.session, group, "done")


# --- Adding suggestions --------------------------------------------------------------------


def test_bad_suggestions_are_named_and_none_is_added(world):
    with pytest.raises(errors.InvalidSuggestions) as caught:
        suggestions.add_suggestions(
            db.session,
            world.forum(),
            [("fine", None), ("  ", None), ("x" * 1001, None), ("unknown team", 987654)],
        )
    assert set(caught.value.errors) == {1, 2, 3}
    assert db.session.scalar(select(func.count(TopicSuggestion.id))) == 0


# --- CSV import ----------------------------------------------------------------------------


def test_csv_import_matches_team_names_forgivingly(world):
    text = (
        "Text,Team\n"
        "Narcan for people leaving jail,buncombe\n"
        "naloxone in jails,DARE COUNTY\n"
        '"syringe services, and hours",\n'
        "\n"
        "MAT in detention,Wake County Team\n"
    )
    added = topic_import.import_suggestions_csv(db.session, world.forum(), text)
    assert [s.team_id for s in added] == [
        world.teams["Buncombe County"],
        world.teams["Dare County"],
        None,
        world.teams["Wake County"],
    ]
    assert added[2].text == "syringe services, and hours"
    assert {s.source for s in added} == {"csv"}


def test_csv_import_reports_every_bad_line_and_writes_nothing(world):
    text = (
        "text,team\n"
        "Narcan for people leaving jail,Buncombe\n"
        ",Dare\n"
        "drug court,Orange County\n"
        "stigma,Wake\n"
        f"{'x' * 1001},Wake\n"
    )
    with pytest.raises(CsvImportError) as caught:
        topic_import.import_suggestions_csv(db.session, world.forum(), text)
    errors = caught.value.errors
    assert [error.line for error in errors] == [3, 4, 6]
    assert "empty" in errors[0].message
    assert "Orange County" in errors[1].message and "Wake County" in errors[1].message
    assert "longer" in errors[2].message
    assert db.session.scalar(select(func.count(TopicSuggestion.id))) == 0


def test_csv_import_refuses_control_characters_a_database_cannot_store(world):
    # A UTF-16 file may carry NUL characters, which PostgreSQL refuses.
    raw = "text,team\nNarcan\x00 in jails,Dare\nstigma,Wake\n".encode("utf-16")
    with pytest.raises(CsvImportError) as caught:
        topic_import.import_suggestions_csv(db.session, world.forum(), decode_csv(raw))
    assert [
        (error.line, "control characters" in error.message) for error in caught.value.errors
    ] == [(2, True)]


@pytest.mark.parametrize("text", ["stigma\x00", "\ud800 jail", "bell\x07"])
def test_suggestions_with_control_characters_or_broken_unicode_are_refused(world, text):
    with pytest.raises(errors.InvalidSuggestions) as caught:
        suggestions.add_suggestions(db.session, world.forum(), [(text, None, None, "api")])
    assert "control characters" in caught.value.errors[0]
    assert db.session.scalar(select(func.count(TopicSuggestion.id))) == 0


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "empty"),
        (b"team\nWake\n", "first row"),
        (b"text,team\n", "no suggestions"),
        (b"PK\x03\x04\x00\x00", "not a CSV"),
        ("text\ncaf\u00e9\n".encode("latin-1"), "not UTF-8"),
    ],
)
def test_csv_import_explains_unreadable_files(world, raw, message):
    with pytest.raises(CsvImportError, match=message):
        topic_import.import_suggestions_csv(db.session, world.forum(), decode_csv(raw))


# --- Promotion -----------------------------------------------------------------------------


def test_promotion_creates_a_draft_session_in_the_next_forum_with_its_provenance(world):
    ids = suggest(world, *JAIL)
    topic_groups.regroup(db.session, world.forum())
    group = group_edits.rename_group(db.session, group_of(ids[0]), "Naloxone at jail release")

    promotion = promote_group(db.session, group, "discussion")

    item = promotion.item
    assert promotion.created and promotion.forum.id == world.next_forum_id
    assert item.day_id == world.next_day_id  # the first day
    assert (item.kind, item.title, item.room_id) == ("discussion", "Naloxone at jail release", None)
    assert item.provenance == "Proposed from Forum 1 feedback (raised by 2 teams)"
    assert "Narcan access for people leaving jail" in item.description
    assert "Buncombe" not in item.description  # texts only, no names
    assert group.promoted_item_id == item.id
    assert to_local(item.starts_at, "America/New_York").time() == time(8, 30)


def test_promoting_twice_returns_the_same_session(world):
    ids = suggest(world, *JAIL)
    topic_groups.regroup(db.session, world.forum())
    first = promote_group(db.session, group_of(ids[0]))
    again = promote_group(db.session, group_of(ids[0]), "discussion")
    assert not again.created
    assert again.item.id == first.item.id
    assert db.session.scalar(select(func.count(AgendaItem.id))) == 1


def test_promotion_takes_the_first_free_hour_of_the_day(world):
    day = world.next_forum().days[0]
    build.item(day, "Welcome", time(8, 30), time(9, 30), kind="general_session")
    build.item(day, "Keynote", time(9, 30), time(10, 15), kind="general_session")
    ids = suggest(world, *JAIL)
    topic_groups.regroup(db.session, world.forum())
    item = promote_group(db.session, group_of(ids[0])).item
    local = to_local(item.starts_at, "America/New_York")
    assert (local.time(), item.kind) == (time(10, 15), "breakout")


def test_promotion_needs_a_next_forum_and_a_known_kind(app_ctx):
    world = build_topic_world(with_next_forum=False)
    ids = suggest(world, *JAIL)
    topic_groups.regroup(db.session, world.forum())
    with pytest.raises(errors.NoNextForum, match="no Forum 2"):
        promote_group(db.session, group_of(ids[0]))
    with pytest.raises(errors.TopicError, match="breakout or"):
        promote_group(db.session, group_of(ids[0]), "panel")


def test_a_promoted_group_stays_promoted_through_merges_and_regrouping(world):
    ids = suggest(world, *JAIL, ("drug court", "Dare County"))
    topic_groups.regroup(db.session, world.forum())
    item = promote_group(db.session, group_of(ids[0])).item
    court = group_of(ids[3])
    group_edits.merge_groups(db.session, court, [group_of(ids[0])])
    assert court.promoted_item_id == item.id
    topic_groups.regroup(db.session, world.forum())
    assert group_of(ids[0]).promoted_item_id == item.id


def test_two_promoted_groups_are_not_merged_so_no_proposed_session_is_left_without_its_topic(
    world,
):
    ids = suggest(world, *JAIL, ("drug court", "Dare County"))
    topic_groups.regroup(db.session, world.forum())
    jail, court = group_of(ids[0]), group_of(ids[3])
    promote_group(db.session, jail)
    promote_group(db.session, court)

    with pytest.raises(errors.TopicError, match="each became a proposed session") as refused:
        group_edits.merge_groups(db.session, court, [jail])

    assert refused.value.field == "group_ids"
    assert group_of(ids[0]) is jail and jail.promoted_item_id is not None
    # Read when another faculty member had not promoted it yet: the merge reads it afresh.
    set_committed_value(jail, "promoted_item_id", None)
    with pytest.raises(errors.TopicError, match="each became a proposed session"):
        group_edits.merge_groups(db.session, court, [jail])


def _topic_to_promote(audience: str, text: str):
    """A held Forum 1 with a topic group "Jail data sharing" of one suggestion, and a
    published Forum 2 of one day for ``audience``; returns (group, Forum 2)."""
    held = build.forum(number=1, status="closed")
    following = build.forum(number=2, status="published", days=((date(2027, 6, 10), audience),))
    group = TopicGroup(forum_id=held.id, label="Jail data sharing")
    db.session.add(group)
    db.session.flush()
    db.session.add(TopicSuggestion(forum_id=held.id, group_id=group.id, text=text))
    db.session.flush()
    return group, following


def test_a_promoted_topic_stays_off_the_public_agenda_until_edited(app, client):
    """Attendees' words must not reach the public site just because a topic was promoted."""
    with app.app_context():
        group, following = _topic_to_promote("public", "Our sheriff refuses to share overdose data")
        promotion = promote_group(db.session, group)
        db.session.commit()
        assert promotion.item.confidential
        following_id = following.id
    public = client.get(f"/forums/{following_id}").get_data(as_text=True)
    assert "Our sheriff refuses" not in public and "Jail data sharing" not in public
    api = client.get(f"/api/v1/forums/{following_id}/agenda").get_data(as_text=True)
    assert "Our sheriff refuses" not in api


def test_a_promoted_breakout_is_a_draft_teams_cannot_choose_until_it_is_scheduled(
    app, client, signed_in
):
    from forumapp.core.links import personal_token
    from forumapp.registration.breakouts import breakout_slots, choose_breakout
    from forumapp.registration.errors import InvalidRegistration

    with app.app_context():
        group, following = _topic_to_promote("team", "Jail data")
        item = promote_group(db.session, group, "breakout").item
        registration = build.team_registration(following, "Cy Dunn")
        person = registration.person
        db.session.commit()
        assert item.is_draft
        assert breakout_slots(db.session, following, following.days[0]) == []
        with pytest.raises(InvalidRegistration):
            choose_breakout(db.session, registration, item)
        db.session.rollback()
        item_id, forum_id, token = item.id, following.id, personal_token(person)

    assert "Jail data sharing" not in client.get(f"/me/{token}").get_data(as_text=True)
    staff_agenda = signed_in("organizer").get(f"/staff/forums/{forum_id}/agenda")
    assert "Draft: only staff see it" in staff_agenda.get_data(as_text=True)

    with app.app_context():  # an organizer schedules it
        db.session.get(AgendaItem, item_id).status = "scheduled"
        db.session.commit()
    assert "Jail data sharing" in client.get(f"/me/{token}").get_data(as_text=True)


# --- Placing new suggestions without a regroup ----------------------------------------------


def _new(world, *rows) -> list[TopicSuggestion]:
    ids = suggest(world, *rows)
    return [db.session.get(TopicSuggestion, suggestion_id) for suggestion_id in ids]


def test_a_new_suggestion_joins_the_group_it_is_like_and_others_stay_put(world):
    first = suggest(world, *JAIL, ("drug court in a small county", "Dare County"))
    topic_groups.regroup(db.session, world.forum())
    jail_id, court_id = group_of(first[0]).id, group_of(first[3]).id

    added = _new(
        world,
        ("naloxone for people released from jail", "Wake County"),
        ("a recovery court for our county", "Wake County"),
        ("transportation to treatment appointments", None),
    )
    topic_groups.place_new(db.session, world.forum(), added)

    assert [s.group_id for s in added[:2]] == [jail_id, court_id]
    alone = added[2].group
    assert alone is not None and alone.id not in (jail_id, court_id)
    assert [s.id for s in alone.suggestions] == [added[2].id]
    assert "ransportation" in alone.label
    assert topic_groups.ungrouped_count(db.session, world.forum()) == 0
    # What was there before is where it was.
    assert [group_of(i).id for i in first] == [jail_id, jail_id, jail_id, court_id]


def test_new_suggestions_like_each_other_start_one_group(world):
    added = _new(
        world,
        ("transportation to treatment", "Dare County"),
        ("rides to treatment appointments for rural residents", "Wake County"),
    )
    topic_groups.place_new(db.session, world.forum(), added)
    assert added[0].group_id == added[1].group_id is not None


def test_placing_leaves_kept_groups_alone(world):
    ids = suggest(world, *JAIL)
    topic_groups.regroup(db.session, world.forum())
    group_edits.rename_group(db.session, group_of(ids[0]), "Jail health")

    [added] = _new(world, ("naloxone for people leaving jail", "Wake County"))
    topic_groups.place_new(db.session, world.forum(), [added])

    assert added.group_id not in (None, group_of(ids[0]).id)
    assert len(group_of(ids[0]).suggestions) == 3


def test_a_team_may_add_only_so_many_suggestions_a_day(world):
    suggestions.add_suggestions(
        db.session,
        world.forum(),
        [("one", world.teams["Dare County"], None, "api")] * 3,
        daily_limit=4,
    )
    with pytest.raises(errors.InvalidSuggestions) as refused:
        suggestions.add_suggestions(
            db.session,
            world.forum(),
            [
                ("two", world.teams["Dare County"], None, "api"),
                ("three", world.teams["Dare County"], None, "api"),
                ("other team", world.teams["Wake County"], None, "api"),
            ],
            daily_limit=4,
        )
    assert set(refused.value.errors) == {0, 1}
    assert "today's limit of 4" in refused.value.errors[0]
    # Another team, and the same team within the limit, still may.
    suggestions.add_suggestions(
        db.session,
        world.forum(),
        [("two", world.teams["Dare County"], None, "api")],
        daily_limit=4,
    )
