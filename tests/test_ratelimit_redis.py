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
from typing import Any

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


async def test_concurrent_hits_share_scripts_and_stay_exact(
    redis_url: str, prefix: str, migrated_url: str
) -> None:
    redis = RedisRateLimiter(build_redis(redis_url, make_settings(migrated_url)), prefix=prefix)
    scripts_sent = 0
    send = redis._hits._script.__call__

    async def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal scripts_sent
        scripts_sent += 1
        return await send(*args, **kwargs)

    redis._hits._script = counted  # type: ignore[assignment]
    policy, other = Policy("batched", 10, 60), Policy("batched-other", 3, 60)
    try:
        decisions = await asyncio.gather(
            *(redis.hit(policy, "one") for _ in range(40)),
            *(redis.hit(other, "two") for _ in range(5)),
        )
    finally:
        await redis.close()
    ones, twos = decisions[:40], decisions[40:]
    # Applied one after another, as single hits would be: each remaining count given once.
    assert sorted(d.remaining for d in ones if d.allowed) == list(range(10))
    assert sum(d.allowed for d in ones) == 10
    assert all(d.retry_after_s > 0 for d in ones if not d.allowed)
    assert [d.allowed for d in twos] == [True] * 3 + [False] * 2
    assert [d.remaining for d in twos[:3]] == [2, 1, 0]
    # 45 hits made at once went as far fewer scripts (the first alone, the rest together).
    assert scripts_sent <= 3, scripts_sent


async def test_a_failed_batch_fails_each_of_its_hits(migrated_url: str) -> None:
    # Nothing listens on port 9: every hit of the batch gets the error, none hangs.
    client = build_redis("redis://127.0.0.1:9/0", make_settings(migrated_url))
    redis = RedisRateLimiter(client)
    deadline = asyncio.get_running_loop().time() + 10
    try:
        outcomes = await asyncio.gather(
            *(redis.hit(Policy("away", 5, 60), f"k{i}", deadline=deadline) for i in range(6)),
            return_exceptions=True,
        )
    finally:
        await redis.close()
    assert all(isinstance(o, RedisError) for o in outcomes), outcomes


async def test_a_hit_past_its_deadline_leaves_the_batch_working(
    redis_url: str, prefix: str, migrated_url: str
) -> None:
    redis = RedisRateLimiter(build_redis(redis_url, make_settings(migrated_url)), prefix=prefix)
    policy = Policy("deadline", 100, 60)
    try:
        expired = asyncio.get_running_loop().time()  # already past when the hit waits
        outcomes = await asyncio.gather(
            redis.hit(policy, "k"),
            redis.hit(policy, "k", deadline=expired),
            redis.hit(policy, "k"),
            return_exceptions=True,
        )
        assert isinstance(outcomes[1], TimeoutError)
        assert [
            o.allowed for o in (outcomes[0], outcomes[2]) if not isinstance(o, BaseException)
        ] == [
            True,
            True,
        ]
        # Later hits still go through: the sender survived the caller that gave up.
        assert (await redis.hit(policy, "k")).allowed
    finally:
        await redis.close()


@pytest.fixture
async def two_workers(
    redis_url: str, prefix: str, migrated_url: str
) -> AsyncIterator[tuple[FastAPI, FastAPI]]:
    def worker() -> FastAPI:
        return create_app(
            make_settings(
                migrated_url,
                redis_url=redis_url,
                redis_key_prefix=prefix,
                rate_limit_kb_anonymous=10,
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
    assert_refusal(next(a for a in answers if a.status_code == 429), "anonymous-kb")
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
