"""The same GCRA as ``service.py``, kept in Redis: one atomic script per batch of hits, no
database.

When ``SPOTTER_REDIS_URL`` is set the limiter's counters leave PostgreSQL, which takes a round
trip and a pooled connection off every request. The algorithm, the keys and the decisions are
the ones the PostgreSQL store makes (``decide``): a script is atomic in Redis, so concurrent
workers and replicas serialise on it exactly as they do on the row lock there, and Redis's own
clock (``TIME``) is the only clock. Each key expires when its bucket has drained, so no
clean-up is needed: a missing key means the same as a drained one.

The hits a worker's requests make while a script is on its way are sent together as the next
script (``_HitBatches``): the script applies them one after another, in arrival order, so the
decisions are the ones single hits would get, but the client's cost per call (framing a
command, taking a pooled connection, parsing a reply), which was most of the limiter's cost per
request, is paid once per batch.
"""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis

from app.config import Settings
from app.ratelimit.service import Decision, Policy, bounded_key, decide

# KEYS[i]: the i-th hit's counter (a key may come more than once); ARGV[2i-1], ARGV[2i]: its
# interval and window in seconds. Returns two entries per hit, the offsets (seconds from now)
# ``decide`` reads: the new TAT if allowed (else false), and the TAT before the hit (false when
# there was none). Numbers go back as strings, because Redis truncates a script's numeric
# replies to integers. All hits of a batch share one reading of the clock: they arrived together.
_HITS = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local out = {}
for i, key in ipairs(KEYS) do
    local interval = tonumber(ARGV[2 * i - 1])
    local window = tonumber(ARGV[2 * i])
    local stored = redis.call('GET', key)
    local before = false
    local base = now
    if stored then
        local tat = tonumber(stored)
        before = string.format('%.6f', tat - now)
        if tat > now then base = tat end
    end
    local tat = base + interval
    if tat > now + window then
        out[2 * i - 1] = false
    else
        redis.call('SET', key, string.format('%.6f', tat), 'PX', math.ceil((tat - now) * 1000))
        out[2 * i - 1] = string.format('%.6f', tat - now)
    end
    out[2 * i] = before
end
return out
"""
# Hits per script: enough to cover a worker's whole backlog under a burst, few enough that one
# script stays far below a millisecond inside Redis (every other client waits while it runs).
MAX_BATCH = 64

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


_Reply = tuple[Any, Any]
_Pending = tuple[str, float, float, "asyncio.Future[_Reply]"]


class _HitBatches:
    """Sends the hits waiting in this worker as one script, one script at a time.

    The first hit starts a sender; hits that arrive while its script is on its way wait for
    the next one. A failure reaches every hit of its batch (the caller answers 503, as for a
    single hit); a caller that gave up (its deadline) is skipped when the replies come back.
    """

    def __init__(self, client: Redis) -> None:
        self._script = client.register_script(_HITS)
        self._waiting: list[_Pending] = []
        self._sender: asyncio.Task[None] | None = None

    async def hit(self, key: str, interval_s: float, window_s: float) -> _Reply:
        loop = asyncio.get_running_loop()
        reply: asyncio.Future[_Reply] = loop.create_future()
        self._waiting.append((key, interval_s, window_s, reply))
        if self._sender is None:
            self._sender = loop.create_task(self._send())
        return await reply

    async def _send(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting[:MAX_BATCH]
                del self._waiting[:MAX_BATCH]
                await self._send_one(batch)
        finally:
            self._sender = None

    async def _send_one(self, batch: list[_Pending]) -> None:
        args: list[float] = []
        for _, interval_s, window_s, _ in batch:
            args += (interval_s, window_s)
        try:
            replies = await self._script(keys=[key for key, *_ in batch], args=args)
        except Exception as failure:
            for *_, reply in batch:
                if not reply.done():
                    reply.set_exception(failure)
            return
        except BaseException:  # cancelled: the worker is stopping, and so are its requests
            for *_, reply in batch + self._waiting:
                reply.cancel()
            raise
        for i, (*_, reply) in enumerate(batch):
            if not reply.done():
                reply.set_result((replies[2 * i], replies[2 * i + 1]))

    async def close(self) -> None:
        if self._sender is not None:
            self._sender.cancel()
            await asyncio.gather(self._sender, return_exceptions=True)


class RedisRateLimiter:
    """``RateLimiter``'s interface on Redis."""

    def __init__(self, client: Redis, *, prefix: str = "spotter:rl:") -> None:
        self._client = client
        self._prefix = prefix
        self._hits = _HitBatches(client)
        self._refund = client.register_script(_REFUND)

    async def hit(self, policy: Policy, key: str, *, deadline: float | None = None) -> Decision:
        async with asyncio.timeout_at(deadline):
            allowed, before = await self._hits.hit(
                self._prefix + bounded_key(key), policy.interval_s, policy.window_s
            )
        return decide(policy, _seconds(allowed), _seconds(before))

    async def refund(self, policy: Policy, key: str, *, deadline: float | None = None) -> None:
        async with asyncio.timeout_at(deadline):
            await self._refund(keys=[self._prefix + bounded_key(key)], args=[policy.interval_s])

    async def cleanup(self) -> int:
        """Nothing to do: every counter expires by itself when its bucket drains."""
        return 0

    async def close(self) -> None:
        await self._hits.close()
        # The pool was handed to the client, so the client leaves it open: close both.
        await self._client.aclose()
        await self._client.connection_pool.disconnect()
