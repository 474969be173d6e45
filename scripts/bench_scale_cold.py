"""The cold (uncached) catalog reads of issue 10's scale target, on databases kept between runs.

bench_scale.py grows a fresh catalog through the importer for every run, which takes minutes;
iterating on the cold filtered list and the cold search needs seconds. This script serves two
existing catalogs (a small and a large one, grown once, e.g. with bench_scale.py's ``grow``)
side by side with the stored answers off, and measures them in alternating rounds, so the
ratio of one round is taken under the same machine load.

    .venv/bin/python scripts/bench_scale_cold.py SMALL_URL LARGE_URL [--rounds 5] [--n 30]
    .venv/bin/python scripts/bench_scale_cold.py LARGE_URL --dump answers.bin

``--dump`` writes the answers to a fixed list of ~200 list and search URLs instead (each URL,
its status and its body's bytes), for comparing two versions of the code byte for byte.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import os
import statistics
import time
from pathlib import Path

import httpx
from bench_http import _serve_spotter
from bench_scale import REQUEST_TIMEOUT_S, STARTUP_TIMEOUT_S, _stop
from benchkit import console

from tests.support.server import free_port, wait_until_ready

ENDPOINTS = {
    "filtered list": "/v1/exercises?muscle=latissimus-dorsi&equipment=barbell&limit=20",
    "filtered list 2": "/v1/exercises?level=beginner&category=strength&limit=20",
    "search 'row'": "/v1/search?q=row",
    "search 'press'": "/v1/search?q=press&kind=exercise",
    "list q=row": "/v1/exercises?q=row&limit=20",
}


def dump_urls() -> list[str]:
    """About 200 list and search URLs taking every filter, sort and paging branch."""
    filters = [
        "",
        "muscle=latissimus-dorsi",
        "muscle=trapezius&role=primary",
        "muscle=quadriceps&equipment=barbell",
        "role=secondary",
        "joint_action=shoulder-extension",
        "joint_action=hip-extension&level=beginner",
        "equipment=dumbbell&equipment=kettlebell",
        "available_equipment=none",
        "available_equipment=dumbbell&available_equipment=pull-up-bar",
        "level=advanced&mechanic=compound",
        "force=pull&pattern=horizontal_pull",
        "category=stretching",
        "top_pick=true",
        "top_pick=false&origin=curated",
        "origin=free-exercise-db&level=intermediate",
        "q=row",
        "q=deadlfit",
        "q=press&equipment=barbell",
        "q=zzzzzz",
    ]
    sorts = ["", "sort=-name", "sort=top_pick", "sort=name"]
    urls = []
    for query, sort, limit in itertools.product(filters, sorts, ("limit=7", "")):
        params = "&".join(p for p in (query, sort, limit) if p)
        urls.append("/v1/exercises" + (f"?{params}" if params else ""))
    for q in ("row", "press", "deadlfit", "rdl", "pull up", "lats", "curl", "squat", "xyzzy"):
        urls.append(f"/v1/search?q={q}")
        urls.append(f"/v1/search?q={q}&kind=exercise&limit=50")
    return urls


async def _dump(base: str, out: Path) -> None:
    digest = hashlib.sha256()
    async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT_S) as client:
        with out.open("wb") as file:
            for url in dump_urls():
                response = await client.get(url)
                # Each page's cursor is followed once, so the cursor branch is in the dump.
                record = f"{url} {response.status_code}\n".encode() + response.content + b"\n"
                file.write(record)
                digest.update(record)
                cursor = response.json().get("next_cursor") if response.is_success else None
                if cursor:
                    joined = f"{url}{'&' if '?' in url else '?'}cursor={cursor}"
                    second = await client.get(joined)
                    record = f"{url} +cursor {second.status_code}\n".encode() + second.content
                    file.write(record + b"\n")
                    digest.update(record)
    console.print(f"{out}: {len(dump_urls())} URLs, sha256 {digest.hexdigest()}")


async def _round(bases: list[str], n: int) -> list[dict[str, float]]:
    """p50 seconds per endpoint, per server."""
    figures: list[dict[str, float]] = []
    for base in bases:
        async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT_S) as client:
            p50s: dict[str, float] = {}
            for name, path in ENDPOINTS.items():
                for _ in range(4):  # both workers, their pools and per-revision structures
                    (await client.get(path)).raise_for_status()
                seconds = []
                for _ in range(n):
                    started = time.perf_counter()
                    (await client.get(path)).raise_for_status()
                    seconds.append(time.perf_counter() - started)
                p50s[name] = statistics.median(seconds)
            figures.append(p50s)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("urls", nargs="+", help="small catalog's URL, then the large one's")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--n", type=int, default=30, help="requests per endpoint per round")
    parser.add_argument("--dump", type=Path, help="write the answers of dump_urls() here")
    args = parser.parse_args()
    os.environ["SPOTTER_REPRESENTATION_CACHE_BYTES"] = "0"
    servers = []
    bases = []
    try:
        for url in args.urls:
            port = free_port()
            servers.append(_serve_spotter(url, port, limiter=False, redis_url=None))
            bases.append(f"http://127.0.0.1:{port}")
        for base, server in zip(bases, servers, strict=True):
            wait_until_ready(base, server, timeout_s=STARTUP_TIMEOUT_S)
        if args.dump:
            asyncio.run(_dump(bases[-1], args.dump))
            return
        rounds = [asyncio.run(_round(bases, args.n)) for _ in range(args.rounds)]
    finally:
        for server in servers:
            _stop(server)
    console.print(f"load average {os.getloadavg()[0]:.2f}; medians of {args.rounds} rounds, ms")
    for name in ENDPOINTS:
        small = statistics.median(r[0][name] for r in rounds) * 1000
        large = statistics.median(r[-1][name] for r in rounds) * 1000
        ratio = statistics.median(r[-1][name] / r[0][name] for r in rounds)
        console.print(f"{name:18} {small:7.1f} {large:7.1f}  ratio {ratio:5.2f}x")


if __name__ == "__main__":
    main()
