"""What the PostgreSQL rate limiter costs, and proof that it holds across worker processes.

On a scratch database (see benchkit.py):

1. the limiter alone: sequential GCRA hits on the engine, per hit;
2. its cost per request: `GET /v1` served in-process with limiting on, then off (median and
   p95 of the server's own Server-Timing, so the figures are application + database time);
3. `spotter serve --workers 2` with an anonymous quota of ``--limit`` requests per hour,
   hit by ``--limit + --extra`` requests from ``--concurrency`` threads over loopback: the
   accepted count must not exceed the limit, and every 429 must carry Retry-After, the
   RateLimit fields and a problem body.

    .venv/bin/python scripts/bench_ratelimit.py [--hits N] [--requests N]
        [--limit L] [--extra K] [--concurrency C]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from benchkit import bench_settings, console, ms, scratch_database, timed_with_server
from rich.table import Table

from app.main import create_app
from app.ratelimit.service import Policy, RateLimiter, build_limiter_engine
from tests.support.server import free_port, wait_until_ready

BIN_DIR = Path(sys.executable).parent
MAX_REQUESTS = 20_000
WINDOW_S = 86_400  # loopback only, and never an unbounded loop


async def limiter_alone(url: str, hits: int) -> tuple[list[float], list[float]]:
    """Seconds per hit: on one hot key (row-lock path) and on a fresh key each time (insert)."""
    engine = build_limiter_engine(url, bench_settings(url))
    limiter = RateLimiter(engine)
    policy = Policy("bench", limit=1_000_000, window_s=60)
    try:
        for _ in range(20):  # warm the pool
            await limiter.hit(policy, "warm-up")
        hot, fresh = [], []
        for _ in range(hits):
            start = time.perf_counter()
            await limiter.hit(policy, "bench:hot")
            hot.append(time.perf_counter() - start)
        for _ in range(hits):
            key = f"bench:{uuid.uuid4().hex}"
            start = time.perf_counter()
            await limiter.hit(policy, key)
            fresh.append(time.perf_counter() - start)
        return hot, fresh
    finally:
        await engine.dispose()


async def per_request(
    url: str, n: int, *, enabled: bool, redis_url: str | None = None
) -> list[float]:
    settings = bench_settings(url).model_copy(
        update={
            "rate_limit_enabled": enabled,
            "rate_limit_anonymous": 1_000_000,
            "redis_url": redis_url,
            "redis_key_prefix": f"bench-{uuid.uuid4().hex[:8]}:",
        }
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            _, server = await timed_with_server(lambda: http.get("/v1"), 200, n)
    return server


def two_workers(
    url: str, limit: int, extra: int, concurrency: int, redis_url: str | None = None
) -> tuple[int, int, int, float]:
    """(accepted, refused, malformed refusals, seconds) for limit + extra requests."""
    port = free_port()
    store = (
        {"SPOTTER_REDIS_URL": redis_url, "SPOTTER_REDIS_KEY_PREFIX": f"bench-{port}:"}
        if redis_url
        else {}
    )
    env = {
        **os.environ,
        **store,
        "DATABASE_URL": url,
        "SPOTTER_HOST": "127.0.0.1",
        "SPOTTER_PORT": str(port),
        "SPOTTER_LOG_LEVEL": "WARNING",
        # A day-long window: the quota refills one request every 86400 / limit seconds, so
        # hardly at all during the run (the check below allows for what does drip back).
        "SPOTTER_RATE_LIMIT_ANONYMOUS": str(limit),
        "SPOTTER_RATE_LIMIT_ANONYMOUS_WINDOW_S": str(WINDOW_S),
    }
    server = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
        [str(BIN_DIR / "spotter"), "serve", "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base, server)

        # One pooled client: its connections are accepted by either worker, and reusing them
        # keeps the client's own cost out of the figures.
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        with (
            httpx.Client(base_url=base, timeout=10, limits=limits) as http,
            ThreadPoolExecutor(max_workers=concurrency) as pool,
        ):
            start = time.perf_counter()
            responses = list(pool.map(lambda _: http.get("/v1"), range(limit + extra)))
            elapsed = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(timeout=30)
    accepted = sum(r.status_code == 200 for r in responses)
    refused = [r for r in responses if r.status_code == 429]
    malformed = sum(
        not (
            r.headers.get("content-type") == "application/problem+json"
            and r.headers.get("retry-after")
            and r.headers.get("ratelimit")
            and r.headers.get("ratelimit-policy")
        )
        for r in refused
    )
    return accepted, len(refused), malformed, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--hits", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--limit", type=int, default=500)
    parser.add_argument("--extra", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("SPOTTER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
        help="also measure the Redis store ('' to skip)",
    )
    args = parser.parse_args()
    if max(args.hits, args.requests, args.limit + args.extra) > MAX_REQUESTS:
        parser.error(f"at most {MAX_REQUESTS} requests per phase")

    with scratch_database() as url:
        hot, fresh = asyncio.run(limiter_alone(url, args.hits))
        on = asyncio.run(per_request(url, args.requests, enabled=True))
        off = asyncio.run(per_request(url, args.requests, enabled=False))
        on_redis = (
            asyncio.run(per_request(url, args.requests, enabled=True, redis_url=args.redis_url))
            if args.redis_url
            else []
        )
        accepted, refused, malformed, elapsed = two_workers(
            url, args.limit, args.extra, args.concurrency
        )
        if args.redis_url:
            redis_held = two_workers(url, args.limit, args.extra, args.concurrency, args.redis_url)

    table = Table(title="Rate limiter cost", title_justify="left")
    table.add_column("measure")
    table.add_column("median ms", justify="right")
    table.add_column("p95 ms", justify="right")
    table.add_row(f"one GCRA hit, same key (x{args.hits})", *ms(hot))
    table.add_row(f"one GCRA hit, new key (x{args.hits})", *ms(fresh))
    table.add_row(f"GET /v1, limiting on (x{args.requests})", *ms(on))
    table.add_row(f"GET /v1, limiting off (x{args.requests})", *ms(off))
    if on_redis:
        table.add_row(f"GET /v1, limiting on, Redis store (x{args.requests})", *ms(on_redis))
    console.print(table)

    def median(values: list[float]) -> float:
        return sorted(values)[len(values) // 2]

    added = (median(on) - median(off)) * 1000
    console.print(f"Limiter cost per request (median difference): {added:.2f} ms")
    if on_redis:
        added_redis = (median(on_redis) - median(off)) * 1000
        console.print(f"  with the Redis store: {added_redis:.2f} ms")
        r_accepted, r_refused, r_malformed, _ = redis_held
        console.print(
            f"  Redis store, two workers: {r_accepted} accepted, {r_refused} refused, "
            f"{r_malformed} malformed"
        )
    console.print(
        f"Two workers, quota {args.limit}/day, {args.limit + args.extra} requests from "
        f"{args.concurrency} threads in {elapsed:.1f} s: {accepted} accepted, {refused} refused, "
        f"{malformed} refusals missing a header or the problem body."
    )
    # GCRA lets one request back in every window / limit seconds.
    dripped = int(elapsed // (WINDOW_S / args.limit))
    ok = (
        accepted <= args.limit + dripped
        and accepted + refused == args.limit + args.extra
        and not malformed
    )
    if args.redis_url:
        r_accepted, r_refused, r_malformed, _ = redis_held
        ok = ok and r_accepted <= args.limit + dripped and not r_malformed
        ok = ok and r_accepted + r_refused == args.limit + args.extra
    console.print("[green]limit held[/]" if ok else "[red]LIMIT BROKEN[/]")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
