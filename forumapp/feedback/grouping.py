"""Group topic suggestions that are about the same thing, and label each group by key words.

Pure Python, no model and no download: texts are normalised (lower case, punctuation gone,
plural and -ing/-ed endings folded, small typos mended), the phrases of a small domain thesaurus
(``thesaurus.txt``) are replaced by one concept each so that "Narcan" and "naloxone", or "MAT" and
"buprenorphine", count as the same word, and stop words are dropped. Each text becomes a TF-IDF
vector; average-linkage agglomerative clustering joins texts whose groups are, on average, at
least ``threshold`` alike by cosine similarity. The result depends only on the texts and their
order, never on chance.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

THESAURUS_PATH = Path(__file__).with_name("thesaurus.txt")

# Average cosine similarity at which two groups become one. Lower joins more.
DEFAULT_THRESHOLD = 0.25
# A [topics] concept of the thesaurus is curated meaning: it weighs this many plain words.
TOPIC_WEIGHT = 2.0
LABEL_WORDS = 3

_CONCEPT_PREFIX = "#"

# Words that say nothing about a topic here, "county" and "opioid" included.
_STOP_TEXT = """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can cannot could did do does doing done down during each
    few for from further get gets getting got had has have having he her here hers him his how
    i if in into is it its itself just let like make making many may me more most much must my
    no nor not now of off on once only or other others our ours out over own per same she
    should so some such than that the their theirs them then there these they this those
    through to too under until up upon us very via vs was way ways we were what when where
    which while who whom why will with within without would you your yours etc eg ie now
    anyone anything everyone every someone something thing things lot lots really actually
    already still yet even ever always never one two three first second new old
    need needs want wants wish would could might able help helps ideas idea idea question
    questions know learn learning hear hearing talk discuss discussion share session sessions
    topic topics next forum forums time times year years month months day days week weeks
    work works working start starting started use used using best practice practices
    example examples different other another good better great big small more less
    county counties town towns city cities community communities state states nc north
    carolina local area areas region people person folks team teams group groups
    program programs project projects issue issues problem problems approach approaches
    opioid opioids substance substances drug drugs use disorder disorders sud oud
    please thanks thank asap maybe perhaps kind kinds type types sort regarding around
    interested interest love especially specifically more info information update updates
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())


# --- Normalising words ---------------------------------------------------------------------------


def _fold(text: str) -> str:
    # "Naloxone’s" and "naloxone's" alike; accents gone so "café" matches "cafe".
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


_WORD = re.compile(r"[a-z0-9]+")


def stem(word: str) -> str:
    """A light stemmer: plurals, -ing, -ed, -ion and a final -e folded.

    It only has to be consistent (the thesaurus goes through it too), not linguistically right:
    "housing" and "houses" both become "hous".
    """
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix, keep in (("ing", 3), ("ed", 3), ("ion", 4)):
        if word.endswith(suffix) and len(word) - len(suffix) >= keep:
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
                word = word[:-1]  # "stopped" -> "stop", but "fall" stays
            break
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


# Stop words are compared after stemming, like everything else.
_STOP_STEMS = frozenset(STOP_WORDS | {stem(word) for word in STOP_WORDS})


def words_of(text: str) -> list[str]:
    """The words of ``text``, folded and stemmed, in order (stop words kept)."""
    return [stem(word) for word in _WORD.findall(_fold(text.replace("'s", "").replace("’s", "")))]


