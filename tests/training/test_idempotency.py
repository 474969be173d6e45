"""Idempotency-Key on POST /v1/me/sessions: replay, misuse, expiry and races."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.session import run_sql
from app.training import service as training_service
from app.training.schemas import TrainingSessionPublic
from tests.conftest import fetch
from tests.test_auth import signed_in
from tests.training.conftest import new_lifter, session_body, user_id_of

URL = "/v1/me/sessions"


async def _count(db_session: AsyncSession, table: str) -> int:
    result = await run_sql(db_session, f"SELECT count(*) FROM {table}")  # noqa: S608
    count: int = result.scalar_one()
    return count


async def test_a_retry_replays_the_stored_response(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    alice = await signed_in(client)
    keyed = {**alice, "Idempotency-Key": "7c1f0c0e-retry"}
    first = await client.post(URL, json=session_body(notes="once"), headers=keyed)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    # Key order and whitespace differ, the request does not: still a retry.
    reordered = '{"notes":"once",  "sets":' + str(session_body()["sets"]).replace("'", '"')
    retry = await client.post(
        URL,
        content=(reordered + ', "date": "2026-03-04"}').encode(),
        headers={**keyed, "Content-Type": "application/json"},
    )
    assert retry.status_code == first.status_code
    assert retry.content == first.content
    assert retry.headers["idempotent-replayed"] == "true"
    for header in ("location", "etag", "content-type"):
        assert retry.headers[header] == first.headers[header]
    assert await _count(db_session, "training_session") == 1
    assert await _count(db_session, "idempotency_record") == 1


async def test_the_same_key_with_another_body_is_422(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    alice = await signed_in(client)
    keyed = {**alice, "Idempotency-Key": "k-1"}
    assert (await client.post(URL, json=session_body(), headers=keyed)).status_code == 201
    changed = await client.post(URL, json=session_body(sets=2), headers=keyed)
    assert changed.status_code == 422
    assert changed.json()["errors"][0]["name"] == "Idempotency-Key"
    assert changed.json()["errors"][0]["location"] == "header"
    assert await _count(db_session, "training_session") == 1


async def test_keys_are_per_user_and_bounded(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    alice = await signed_in(client, "alice@example.com")
    bob = await signed_in(client, "bob@example.com")
    for headers in (alice, bob):
        response = await client.post(
            URL, json=session_body(), headers={**headers, "Idempotency-Key": "shared"}
        )
        assert response.status_code == 201
        assert "idempotent-replayed" not in response.headers
    assert await _count(db_session, "training_session") == 2
    for bad in ("x" * 201, ""):
        response = await client.post(
            URL, json=session_body(), headers={**alice, "Idempotency-Key": bad}
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["location"] == "header"
    assert await _count(db_session, "training_session") == 2
    assert (
        await client.post(URL, json=session_body(), headers={**alice, "Idempotency-Key": "x" * 200})
    ).status_code == 201


async def test_without_a_key_every_post_creates(client: httpx.AsyncClient) -> None:
    alice = await signed_in(client)
    ids = {(await client.post(URL, json=session_body(), headers=alice)).json()["id"] for _ in "ab"}
    assert len(ids) == 2


async def test_a_failed_request_stores_nothing(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    alice = await signed_in(client)
    keyed = {**alice, "Idempotency-Key": "fix-and-retry"}
    bad = session_body()
    bad["sets"][0]["exercise"] = "no-such-lift"
    assert (await client.post(URL, json=bad, headers=keyed)).status_code == 422
    assert await _count(db_session, "idempotency_record") == 0
    assert (await client.post(URL, json=session_body(), headers=keyed)).status_code == 201


async def test_an_expired_key_starts_afresh(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    alice = await signed_in(client)
    keyed = {**alice, "Idempotency-Key": "old"}
    first = (await client.post(URL, json=session_body(), headers=keyed)).json()
    await run_sql(
        db_session, "UPDATE idempotency_record SET expires_at = now() - interval '1 second'"
    )
    again = await client.post(URL, json=session_body(sets=1), headers=keyed)
    assert again.status_code == 201
    assert "idempotent-replayed" not in again.headers
    assert again.json()["id"] != first["id"]
    assert await _count(db_session, "idempotency_record") == 1


async def test_a_duplicate_while_the_first_is_running_is_409(
    committed_client: httpx.AsyncClient, committed_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    lifter = await new_lifter(committed_client)
    user_id = await user_id_of(committed_client, lifter)
    keyed = {**lifter, "Idempotency-Key": "slow"}
    started, release = asyncio.Event(), asyncio.Event()
    original = training_service.create_session

    async def slow_create(*args: Any) -> TrainingSessionPublic:
        started.set()
        await release.wait()
        return await original(*args)

    monkeypatch.setattr(training_service, "create_session", slow_create)
    first = asyncio.create_task(committed_client.post(URL, json=session_body(), headers=keyed))
    await asyncio.wait_for(started.wait(), 5)
    duplicate = await committed_client.post(URL, json=session_body(), headers=keyed)
    assert duplicate.status_code == 409, duplicate.text
    assert duplicate.headers["retry-after"] == "1"
    release.set()
    done = await first
    assert done.status_code == 201
    replay = await committed_client.post(URL, json=session_body(), headers=keyed)
    assert (replay.status_code, replay.content) == (201, done.content)
    rows = await fetch(committed_url, "SELECT id FROM training_session WHERE user_id = $1", user_id)
    assert len(rows) == 1


async def test_concurrent_duplicates_create_exactly_one_session(
    committed_client: httpx.AsyncClient, committed_url: str
) -> None:
    lifter = await new_lifter(committed_client)
    user_id = await user_id_of(committed_client, lifter)
    keyed = {**lifter, "Idempotency-Key": "one-hundred"}
    body = session_body(sets=5)
    responses = await asyncio.gather(
        *(committed_client.post(URL, json=body, headers=keyed) for _ in range(100))
    )
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {201, 409}, [r.text for r in responses if r.status_code >= 500]
    created = [r for r in responses if r.status_code == 201]
    assert created
    assert len({r.content for r in created}) == 1
    assert sum("idempotent-replayed" not in r.headers for r in created) == 1
    sessions = await fetch(
        committed_url, "SELECT id FROM training_session WHERE user_id = $1", user_id
    )
    sets = await fetch(
        committed_url,
        "SELECT s.id FROM training_set s JOIN training_session t ON t.id = s.session_id "
        "WHERE t.user_id = $1",
        user_id,
    )
    records = await fetch(
        committed_url, "SELECT id FROM idempotency_record WHERE user_id = $1", user_id
    )
    assert (len(sessions), len(sets), len(records)) == (1, 5, 1)
