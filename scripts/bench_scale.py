"""Catalog reads at 1,000 and at 100,000 exercises: p50/p95 per endpoint, RSS per worker (issue 10).

On a scratch database (benchkit.py) holding the curated content and the free-exercise-db
import, synthetic exercises derived from the dataset's records (a variant prefix, another
level, the equipment of a related record) are written through the importer's own path until
the catalog holds 1,000 exercises, then 100,000. At each size Spotter is served as deployed
(`spotter serve --workers 2`, production settings, the rate limiter off) twice: with the stored
answers off (`representation_cache_bytes=0`: every request is a miss and runs its SQL) for
the cold figures, and as configured for the warm ones. Each endpoint gets a fixed number of
sequential requests; after the warm run the resident memory of each uvicorn worker is read
from /proc. The table compares 100k with 1k against the targets (p50 within 1.5x, RSS below
300 MB).

    .venv/bin/python scripts/bench_scale.py [--cold 60] [--warm 200] [--sizes 1000,100000]

Traffic goes to 127.0.0.1 only; every request has a timeout, every server a bounded start.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import sqlalchemy as sa
from bench_http import _serve_spotter
from benchkit import DEFAULT_DATASET, bench_settings, console, ms, scratch_database
from rich.table import Table

from app.db.engine import build_engine, build_sessionmaker
from app.db.session import run_sql
from app.importers.free_exercise_db import Record, import_records, read_records
from tests.support.server import free_port, wait_until_ready

BIN_DIR = Path(sys.executable).parent
REQUEST_TIMEOUT_S = 30.0
# Two workers importing the app on a busy 2-core machine can take most of a minute.
STARTUP_TIMEOUT_S = 180.0
P50_RATIO_TARGET = 1.5
RSS_TARGET_MB = 300.0
# Records per importer call: one transaction each, so a 100k load never holds one huge one.
BATCH = 5_000

ENDPOINTS = {
    "list page": "/v1/exercises?limit=20",
    "filtered list": "/v1/exercises?muscle=latissimus-dorsi&equipment=barbell&limit=20",
    "search 'row'": "/v1/search?q=row",
    "detail": "/v1/exercises/deadlift",
}

PREFIXES = (
    "Paused", "Tempo", "Slow Eccentric", "Banded", "Chained", "Deficit", "Pin", "Half",
    "Isometric", "Single-Arm", "Single-Leg", "Alternating", "Wide-Grip", "Close-Grip",
    "Neutral-Grip", "Reverse-Grip", "Incline", "Decline", "Seated", "Standing", "Kneeling",
    "Supported", "Staggered", "Heavy", "Light", "Explosive", "Pulse", "Long-Lever",
)  # fmt: skip
SUFFIXES = (
    "", "Hold", "Complex", "Ladder", "Cluster", "Drop Set", "Rest-Pause", "AMRAP", "Finisher",
    "Warm-Up", "Burnout", "Pyramid", "Superset", "Density Block", "EMOM", "Primer",
)  # fmt: skip


def synthetic(records: list[Record], count: int, start: int) -> Iterator[Record]:
    """``count`` valid dataset records, each a plausible variant of a real one: the same
    movement and muscles under a variant name, at another level, sometimes with the
    equipment of a neighbouring record."""
    levels = sorted({r.level for r in records})
    for number in range(start, start + count):
        base = records[number % len(records)]
        variant = number // len(records)
        prefix = PREFIXES[variant % len(PREFIXES)]
        suffix = SUFFIXES[(variant // len(PREFIXES)) % len(SUFFIXES)]
        name = f"{prefix} {base.name} {suffix}".strip()
        if variant >= len(PREFIXES) * len(SUFFIXES):
            name = f"{name} {variant}"
        neighbour = records[(number * 7 + 3) % len(records)]
        yield base.model_copy(
            update={
                "id": f"synthetic_{number}_{base.id}"[:120],
                "name": name[:200],
                "level": levels[(number + variant) % len(levels)],
                "equipment": neighbour.equipment if variant % 3 == 1 else base.equipment,
            }
        )


async def _count(url: str) -> int:
    engine = build_engine(url, bench_settings(url))
    try:
        async with build_sessionmaker(engine)() as session:
            return int((await run_sql(session, "SELECT count(*) FROM exercise")).scalar_one())
    finally:
        await engine.dispose()


async def grow(url: str, records: list[Record], target: int) -> float:
    """Import the dataset (first call) or synthetic variants until ``target`` exercises."""
    started = time.perf_counter()
    engine = build_engine(url, bench_settings(url))
    try:
        sessions = build_sessionmaker(engine)
        async with sessions() as session:
            have = int((await run_sql(session, "SELECT count(*) FROM exercise")).scalar_one())
            synthetic_rows = int(
                (
                    await run_sql(
                        session, "SELECT count(*) FROM exercise WHERE slug LIKE 'synthetic-%'"
                    )
                ).scalar_one()
            )
        while have < target:
            batch = list(synthetic(records, min(BATCH, target - have), synthetic_rows))
            async with sessions() as session:
                await import_records(session, batch, None)
                await session.commit()
            have += len(batch)
            synthetic_rows += len(batch)
    finally:
        await engine.dispose()
    # Fresh statistics and visibility map, as autovacuum leaves a grown catalog (outside a
    # transaction, hence a connection of its own).
    vacuum = build_engine(url, bench_settings(url), autocommit=True)
    try:
        async with vacuum.connect() as connection:
            await connection.execute(sa.text("VACUUM ANALYZE"))
    finally:
        await vacuum.dispose()
    return time.perf_counter() - started


def _serve(url: str, port: int, *, cache: bool) -> subprocess.Popen[bytes]:
    """As bench_http.py serves it, the limiter off; without the stored answers for ``cold``."""
    overrides = {} if cache else {"SPOTTER_REPRESENTATION_CACHE_BYTES": "0"}
    saved = {name: os.environ.get(name) for name in overrides}
    os.environ.update(overrides)
    try:
        return _serve_spotter(url, port, limiter=False, redis_url=None)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.wait(timeout=20)
    if server.poll() is None:
        server.kill()
        server.wait(timeout=10)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        found.extend(int(child) for child in children)
    return found


def worker_memory_kb(pid: int, field: str = "VmRSS") -> dict[int, int]:
    """``field`` of /proc/<worker>/status (VmRSS, or the peak VmHWM) of each uvicorn worker
    (children of the server running the app), in kB, by worker pid."""
    found: dict[int, int] = {}
    for child in _children(pid):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            status = Path(f"/proc/{child}/status").read_text()
        except FileNotFoundError:
            continue
        if b"resource_tracker" in cmdline:
            continue
        for line in status.splitlines():
            if line.startswith(f"{field}:"):
                found[child] = int(line.split()[1])
    return found


def worker_rss_mb(pid: int) -> list[float]:
    """VmRSS of each uvicorn worker, in MB."""
    return sorted(kb / 1024 for kb in worker_memory_kb(pid).values())


async def _measure(base: str, path: str, n: int) -> list[float]:
    async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT_S) as client:
        for _ in range(5):  # both workers, their pools and the per-revision vocabularies
            (await client.get(path)).raise_for_status()
        seconds: list[float] = []
        for _ in range(n):
            started = time.perf_counter()
            response = await client.get(path)
            seconds.append(time.perf_counter() - started)
            if response.status_code != 200:
                msg = f"{path}: {response.status_code} {response.text[:200]}"
                raise RuntimeError(msg)
    return seconds


def run_size(
    url: str, args: argparse.Namespace
) -> tuple[dict[str, dict[str, list[float]]], list[float]]:
    """Per endpoint, cold and warm seconds; then the workers' RSS after the warm run."""
    figures: dict[str, dict[str, list[float]]] = {name: {} for name in ENDPOINTS}
    rss: list[float] = []
    for mode, cache, n in (("cold", False, args.cold), ("warm", True, args.warm)):
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = _serve(url, port, cache=cache)
        try:
            wait_until_ready(base, server, timeout_s=STARTUP_TIMEOUT_S)
            for name, path in ENDPOINTS.items():
                figures[name][mode] = asyncio.run(_measure(base, path, n))
            if mode == "warm":
                rss = worker_rss_mb(server.pid)
        finally:
            _stop(server)
    return figures, rss