def _edit_distance_at_most(a: str, b: str, limit: int) -> bool:
    """Damerau-Levenshtein distance (adjacent swaps count once) of at most ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return False
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return False
        previous2, previous = previous, current
    return previous[-1] <= limit


def _typo_limit(word: str) -> int:
    if len(word) >= 10:
        return 2
    return 1 if len(word) >= 5 else 0


# --- The thesaurus -----------------------------------------------------------------------------


class ThesaurusError(ValueError):
    """A line of the thesaurus file that cannot be read."""


_SECTION_WEIGHTS = {"topics": TOPIC_WEIGHT, "context": 1.0}
# Skipped inside phrases, so "follow up after an overdose" matches "follow up after overdose".
_ARTICLES = frozenset({"a", "an", "the"})


def _phrase_words(text: str) -> list[str]:
    return [word for word in words_of(text) if word not in _ARTICLES]


@dataclass
class Thesaurus:
    """Phrases (as stemmed word tuples) mapped to concepts, each concept's display name and
    weight."""

    phrases: dict[tuple[str, ...], str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)
    # Text -> its analysis (``_analysed``); filled as texts are grouped.
    analyses: dict[str, tuple[list[str], list[tuple[str, str]]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @classmethod
    def from_text(cls, text: str) -> Thesaurus:
        """Read ``canonical = synonym, synonym`` lines under ``[topics]`` or ``[context]``
        headings; ``#`` starts a comment. Raises ``ThesaurusError`` naming the line."""
        thesaurus = cls()
        weight = TOPIC_WEIGHT
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            if line.startswith("[") and line.endswith("]"):
                section = " ".join(line[1:-1].lower().split())
                if section not in _SECTION_WEIGHTS:
                    known = " or ".join(f"[{name}]" for name in _SECTION_WEIGHTS)
                    raise ThesaurusError(f"Line {number}: the sections are {known}.")
                weight = _SECTION_WEIGHTS[section]
                continue
            canonical, sep, rest = line.partition("=")
            canonical = canonical.strip()
            if not sep or not canonical:
                raise ThesaurusError(f"Line {number}: write it as 'term = synonym, synonym'.")
            concept = _CONCEPT_PREFIX + "_".join(words_of(canonical))
            if concept in thesaurus.names:
                raise ThesaurusError(f"Line {number}: {canonical!r} is already a concept.")
            thesaurus.names[concept] = canonical
            thesaurus.weights[concept] = weight
            for phrase in [canonical, *rest.split(",")]:
                key = tuple(_phrase_words(phrase))
                if not key:
                    continue
                if len(key) == 1 and key[0] in _STOP_STEMS:
                    raise ThesaurusError(
                        f"Line {number}: {phrase.strip()!r} is too common a word to be a synonym."
                    )
                owner = thesaurus.phrases.get(key)
                if owner is not None and owner != concept:
                    raise ThesaurusError(
                        f"Line {number}: {phrase.strip()!r} already means "
                        f"{thesaurus.names[owner]!r}; a phrase may belong to one concept only."
                    )
                thesaurus.phrases[key] = concept
        return thesaurus

    @classmethod
    def from_file(cls, path: Path | str) -> Thesaurus:
        return cls.from_text(Path(path).read_text(encoding="utf-8"))

    @cached_property
    def longest(self) -> int:
        return max((len(key) for key in self.phrases), default=1)

    @cached_property
    def single_words(self) -> frozenset[str]:
        return frozenset(word for key in self.phrases for word in key)

    @cached_property
    def typo_targets(self) -> list[str]:
        """The words a misspelt word may be mended to (``_mended``)."""
        return sorted(word for word in self.single_words if len(word) >= 6 and word.isalpha())


DEFAULT_THESAURUS = Thesaurus.from_file(THESAURUS_PATH)


# --- Texts to terms ----------------------------------------------------------------------------


@dataclass
class _Analysis:
    terms: list[list[str]]  # per text: concepts and plain stems, stop words gone
    surface: dict[str, str]  # a plain stem -> the first word it came from, for labels


def _mended(word: str, thesaurus: Thesaurus) -> str:
    """``word``, or the thesaurus word it is a letter or two off ("nalaxone", "neeedle",
    "buprenorphrine").

    Only thesaurus words of six letters or more are targets, and the first and last letters
    must agree: ordinary words near a thesaurus word ("residents" and "residences", "media"
    and "medics") stay as they are.
    """
    known = thesaurus.single_words
    limit = _typo_limit(word)
    if not limit or word in known or word in _STOP_STEMS or not word.isalpha():
        return word
    for target in thesaurus.typo_targets:
        if (
            target[0] == word[0]
            and target[-1] == word[-1]
            and _edit_distance_at_most(word, target, limit)
        ):
            return target
    return word


def _replace_phrases(words: list[str], thesaurus: Thesaurus, longest: int) -> list[str]:
    out = []
    index = 0
    while index < len(words):
        for length in range(min(longest, len(words) - index), 0, -1):
            concept = thesaurus.phrases.get(tuple(words[index : index + length]))
            if concept is not None:
                out.append(concept)
                index += length
                break
        else:
            out.append(words[index])
            index += 1
    return out


