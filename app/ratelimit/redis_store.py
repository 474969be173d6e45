"""The same GCRA as ``service.py``, kept in Redis: one atomic script per request, no database.

When ``SPOTTER_REDIS_URL`` is set the limiter's counters leave PostgreSQL, which takes a round
trip and a pooled connection off every request. The algorithm, the keys and the decisions are
the ones the PostgreSQL store makes (``decide``): a script is atomic in Redis, so concurrent
workers and replicas serialise on it exactly as they do on the row lock there, and Redis's own
clock (``TIME``) is the only clock. Each key expires when its bucket has drained, so no
clean-up is needed: a missing key means the same as a drained one.
"""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis

from app.config import Settings
from app.ratelimit.service import Decision, Policy, bounded_key, decide

# KEYS[1]: the counter; ARGV: interval and window in seconds. Returns the offsets (seconds
# from now) ``decide`` reads: the new TAT if allowed, and the TAT before this hit. Numbers go
# back as strings, because Redis truncates a script's numeric replies to integers.
_HIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local stored = redis.call('GET', KEYS[1])
local before = false
local base = now
if stored then
    local tat = tonumber(stored)
    before = string.format('%.6f', tat - now)
    if tat > now then base = tat end
end
local tat = base + interval
if tat > now + window then
    return {false, before}
end
redis.call('SET', KEYS[1], string.format('%.6f', tat), 'PX', math.ceil((tat - now) * 1000))
return {string.format('%.6f', tat - now), before}
"""

# Give back one interval; a bucket that drains by it is deleted (the same as drained).
_REFUND = """
local stored = redis.call('GET', KEYS[1])
if not stored then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local tat = tonumber(stored) - tonumber(ARGV[1])
if tat <= now then
    redis.call('DEL', KEYS[1])
else
    redis.call('SET', KEYS[1], string.format('%.6f', tat), 'PX', math.ceil((tat - now) * 1000))
end
return 1
"""


def build_redis(url: str, settings: Settings) -> Redis:
    """A client with the database's connect timeout and pool wait, and a reply timeout of one
    second: one counter, one short script, so anything slower is an outage (503).

    A blocking pool, so a burst wider than the pool queues for a connection like it does for
    the database's, instead of failing at once."""
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=settings.db_pool_size + settings.db_max_overflow,
        timeout=settings.db_pool_timeout_s,
        socket_connect_timeout=settings.db_connect_timeout_s,
        socket_timeout=1.0,
        health_check_interval=30,
    )
    return Redis(connection_pool=pool)


def _seconds(value: Any) -> float | None:
    if value is None:
        return None
    return float(value.decode() if isinstance(value, bytes) else value)


class RedisRateLimiter:
    """``RateLimiter``'s interface on Redis."""

    def __init__(self, client: Redis, *, prefix: str = "spotter:rl:") -> None:
        self._client = client
        self._prefix = prefix
        self._hit = client.register_script(_HIT)
        self._refund = client.register_script(_REFUND)

    async def hit(self, policy: Policy, key: str, *, deadline: float | None = None) -> Decision:
        async with asyncio.timeout_at(deadline):
            allowed, before = await self._hit(
                keys=[self._prefix + bounded_key(key)], args=[policy.interval_s, policy.window_s]
            )
        return decide(policy, _seconds(allowed), _seconds(before))

    async def refund(self, policy: Policy, key: str, *, deadline: float | None = None) -> None:
        async with asyncio.timeout_at(deadline):
            await self._refund(keys=[self._prefix + bounded_key(key)], args=[policy.interval_s])

    async def cleanup(self) -> int:
        """Nothing to do: every counter expires by itself when its bucket drains."""
        return 0

    async def close(self) -> None:
        # The pool was handed to the client, so the client leaves it open: close both.
        await self._client.aclose()
        await self._client.connection_pool.disconnect()
