"""The rate limiter on Redis (app/ratelimit/redis_store.py, issue 10): the same decisions as
the PostgreSQL store, exact across workers, and a 503 (never a 500) when Redis is away.

Needs the Redis on 127.0.0.1:6379 (or SPOTTER_TEST_REDIS_URL); skipped without one, except
under CI, where a missing Redis fails the run."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import text

from app.db import migrations
from app.main import create_app
from app.ratelimit.redis_store import RedisRateLimiter, build_redis
from app.ratelimit.service import Policy, RateLimiter, build_limiter_engine
from tests.conftest import DatabaseFactory, make_settings
from tests.test_abuse import assert_refusal, client_at

REDIS_URL = os.environ.get("SPOTTER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="module")
def redis_url() -> str:
    async def ping() -> None:
        client = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        try:
            await client.ping()
        finally:
            await client.aclose()

    try:
        asyncio.run(ping())
    except (RedisError, OSError) as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs the Redis at {REDIS_URL}: {exc}")
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")
    return REDIS_URL


@pytest.fixture
def prefix() -> str:
    # Each test counts under keys of its own, so runs never see each other's counters.
    return f"spotter-test-{uuid.uuid4().hex[:12]}:"


async def test_both_stores_make_the_same_decisions(
    redis_url: str, prefix: str, migrated_url: str
) -> None:
    settings = make_settings(migrated_url)
    redis = RedisRateLimiter(build_redis(redis_url, settings), prefix=prefix)
    engine = build_limiter_engine(migrated_url, settings)
    postgres = RateLimiter(engine)
    policy = Policy("parity", 5, 60)
    key = f"parity:{uuid.uuid4().hex}"
    try:
        steps: list[tuple[str, ...]] = []
        for store in (postgres, redis):
            seen: list[str] = []
            for step in range(9):
                if step == 6:  # give one back, then the next hit fits again
                    await store.refund(policy, key)
                decision = await store.hit(policy, key)
                seen.append(f"{decision.allowed}:{decision.remaining}:{decision.retry_after_s}")
            steps.append(tuple(seen))
        assert steps[0] == steps[1]
        assert [s.split(":")[0] for s in steps[1]] == ["True"] * 5 + ["False", "True"] + [
            "False"
        ] * 2
    finally:
        await redis.close()
        await engine.dispose()


@pytest.fixture
async def two_workers(
    redis_url: str, prefix: str, migrated_url: str
) -> AsyncIterator[tuple[FastAPI, FastAPI]]:
    def worker() -> FastAPI:
        return create_app(
            make_settings(
                migrated_url, redis_url=redis_url, redis_key_prefix=prefix, rate_limit_anonymous=10
            )
        )

    first, second = worker(), worker()
    async with first.router.lifespan_context(first), second.router.lifespan_context(second):
        yield first, second


async def test_the_quota_is_exact_across_workers(
    two_workers: tuple[FastAPI, FastAPI], migrated_url: str
) -> None:
    first, second = two_workers
    address = f"203.0.113.{uuid.uuid4().int % 200 + 1}"
    async with client_at(first, address) as a, client_at(second, address) as b:
        answers = await asyncio.gather(
            *(client.get("/v1/equipment") for client in (a, b) for _ in range(20))
        )
    statuses = Counter(answer.status_code for answer in answers)
    assert statuses == {200: 10, 429: 30}, statuses
    assert_refusal(next(a for a in answers if a.status_code == 429), "anonymous")
    # Nothing went to the database's counter table.
    async with first.state.engine.connect() as connection:
        rows = (
            await connection.execute(
                text("SELECT count(*) FROM rate_limit_state WHERE key LIKE :k"),
                {"k": f"%{address}%"},
            )
        ).scalar_one()
    assert rows == 0


async def test_redis_away_is_a_503(migrated_url: str) -> None:
    # Port 9 (discard) on loopback: nothing listens there.
    application = create_app(make_settings(migrated_url, redis_url="redis://127.0.0.1:9/0"))
    async with application.router.lifespan_context(application), client_at(application) as http:
        answer = await http.get("/v1/equipment")
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert "retry-after" in answer.headers


@pytest.fixture(scope="module")
def migrated_url(database_factory: DatabaseFactory) -> str:
    url = database_factory()
    migrations.upgrade(url)
    return url