def _keep(term: str) -> bool:
    if term.startswith(_CONCEPT_PREFIX):
        return True
    return len(term) > 2 and term not in _STOP_STEMS and not any(ch.isdigit() for ch in term)


_CACHE_LIMIT = 100_000  # texts whose analysis a thesaurus remembers


def _analysed(text: str, thesaurus: Thesaurus) -> tuple[list[str], list[tuple[str, str]]]:
    """One text's terms, and (stem, word) pairs for labels. A text's analysis depends on it
    and the thesaurus only, so the thesaurus remembers it: a request adding a suggestion to a
    forum of thousands analyses only its own."""
    cached = thesaurus.analyses.get(text)
    if cached is not None:
        return cached
    raw = _WORD.findall(_fold(text.replace("'s", "").replace("’s", "")))
    surface = [(stem(word), word) for word in raw]
    words = [_mended(stemmed, thesaurus) for stemmed, _ in surface]
    words = [word for word in words if word not in _ARTICLES]
    terms = [term for term in _replace_phrases(words, thesaurus, thesaurus.longest) if _keep(term)]
    if len(thesaurus.analyses) >= _CACHE_LIMIT:
        thesaurus.analyses.clear()
    thesaurus.analyses[text] = (terms, surface)
    return terms, surface


def _analyse(texts: Sequence[str], thesaurus: Thesaurus) -> _Analysis:
    surface: dict[str, str] = {}
    terms = []
    for text in texts:
        text_terms, pairs = _analysed(text, thesaurus)
        terms.append(text_terms)
        for stemmed, word in pairs:
            surface.setdefault(stemmed, word)
    return _Analysis(terms=terms, surface=surface)


def _vectors(terms: list[list[str]], thesaurus: Thesaurus) -> list[dict[str, float]]:
    """Unit-length TF-IDF vectors (smoothed IDF, topic concepts weighted up)."""
    count = len(terms)
    document_frequency = Counter(term for doc in terms for term in set(doc))
    vectors = []
    for doc in terms:
        vector = {}
        for term, frequency in Counter(doc).items():
            idf = math.log((1 + count) / (1 + document_frequency[term])) + 1
            weight = (1 + math.log(frequency)) * idf
            weight *= thesaurus.weights.get(term, 1.0)
            vector[term] = weight
        norm = math.sqrt(sum(w * w for w in vector.values())) or 1.0
        vectors.append({term: w / norm for term, w in vector.items()})
    return vectors


def _term_matrix(vectors: list[dict[str, float]]) -> np.ndarray:
    """The document-term matrix of the vectors: a row per text, a column per term."""
    columns: dict[str, int] = {}
    for vector in vectors:
        for term in vector:
            columns.setdefault(term, len(columns))
    matrix = np.zeros((len(vectors), max(len(columns), 1)))
    for row, vector in enumerate(vectors):
        for term, weight in vector.items():
            matrix[row, columns[term]] = weight
    return matrix


def _similarities(vectors: list[dict[str, float]]) -> np.ndarray:
    """Cosine similarities of the unit vectors, as a square matrix."""
    matrix = _term_matrix(vectors)
    return matrix @ matrix.T


def _average_linkage(similarity: np.ndarray, threshold: float) -> list[list[int]]:
    """Clusters of average similarity >= ``threshold`` (nearest-neighbour chain, O(n²)).

    Average linkage has no inversions, so applying only the merges at or above the threshold
    gives the same clusters as stopping a bottom-up merge there. Each step is a whole row at
    once (numpy): 3,000 texts take well under a second. A cluster merged away, and each
    cluster with itself, is at minus infinity, so it is never anyone's nearest.
    """
    size = len(similarity)
    sim = np.array(similarity, dtype=float)
    np.fill_diagonal(sim, -np.inf)
    members = np.ones(size)
    parent = list(range(size))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    remaining = size
    next_start = 0
    active = np.ones(size, dtype=bool)
    chain: list[int] = []
    while remaining > 1:
        if not chain:
            while not active[next_start]:
                next_start += 1
            chain.append(next_start)
        a = chain[-1]
        previous = chain[-2] if len(chain) > 1 else None
        # The most similar active cluster, the first of equals; a tie goes to ``previous``
        # (the one before ``a`` on the chain), which ends the chain there.
        best = int(np.argmax(sim[a]))
        best_sim = sim[a, best]
        if previous is not None and sim[a, previous] >= best_sim:
            best, best_sim = previous, sim[a, previous]
        if best != previous:
            chain.append(best)
            continue
        chain.pop()
        chain.pop()
        # Merge into the lower index, with the size-weighted average similarity to the rest.
        keep, gone = min(a, best), max(a, best)
        total = members[a] + members[best]
        merged = (members[a] * sim[a] + members[best] * sim[best]) / total
        sim[keep, :] = merged
        sim[:, keep] = merged
        sim[keep, keep] = -np.inf
        sim[gone, :] = -np.inf
        sim[:, gone] = -np.inf
        members[keep] = total
        active[gone] = False
        remaining -= 1
        if best_sim >= threshold:
            parent[find(gone)] = find(keep)
    groups: dict[int, list[int]] = {}
    for index in range(size):
        groups.setdefault(find(index), []).append(index)
    return sorted(groups.values(), key=lambda group: group[0])