def _p50(seconds: list[float]) -> float:
    return float(ms(seconds)[0])


def report(
    sizes: list[int],
    results: dict[int, tuple[dict[str, dict[str, list[float]]], list[float]]],
) -> None:
    small, large = sizes[0], sizes[-1]
    table = Table(title=f"Catalog reads at {small:,} and {large:,} exercises (2 workers)")
    table.add_column("endpoint")
    table.add_column("mode")
    for size in (small, large):
        table.add_column(f"{size:,} p50/p95 ms", justify="right")
    table.add_column("p50 ratio", justify="right")
    table.add_column(f"<= {P50_RATIO_TARGET}x", justify="center")
    for name in ENDPOINTS:
        for mode in ("cold", "warm"):
            cells = ["/".join(ms(results[size][0][name][mode])) for size in (small, large)]
            ratio = _p50(results[large][0][name][mode]) / max(
                _p50(results[small][0][name][mode]), 0.1
            )
            verdict = "yes" if ratio <= P50_RATIO_TARGET else "NO"
            table.add_row(name, mode, *cells, f"{ratio:.2f}x", verdict)
    console.print(table)
    for size in sizes:
        rss = results[size][1]
        shown = ", ".join(f"{mb:.0f} MB" for mb in rss) or "not found"
        verdict = "yes" if rss and max(rss) < RSS_TARGET_MB else "NO"
        console.print(f"RSS per worker at {size:,}: {shown}  (< {RSS_TARGET_MB:.0f} MB: {verdict})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cold", type=int, default=60, help="requests per endpoint, cache off")
    parser.add_argument("--warm", type=int, default=200, help="requests per endpoint, cache on")
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(","))
    records = read_records(args.dataset)
    results: dict[int, tuple[dict[str, dict[str, list[float]]], list[float]]] = {}
    with scratch_database() as url:
        asyncio.run(_import_dataset(url, records))
        for size in sizes:
            took = asyncio.run(grow(url, records, size))
            console.print(f"catalog at {asyncio.run(_count(url)):,} exercises ({took:.0f} s)")
            results[size] = run_size(url, args)
    report(sizes, results)


async def _import_dataset(url: str, records: list[Record]) -> None:
    engine = build_engine(url, bench_settings(url))
    try:
        async with build_sessionmaker(engine)() as session:
            await import_records(session, records, None)
            await session.commit()
    finally:
        await engine.dispose()


if __name__ == "__main__":
    main()
