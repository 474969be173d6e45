"""The generic cell rate algorithm (GCRA), evaluated inside PostgreSQL.

A policy allows ``limit`` requests per ``window_s`` seconds. Each key stores one timestamp,
its theoretical arrival time (TAT): the moment its bucket would be empty again. A request is
allowed when pushing the TAT one emission interval (``window / limit``) further keeps it at
most one window ahead of now. Check and update are a single ``INSERT ... ON CONFLICT DO
UPDATE ... WHERE`` statement, so concurrent requests from any number of worker processes
serialise on the row lock and none can read a stale count. The database clock is the only
clock, so workers with drifting clocks still agree.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.db.engine import build_engine

# Pool connections run the check outside any request transaction: a refused or failed request
# must still be counted, and a row lock must never be held while a route does its work.
AUTOCOMMIT = {"isolation_level": "AUTOCOMMIT"}


def build_limiter_engine(url: str, settings: Settings) -> AsyncEngine:
    """A small pool of the limiter's own, in autocommit mode.

    Without pre-ping: on loopback the ping cost as much as the check itself (0.4 ms of the
    0.75 ms measured by scripts/bench_ratelimit.py). A connection that died with the server
    fails its statement instead, which answers 503 and makes SQLAlchemy discard the pool.
    """
    return build_engine(
        url,
        settings,
        name="spotter-ratelimit",
        pool_size=settings.rate_limit_pool_size,
        pre_ping=False,
        autocommit=True,
        # One row, one short statement: anything slower is contention or an outage.
        statement_timeout_ms=1000,
        lock_timeout_ms=1000,
    )


_HIT = text(
    """
    WITH hit AS (
        INSERT INTO rate_limit_state AS s (key, tat)
        VALUES (:key, now() + make_interval(secs => :interval))
        ON CONFLICT (key) DO UPDATE
            SET tat = greatest(s.tat, now()) + make_interval(secs => :interval)
            WHERE greatest(s.tat, now()) + make_interval(secs => :interval)
                <= now() + make_interval(secs => :window)
        RETURNING s.tat
    )
    SELECT
        extract(epoch FROM (SELECT tat FROM hit) - now())::float8 AS allowed_ahead,
        extract(
            epoch FROM (SELECT tat FROM rate_limit_state WHERE key = :key) - now()
        )::float8 AS stored_ahead
    """
)
# The outer SELECT reads the statement's snapshot, i.e. the TAT as it was before this hit:
# exactly what a refusal needs to say when the next request will fit.

_REFUND = text(
    "UPDATE rate_limit_state SET tat = tat - make_interval(secs => :interval) WHERE key = :key"
)

# Bounded, so one worker's clean-up never holds many row locks or runs long.
_CLEANUP = text(
    """
    DELETE FROM rate_limit_state
    WHERE key IN (SELECT key FROM rate_limit_state WHERE tat < now() LIMIT :batch)
    """
)
CLEANUP_BATCH = 5000
# Batches per clean-up round: a full batch means more are waiting, and one batch a minute
# could fall behind rows created by many addresses at once. 20 batches (100,000 rows) a round
# per worker is far above what the per-address bounds let traffic create (README, "Sign-in
# limits"), while each batch stays one short statement of its own.
CLEANUP_ROUNDS = 20


@dataclass(frozen=True)
class Policy:
    """A named quota: ``limit`` requests per ``window_s`` seconds."""

    name: str
    limit: int
    window_s: int

    @property
    def interval_s(self) -> float:
        return self.window_s / self.limit

    def header_item(self) -> str:
        """The policy as one member of the `RateLimit-Policy` structured-field list."""
        return f'"{self.name}";q={self.limit};w={self.window_s}'


@dataclass(frozen=True)
class Decision:
    """The outcome of one hit against one policy."""

    policy: Policy
    allowed: bool
    remaining: int
    # Seconds until the bucket has drained completely (the draft's "t", rounded up).
    reset_s: int
    # Seconds until a refused request would fit; 0 when allowed.
    retry_after_s: int

    def header_item(self) -> str:
        """The state as one member of the `RateLimit` structured-field list."""
        return f'"{self.policy.name}";r={self.remaining};t={self.reset_s}'


def decide(policy: Policy, allowed_ahead: float | None, stored_ahead: float | None) -> Decision:
    """Turn the statement's two offsets (seconds from now to the TAT) into a decision."""
    interval, window = policy.interval_s, policy.window_s
    if allowed_ahead is not None:
        ahead = max(allowed_ahead, 0.0)
        remaining = min(policy.limit, max(0, math.floor((window - ahead) / interval + 1e-9)))
        return Decision(policy, True, remaining, math.ceil(ahead), 0)
    # Refused. The row can only be missing if a clean-up removed it in between: then one
    # interval is an honest upper bound.
    ahead = stored_ahead if stored_ahead is not None else window
    retry_after = max(1, math.ceil(ahead + interval - window))
    return Decision(policy, False, 0, max(1, math.ceil(ahead)), retry_after)


class Limiter(Protocol):
    """What the quota dependencies need of a counter store (PostgreSQL here, or Redis in
    ``redis_store.py``); both make the same decisions."""

    async def hit(self, policy: Policy, key: str, *, deadline: float | None = None) -> Decision: ...

    async def refund(self, policy: Policy, key: str, *, deadline: float | None = None) -> None: ...

    async def cleanup(self) -> int: ...


class RateLimiter:
    """Runs the GCRA statements on the application's engine, one short autocommit each."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine.execution_options(**AUTOCOMMIT)

    async def hit(self, policy: Policy, key: str, *, deadline: float | None = None) -> Decision:
        """Count one request; ``deadline`` (event-loop time) is the request's, if it has one."""
        params = {"key": bounded_key(key), "interval": policy.interval_s, "window": policy.window_s}
        async with asyncio.timeout_at(deadline), self._engine.connect() as connection:
            row = (await connection.execute(_HIT, params)).one()
        return decide(policy, row.allowed_ahead, row.stored_ahead)

    async def refund(self, policy: Policy, key: str, *, deadline: float | None = None) -> None:
        """Give back one hit (a sign-in that succeeded, or an attempt that never ran)."""
        params = {"key": bounded_key(key), "interval": policy.interval_s}
        async with asyncio.timeout_at(deadline), self._engine.connect() as connection:
            await connection.execute(_REFUND, params)

    async def cleanup(self) -> int:
        """Delete counters whose TAT has passed: such a row means the same as no row."""
        deleted = 0
        for _ in range(CLEANUP_ROUNDS):
            async with self._engine.connect() as connection:
                result = await connection.execute(_CLEANUP, {"batch": CLEANUP_BATCH})
            deleted += result.rowcount
            if result.rowcount < CLEANUP_BATCH:
                break
        return deleted


def bounded_key(key: str) -> str:
    # The column holds 200 characters; callers build keys from bounded parts, but an
    # overlong key must be a programming error caught here, not a database error.
    if len(key) > 200:
        msg = f"rate-limit key too long ({len(key)} characters)"
        raise ValueError(msg)
    return key


def policy_header(decisions: list[Decision]) -> dict[str, str]:
    """`RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers) for the
    policies a request was counted against, most restrictive first."""
    ordered = sorted(decisions, key=lambda d: (d.allowed, d.remaining))
    return {
        "RateLimit-Policy": ", ".join(d.policy.header_item() for d in ordered),
        "RateLimit": ", ".join(d.header_item() for d in ordered),
    }
