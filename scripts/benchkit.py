"""What the benchmark scripts share: a scratch database and latency figures.

A benchmark measures on a throwaway database (created on DATABASE_URL's server, or on the
embedded server when unset), migrated and loaded with the curated content, and always dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from rich.console import Console
from sqlalchemy.engine import make_url

from app.config import Settings, get_settings
from app.content import load_content
from app.content.loader import load_bundle_into
from app.db import migrations
from app.db.embedded import embedded_database_url

console = Console()
DEFAULT_DATASET = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "free-exercise-db" / "exercises.json"
)


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _admin(server_url: str, sql: str) -> None:
    connection = await asyncpg.connect(_dsn(server_url))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def bench_settings(url: str) -> Settings:
    """Settings for timing: the rate limiter stays on (its cost is part of every request)
    but with quotas no benchmark reaches."""
    quotas = (
        "anonymous",
        "kb_anonymous",
        "user",
        "key",
        "kb_key",
        "login_failures",
        "key_creation",
    )
    return Settings.model_validate(
        {
            "database_url": url,
            "log_level": "WARNING",
            "log_format": "console",
            **{f"rate_limit_{name}": 1_000_000 for name in quotas},
        }
    )


@contextmanager
def scratch_database() -> Iterator[str]:
    """A migrated database holding the curated content, dropped on exit."""
    settings = get_settings()
    server_url = settings.database_url or embedded_database_url(
        settings.data_dir / "postgres", "postgres"
    )
    name = f"spotter_bench_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
        migrations.upgrade(url)
        asyncio.run(load_bundle_into(url, bench_settings(url), load_content()))
        yield url
    finally:
        asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def ms(seconds: list[float]) -> tuple[str, str]:
    """Median and p95, in milliseconds, formatted for a table."""
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered) * 1000:.1f}", f"{p95 * 1000:.1f}"


async def timed(call: Callable[[], Awaitable[httpx.Response]], expect: int, n: int) -> list[float]:
    """Seconds per call over ``n`` calls after a warm-up; fails on an unexpected status."""
    return (await timed_with_server(call, expect, n))[0]


async def timed_with_server(
    call: Callable[[], Awaitable[httpx.Response]], expect: int, n: int
) -> tuple[list[float], list[float]]:
    """Per call: seconds as the client saw them, and the server's own `Server-Timing`."""
    for _ in range(5):  # warm the pool and the plan caches
        await call()
    client: list[float] = []
    server: list[float] = []
    for _ in range(n):
        start = time.perf_counter()
        response = await call()
        client.append(time.perf_counter() - start)
        if response.status_code != expect:
            msg = f"{response.request.url}: {response.status_code} {response.text[:200]}"
            raise RuntimeError(msg)
        duration = response.headers["Server-Timing"].partition("dur=")[2]
        server.append(float(duration) / 1000)
    return client, server


def run_with_dataset(
    doc: str | None,
    bench: Callable[[str, Path, int], Coroutine[Any, Any, None]],
    *,
    requests: int,
    requests_help: str,
) -> None:
    """The command line of a benchmark over an imported dataset: ``[PATH] [--requests N]``,
    run on a scratch database that is always dropped."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0] if doc else None)
    parser.add_argument("dataset", nargs="?", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--requests", type=int, default=requests, help=requests_help)
    args = parser.parse_args()
    with scratch_database() as url:
        asyncio.run(bench(url, args.dataset, args.requests))
