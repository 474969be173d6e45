"""Prometheus metrics at /metrics: requests by route template, pools, refusals, the
recommender, access to the endpoint, and totals that add up across two workers."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import Metric, multiprocess
from prometheus_client.parser import text_string_to_metric_families

from app.main import create_app
from app.metrics import MULTIPROCESS_ENV, UNMATCHED, _forget_dead_workers
from app.recommendations.examples import OPENAPI_EXAMPLES
from tests.conftest import DatabaseFactory, asgi_client, make_settings
from tests.support.server import wait_until_ready, worker_pids
from tests.test_serving import STARTED, server_env, serving

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
EXERCISE = "/v1/exercises/{slug}"
RECOMMENDER = "/v1/recommendations/next-session"


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def scrape(http: httpx.AsyncClient) -> Samples:
    response = await http.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["cache-control"] == "no-store"
    return parse(response.text)


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def requests(samples: Samples, method: str, route: str, status: int) -> float:
    return value(samples, "http_requests_total", method=method, route=route, status=str(status))


def routes(samples: Samples) -> set[str]:
    return {dict(labels)["route"] for name, labels in samples if name == "http_requests_total"}


async def test_requests_are_counted_by_route_template(client: httpx.AsyncClient) -> None:
    before = await scrape(client)
    assert (await client.get("/v1/exercises/deadlift")).status_code == 200
    assert (await client.get("/v1/exercises/no-such-exercise")).status_code == 404
    assert (await client.get("/healthz")).status_code == 200
    after = await scrape(client)
    assert requests(after, "GET", EXERCISE, 200) - requests(before, "GET", EXERCISE, 200) == 1
    assert requests(after, "GET", EXERCISE, 404) - requests(before, "GET", EXERCISE, 404) == 1
    assert requests(after, "GET", "/healthz", 200) - requests(before, "GET", "/healthz", 200) == 1
    # The duration histogram has the same requests, by method and route.
    count = "http_request_duration_seconds_count"
    assert value(after, count, method="GET", route=EXERCISE) - value(
        before, count, method="GET", route=EXERCISE
    ) == pytest.approx(2)
    assert not any("deadlift" in route for route in routes(after))


async def test_made_up_paths_and_methods_add_no_series(client: httpx.AsyncClient) -> None:
    before = await scrape(client)
    for n in range(5):
        assert (await client.get(f"/no/such/path/{n}")).status_code == 404
        assert (await client.request(f"BREW{n}", "/v1/exercises")).status_code == 405
    after = await scrape(client)
    assert requests(after, "GET", UNMATCHED, 404) - requests(before, "GET", UNMATCHED, 404) == 5
    # A known path without parameters is its own template, even when routing refuses it.
    assert (
        requests(after, "other", "/v1/exercises", 405)
        - requests(before, "other", "/v1/exercises", 405)
        == 5
    )
    assert not any(route.startswith("/no/such") for route in routes(after))
    methods = {dict(labels)["method"] for name, labels in after if name == "http_requests_total"}
    assert not any(method.startswith("BREW") for method in methods)


async def test_answers_sent_before_routing_count_under_their_route(app: FastAPI) -> None:
    # Without the `client` fixture's transaction: the revision watcher is on, so the second
    # read is a stored answer sent by app.knowledge.fast_path before any route runs.
    async with asgi_client(app) as http:
        before = await scrape(http)
        hits = app.state.representations.hits
        for _ in range(2):
            assert (await http.get("/v1/exercises/bench-press")).status_code == 200
        after = await scrape(http)
    assert app.state.representations.hits > hits
    assert requests(after, "GET", EXERCISE, 200) - requests(before, "GET", EXERCISE, 200) == 2


async def test_recommender_time_is_recorded(client: httpx.AsyncClient) -> None:
    before = await scrape(client)
    body = next(iter(OPENAPI_EXAMPLES.values()))["value"]
    assert (await client.post(RECOMMENDER, json=body)).status_code == 200
    after = await scrape(client)
    count = "spotter_recommender_duration_seconds_count"
    assert value(after, count) - value(before, count) == 1
    assert value(after, "spotter_recommender_duration_seconds_sum") > value(
        before, "spotter_recommender_duration_seconds_sum"
    )
    assert (
        requests(after, "POST", RECOMMENDER, 200) - requests(before, "POST", RECOMMENDER, 200) == 1
    )


async def test_rate_limit_refusals_are_counted_by_policy(database_url: str) -> None:
    app = create_app(make_settings(database_url, rate_limit_anonymous=1))
    # An address of its own, so no other test's requests share its quota.
    address = f"198.51.100.{secrets.randbelow(200) + 20}"
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as http,
    ):
        before = await scrape(http)
        responses = [await http.get("/v1") for _ in range(2)]
        after = await scrape(http)
        # /metrics is outside /v1: scraping spends no quota, even with it used up.
        assert (await http.get("/metrics")).status_code == 200
    assert [r.status_code for r in responses] == [200, 429]
    refusals = "spotter_rate_limit_refusals_total"
    assert (
        value(after, refusals, policy="anonymous") - value(before, refusals, policy="anonymous")
        == 1
    )
    assert requests(after, "GET", "/v1", 429) - requests(before, "GET", "/v1", 429) == 1


async def test_pool_gauges_follow_connections_in_use(app: FastAPI) -> None:
    async with asgi_client(app) as http:
        idle = await scrape(http)
        async with app.state.engine.connect():
            await asyncio.sleep(0)  # the gauges are set on the event loop's next turn
            busy = await scrape(http)
        await asyncio.sleep(0)
        again = await scrape(http)
    for pool in ("app", "ratelimit"):
        assert value(idle, "spotter_db_pool_size_connections", pool=pool) >= 1
        assert ("spotter_db_pool_overflow_connections", frozenset({("pool", pool)})) in idle
    checked_out = "spotter_db_pool_checked_out_connections"
    assert value(busy, checked_out, pool="app") == value(idle, checked_out, pool="app") + 1
    assert value(again, checked_out, pool="app") == value(idle, checked_out, pool="app")


async def test_metrics_stay_out_of_the_api_description(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    assert "/metrics" not in schema["paths"]


async def test_a_token_guards_the_metrics(database_url: str) -> None:
    token = secrets.token_urlsafe(24)
    app = create_app(make_settings(database_url, metrics_token=token))
    async with asgi_client(app) as http:
        refused = await http.get("/metrics")
        wrong = await http.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
        allowed = await http.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == wrong.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["www-authenticate"].startswith("Bearer")
    assert allowed.status_code == 200
    assert "http_requests_total" in allowed.text


async def test_metrics_can_be_turned_off(database_url: str) -> None:
    app = create_app(make_settings(database_url, metrics_enabled=False))
    async with asgi_client(app) as http:
        assert (await http.get("/metrics")).status_code == 404


def test_a_dead_workers_pool_figures_are_dropped(tmp_path: Path) -> None:
    mine = tmp_path / f"gauge_livesum_{os.getpid()}.db"
    gone = tmp_path / "gauge_livesum_4194304.db"  # above Linux's largest pid
    kept = tmp_path / "counter_4194304.db"  # a dead worker's counts still add up
    for file in (mine, gone, kept):
        file.write_bytes(b"")
    _forget_dead_workers(str(tmp_path))
    assert mine.exists()
    assert kept.exists()
    assert not gone.exists()


# --------------------------------------------------------------------------- two workers


def worker_counts(directory: Path, pid: int, route: str) -> float:
    """What one worker has counted for ``route``, from its own file (made at its first)."""
    file = directory / f"counter_{pid}.db"
    if not file.exists():
        return 0
    merged: list[Metric] = multiprocess.MultiProcessCollector.merge(  # type: ignore[no-untyped-call]
        [str(file)], accumulate=False
    )
    return sum(
        sample.value
        for family in merged
        for sample in family.samples
        if sample.name == "http_requests_total" and sample.labels.get("route") == route
    )


def metrics_directory(pid: int) -> Path:
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    prefix = f"{MULTIPROCESS_ENV}=".encode()
    (entry,) = (e for e in environ if e.startswith(prefix))
    return Path(entry.removeprefix(prefix).decode())


@pytest.fixture
def two_workers(database_factory: DatabaseFactory) -> Iterator[tuple[str, list[int]]]:
    env = {k: v for k, v in server_env(database_factory()).items() if k != MULTIPROCESS_ENV}
    with serving(env, "--migrate", "--workers", "2") as (base, process, output):
        started = output.wait_for("Started server process", count=2)
        output.wait_for(STARTED, count=2)
        wait_until_ready(base, process)
        pids = worker_pids(started)
        directory = metrics_directory(pids[0])
        yield base, pids
    assert not directory.exists(), "the server leaves no metrics files behind"


@pytest.mark.slow
def test_any_worker_answers_a_scrape_with_the_totals(two_workers: tuple[str, list[int]]) -> None:
    base, pids = two_workers
    directory = metrics_directory(pids[0])
    sent = 0
    # A new connection each time, until both workers have answered some (the kernel hands
    # connections to whichever worker accepts first).
    while sent < 400 and not all(worker_counts(directory, pid, "/healthz") for pid in pids):
        assert httpx.get(f"{base}/healthz", timeout=30).status_code == 200
        sent += 1
    assert all(worker_counts(directory, pid, "/healthz") for pid in pids)
    for _ in range(8):  # scrapes land on both workers too
        samples = parse(httpx.get(f"{base}/metrics", timeout=30).text)
        assert requests(samples, "GET", "/healthz", 200) == sent
        # Pool sizes are sums over the live workers: 2 x 8 for requests, 2 x 3 for the limiter.
        assert value(samples, "spotter_db_pool_size_connections", pool="app") == 16
        assert value(samples, "spotter_db_pool_size_connections", pool="ratelimit") == 6
