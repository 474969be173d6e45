"""In-process cost of a stored catalog answer, per content coding (issue 11.6).

On a scratch database with the curated content and the free-exercise-db dataset imported,
calls the ASGI application directly (no HTTP client, no network) for an exercise detail and
the largest list page, each first answered once so that later calls are stored answers, with
no `Accept-Encoding`, with `gzip`, with `br` and as a revalidation (304). The limiter is off:
its round trip would hide the microseconds measured here. Drops the database at the end.

    .venv/bin/python scripts/bench_compression.py [PATH] [--requests N]
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from pathlib import Path
from typing import cast

from benchkit import bench_settings, console, run_with_dataset
from fastapi import FastAPI
from rich.table import Table
from starlette.types import ASGIApp, Message, Scope

from app.compression import CompressionMiddleware
from app.db.engine import build_engine, build_sessionmaker
from app.importers.free_exercise_db import import_free_exercise_db
from app.main import create_app
from app.pagination import MAX_LIMIT

CASES = [
    ("detail", "/v1/exercises/deadlift", b""),
    (f"page of {MAX_LIMIT}", "/v1/exercises", f"limit={MAX_LIMIT}".encode()),
]
CODINGS: list[tuple[str, list[tuple[bytes, bytes]]]] = [
    ("identity", []),
    ("gzip", [(b"accept-encoding", b"gzip, deflate")]),
    ("br", [(b"accept-encoding", b"gzip, deflate, br")]),
]


async def _call(
    app: ASGIApp, path: str, query: bytes, headers: list[tuple[bytes, bytes]]
) -> tuple[int, dict[bytes, bytes], int]:
    """One request straight through the ASGI interface: status, headers, body length."""
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"bench"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("bench", 80),
    }
    started: dict[bytes, bytes] = {}
    status = 0
    length = 0

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status, length
        if message["type"] == "http.response.start":
            status = message["status"]
            started.update(message["headers"])
        else:
            length += len(message.get("body", b""))

    await app(scope, receive, send)
    return status, started, length


Headers = list[tuple[bytes, bytes]]


async def _per_request_us(
    calls: Sequence[tuple[ASGIApp, Headers]], path: str, query: bytes, n: int
) -> tuple[list[float], int, int]:
    """Per (application, request headers), microseconds per request in the fastest of 7
    rounds of ``n`` (the least disturbed by whatever else the machine runs; the calls take
    turns, so a disturbance hits them alike); the first one's status and body size."""
    first, first_headers = calls[0]
    status, _, length = await _call(first, path, query, first_headers)
    rounds: list[list[float]] = [[] for _ in calls]
    for _ in range(7):
        for (app, headers), times in zip(calls, rounds, strict=True):
            start = time.perf_counter()
            for _ in range(n):
                await _call(app, path, query, headers)
            times.append((time.perf_counter() - start) / n * 1e6)
    return [min(times) for times in rounds], status, length


async def _revision_known(app: FastAPI) -> None:
    """Stored answers are sent before routing only once the worker's watcher knows the
    revision (it listens from the lifespan's start)."""
    for _ in range(600):
        if app.state.revision_watcher.current is not None:
            return
        await asyncio.sleep(0.05)
    msg = "the revision watcher learned no revision in 30 s"
    raise RuntimeError(msg)


async def _bench(url: str, dataset: Path, n: int) -> None:
    settings = bench_settings(url).model_copy(update={"rate_limit_enabled": False})
    engine = build_engine(url, settings)
    try:
        async with build_sessionmaker(engine)() as session:
            await import_free_exercise_db(session, dataset)
            await session.commit()
    finally:
        await engine.dispose()

    app = create_app(settings)
    # The same application without the encoding layer: what the figures were before it.
    bare = create_app(settings)
    bare.user_middleware = [
        m for m in bare.user_middleware if cast("object", m.cls) is not CompressionMiddleware
    ]
    table = Table(title=f"µs per stored answer, fastest of 7 rounds of {n}", title_justify="left")
    for column in ("request", "coding", "status", "body bytes", "µs", "µs, no encoding layer"):
        table.add_column(column, justify="left" if column in ("request", "coding") else "right")
    async with app.router.lifespan_context(app), bare.router.lifespan_context(bare):
        await _revision_known(app)
        await _revision_known(bare)
        for label, path, query in CASES:
            _, identity, _ = await _call(app, path, query, [])
            await _call(bare, path, query, [])
            etag = identity[b"etag"]
            for coding, headers in CODINGS:
                calls = [(app, headers), (bare, headers)]
                us, status, length = await _per_request_us(calls, path, query, n)
                table.add_row(label, coding, str(status), f"{length:,}", *(f"{u:.0f}" for u in us))
            for coding, headers in CODINGS:
                held = (await _call(app, path, query, headers))[1].get(b"etag", etag)
                # The application without the layer knows only the identity tag.
                calls = [
                    (app, [*headers, (b"if-none-match", held)]),
                    (bare, [*headers, (b"if-none-match", etag)]),
                ]
                us, status, _ = await _per_request_us(calls, path, query, n)
                row = (label, f"{coding}, revalidated", str(status), "0")
                table.add_row(*row, *(f"{u:.0f}" for u in us))
    console.print(table)


def main() -> None:
    run_with_dataset(__doc__, _bench, requests=2000, requests_help="requests per round")


if __name__ == "__main__":
    main()
