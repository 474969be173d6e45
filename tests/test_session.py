"""The request owns the transaction: committed before the response, rolled back on error."""

from __future__ import annotations

import time

import asyncpg
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from app.db.deadline import request_budget_s
from app.db.session import SessionDep, run_sql
from app.errors import ConflictError
from app.main import create_app
from tests.conftest import DatabaseFactory, asgi_client, asyncpg_dsn, make_settings


def add_write_routes(app: FastAPI) -> None:
    @app.post("/probe/notes/{value}", status_code=201)
    async def create_note(value: str, session: SessionDep) -> dict[str, str]:
        await session.exec(text("INSERT INTO probe_note (value) VALUES (:v)").bindparams(v=value))  # type: ignore[call-overload]
        if value == "conflict":
            raise ConflictError("refused after writing")
        if value == "crash":
            raise RuntimeError("boom after writing")
        return {"value": value}


@pytest.fixture
def scratch_database(database_factory: DatabaseFactory) -> str:
    import asyncio  # noqa: PLC0415 - only this fixture needs it

    url = database_factory()

    async def create_table() -> None:
        connection = await asyncpg.connect(asyncpg_dsn(url))
        await connection.execute("CREATE TABLE probe_note (value text PRIMARY KEY)")
        await connection.close()

    asyncio.run(create_table())
    return url


async def _notes(url: str) -> list[str]:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await connection.fetch("SELECT value FROM probe_note ORDER BY value")
    finally:
        await connection.close()
    return [row["value"] for row in rows]


async def test_commit_happens_before_the_response(scratch_database: str) -> None:
    application = create_app(make_settings(scratch_database))
    add_write_routes(application)
    async with application.router.lifespan_context(application), asgi_client(application) as client:
        created = await client.post("/probe/notes/kept")
        assert created.status_code == 201
        # Visible to another connection as soon as the client has the answer.
        assert await _notes(scratch_database) == ["kept"]

        assert (await client.post("/probe/notes/conflict")).status_code == 409
        assert (await client.post("/probe/notes/crash")).status_code == 500
        # A failed commit (duplicate key) is a conflict answer, and nothing is half-written.
        duplicate = await client.post("/probe/notes/kept")
        assert duplicate.status_code == 409
        assert duplicate.headers["content-type"] == "application/problem+json"

    assert await _notes(scratch_database) == ["kept"]


async def test_one_deadline_bounds_all_of_a_requests_database_work(scratch_database: str) -> None:
    """Each statement here stays under the statement timeout, but together they would run far
    past the request's bound: the deadline ends the request with a 503, stores nothing, and
    leaves the pool able to serve the next request."""
    settings = make_settings(
        scratch_database, db_statement_timeout_ms=1000, db_connect_timeout_s=0.5
    )
    budget_s = request_budget_s(settings)
    statements = 12
    sleep_s = 0.7  # 8.4 s in all, against a 2.5 s bound (2 s budget): a margin no busy machine eats
    application = create_app(settings)

    @application.post("/probe/slow/{value}", status_code=201)
    async def slow_note(value: str, session: SessionDep) -> dict[str, str]:
        await run_sql(session, "INSERT INTO probe_note (value) VALUES (:v)", v=value)
        for _ in range(statements):
            await run_sql(session, "SELECT pg_sleep(:s)", s=sleep_s)
        return {"value": value}

    add_write_routes(application)
    async with application.router.lifespan_context(application), asgi_client(application) as client:
        started = time.monotonic()
        answer = await client.post("/probe/slow/never")
        took_s = time.monotonic() - started
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["reason"] == "timeout"
        assert "nothing was stored" in answer.json()["detail"]
        assert "Retry-After" in answer.headers
        assert budget_s <= took_s < statements * sleep_s - 2, took_s

        assert (await client.post("/probe/notes/after")).status_code == 201

    assert await _notes(scratch_database) == ["after"]
