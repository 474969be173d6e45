"""Exact totals and facet counts of a filtered exercise list, from memory (issue 10).

Counting in SQL touches every matching row: with 100,000 exercises a broad filter cost tens
of milliseconds on every uncached request. Instead, once per content revision, each filter
value gets the set of rows it matches, as a Python int used as a bitset (bit ``i`` is the
``i``-th exercise by id). A filter combination is then a few ORs and ANDs of those ints and
every count is an AND and a ``bit_count()``: microseconds, whatever the catalog's size. With
100,000 exercises each bitset is 12.5 kB and there are a few hundred of them.

The sets reproduce the SQL conditions of ``service._conditions`` exactly (the equivalence
test in tests/test_scale_shortcuts.py compares both on random filter combinations). Where the
data could make the two differ (a NULL inside an equipment array, an equipment alternative
that is not a list of strings), the index declines and the caller counts in SQL as before.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.session import run_sql

FACET_NAMES = ("level", "mechanic", "force", "pattern", "category")


def bits(positions: Iterable[int], size: int) -> int:
    """The bitset of ``positions``, built through a bytearray (setting int bits one by one
    copies the whole int each time)."""
    raw = bytearray((size + 7) // 8)
    for position in positions:
        raw[position >> 3] |= 1 << (position & 7)
    return int.from_bytes(raw, "little")


@dataclass(frozen=True)
class FacetIndex:
    size: int
    all_rows: int
    position_of: dict[int, int]  # exercise id -> bit
    # (column, value) -> rows; the five facet columns and ``origin``.
    by_value: dict[tuple[str, str], int]
    ranked: int  # top picks
    # Equipment slug -> rows listing it at least ``k`` times, k = 1, 2, ... (the facet counts
    # array elements, as ``unnest`` does; a slug listed twice counts twice).
    equipment: dict[str, list[int]]
    listing: dict[str, int]  # equipment slug -> rows listing it (``&&``)
    # (slug, role) -> rows training that muscle or one of its parts in that role.
    muscles: dict[tuple[str, str], int]
    roles: dict[str, int]  # role -> rows with a muscle in that role
    joint_actions: dict[str, int]
    # Each distinct equipment set (the exercise's own, or one of its alternatives) -> rows.
    equipment_sets: dict[frozenset[str], int]
    # False when some row's equipment data is of a shape the sets cannot mirror exactly.
    exact_equipment: bool

    def union(self, table: dict[Any, int], keys: Iterable[Any]) -> int:
        found = 0
        for key in keys:
            found |= table.get(key, 0)
        return found

    def doable_with(self, owned: Iterable[str]) -> int:
        have = frozenset(owned)
        return self.union(self.equipment_sets, (s for s in self.equipment_sets if s <= have))

    def facets(self, mask: int) -> tuple[int, dict[str, dict[str, int]]]:
        """How many rows ``mask`` holds, and per facet value how many of them have it,
        leaving out values no row has (as the SQL's GROUP BY does)."""
        counts: dict[str, dict[str, int]] = {name: {} for name in (*FACET_NAMES, "equipment")}
        for (column, value), rows in self.by_value.items():
            if column in counts:
                n = (mask & rows).bit_count()
                if n:
                    counts[column][value] = n
        for slug, levels in self.equipment.items():
            n = sum((mask & rows).bit_count() for rows in levels)
            if n:
                counts["equipment"][slug] = n
        return mask.bit_count(), {name: dict(sorted(v.items())) for name, v in counts.items()}


_IDS_SQL = "SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM exercise"
# Exercises alike in everything the index files them under, grouped: a few thousand rows
# of id arrays at 100,000 exercises, not a row object per exercise (which, held by the
# buffered result, made the build's memory peak several times the index's own size).
_ROWS_SQL = (
    "SELECT level, mechanic, force, pattern, category, origin, equipment, "
    "top_pick_rank IS NOT NULL AS ranked, document->'equipment_alternatives' AS alternatives, "
    "array_agg(id) AS ids FROM exercise GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9"
)
# Likewise a few hundred rows of id arrays, not one row per (exercise, muscle) link.
_MUSCLES_SQL = (
    "SELECT em.role, m.slug, m.parent_slug, array_agg(em.exercise_id) FROM exercise_muscle em "
    "JOIN muscle m ON m.id = em.muscle_id GROUP BY em.role, m.slug, m.parent_slug"
)
_ACTIONS_SQL = (
    "SELECT ja.slug, array_agg(eja.exercise_id) FROM exercise_joint_action eja "
    "JOIN joint_action ja ON ja.id = eja.joint_action_id GROUP BY ja.slug"
)


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _add_equipment(
    positions: list[int],
    row: Any,
    equipment: dict[str, dict[int, list[int]]],
    sets: dict[frozenset[str], list[int]],
) -> bool:
    """File the rows at ``positions`` under their equipment slugs and equipment sets; False
    when their data has a shape whose SQL semantics the sets do not mirror."""
    own = row.equipment
    if own is not None:  # a NULL array is never <@ owned: its own set never qualifies
        if not _strings(own):  # a NULL element: && and <@ and unnest treat it otherwise
            return False
        sets[frozenset(own)].extend(positions)
        for slug, times in Counter(own).items():
            for k in range(times):
                equipment[slug][k].extend(positions)
    alternatives = row.alternatives
    if alternatives is None:  # jsonb_array_elements(NULL) yields no alternative
        return True
    if not isinstance(alternatives, list) or not all(_strings(a) for a in alternatives):
        return False
    for alternative in alternatives:
        sets[frozenset(alternative)].extend(positions)
    return True


async def build_facet_index(session: AsyncSession) -> FacetIndex:
    """Four statements, once per content revision (not per request)."""
    ids = (await run_sql(session, _IDS_SQL)).scalar_one()
    position_of = {exercise_id: i for i, exercise_id in enumerate(ids)}
    by_value: dict[tuple[str, str], list[int]] = defaultdict(list)
    equipment: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    sets: dict[frozenset[str], list[int]] = defaultdict(list)
    ranked: list[int] = []
    exact = True
    # Each statement sees its own snapshot: an exercise committed in between is not in
    # ``position_of`` and is left out (its revision bump rebuilds the index anyway).
    for row in await run_sql(session, _ROWS_SQL):
        positions = [position_of[i] for i in row.ids if i in position_of]
        for column in (*FACET_NAMES, "origin"):
            value = getattr(row, column)
            if value is not None:
                by_value[(column, value)].extend(positions)
        if row.ranked:
            ranked.extend(positions)
        exact = _add_equipment(positions, row, equipment, sets) and exact
    size = len(position_of)
    muscles: dict[tuple[str, str], list[int]] = defaultdict(list)
    roles: dict[str, list[int]] = defaultdict(list)
    for role, slug, parent, ids in await run_sql(session, _MUSCLES_SQL):
        positions = [position_of[i] for i in ids if i in position_of]
        roles[role].extend(positions)
        # A parent muscle ("trapezius") also matches exercises listing one of its parts.
        for name in (slug, parent) if parent else (slug,):
            muscles[(name, role)].extend(positions)
    actions: dict[str, list[int]] = defaultdict(list)
    for slug, ids in await run_sql(session, _ACTIONS_SQL):
        actions[slug].extend(position_of[i] for i in ids if i in position_of)

    def bitsets(table: dict[Any, list[int]]) -> dict[Any, int]:
        return {key: bits(positions, size) for key, positions in table.items()}

    equipment_bits = {
        slug: [bits(levels[k], size) for k in sorted(levels)] for slug, levels in equipment.items()
    }
    return FacetIndex(
        size=size,
        all_rows=(1 << size) - 1,
        position_of=position_of,
        by_value=bitsets(by_value),
        ranked=bits(ranked, size),
        equipment=equipment_bits,
        listing={slug: levels[0] for slug, levels in equipment_bits.items()},
        muscles=bitsets(muscles),
        roles=bitsets(roles),
        joint_actions=bitsets(actions),
        equipment_sets=bitsets(sets),
        exact_equipment=exact,
    )
