"""Shortcuts of the cold catalog reads give exactly the answers of the long way (issue 10).

Over a catalog of a few thousand exercises (the curated content, the free-exercise-db import
and variants of its records), random filter combinations are counted both ways: by the
per-revision bitsets and by the SQL statement they replace; and searches keep the order of
ranking every hit.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.session import run_sql, run_statement
from app.exercises import service
from app.exercises.facet_index import build_facet_index
from app.exercises.schemas import MuscleRole
from app.importers.free_exercise_db import import_records, read_records
from app.search.service import HitKind, search

ROUNDS = 300


@pytest.fixture
async def catalog(db_session: AsyncSession, shared_dir: Path) -> AsyncSession:
    records = read_records(shared_dir / "data" / "free-exercise-db" / "exercises.json")
    levels = sorted({r.level for r in records})
    variants = [
        base.model_copy(
            update={
                "id": f"variant_{n}_{base.id}"[:120],
                "name": f"Paused {base.name} {n}",
                "level": levels[n % len(levels)],
                "equipment": records[(n * 7 + 3) % len(records)].equipment,
            }
        )
        for n, base in enumerate(records * 2)
    ]
    await import_records(db_session, records + variants, lambda _done, _total: None)
    return db_session


async def _values(session: AsyncSession, sql: str) -> list[str]:
    return sorted(v for (v,) in await run_sql(session, sql) if v is not None)


async def test_bitset_counts_equal_the_sql_counts(catalog: AsyncSession) -> None:
    session = catalog
    index = await build_facet_index(session)
    assert index.size > 2500
    assert index.exact_equipment
    pools = {
        "muscles": await _values(session, "SELECT slug FROM muscle"),
        "joint_actions": await _values(session, "SELECT slug FROM joint_action"),
        "equipment": await _values(session, "SELECT slug FROM equipment"),
        "levels": await _values(session, "SELECT DISTINCT level FROM exercise"),
        "mechanics": await _values(session, "SELECT DISTINCT mechanic FROM exercise"),
        "forces": await _values(session, "SELECT DISTINCT force FROM exercise"),
        "patterns": await _values(session, "SELECT DISTINCT pattern FROM exercise"),
        "categories": await _values(session, "SELECT DISTINCT category FROM exercise"),
    }
    ids = [i for (i,) in await run_sql(session, "SELECT id FROM exercise")]
    chooser = random.Random(10)
    compared = matched = 0
    for _ in range(ROUNDS):
        picked: dict[str, object] = {}
        for name, pool in pools.items():
            if chooser.random() < 0.15:
                picked[name] = tuple(chooser.sample(pool, chooser.randint(1, min(3, len(pool)))))
        if chooser.random() < 0.2:
            picked["role"] = chooser.choice(list(MuscleRole))
        if chooser.random() < 0.2:
            picked["available_equipment"] = tuple(
                chooser.sample(pools["equipment"], chooser.randint(0, 4))
            )
        if chooser.random() < 0.2:
            picked["top_pick"] = chooser.random() < 0.5
        if chooser.random() < 0.2:
            picked["origin"] = chooser.choice(["curated", "free-exercise-db", "nowhere"])
        if chooser.random() < 0.1:
            picked["relevance"] = dict.fromkeys(chooser.sample(ids, 50), 1.0) | {-1: 0.5}
        filters = service.ExerciseFilters(**picked)  # type: ignore[arg-type]
        conditions = service._conditions(filters)
        if not conditions:
            continue
        row = (await run_statement(session, sa.select(*service._facts_columns(conditions)))).one()
        counted = service._counted_in_memory(index, filters)
        assert counted == service._facts(row), picked
        compared += 1
        matched += bool(row.total)
    assert compared > ROUNDS * 0.8
    # Most combinations match something: the comparison is not of empty answers.
    assert matched > compared * 0.5, (matched, compared)


@pytest.mark.parametrize("query", ["row", "press", "curl", "deadlfit", "pull up", "rdl", "squat"])
async def test_a_top_n_search_is_the_prefix_of_the_whole_ranking(
    catalog: AsyncSession, query: str
) -> None:
    """Leaving most saturated full-text matches in the database changes no top ``limit``:
    it equals the first ``limit`` of the ranking of every hit (kept whole at a huge limit)."""
    everything = await search(catalog, query, limit=10**6)
    assert everything
    for kinds in (None, [HitKind.EXERCISE], [HitKind.EXERCISE, HitKind.TIP]):
        whole = everything if kinds is None else await search(catalog, query, kinds, 10**6)
        for limit in (1, 3, 20, 50):
            assert await search(catalog, query, kinds, limit) == whole[:limit], (kinds, limit)
