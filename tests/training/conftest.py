"""Training-log fixtures: request bodies, row snapshots, and a committed database.

Most tests run in the per-test rolled-back transaction (``client``). Races and all-or-nothing
writes need real commits and real concurrent connections, so those tests share one freshly
migrated database with the curated content loaded, and keep apart by using their own users.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.session import run_sql
from app.main import create_app
from tests.conftest import (
    DatabaseFactory,
    asgi_client,
    asyncpg_dsn,
    loaded_database,
    make_settings,
)
from tests.test_auth import signed_in

TRAINING_TABLES = ("training_profile", "training_session", "training_set", "idempotency_record")

PROFILE: dict[str, Any] = {
    "experience": "beginner",
    "unit": "kg",
    "bodyweight": 80,
    "goal": "strength",
    "routine_profile": "stronglifts",
    "equipment": {"bar": 20, "plates": [25, 20, 10, 5, 2.5, 1.25]},
    "routine": "stronglifts-5x5",
}


def session_body(
    day: str = "2026-03-04", sets: int = 3, notes: str | None = None, load: float = 50
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "date": day,
        "sets": [
            {"exercise": "barbell-bent-over-row", "reps": 5, "load": load, "target_reps": 5}
            for _ in range(sets)
        ],
    }
    if notes is not None:
        body["notes"] = notes
    return body


async def snapshot(session: AsyncSession) -> dict[str, list[tuple[Any, ...]]]:
    """Every training-log row, in a stable order, as seen by the test's transaction."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    for table in TRAINING_TABLES:
        result = await run_sql(session, f"SELECT * FROM {table} ORDER BY 1")  # noqa: S608
        rows[table] = [tuple(row) for row in result.all()]
    return rows


async def execute(url: str, sql: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture(scope="module")
def committed_url(database_factory: DatabaseFactory) -> str:
    return loaded_database(database_factory)


@pytest.fixture(scope="module")
async def committed_app(committed_url: str) -> AsyncIterator[FastAPI]:
    # Enough connections for the concurrency tests to race in the database, not in the pool.
    # The rate limiter is off here: it is tested on its own, and its check takes a second pool
    # connection while the request's session holds one, so a burst wider than the pool would
    # measure pool starvation instead of the races these tests are about. For the same reason
    # the statement timeout is long: on a machine whose cores are busy, 100 writers queued
    # behind one lock wait longer than the deployed 5 s, and a 503 there is correct shedding
    # (the fault suite tests it), not the race under test.
    settings = make_settings(
        committed_url,
        db_pool_size=20,
        db_max_overflow=20,
        db_pool_timeout_s=10.0,
        db_statement_timeout_ms=120_000,
        rate_limit_enabled=False,
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def committed_client(committed_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(committed_app) as http:
        yield http


async def new_lifter(client: httpx.AsyncClient) -> dict[str, str]:
    """A signed-in lifter with a unique email (committed tests share one database)."""
    return await signed_in(client, f"lifter-{uuid.uuid4().hex[:10]}@example.com")


async def user_id_of(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    response = await client.get("/v1/me", headers=headers)
    assert response.status_code == 200, response.text
    user_id: int = response.json()["id"]
    return user_id
