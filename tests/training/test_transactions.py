"""Committed-database guarantees: no lost updates, and a session with its sets is all or nothing.

These need real commits and concurrent connections, so they run against the module's own
migrated database rather than inside a rolled-back test transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import fetch
from tests.training.conftest import (
    PROFILE,
    execute,
    new_lifter,
    session_body,
    user_id_of,
)

URL = "/v1/me/sessions"
SETS = 5


async def test_fifty_concurrent_edits_with_one_etag_keep_exactly_one(
    committed_client: httpx.AsyncClient, committed_url: str
) -> None:
    lifter = await new_lifter(committed_client)
    created = await committed_client.post(URL, json=session_body(), headers=lifter)
    path, etag = f"{URL}/{created.json()['id']}", created.headers["etag"]
    conditional = {**lifter, "If-Match": etag}
    edits = [session_body(sets=1, load=60 + n) for n in range(50)]
    responses = await asyncio.gather(
        *(committed_client.put(path, json=edit, headers=conditional) for edit in edits)
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [412] * 49, [r.text for r in responses if r.status_code != 412]
    winner = next(r for r in responses if r.status_code == 200).json()
    stored = (await committed_client.get(path, headers=lifter)).json()
    assert stored == winner
    assert stored["version"] == 2
    rows = await fetch(
        committed_url, "SELECT count(*) AS n FROM training_set WHERE session_id = $1", stored["id"]
    )
    assert rows[0]["n"] == 1


async def test_fifty_concurrent_profile_edits_keep_exactly_one(
    committed_client: httpx.AsyncClient,
) -> None:
    lifter = await new_lifter(committed_client)
    created = await committed_client.put("/v1/me/profile", json=PROFILE, headers=lifter)
    conditional = {**lifter, "If-Match": created.headers["etag"]}
    responses = await asyncio.gather(
        *(
            committed_client.put(
                "/v1/me/profile", json=PROFILE | {"bodyweight": 60 + n}, headers=conditional
            )
            for n in range(50)
        )
    )
    assert sorted(r.status_code for r in responses) == [200] + [412] * 49
    winner = next(r for r in responses if r.status_code == 200).json()
    assert (await committed_client.get("/v1/me/profile", headers=lifter)).json() == winner


@pytest.fixture
async def failing_set_insert(committed_url: str) -> AsyncIterator[Any]:
    """Makes PostgreSQL fail the insert of the set at a chosen position.

    A row trigger sees the rows the same statement inserted before it, so failing at position
    k means k sets really were written (and must be undone) when the failure hits. Position
    ``SETS`` fails after every set is in, from a statement-level trigger.
    """

    async def fail_at(position: int) -> None:
        await execute(
            committed_url,
            f"""
            CREATE OR REPLACE FUNCTION fail_training_set() RETURNS trigger AS $$
            BEGIN
                IF TG_LEVEL = 'STATEMENT' OR NEW.position = {position} THEN
                    RAISE EXCEPTION 'injected failure at set {position}';
                END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql;
            DROP TRIGGER IF EXISTS fail_row ON training_set;
            DROP TRIGGER IF EXISTS fail_statement ON training_set;
            """
            + (
                "CREATE TRIGGER fail_statement AFTER INSERT ON training_set "
                "FOR EACH STATEMENT EXECUTE FUNCTION fail_training_set();"
                if position == SETS
                else "CREATE TRIGGER fail_row BEFORE INSERT ON training_set "
                "FOR EACH ROW EXECUTE FUNCTION fail_training_set();"
            ),
        )

    try:
        yield fail_at
    finally:
        await execute(
            committed_url,
            "DROP TRIGGER IF EXISTS fail_row ON training_set; "
            "DROP TRIGGER IF EXISTS fail_statement ON training_set; "
            "DROP FUNCTION IF EXISTS fail_training_set();",
        )


async def _rows_of(url: str, user_id: int) -> list[Any]:
    sessions = await fetch(
        url, "SELECT * FROM training_session WHERE user_id = $1 ORDER BY id", user_id
    )
    sets = await fetch(
        url,
        "SELECT s.* FROM training_set s JOIN training_session t ON t.id = s.session_id "
        "WHERE t.user_id = $1 ORDER BY s.id",
        user_id,
    )
    orphans = await fetch(
        url,
        "SELECT s.id FROM training_set s LEFT JOIN training_session t ON t.id = s.session_id "
        "WHERE t.id IS NULL",
    )
    return [[dict(r) for r in sessions], [dict(r) for r in sets], [dict(r) for r in orphans]]


async def test_a_session_and_its_sets_are_written_all_or_nothing(
    committed_client: httpx.AsyncClient, committed_url: str, failing_set_insert: Any
) -> None:
    lifter = await new_lifter(committed_client)
    user_id = await user_id_of(committed_client, lifter)
    kept = await committed_client.post(URL, json=session_body(sets=2), headers=lifter)
    assert kept.status_code == 201
    path, etag = f"{URL}/{kept.json()['id']}", kept.headers["etag"]
    before = await _rows_of(committed_url, user_id)
    assert len(before[1]) == 2
    assert before[2] == []
    for position in range(SETS + 1):
        await failing_set_insert(position)
        body = session_body(day="2026-03-09", sets=SETS, load=70)
        created = await committed_client.post(
            URL, json=body, headers={**lifter, "Idempotency-Key": f"k{position}"}
        )
        assert created.status_code == 500, (position, created.text)
        replaced = await committed_client.put(path, json=body, headers={**lifter, "If-Match": etag})
        assert replaced.status_code == 500, (position, replaced.text)
        # Neither the new session, nor its first sets, nor the replacement, nor the key stayed.
        assert await _rows_of(committed_url, user_id) == before, position
        keys = await fetch(
            committed_url, "SELECT id FROM idempotency_record WHERE user_id = $1", user_id
        )
        assert keys == []
    await execute(committed_url, "DROP TRIGGER IF EXISTS fail_row ON training_set")
    await execute(committed_url, "DROP TRIGGER IF EXISTS fail_statement ON training_set")
    # With the fault gone the same requests succeed, so it was the fault that stopped them.
    body = session_body(day="2026-03-09", sets=SETS, load=70)
    created = await committed_client.post(
        URL, json=body, headers={**lifter, "Idempotency-Key": "k0"}
    )
    assert created.status_code == 201
    assert len(created.json()["sets"]) == SETS
    replaced = await committed_client.put(path, json=body, headers={**lifter, "If-Match": etag})
    assert replaced.status_code == 200
