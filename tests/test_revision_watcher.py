"""The content revision in each worker's memory (app/knowledge/watcher.py, issue 10): catalog
revalidations cost no database round trip, and a committed change is seen at once, by the
worker that made it and by every other, while a lost notification connection only makes the
worker ask the database again."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from app.knowledge.service import bump_revision
from app.knowledge.watcher import APPLICATION_NAME, KNOWN_REVISION, RevisionWatcher
from app.main import create_app
from tests.conftest import (
    DatabaseFactory,
    asgi_client,
    asyncpg_dsn,
    fetch,
    loaded_database,
    make_settings,
)
from tests.kb_admin.helpers import ADMIN_EMAIL, committed_admin, curated
from tests.support.server import wait_until_ready
from tests.test_auth import bearer, login, register
from tests.test_serving import server_env, serving

MUSCLES = "/v1/muscles"


@pytest.fixture
def loaded(database_factory: DatabaseFactory) -> str:
    return loaded_database(database_factory)


@pytest.fixture
async def served(loaded: str) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    application = create_app(make_settings(loaded))
    async with application.router.lifespan_context(application), asgi_client(application) as http:
        await _known(application)
        yield application, http


def _watcher(application: FastAPI) -> RevisionWatcher:
    watcher = application.state.revision_watcher
    assert isinstance(watcher, RevisionWatcher)
    return watcher


async def _known(application: FastAPI, *, above: int = -1, within_s: float = 30.0) -> int:
    """The watcher's revision once it knows one greater than ``above``."""
    watcher = _watcher(application)
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if watcher.current is not None and watcher.current.number > above:
            return watcher.current.number
        await asyncio.sleep(0.01)
    pytest.fail(f"the watcher did not learn a revision above {above} in {within_s} s")


class StatementLog:
    """Every statement the application's request pool sends, while attached."""

    def __init__(self, application: FastAPI) -> None:
        self.statements: list[str] = []
        self._engine = application.state.engine.sync_engine

    def _record(self, *args: Any) -> None:
        self.statements.append(str(args[2]))

    def __enter__(self) -> StatementLog:
        event.listen(self._engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self._engine, "before_cursor_execute", self._record)


