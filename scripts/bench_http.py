"""Spotter over HTTP against its floor: req/s, p50 and p99 per endpoint, with wrk (issue 10).

On a scratch database holding the curated content and the free-exercise-db import (~900
exercises, see benchkit.py), this serves Spotter as deployed (`spotter serve --workers 2`,
production settings, quotas raised so the limiter admits everything) and beside it the floor:
a bare Starlette app (floor_app.py) under the same uvicorn settings that answers each request
with the exact bytes Spotter sent for it. wrk drives both, interleaved, for every endpoint and
round, with the limiter on (Redis store when a Redis answers, else PostgreSQL) and off. The
figures of one run are comparable with each other only: record the machine with them
(docs/benchmarks.md).

    .venv/bin/python scripts/bench_http.py [--rounds 3] [--seconds 10] [--connections 32]

Needs wrk (Debian: `apt-get install wrk`). Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from bench_recommender import history_body
from benchkit import DEFAULT_DATASET, bench_settings, console, scratch_database
from rich.table import Table

from app.db.engine import build_engine, build_sessionmaker
from app.importers.free_exercise_db import import_free_exercise_db
from tests.support.server import free_port, wait_until_ready

BIN_DIR = Path(sys.executable).parent
SCRIPTS = Path(__file__).resolve().parent
# Headers the server or uvicorn writes per response; the floor sends the rest verbatim.
PER_RESPONSE = {"date", "server", "content-length", "x-request-id", "server-timing"}
MAX_SECONDS = 60  # per wrk run: loopback only, and bounded


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    target: str
    body: dict[str, Any] | None = None
    conditional: bool = False
    signed_in: bool = False


CASES = (
    Case("list page of 20", "GET", "/v1/exercises?limit=20"),
    Case("filtered list", "GET", "/v1/exercises?muscle=latissimus-dorsi&level=beginner&limit=20"),
    Case("exercise detail", "GET", "/v1/exercises/deadlift"),
    Case("muscle list", "GET", "/v1/muscles"),
    Case("search 'row'", "GET", "/v1/search?q=row"),
    Case("304 revalidation", "GET", "/v1/exercises/deadlift", conditional=True),
    Case("recommender, 960 sets", "POST", "/v1/recommendations/next-session", history_body()),
    Case("my sessions (signed in)", "GET", "/v1/me/sessions", signed_in=True),
)


@dataclass
class Figures:
    rps: list[float] = field(default_factory=list)
    p50_ms: list[float] = field(default_factory=list)
    p99_ms: list[float] = field(default_factory=list)
    bad: int = 0


def _redis_url() -> str | None:
    url = os.environ.get("SPOTTER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        import redis  # noqa: PLC0415 - only to probe

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:
        return None
    return url


def _serve_spotter(
    url: str, port: int, *, limiter: bool, redis_url: str | None
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SPOTTER_ENVIRONMENT": "production",
        "SPOTTER_SECRET_KEY": secrets.token_urlsafe(48),
        "SPOTTER_HOST": "127.0.0.1",
        "SPOTTER_PORT": str(port),
        "SPOTTER_LOG_LEVEL": "WARNING",
        "SPOTTER_RATE_LIMIT_ENABLED": "true" if limiter else "false",
        **{
            f"SPOTTER_RATE_LIMIT_{name}": "1000000"
            for name in ("ANONYMOUS", "USER", "KEY", "KB_KEY", "LOGIN_FAILURES")
        },
    }
    if redis_url and limiter:
        env |= {"SPOTTER_REDIS_URL": redis_url, "SPOTTER_REDIS_KEY_PREFIX": f"bench-{port}:"}
    return subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
        [str(BIN_DIR / "spotter"), "serve", "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _serve_floor(responses: Path, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            str(BIN_DIR / "uvicorn"), "floor_app:app", "--app-dir", str(SCRIPTS),
            "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
            "--http", "httptools", "--no-access-log", "--log-level", "warning",
        ],
        env={**os.environ, "FLOOR_RESPONSES": str(responses)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _wait_for_floor(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit("the floor app exited during start-up")
        try:
            if httpx.get(f"{base}/v1/muscles", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    sys.exit("the floor app did not start in 60 s")


def _sign_in(base: str) -> str:
    email = f"bench-{secrets.token_hex(4)}@example.com"
    password = secrets.token_urlsafe(16)
    with httpx.Client(base_url=base, timeout=30) as http:
        http.post(
            "/v1/auth/register", json={"email": email, "password": password}
        ).raise_for_status()
        token = http.post("/v1/auth/token", json={"email": email, "password": password})
        token.raise_for_status()
        access: str = token.json()["access_token"]
        for day in range(1, 29):
            session = {
                "date": f"2026-02-{day:02d}",
                "sets": [{"exercise": "deadlift", "reps": 5, "load": 100 + day} for _ in range(3)],
            }
            created = http.post(
                "/v1/me/sessions", json=session, headers={"Authorization": f"Bearer {access}"}
            )
            created.raise_for_status()
    return access


def _capture(base: str, token: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Spotter's answer to each case (for the floor), and each case's ETag."""
    stored: dict[str, Any] = {}
    etags: dict[str, str] = {}
    with httpx.Client(base_url=base, timeout=30) as http:
        for case in CASES:
            headers = {"Authorization": f"Bearer {token}"} if case.signed_in else {}
            response = http.request(case.method, case.target, json=case.body, headers=headers)
            if response.status_code >= 400:
                msg = f"{case.name}: {response.status_code} {response.text[:200]}"
                raise RuntimeError(msg)
            etags[case.name] = response.headers.get("etag", "")
            status, content = response.status_code, response.content
            if case.conditional:
                again = http.get(case.target, headers={"If-None-Match": etags[case.name]})
                status, content, response = again.status_code, again.content, again
            stored[f"{case.method} {case.target}"] = {
                "status": status,
                "headers": {k: v for k, v in response.headers.items() if k not in PER_RESPONSE},
                "body_b64": base64.b64encode(content).decode(),
            }
    return stored, etags


_LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk(
    base: str, case: Case, etag: str, token: str, args: argparse.Namespace, into: Figures
) -> None:
    command = [
        "wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.seconds}s", "--latency",
    ]  # fmt: skip
    if case.conditional:
        command += ["-H", f"If-None-Match: {etag}"]
    if case.signed_in:
        command += ["-H", f"Authorization: Bearer {token}"]
    with tempfile.TemporaryDirectory() as folder:
        if case.body is not None:
            script = Path(folder) / "post.lua"
            script.write_text(
                'wrk.method = "POST"\n'
                'wrk.headers["Content-Type"] = "application/json"\n'
                f"wrk.body = {json.dumps(json.dumps(case.body))}\n"
            )
            command += ["-s", str(script)]
        command.append(base + case.target)
        output = subprocess.run(  # noqa: S603 - wrk with fixed arguments, loopback only
            command, capture_output=True, text=True, timeout=args.seconds + 60, check=True
        ).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if rps is None:
        msg = f"wrk printed no rate for {case.name}: {output[-500:]}"
        raise RuntimeError(msg)
    into.rps.append(float(rps.group(1)))
    for percentile, value, unit in _LATENCY.findall(output):
        target = into.p50_ms if percentile == "50" else into.p99_ms
        target.append(float(value) * _UNITS[unit])
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    into.bad += int(bad.group(1)) if bad else 0


def _run_mode(url: str, args: argparse.Namespace, *, limiter: bool, redis_url: str | None) -> Table:
    spotter_port, floor_port = free_port(), free_port()
    spotter = _serve_spotter(url, spotter_port, limiter=limiter, redis_url=redis_url)
    spotter_base = f"http://127.0.0.1:{spotter_port}"
    floor: subprocess.Popen[bytes] | None = None
    try:
        wait_until_ready(spotter_base, spotter)
        token = _sign_in(spotter_base)
        stored, etags = _capture(spotter_base, token)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(stored, handle)
        floor = _serve_floor(Path(handle.name), floor_port)
        floor_base = f"http://127.0.0.1:{floor_port}"
        _wait_for_floor(floor_base, floor)
        ours = {case.name: Figures() for case in CASES}
        bare = {case.name: Figures() for case in CASES}
        for _ in range(args.rounds):
            for case in CASES:
                _wrk(spotter_base, case, etags[case.name], token, args, ours[case.name])
                _wrk(floor_base, case, etags[case.name], token, args, bare[case.name])
    finally:
        for process in (spotter, floor):
            if process is not None:
                process.terminate()
                process.wait(timeout=60)
    store = ("Redis" if redis_url else "PostgreSQL") + " store" if limiter else "off"
    table = Table(title=f"Limiter {store}: medians of {args.rounds} rounds", title_justify="left")
    for column in ("endpoint", "req/s", "p50 ms", "p99 ms", "floor req/s", "of floor", "errors"):
        table.add_column(column, justify="left" if column == "endpoint" else "right")
    for case in CASES:
        mine, floor_figures = ours[case.name], bare[case.name]
        rps, floor_rps = statistics.median(mine.rps), statistics.median(floor_figures.rps)
        table.add_row(
            case.name,
            f"{rps:,.0f}",
            f"{statistics.median(mine.p50_ms):.2f}",
            f"{statistics.median(mine.p99_ms):.2f}",
            f"{floor_rps:,.0f}",
            f"{rps / floor_rps:.0%}",
            str(mine.bad),
        )
    return table


async def _import(url: str, dataset: Path) -> int:
    engine = build_engine(url, bench_settings(url))
    try:
        async with build_sessionmaker(engine)() as session:
            summary = await import_free_exercise_db(session, dataset)
            await session.commit()
    finally:
        await engine.dispose()
    return len(summary.created)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10, help="per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    args = parser.parse_args()
    if not 1 <= args.seconds <= MAX_SECONDS:
        parser.error(f"--seconds must be 1 to {MAX_SECONDS}")
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: on Debian, `apt-get install wrk`")
    redis_url = _redis_url()
    with scratch_database() as url:
        if args.dataset.exists():
            console.print(f"imported {asyncio.run(_import(url, args.dataset))} exercises")
        else:
            console.print(f"[yellow]no dataset at {args.dataset}: curated content only[/]")
        for limiter in (True, False):
            console.print(_run_mode(url, args, limiter=limiter, redis_url=redis_url))
    console.print(
        f"{os.cpu_count()} CPUs; wrk -t{args.threads} -c{args.connections} -d{args.seconds}s"
    )


if __name__ == "__main__":
    main()
