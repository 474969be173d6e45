"""Search across exercises, muscles, joint actions and tips.

Two signals, merged per item:

* PostgreSQL full-text search over each row's ``search_vector`` (names and aliases weigh
  most, then descriptions): finds words anywhere, stemmed ("rows" finds "row").
* Fuzzy matching of the query against names and aliases with rapidfuzz: finds typos
  ("deadlfit"), spacing and hyphen variants ("pullup", "pull up") and gym shorthand stored
  as aliases ("RDL", "lats").

The name/alias vocabulary is read once per content revision and kept in memory; it is small
(a few thousand strings even with a large imported catalog).
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from rapidfuzz import fuzz, process, utils
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.session import run_sql
from app.knowledge.service import RevisionCache
from app.schema_docs import documented


@documented(
    EXERCISE="An exercise, at `/v1/exercises/{slug}`.",
    MUSCLE="A muscle, at `/v1/muscles/{slug}`.",
    JOINT_ACTION="A joint action, at `/v1/joint-actions/{slug}`.",
    TIP="A training tip, at `/v1/tips/{slug}`.",
)
class HitKind(StrEnum):
    """The kind of knowledge-base item a search hit is."""

    EXERCISE = "exercise"
    MUSCLE = "muscle"
    JOINT_ACTION = "joint_action"
    TIP = "tip"


# (table, name column) per kind; tips have titles and no aliases.
_TABLES: dict[HitKind, tuple[str, str, str]] = {
    HitKind.EXERCISE: ("exercise", "name", "aliases"),
    HitKind.MUSCLE: ("muscle", "name", "aliases"),
    HitKind.JOINT_ACTION: ("joint_action", "name", "aliases"),
    HitKind.TIP: ("tip", "title", "'{}'::text[]"),
}

# Fuzzy scores (0-100) below this are noise; above it, a typo or variant of a real name.
FUZZY_CUTOFF = 82
# Fuzzy matches on very short queries are mostly accidents ("ab" ~ "lats"); need exactness.
MIN_FUZZY_LENGTH = 4
# Curated exercises are preferred over imported near-duplicates at equal scores.
CURATED_BONUS = 0.02


@dataclass(frozen=True, slots=True)
class Entry:
    kind: HitKind
    id: int
    slug: str
    name: str
    curated: bool


@dataclass(frozen=True, slots=True)
class Hit:
    kind: HitKind
    id: int
    slug: str
    name: str
    score: float
    matched: str


@dataclass(frozen=True)
class _Vocabulary:
    entries: list[Entry]
    # One string per (entry, name-or-alias), compacted: lower case, letters and digits only.
    compact: list[str]
    spaced: list[str]
    owner: list[int]  # index into entries
    labels: list[str]
    # Built once per revision rather than per query: with 100,000 exercises each of these
    # took longer to build than the rest of a search.
    exact: dict[str, list[int]]  # compact term -> its indexes in ``compact``
    index_of: dict[tuple[str, int], int]  # (kind, id) -> index into entries
    # Entry index -> its rank by the hits' tie-breaks (exercises first, then name, then
    # slug); entries equal in all three share a rank.
    tie_order: list[int]


def compact(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _union(select_of: Callable[[HitKind, str, str, str], str], kinds: Iterable[HitKind]) -> str:
    """One statement over several kinds' tables: their selects joined by UNION ALL."""
    return " UNION ALL ".join(select_of(kind, *_TABLES[kind]) for kind in kinds)


def _vocabulary_select(kind: HitKind, table: str, name_column: str, aliases: str) -> str:
    # Table and column names come from the fixed mapping above.
    return (
        f"(SELECT '{kind.value}' AS kind, id, slug, {name_column} AS name, "  # noqa: S608
        f"{aliases} AS aliases, origin = 'curated' AS curated FROM {table} ORDER BY id)"
    )


