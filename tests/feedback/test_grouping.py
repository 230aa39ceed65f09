"""Suggestions worded differently about the same thing land in one group; others do not."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import pytest

from forumapp.feedback.grouping import (
    DEFAULT_THESAURUS,
    Thesaurus,
    ThesaurusError,
    group_texts,
    label_for,
)

# Written before the thesaurus was tuned, the way county staff, sheriffs, EMS and health
# directors write: brand and generic names, abbreviations, typos. Gold groups are a faculty
# reader's; "jail" holds every jail-based topic (naloxone at release, MOUD behind the walls).
TEST_SET = Path(__file__).parent / "data" / "topic_suggestions.csv"
QUALITY_TARGET = 0.7


def _same_group(groups: list[list[int]]) -> dict[int, int]:
    return {index: number for number, group in enumerate(groups) for index in group}


def pairwise_f1(predicted: list[list[int]], gold: list[str]) -> float:
    """F1 over pairs of suggestions: a pair is positive when both are in one group."""
    where = _same_group(predicted)
    true_positive = false_positive = false_negative = 0
    for a, b in itertools.combinations(range(len(gold)), 2):
        predicted_same, gold_same = where[a] == where[b], gold[a] == gold[b]
        true_positive += predicted_same and gold_same
        false_positive += predicted_same and not gold_same
        false_negative += gold_same and not predicted_same
    precision = true_positive / (true_positive + false_positive)
    recall = true_positive / (true_positive + false_negative)
    return 2 * precision * recall / (precision + recall)


def _test_set() -> tuple[list[str], list[str]]:
    with TEST_SET.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [row["text"] for row in rows], [row["gold_group"] for row in rows]


def test_grouping_agrees_with_a_faculty_reader_on_the_test_set():
    texts, gold = _test_set()
    assert len(texts) >= 60 and len(set(gold)) >= 12
    groups = group_texts(texts)
    assert sorted(i for group in groups for i in group) == list(range(len(texts)))
    assert pairwise_f1(groups, gold) >= QUALITY_TARGET


def test_naloxone_in_jails_and_narcan_for_people_leaving_jail_are_one_group():
    texts = [
        "naloxone distribution in jails",
        "Narcan access for people leaving jail",
        "How to spend the opioid settlement money",
        "Recovery housing is almost nonexistent here",
        "Needle exchange hours",
    ]
    groups = group_texts(texts)
    assert [0, 1] in groups
    assert [2] in groups and [3] in groups and [4] in groups


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("MAT in the emergency department", "starting buprenorphine in the ER"),
        ("needle exchange - how to get commissioners on board", "syringe services program"),
        ("Post overdose response team", "QRT follow up visits"),
        ("42 CFR Part 2 and what we can share", "HIPAA and information sharing"),
        ("drug court in a small county", "starting a recovery court"),
        ("FTS distribution", "fentanyl testing strips at bars"),
        ("nalaxone kits for families", "free Narcan at the library"),  # a typo, a brand
    ],
)
def test_different_words_for_the_same_thing_are_grouped(first, second):
    assert group_texts([first, second]) == [[0, 1]]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("naloxone distribution", "settlement fund reporting"),
        ("drug court", "youth prevention in middle schools"),
        ("peer support specialists", "transportation to appointments"),
        ("stigma in the faith community", "data sharing agreements between agencies"),
    ],
)
def test_unrelated_suggestions_stay_apart(first, second):
    assert group_texts([first, second]) == [[0], [1]]


def test_grouping_is_deterministic():
    texts, _ = _test_set()
    assert group_texts(texts) == group_texts(list(texts))


def test_empty_and_single_inputs():
    assert group_texts([]) == []
    assert group_texts(["anything at all"]) == [[0]]
    assert group_texts(["", "   "]) in ([[0, 1]], [[0], [1]])


def test_label_names_the_shared_key_words_with_thesaurus_names():
    label = label_for(
        [
            "naloxone distribution in jails",
            "Narcan access for people leaving jail",
            "Kloxxado for inmates at release",
        ]
    )
    words = label.lower().split(", ")
    assert {"naloxone", "jail"} <= set(words)
    assert label[0].isupper()
    assert label_for([]) == "Untitled topic"


def test_the_thesaurus_is_an_editable_text_file():
    thesaurus = Thesaurus.from_text(
        "[topics]\nwidgets = gizmos, gadget thing  # a comment\n[context]\nplace = venue\n"
    )
    assert group_texts(["widget supply", "gizmos supply chain"], thesaurus) == [[0, 1]]
    assert thesaurus.names["#widget"] == "widgets"
    assert len(DEFAULT_THESAURUS.names) > 20


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a = b\nc = b\n", "already means"),
        ("a = now\n", "too common"),
        ("just words\n", "term = synonym"),
        ("[others]\n", "sections"),
    ],
)
def test_a_bad_thesaurus_line_is_named(text, message):
    with pytest.raises(ThesaurusError, match=message):
        Thesaurus.from_text(text)