async def test_a_revalidation_costs_no_database_round_trip(
    served: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    application, http = served
    first = await http.get(MUSCLES)
    assert first.status_code == 200
    with StatementLog(application) as log:
        again = await http.get(MUSCLES, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert log.statements == []


async def test_without_the_watcher_every_request_asks_the_database(
    served: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    # The fallback the watcher uses whenever it is not sure: same answer, one lookup.
    application, http = served
    first = await http.get(MUSCLES)
    _watcher(application).forget()
    await _watcher(application).stop()
    with StatementLog(application) as log:
        again = await http.get(MUSCLES, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.headers["etag"] == first.headers["etag"]
    assert len(log.statements) == 1
    assert "content_revision" in log.statements[0]


async def test_a_change_committed_elsewhere_is_seen_at_once(
    loaded: str, served: tuple[FastAPI, httpx.AsyncClient]
) -> None:
    application, http = served
    before = await http.get(MUSCLES)
    revision = await _known(application)
    # Another process (a loader, an importer, another replica's admin) changes content.
    await fetch(
        loaded,
        "WITH bumped AS (UPDATE content_revision SET revision = revision + 1, changed_at = "
        "now() RETURNING revision) SELECT pg_notify('spotter_content', revision::text) "
        "FROM bumped",
    )
    started = time.monotonic()
    assert await _known(application, above=revision, within_s=5) == revision + 1
    assert time.monotonic() - started < 1.0
    after = await http.get(MUSCLES, headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert after.headers["etag"] != before.headers["etag"]


async def test_a_rolled_back_change_notifies_no_one(
    loaded: str, served: tuple[FastAPI, httpx.AsyncClient]
) -> None:
    application, _ = served
    watcher = _watcher(application)
    revision = await _known(application)
    reads = watcher.reads
    connection = await asyncpg.connect(asyncpg_dsn(loaded))
    try:
        transaction = connection.transaction()
        await transaction.start()
        await connection.execute("UPDATE content_revision SET revision = revision + 1")
        await connection.execute("SELECT pg_notify('spotter_content', 'rolled back')")
        await transaction.rollback()
    finally:
        await connection.close()
    await asyncio.sleep(0.5)
    assert watcher.reads == reads
    assert watcher.current is not None
    assert watcher.current.number == revision


async def test_a_workers_own_write_is_visible_to_its_next_read(
    loaded: str, served: tuple[FastAPI, httpx.AsyncClient]
) -> None:
    _, http = served
    admin = await committed_admin(loaded, http)
    before = await http.get("/v1/exercises/face-pull")
    path = "/v1/admin/exercises/face-pull"
    etag = (await http.get(path, headers=admin)).headers["etag"]
    body = curated("exercises", "face-pull") | {"summary": "Rewritten for the watcher test."}
    assert (await http.put(path, json=body, headers=admin | {"If-Match": etag})).status_code == 200
    # No wait for the notification: the same worker must not serve the old tag or text.
    after = await http.get(
        "/v1/exercises/face-pull", headers={"If-None-Match": before.headers["etag"]}
    )
    assert after.status_code == 200
    assert after.json()["summary"] == "Rewritten for the watcher test."
    assert after.headers["etag"] != before.headers["etag"]


async def test_a_lost_listening_connection_is_replaced(
    loaded: str, served: tuple[FastAPI, httpx.AsyncClient]
) -> None:
    application, http = served
    watcher = _watcher(application)
    revision = await _known(application)
    reads = watcher.reads
    terminated = await fetch(
        loaded,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE application_name = $1 AND datname = current_database()",
        APPLICATION_NAME,
    )
    assert terminated, "the watcher's connection was not found"
    # While it reconnects, requests are answered from the database, correctly.
    assert (await http.get(MUSCLES)).status_code == 200
    await _known(application, above=revision - 1)
    await _until(lambda: watcher.reads > reads and watcher.current is not None)


async def _until(condition: Callable[[], bool], within_s: float = 30.0) -> None:
    deadline = time.monotonic() + within_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("condition not met in time")
        await asyncio.sleep(0.05)


# --------------------------------------------------------------------------- replicas


def _tags(base: str, requests: int) -> list[str]:
    """The muscle list's ETag from ``requests`` fresh connections (spread over the workers)."""
    tags = []
    for _ in range(requests):
        with httpx.Client(base_url=base, timeout=30) as client:
            response = client.get(MUSCLES)
            assert response.status_code == 200, response.text
            tags.append(response.headers["etag"])
    return tags


@pytest.mark.slow
async def test_two_replicas_of_two_workers_see_a_write_at_once(loaded: str) -> None:
    env = server_env(loaded)
    with (
        serving(env, "--workers", "2") as (first, first_process, _),
        serving(env, "--workers", "2") as (second, second_process, _),
    ):
        wait_until_ready(first, first_process, timeout_s=120)
        wait_until_ready(second, second_process, timeout_s=120)
        before = set(_tags(first, 10) + _tags(second, 10))
        assert len(before) == 1

        async with httpx.AsyncClient(base_url=first, timeout=30) as http:
            await register(http, ADMIN_EMAIL)
            await fetch(
                loaded, "UPDATE user_account SET is_admin = true WHERE email = $1", ADMIN_EMAIL
            )
            admin = bearer((await login(http, ADMIN_EMAIL))["access_token"])
            path = "/v1/admin/muscles/trapezius"
            etag = (await http.get(path, headers=admin)).headers["etag"]
            body = curated("muscles", "trapezius") | {"description": "Rewritten by a replica."}
            written = await http.put(path, json=body, headers=admin | {"If-Match": etag})
            assert written.status_code == 200, written.text

        # Every worker of both replicas, on fresh connections, from the first request on.
        after = _tags(first, 10) + _tags(second, 10)
        assert before.isdisjoint(after), "a worker still served the revision before the write"
        assert len(set(after)) == 1


async def test_a_content_writing_session_makes_its_worker_forget_after_commit(
    served: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    # Deterministic half of the test above: the forgetting does not wait for the notification.
    application, _ = served
    watcher = _watcher(application)
    await _known(application)
    async with application.state.sessionmaker() as session:
        watcher.prime(session)
        assert session.info[KNOWN_REVISION] == watcher.current
        await bump_revision(session)
        await session.commit()
        watcher.after_commit(session)
        assert watcher.current is None
    await _known(application)