async def _build_vocabulary(session: AsyncSession) -> _Vocabulary:
    entries: list[Entry] = []
    compact_terms: list[str] = []
    spaced_terms: list[str] = []
    owner: list[int] = []
    labels: list[str] = []
    # Every kind in one statement; each parenthesised select keeps its own order and
    # UNION ALL keeps them in the order given.
    result = await run_sql(session, _union(_vocabulary_select, _TABLES))
    for kind, row_id, slug, name, alias_list, curated in result:
        entries.append(Entry(HitKind(kind), row_id, slug, name, bool(curated)))
        for term in [name, *alias_list]:
            compact_terms.append(compact(term))
            spaced_terms.append(utils.default_process(term))
            owner.append(len(entries) - 1)
            labels.append(term)
    exact: dict[str, list[int]] = {}
    for index, term in enumerate(compact_terms):
        exact.setdefault(term, []).append(index)
    # Keyed by the kind's plain string: hashing the enum member is far slower.
    index_of = {(str(e.kind.value), e.id): i for i, e in enumerate(entries)}
    return _Vocabulary(
        entries, compact_terms, spaced_terms, owner, labels, exact, index_of, _tie_order(entries)
    )


def _tie_key(entry: Entry) -> tuple[bool, str, str]:
    return entry.kind != HitKind.EXERCISE, entry.name, entry.slug


def _tie_order(entries: list[Entry]) -> list[int]:
    order = [0] * len(entries)
    rank, previous = -1, None
    for i in sorted(range(len(entries)), key=lambda i: _tie_key(entries[i])):
        key = _tie_key(entries[i])
        if key != previous:
            rank, previous = rank + 1, key
        order[i] = rank
    return order


_vocabulary = RevisionCache(_build_vocabulary)


def _fuzzy(
    vocabulary: _Vocabulary, query: str, kinds: set[HitKind]
) -> dict[int, tuple[float, str]]:
    """Entry index -> (score 0-1, the name or alias that matched)."""
    best: dict[int, tuple[float, str]] = {}
    squeezed = compact(query)
    if not squeezed:
        return best

    def consider(index: int, score: float) -> None:
        entry_index = vocabulary.owner[index]
        if (
            vocabulary.entries[entry_index].kind in kinds
            and score > best.get(entry_index, (0.0, ""))[0]
        ):
            best[entry_index] = (score, vocabulary.labels[index])

    # Exact after compaction: "pullup" = "pull-up" = "Pull Up"; "rdl" = alias "RDL".
    for index in vocabulary.exact.get(squeezed, ()):
        consider(index, 1.0)
    if len(squeezed) < MIN_FUZZY_LENGTH:
        return best
    limit = 60
    for choices, needle, scorer in (
        (vocabulary.compact, squeezed, fuzz.ratio),
        (vocabulary.spaced, utils.default_process(query), fuzz.WRatio),
    ):
        for _, score, index in process.extract(
            needle, choices, scorer=scorer, processor=None, score_cutoff=FUZZY_CUTOFF, limit=limit
        ):
            # WRatio rates a short alias inside a long query highly ("dl" in "deadlfit"):
            # such partial matches say little, so a term must be at least half as long.
            if len(choices[index]) * 2 >= len(needle):
                consider(index, score / 100 * 0.95)
    return best


def _full_text_select(kind: HitKind, table: str, _name: str, _aliases: str) -> str:
    # websearch_to_tsquery never raises on user input; 'english' stems, 'simple' keeps
    # abbreviations; rank normalisation 32 maps ranks into [0, 1).
    matches = (
        f"SELECT '{kind.value}' AS kind, id, ts_rank_cd(search_vector, q, 32) AS rank "  # noqa: S608
        f"FROM {table}, query WHERE search_vector @@ q"
    )
    if kind is not HitKind.EXERCISE:
        return matches
    # A common word matches thousands of exercises of a large catalog, most of them by name:
    # their rank reaches the 0.25 at which the text score tops out (0.95, 0.97 if curated),
    # so among those of one origin group that no fuzzy match lifts, only the first :keep by
    # the hits' tie-breaks (name, then slug, compared as Python compares: "C" is code point
    # order in UTF-8) can be among the top :keep hits; the rest are left in the database.
    return (
        "SELECT kind, id, rank FROM (SELECT kind, id, rank, row_number() OVER ("  # noqa: S608
        "PARTITION BY rank >= 0.25, curated "
        'ORDER BY name COLLATE "C", slug COLLATE "C") AS tied FROM ('
        f"SELECT '{kind.value}' AS kind, id, ts_rank_cd(search_vector, q, 32) AS rank, "
        f"origin = 'curated' AS curated, name, slug FROM {table}, query "
        "WHERE search_vector @@ q) AS matches) AS counted "
        "WHERE rank < 0.25 OR tied <= :keep OR id = ANY(CAST(:lifted AS integer[]))"
    )


