"""The read API stays correct with the ~900-exercise free-exercise-db catalog imported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from app.importers.free_exercise_db import import_records, read_records


@pytest.fixture
async def imported(db_session: AsyncSession, shared_dir: Path) -> int:
    """The dataset imported inside the test's rolled-back transaction; returns the total."""
    records = read_records(shared_dir / "data" / "free-exercise-db" / "exercises.json")
    await import_records(db_session, records, lambda _done, _total: None)
    return len(records)


async def walk(client: httpx.AsyncClient, **params: Any) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        query = {"limit": 100, **params, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/v1/exercises", params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        seen.extend(item["slug"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return seen


async def test_paging_the_whole_large_catalog(client: httpx.AsyncClient, imported: int) -> None:
    first = (await client.get("/v1/exercises")).json()
    total = first["total"]
    assert total >= imported
    walked = await walk(client)
    assert len(walked) == len(set(walked)) == total
    names = [(item["name"], item["slug"]) for item in first["items"]]
    assert names == sorted(names)
    assert first["facets"]["category"].keys() >= {"strength", "stretching"}


async def test_filters_over_imported_exercises(client: httpx.AsyncClient, imported: int) -> None:
    assert imported > 800
    lats = await walk(client, muscle="latissimus-dorsi", role="primary")
    assert {"pull-up", "lat-pulldown"} <= set(lats)
    assert len(lats) > 20, "imported lat exercises are mapped onto our anatomy"
    imported_only = (
        await client.get("/v1/exercises", params={"origin": "free-exercise-db"})
    ).json()
    assert imported_only["total"] > 800
    assert all(item["origin"] == "free-exercise-db" for item in imported_only["items"])
    bodyweight = (
        await client.get("/v1/exercises", params={"available_equipment": "none", "limit": 100})
    ).json()
    assert bodyweight["total"] > 50
    # Exercises whose equipment the dataset does not name are never "doable with nothing".
    assert bodyweight["facets"]["equipment"] == {}
    unknown = (await client.get("/v1/exercises", params={"equipment": "other"})).json()
    assert unknown["total"] > 100


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("deadlfit", "deadlift"),
        ("RDL", "romanian-deadlift"),
        ("pullup", "pull-up"),
        ("pull up", "pull-up"),
    ],
)
async def test_curated_exercises_still_win_search(
    client: httpx.AsyncClient, imported: int, query: str, slug: str
) -> None:
    hits = (await client.get("/v1/search", params={"q": query, "kind": "exercise"})).json()["items"]
    assert hits[0]["slug"] == slug


async def test_imported_detail_and_alternatives(client: httpx.AsyncClient, imported: int) -> None:
    page = (
        await client.get(
            "/v1/exercises",
            params={"origin": "free-exercise-db", "muscle": "latissimus-dorsi", "limit": 1},
        )
    ).json()
    slug = page["items"][0]["slug"]
    detail = (await client.get(f"/v1/exercises/{slug}")).json()
    assert detail["origin"] == "free-exercise-db"
    assert detail["instructions"]
    assert detail["sources"][0]["slug"] == "free-exercise-db"
    assert "image" not in str(detail).lower()
    alternatives = (
        await client.get("/v1/exercises/pull-up/alternatives", params={"limit": 50})
    ).json()["items"]
    assert any(item["exercise"]["origin"] == "free-exercise-db" for item in alternatives)
    scores = [item["score"] for item in alternatives]
    assert scores == sorted(scores, reverse=True)
