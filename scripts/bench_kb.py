"""Latency of the knowledge-base API with the free-exercise-db dataset imported (~900 exercises).

On a scratch database with the curated content (see benchkit.py), imports the dataset, then
serves the app in-process
through httpx's ASGI transport, so the figures are application + database time without any
network. Drops the database at the end.

    .venv/bin/python scripts/bench_kb.py [PATH] [--requests N]
"""

from __future__ import annotations

import functools
import time
from pathlib import Path

import httpx
from benchkit import bench_settings, console, ms, run_with_dataset, timed
from rich.table import Table

from app.db.engine import build_engine, build_sessionmaker
from app.importers.free_exercise_db import import_free_exercise_db
from app.main import create_app
from app.pagination import MAX_LIMIT


async def _walk_catalog(http: httpx.AsyncClient) -> tuple[float, list[float], int]:
    """Every page of the catalog in order: total seconds, per-page seconds, exercises seen."""
    seen: list[str] = []
    pages: list[float] = []
    params: dict[str, str | int] = {"limit": MAX_LIMIT}
    begin = time.perf_counter()
    while True:
        start = time.perf_counter()
        response = await http.get("/v1/exercises", params=params)
        pages.append(time.perf_counter() - start)
        response.raise_for_status()
        body = response.json()
        seen.extend(item["slug"] for item in body["items"])
        if body["next_cursor"] is None:
            break
        params = {"limit": MAX_LIMIT, "cursor": body["next_cursor"]}
    total_s = time.perf_counter() - begin
    if len(seen) != len(set(seen)) or len(seen) != body["total"]:
        msg = f"paging saw {len(seen)} items ({len(set(seen))} distinct), total {body['total']}"
        raise RuntimeError(msg)
    return total_s, pages, len(seen)


async def _bench(url: str, dataset: Path, n: int) -> None:
    settings = bench_settings(url)
    engine = build_engine(url, settings)
    try:
        async with build_sessionmaker(engine)() as session:
            start = time.perf_counter()
            summary = await import_free_exercise_db(session, dataset)
            await session.commit()
            import_s = time.perf_counter() - start
    finally:
        await engine.dispose()
    console.print(
        f"imported {len(summary.created)} exercises ({len(summary.skipped)} skipped) "
        f"in {import_s:.2f} s"
    )

    app = create_app(settings)
    table = Table(title=f"Latency over {n} requests (in-process ASGI)", title_justify="left")
    table.add_column("request")
    table.add_column("median ms", justify="right")
    table.add_column("p95 ms", justify="right")
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            etag = (await http.get("/v1/exercises")).headers["ETag"]
            cases: list[tuple[str, str, dict[str, str], int]] = [
                ("GET /v1/exercises", "/v1/exercises", {}, 200),
                (
                    "GET /v1/exercises?muscle=…&role=…&level=… (filtered)",
                    "/v1/exercises?muscle=latissimus-dorsi&role=primary&level=beginner",
                    {},
                    200,
                ),
                ("GET /v1/exercises/deadlift", "/v1/exercises/deadlift", {}, 200),
                (
                    "GET /v1/exercises/pull-up/alternatives",
                    "/v1/exercises/pull-up/alternatives",
                    {},
                    200,
                ),
                ("GET /v1/search?q=deadlfit", "/v1/search?q=deadlfit", {}, 200),
                ("GET /v1/search?q=rdl", "/v1/search?q=rdl", {}, 200),
                (
                    "GET /v1/exercises (If-None-Match)",
                    "/v1/exercises",
                    {"If-None-Match": etag},
                    304,
                ),
            ]
            for label, path, headers, expect in cases:
                call = functools.partial(http.get, path, headers=headers)
                table.add_row(label, *ms(await timed(call, expect, n)))
            walks = [await _walk_catalog(http) for _ in range(max(1, n // 20))]
    total_s = [w[0] for w in walks]
    per_page = [page for w in walks for page in w[1]]
    table.add_row(
        f"whole catalog: {walks[0][2]} items, {len(walks[0][1])} pages (total)",
        *ms(total_s),
    )
    table.add_row("  per page", *ms(per_page))
    console.print(table)


def main() -> None:
    run_with_dataset(__doc__, _bench, requests=200, requests_help="requests per case")


if __name__ == "__main__":
    main()