async def _full_text(
    session: AsyncSession, query: str, kinds: set[HitKind], keep: int, lifted: list[int]
) -> dict[tuple[str, int], float]:
    """(kind's value, id) -> normalised full-text rank in [0, 1), every kind in one statement;
    of the top-scoring exercises only what the top ``keep`` hits can need (``lifted``: the
    exercise ids fuzzy matching scored, which are all kept)."""
    if not kinds:
        return {}
    result = await run_sql(
        session,
        "WITH query AS (SELECT websearch_to_tsquery('english', :q) || "
        "websearch_to_tsquery('simple', :q) AS q) " + _union(_full_text_select, sorted(kinds)),
        q=query,
        **({"keep": max(keep, 0), "lifted": lifted} if HitKind.EXERCISE in kinds else {}),
    )
    return {(kind, row_id): float(rank) for kind, row_id, rank in result}


async def search(
    session: AsyncSession, query: str, kinds: Sequence[HitKind] | None = None, limit: int = 20
) -> list[Hit]:
    """Ranked hits for ``query`` among ``kinds`` (all kinds by default)."""
    wanted = set(kinds or HitKind)
    vocabulary = await _vocabulary.get(session)
    fuzzy = _fuzzy(vocabulary, query, wanted)
    entries = vocabulary.entries
    lifted = [entries[i].id for i in fuzzy if entries[i].kind is HitKind.EXERCISE]
    text_ranks = await _full_text(session, query, wanted, limit, lifted)
    scores: dict[int, tuple[float, str]] = dict(fuzzy)
    # A common word matches thousands of rows of a large catalog: hits are built for the
    # top `limit` only, not for every match.
    for key, rank in text_ranks.items():
        index = vocabulary.index_of.get(key)
        if index is None:
            continue
        # A full-text hit on the name scores high; a hit deep in a description, lower.
        text_score = 0.5 + 0.45 * min(1.0, rank * 4)
        previous = scores.get(index)
        if previous is None or text_score > previous[0]:
            scores[index] = (text_score, previous[1] if previous else "text")
        elif previous is not None:
            scores[index] = (min(1.0, previous[0] + 0.02), previous[1])
    tie_order = vocabulary.tie_order
    # Plain tuples compare in C: (-score, the tie-breaks' rank, arrival), where arrival keeps
    # the order of a stable sort among hits whose tie-breaks are equal too.
    ranked: list[tuple[float, int, int, int, str]] = []
    for arrival, (i, (score, matched)) in enumerate(scores.items()):
        total = score + CURATED_BONUS if entries[i].curated else score
        ranked.append((-round(min(1.0, total), 4), tie_order[i], arrival, i, matched))
    # The same order as sorting every hit and keeping the first `limit`.
    top = [(-negated, i, matched) for negated, _, _, i, matched in heapq.nsmallest(limit, ranked)]
    return [
        Hit(
            kind=entries[i].kind,
            id=entries[i].id,
            slug=entries[i].slug,
            name=entries[i].name,
            score=score,
            matched=matched,
        )
        for score, i, matched in top
    ]


async def exercise_relevance(
    session: AsyncSession, query: str, limit: int = 500
) -> dict[int, float]:
    """Exercise id -> relevance for a list filter ``q``."""
    return {hit.id: hit.score for hit in await search(session, query, [HitKind.EXERCISE], limit)}
