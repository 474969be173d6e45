"""Authorization matrix: every owner-scoped operation against every kind of caller.

Alice owns a profile and a session. Each operation is tried by another lifter, by one of
Alice's own keys that lacks the scope the operation needs, anonymously, by an administrator
who is not Alice, and finally by Alice. Refusals must leave every training-log row exactly as
it was; calls that succeed for someone else (they act on their own, empty, log) must neither
show nor touch Alice's data.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.scopes import USER_SCOPES, Scope
from app.db.session import run_sql
from tests.test_auth import login, new_key, register, signed_in
from tests.training.conftest import PROFILE, session_body, snapshot

SECRET_NOTE = "alice's private note"


@dataclass(frozen=True)
class World:
    alice: dict[str, str]
    session_id: int
    session_etag: str
    profile_etag: str


@dataclass(frozen=True)
class Operation:
    name: str
    scope: Scope
    call: Callable[[httpx.AsyncClient, World, dict[str, str]], Awaitable[httpx.Response]]
    # Expected status per caller; "other" and "admin" have no profile and no sessions.
    other: int
    owner: int


def _session_path(world: World) -> str:
    return f"/v1/me/sessions/{world.session_id}"


OPERATIONS = [
    Operation(
        "get_my_profile",
        Scope.LOGS_READ,
        lambda c, _w, h: c.get("/v1/me/profile", headers=h),
        other=404,
        owner=200,
    ),
    Operation(
        # Alice's ETag cannot match the caller's own (missing) profile: 412, Alice untouched.
        "put_my_profile",
        Scope.LOGS_WRITE,
        lambda c, w, h: c.put(
            "/v1/me/profile",
            json=PROFILE | {"bodyweight": 99},
            headers={**h, "If-Match": w.profile_etag},
        ),
        other=412,
        owner=200,
    ),
    Operation(
        "list_training_sessions",
        Scope.LOGS_READ,
        lambda c, _w, h: c.get("/v1/me/sessions", headers=h),
        other=200,
        owner=200,
    ),
    Operation(
        "get_training_session",
        Scope.LOGS_READ,
        lambda c, w, h: c.get(_session_path(w), headers=h),
        other=404,
        owner=200,
    ),
    Operation(
        "replace_training_session",
        Scope.LOGS_WRITE,
        lambda c, w, h: c.put(
            _session_path(w),
            json=session_body(day="2026-03-05", sets=1),
            headers={**h, "If-Match": w.session_etag},
        ),
        other=404,
        owner=200,
    ),
    Operation(
        "delete_training_session",
        Scope.LOGS_WRITE,
        lambda c, w, h: c.delete(_session_path(w), headers={**h, "If-Match": w.session_etag}),
        other=404,
        owner=204,
    ),
    Operation(
        # Creating is always in the caller's own log; for others it must not touch Alice's.
        "create_training_session",
        Scope.LOGS_WRITE,
        lambda c, _w, h: c.post("/v1/me/sessions", json=session_body(), headers=h),
        other=201,
        owner=201,
    ),
    Operation(
        "recommend_my_next_session",
        Scope.RECOMMENDATIONS_READ,
        lambda c, _w, h: c.get(
            "/v1/me/recommendations/next-session", params={"today": "2026-03-06"}, headers=h
        ),
        other=409,
        owner=200,
    ),
]


async def _world(client: httpx.AsyncClient) -> World:
    alice = await signed_in(client, "alice@example.com")
    profile = await client.put("/v1/me/profile", json=PROFILE, headers=alice)
    assert profile.status_code == 201, profile.text
    created = await client.post(
        "/v1/me/sessions", json=session_body(notes=SECRET_NOTE), headers=alice
    )
    assert created.status_code == 201, created.text
    return World(
        alice=alice,
        session_id=created.json()["id"],
        session_etag=created.headers["etag"],
        profile_etag=profile.headers["etag"],
    )


async def _admin(client: httpx.AsyncClient, db_session: AsyncSession) -> dict[str, str]:
    await register(client, "admin@example.com")
    await run_sql(
        db_session, "UPDATE user_account SET is_admin = true WHERE email = 'admin@example.com'"
    )
    headers = {
        "Authorization": f"Bearer {(await login(client, 'admin@example.com'))['access_token']}"
    }
    me = (await client.get("/v1/me", headers=headers)).json()
    assert me["is_admin"] is True
    return headers


async def _alice_rows(db_session: AsyncSession, alice_email: str) -> list[Any]:
    """Alice's rows only: what someone acting on their own log must leave alone."""
    queries = [
        (
            "SELECT p.* FROM training_profile p JOIN user_account u ON u.id = p.user_id "
            "WHERE u.email = :email"
        ),
        (
            "SELECT t.* FROM training_session t JOIN user_account u ON u.id = t.user_id "
            "WHERE u.email = :email ORDER BY t.id"
        ),
        (
            "SELECT s.* FROM training_set s JOIN training_session t ON t.id = s.session_id "
            "JOIN user_account u ON u.id = t.user_id WHERE u.email = :email ORDER BY s.id"
        ),
    ]
    return [
        [tuple(row) for row in (await run_sql(db_session, sql, email=alice_email)).all()]
        for sql in queries
    ]


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.name)
async def test_authorization_matrix(
    client: httpx.AsyncClient, db_session: AsyncSession, operation: Operation
) -> None:
    world = await _world(client)
    bob = await signed_in(client, "bob@example.com")
    admin = await _admin(client, db_session)
    lacking = await new_key(
        client, world.alice, sorted(s.value for s in USER_SCOPES - {operation.scope})
    )
    refusals: list[tuple[str, dict[str, str], int]] = [
        ("key without the scope", {"X-API-Key": lacking["key"]}, 403),
        ("anonymous", {}, 401),
    ]
    for who, headers, expected in refusals:
        before = await snapshot(db_session)
        response = await operation.call(client, world, headers)
        assert response.status_code == expected, (who, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert await snapshot(db_session) == before, who

    for who, headers in (("other user", bob), ("administrator", admin)):
        before_all = await snapshot(db_session)
        alices = await _alice_rows(db_session, "alice@example.com")
        response = await operation.call(client, world, headers)
        assert response.status_code == operation.other, (who, response.text)
        assert await _alice_rows(db_session, "alice@example.com") == alices, who
        assert SECRET_NOTE not in response.text, who
        assert f'"id":{world.session_id},' not in response.text.replace(" ", ""), who
        if response.status_code >= 400:
            assert await snapshot(db_session) == before_all, who
        if operation.name == "list_training_sessions":
            assert response.json()["items"] == []

    response = await operation.call(client, world, world.alice)
    assert response.status_code == operation.owner, response.text
    if operation.name in {"get_training_session", "list_training_sessions"}:
        assert SECRET_NOTE in response.text