def group_texts(
    texts: Sequence[str],
    thesaurus: Thesaurus = DEFAULT_THESAURUS,
    threshold: float = DEFAULT_THRESHOLD,
) -> list[list[int]]:
    """Indices of ``texts`` grouped by topic, each group in ascending order, groups ordered by
    their first index. Every index is in exactly one group; a text about nothing else stays
    alone."""
    if not texts:
        return []
    analysis = _analyse(texts, thesaurus)
    similarity = _similarities(_vectors(analysis.terms, thesaurus))
    return _average_linkage(similarity, threshold)


def place_texts(
    texts: Sequence[str],
    groups: list[list[int]],
    new: Sequence[int],
    thesaurus: Thesaurus = DEFAULT_THESAURUS,
    threshold: float = DEFAULT_THRESHOLD,
) -> list[list[int]]:
    """Put the texts at indices ``new`` into ``groups`` (lists of indices of ``texts``)
    without regrouping: each joins the group it is, on average, most alike (at least
    ``threshold``, the rule ``group_texts`` merges by) or starts a group of its own, in
    order, so a later new text may join an earlier one's group. Returns the groups, those
    started here last. Costs one analysis of the texts, linear in their number."""
    matrix = _term_matrix(_vectors(_analyse(texts, thesaurus).terms, thesaurus))
    placed = [list(group) for group in groups]
    sums = [matrix[group].sum(axis=0) for group in placed]
    for index in new:
        point = matrix[index]
        best, best_similarity = None, -math.inf
        for position, (group, total) in enumerate(zip(placed, sums, strict=True)):
            similarity = float(total @ point) / len(group)
            if similarity > best_similarity:
                best, best_similarity = position, similarity
        if best is not None and best_similarity >= threshold:
            placed[best].append(index)
            sums[best] = sums[best] + point
        else:
            placed.append([index])
            sums.append(point)
    return placed


def label_for(texts: Iterable[str], thesaurus: Thesaurus = DEFAULT_THESAURUS) -> str:
    """A few key words shared by ``texts``, most shared first, e.g. "Jail, naloxone, MOUD"."""
    texts = list(texts)
    if not texts:
        return "Untitled topic"
    analysis = _analyse(texts, thesaurus)
    shared = Counter(term for doc in analysis.terms for term in set(doc))
    first_seen: dict[str, int] = {}
    for doc in analysis.terms:
        for term in doc:
            first_seen.setdefault(term, len(first_seen))
    ranked = sorted(
        shared,
        key=lambda t: (-shared[t], not t.startswith(_CONCEPT_PREFIX), first_seen[t]),
    )
    # In a group, only words a third of its texts share; one text's stray words would mislead.
    enough = math.ceil(len(texts) / 3) if len(texts) > 1 else 1
    ranked = [term for term in ranked if shared[term] >= enough] or ranked[:1]
    words = []
    for term in ranked[:LABEL_WORDS]:
        if term.startswith(_CONCEPT_PREFIX):
            words.append(thesaurus.names.get(term, term[1:].replace("_", " ")))
        else:
            words.append(analysis.surface.get(term, term))
    if not words:
        return texts[0].strip()[:80] or "Untitled topic"
    label = ", ".join(words)
    return label[0].upper() + label[1:]
