"""Account writes that race, each request in its own committed transaction as in production:
the cap on active API keys (two creations that both count 49 active keys must not both insert
a fiftieth) and refresh tokens (one token presented twice at once is spent once)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import col, func, select

from app.api_keys.models import ApiKey
from app.api_keys.schemas import ApiKeyCreate
from app.api_keys.service import MAX_KEYS_PER_USER, create_key
from app.auth.scopes import Scope
from app.errors import InvalidInputError
from app.main import create_app
from app.users.models import User
from tests.conftest import make_settings
from tests.kb_admin.test_concurrency import committed, committed_client
from tests.test_auth import login, register

__all__ = ["committed", "committed_client"]  # fixtures used below, imported for pytest

SECRET = "key-hash-secret-for-the-race-test"
READ = frozenset({Scope.LOGS_READ})


@pytest.fixture
async def real_app(committed: str) -> AsyncIterator[FastAPI]:
    application = create_app(make_settings(committed))
    async with application.router.lifespan_context(application):
        yield application


async def _create(app: FastAPI, user_id: int, n: int) -> None:
    data = ApiKeyCreate.model_validate({"name": f"app {n}", "scopes": ["logs:read"]})
    async with app.state.sessionmaker() as session:
        await create_key(session, user_id, READ, data, SECRET)
        await session.commit()


async def _waits_for_a_lock(app: FastAPI, racer: asyncio.Task[None]) -> None:
    """Until the racing creation is blocked on a lock, or has finished (the bug)."""
    async with app.state.engine.connect() as connection:
        while not racer.done():
            waiting = await connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
            if waiting:
                return
            await asyncio.sleep(0.05)


async def test_the_last_free_slot_goes_to_one_of_two_racing_creations(real_app: FastAPI) -> None:
    async with real_app.state.sessionmaker() as session:
        user = User(email="racer@example.com", password_hash="x")
        session.add(user)
        await session.commit()
        user_id = user.id
    assert user_id is not None
    for n in range(MAX_KEYS_PER_USER - 1):
        await _create(real_app, user_id, n)

    data = ApiKeyCreate.model_validate({"name": "first", "scopes": ["logs:read"]})
    async with real_app.state.sessionmaker() as first:
        await create_key(first, user_id, READ, data, SECRET)  # the 50th, not yet committed
        racer = asyncio.create_task(_create(real_app, user_id, 99))
        await asyncio.wait_for(_waits_for_a_lock(real_app, racer), timeout=60)
        await first.commit()
    # Refused by the cap once the first commits, or, on a machine slow enough that the commit
    # comes after the 3 s lock timeout, by that timeout (a 503 in production): never inserted.
    with pytest.raises((InvalidInputError, DBAPIError)) as refused:
        await asyncio.wait_for(racer, timeout=60)
    if isinstance(refused.value, InvalidInputError):
        assert "revoke one first" in refused.value.detail
    else:
        assert "lock timeout" in str(refused.value)

    async with real_app.state.sessionmaker() as session:
        active = await session.scalar(
            select(func.count()).where(
                col(ApiKey.user_id) == user_id, col(ApiKey.revoked_at).is_(None)
            )
        )
    assert active == MAX_KEYS_PER_USER


async def test_one_refresh_token_presented_twice_at_once_is_spent_once(
    committed_client: httpx.AsyncClient,
) -> None:
    await register(committed_client, "twice@example.com")
    token = (await login(committed_client, "twice@example.com"))["refresh_token"]
    responses = await asyncio.gather(
        *(committed_client.post("/v1/auth/refresh", json={"refresh_token": token}) for _ in "ab")
    )
    assert sorted(r.status_code for r in responses) == [200, 401]
    # The second presentation looked like a copy: the winner's new token is revoked too.
    [winner] = [r for r in responses if r.status_code == 200]
    again = await committed_client.post(
        "/v1/auth/refresh", json={"refresh_token": winner.json()["refresh_token"]}
    )
    assert again.status_code == 401, again.text
