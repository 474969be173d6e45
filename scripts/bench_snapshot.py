"""The catalog snapshot at 1,000 and at 100,000 exercises: time and peak RSS growth (issue 13).

The catalog is grown on a scratch database exactly as bench_scale.py grows it (the curated
content, the free-exercise-db import, then synthetic variants through the importer). At each
size Spotter is served as deployed (`spotter serve --workers 2`, production settings, the
limiter off) and `GET /v1/exports/catalog` is downloaded, as JSON and as NDJSON (and gzip-encoded
with --gzip), twice each: the first download of a body also runs the hashing pass that puts its
SHA-256 and size in the headers (once per revision per worker), the second streams at once.
Each download is read chunk by chunk and thrown away, its SHA-256 checked against
`Repr-Digest`. Before the first download each worker's VmRSS is read from /proc, after each
its VmHWM (the peak resident size since it started): the growth is what serving snapshots
cost in memory, which must not grow with the catalog.

    .venv/bin/python scripts/bench_snapshot.py [--sizes 1000,100000] [--gzip]

Traffic goes to 127.0.0.1 only; every request has a timeout, every server a bounded start.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import bench_scale
import httpx
from bench_scale import (
    STARTUP_TIMEOUT_S,
    _count,
    _import_dataset,
    _serve,
    _stop,
    grow,
    worker_memory_kb,
)
from benchkit import DEFAULT_DATASET, bench_settings, console, scratch_database
from rich.table import Table

from app.config import Settings
from app.importers.free_exercise_db import read_records
from tests.support.server import free_port, wait_until_ready

PATH = "/v1/exports/catalog"
# A 100k snapshot is hundreds of MB; a slow machine takes minutes to hash and send it.
REQUEST_TIMEOUT_S = 900.0
MAX_RETRIES = 600
# The memory serving a snapshot may add to a worker, whatever the catalog's size.
RSS_GROWTH_TARGET_MB = 100.0
VARIANTS = (
    ("JSON", "application/json", "identity"),
    ("NDJSON", "application/x-ndjson", "identity"),
)
# With --gzip: encoding as it streams adds CPU, not memory; off by default to keep the run short.
GZIP_VARIANTS = (
    ("JSON gzip", "application/json", "gzip"),
    ("NDJSON gzip", "application/x-ndjson", "gzip"),
)


def _patient_settings(url: str) -> Settings:
    """bench_scale's settings with a statement timeout for growing the catalog: its closing
    VACUUM ANALYZE of 100k exercises outlasts the deployed 5 s on a busy machine."""
    return bench_settings(url).model_copy(update={"db_statement_timeout_ms": 600_000})


@dataclass
class Download:
    variant: str
    attempt: int
    seconds: float
    size: int
    growth_mb: float


async def _download(client: httpx.AsyncClient, accept: str, coding: str) -> tuple[float, int]:
    """Seconds and bytes of one download, read as it streams; its digest checked."""
    digest = hashlib.sha256()
    size = 0
    started = time.perf_counter()
    headers = {"Accept": accept, "Accept-Encoding": coding}
    # A 503 with Retry-After while the worker's hashing pass of a new revision outlasts the
    # request's deadline: retried, and the wait counted in the download's time.
    for _ in range(MAX_RETRIES):
        async with client.stream("GET", PATH, headers=headers) as response:
            if response.status_code == 503 and "retry-after" in response.headers:
                await response.aread()
            elif response.status_code != 200:
                msg = f"{PATH}: {response.status_code}"
                raise RuntimeError(msg)
            else:
                async for chunk in response.aiter_raw():
                    digest.update(chunk)
                    size += len(chunk)
                expected = response.headers["repr-digest"]
                break
        await asyncio.sleep(1.0)
    else:
        msg = f"{PATH}: still preparing after {MAX_RETRIES} retries"
        raise RuntimeError(msg)
    seconds = time.perf_counter() - started
    if expected != f"sha-256=:{base64.b64encode(digest.digest()).decode()}:":
        msg = f"{accept} {coding}: the body does not match its Repr-Digest"
        raise RuntimeError(msg)
    if size != int(response.headers["content-length"]):
        msg = f"{accept} {coding}: the body does not match its Content-Length"
        raise RuntimeError(msg)
    return seconds, size


async def _downloads(
    base: str, pid: int, variants: tuple[tuple[str, str, str], ...]
) -> list[Download]:
    # Let the workers settle, then take their resident size as the baseline.
    async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT_S) as client:
        for _ in range(4):
            (await client.get("/v1/exercises/deadlift")).raise_for_status()
        baseline = worker_memory_kb(pid, "VmRSS")
        found = []
        for name, accept, coding in variants:
            for attempt in (1, 2):
                seconds, size = await _download(client, accept, coding)
                peaks = worker_memory_kb(pid, "VmHWM")
                growth = max(peaks.get(w, 0) - rss for w, rss in baseline.items()) / 1024
                found.append(Download(name, attempt, seconds, size, growth))
    return found


def run_size(url: str, variants: tuple[tuple[str, str, str], ...]) -> list[Download]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = _serve(url, port, cache=True)
    try:
        wait_until_ready(base, server, timeout_s=STARTUP_TIMEOUT_S)
        return asyncio.run(_downloads(base, server.pid, variants))
    finally:
        _stop(server)


def report(results: dict[int, list[Download]]) -> None:
    title = "GET /v1/exports/catalog (2 workers; the 1st download includes the hashing pass)"
    table = Table(title=title)
    for column in ("exercises", "variant", "download", "seconds", "MB sent", "peak RSS growth MB"):
        table.add_column(column, justify="right" if column != "variant" else "left")
    for size, downloads in results.items():
        for d in downloads:
            table.add_row(
                f"{size:,}",
                d.variant,
                "1st" if d.attempt == 1 else "2nd",
                f"{d.seconds:.2f}",
                f"{d.size / 1e6:.1f}",
                f"{d.growth_mb:.0f}",
            )
    console.print(table)
    for size, downloads in results.items():
        worst = max(d.growth_mb for d in downloads)
        verdict = "yes" if worst < RSS_GROWTH_TARGET_MB else "NO"
        console.print(
            f"peak RSS growth at {size:,}: {worst:.0f} MB "
            f"(< {RSS_GROWTH_TARGET_MB:.0f} MB: {verdict})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--gzip", action="store_true", help="also download gzip-encoded")
    args = parser.parse_args()
    variants = VARIANTS + (GZIP_VARIANTS if args.gzip else ())
    sizes = sorted(int(size) for size in args.sizes.split(","))
    records = read_records(args.dataset)
    bench_scale.__dict__["bench_settings"] = _patient_settings
    results: dict[int, list[Download]] = {}
    with scratch_database() as url:
        asyncio.run(_import_dataset(url, records))
        for size in sizes:
            took = asyncio.run(grow(url, records, size))
            console.print(f"catalog at {asyncio.run(_count(url)):,} exercises ({took:.0f} s)")
            results[size] = run_size(url, variants)
    report(results)


if __name__ == "__main__":
    main()
