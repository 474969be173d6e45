"""Prometheus metrics: requests by route template, database pools, rate-limit refusals and the
recommender, served at ``/metrics`` in the text format (or OpenMetrics when asked for).

Several uvicorn workers share one listening socket, so a scrape reaches any one of them. With
``PROMETHEUS_MULTIPROC_DIR`` set (``app.serving`` makes a fresh one for ``--workers`` above 1),
prometheus_client keeps every value in a memory-mapped file per process and a scrape merges
the files of all of them: counters are totals over the workers, the dead ones included, and
the pool gauges are sums over the live ones. prometheus_client picks its storage when it is
first imported, so the variable must be set before that, as ``app.serving`` does.
"""

from __future__ import annotations

import asyncio
import hmac
import os
import re
import weakref
from collections.abc import Iterable
from pathlib import Path

from fastapi.routing import iter_route_contexts
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    multiprocess,
)
from prometheus_client.exposition import choose_encoder
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount
from starlette.types import Scope

from app.errors import problem_response

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Read once, like prometheus_client itself does on import: the two must agree.
MULTIPROCESS_DIR = os.environ.get(MULTIPROCESS_ENV) or None

METRICS_PATH = "/metrics"
# What a request that matched no route is counted under: the raw path would let any client
# create a series per URL it makes up.
UNMATCHED = "unmatched"
# Methods outside this set (a client may send any token) are counted together.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "other"

# A stored catalog answer takes a few hundred microseconds in the application; the default
# buckets start at 5 ms and would put every one of them in the first.
REQUEST_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
RECOMMENDER_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)

REQUESTS = Counter(
    "http_requests_total",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
REQUEST_DURATION = Histogram(
    "http_request_duration_seconds",
    "Time from a request reaching the application to its response being sent.",
    ["method", "route"],
    buckets=REQUEST_BUCKETS,
)
RATE_LIMIT_REFUSALS = Counter(
    "spotter_rate_limit_refusals_total",
    "Requests refused with 429 because a rate-limit policy's quota was used up.",
    ["policy"],
)
RECOMMENDER_DURATION = Histogram(
    "spotter_recommender_duration_seconds",
    "Time the recommender engine spends on one next-session request.",
    buckets=RECOMMENDER_BUCKETS,
)
# livesum: the sum over the workers alive now (a dead worker's connections are gone).
POOL_SIZE = Gauge(
    "spotter_db_pool_size_connections",
    "Connections each pool keeps open (its configured size), summed over the workers.",
    ["pool"],
    multiprocess_mode="livesum",
)
POOL_CHECKED_OUT = Gauge(
    "spotter_db_pool_checked_out_connections",
    "Pooled connections in use right now.",
    ["pool"],
    multiprocess_mode="livesum",
)
POOL_OVERFLOW = Gauge(
    "spotter_db_pool_overflow_connections",
    "Connections open beyond the pool's size (up to SPOTTER_DB_MAX_OVERFLOW per worker).",
    ["pool"],
    multiprocess_mode="livesum",
)


class HttpMetrics:
    """Counts and times requests by the template of the route that answered them.

    FastAPI leaves the matched route (``scope["route"]``) without the prefixes of the routers
    it was included through, so the full templates are looked up from the application's
    route table, built on the first request (every route is registered by then).
    """

    def __init__(self, routes: Iterable[BaseRoute]) -> None:
        self._routes = routes
        self._templates: _Templates | None = None
        # One pair of children per label set, so a request skips prometheus_client's label
        # validation; bounded, since none of the labels comes from the client unchecked.
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe(self, scope: Scope, status: int, seconds: float) -> None:
        if self._templates is None:
            self._templates = _Templates(self._routes)
        method: str = scope["method"]
        if method not in KNOWN_METHODS:
            method = OTHER_METHOD
        route = self._templates.of(scope)
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (
                REQUESTS.labels(method, route, str(status)),
                REQUEST_DURATION.labels(method, route),
            )
        children[0].inc()
        children[1].observe(seconds)


class _Templates:
    def __init__(self, routes: Iterable[BaseRoute]) -> None:
        self.by_route: dict[int, str] = {}
        self.fixed: dict[str, str] = {}
        self.mounts: list[tuple[str, str]] = []
        for context in iter_route_contexts(list(routes)):
            template = context.path_format
            if template is None:
                continue
            self.by_route.setdefault(id(context.original_route), template)
            if isinstance(context.original_route, Mount):
                self.mounts.append((template.removesuffix("{path}"), template))
            elif "{" not in template:
                # Plain Starlette routes (the OpenAPI document) leave no route in the scope,
                # nor does a 405 on a known path: a path without parameters is its template.
                self.fixed.setdefault(template, template)

    def of(self, scope: Scope) -> str:
        route = scope.get("route")
        if route is not None:
            found = self.by_route.get(id(route))
            if found is not None:
                return found
        path: str = scope["path"]
        fixed = self.fixed.get(path)
        if fixed is not None:
            return fixed
        for prefix, template in self.mounts:
            if path.startswith(prefix):
                return template
        return UNMATCHED


class _PoolGauges:
    """The gauges of one pool name, set from the pools' own counts.

    Connections are checked out and in several times per request. Each event only asks for
    one update at the event loop's next turn: at ``checkin`` the pool still counts the
    connection being returned, and a burst of events costs one update.
    """

    def __init__(self, name: str) -> None:
        # The engines of this name in this process: normally one, more in a test run that
        # builds several applications, whose figures then add up like several workers'.
        self.engines: weakref.WeakSet[Engine] = weakref.WeakSet()
        self.size = POOL_SIZE.labels(name)
        self.checked_out = POOL_CHECKED_OUT.labels(name)
        self.overflow = POOL_OVERFLOW.labels(name)
        self.pending = False

    def changed(self, *_: object) -> None:
        if self.pending:
            return
        self.pending = True
        try:
            asyncio.get_running_loop().call_soon(self.publish)
        except RuntimeError:  # no event loop (a tool using the engine synchronously)
            self.publish()

    def publish(self) -> None:
        self.pending = False
        # engine.pool, not a pool captured earlier: dispose() replaces it (listeners kept).
        pools = [engine.pool for engine in self.engines]
        self.size.set(sum(_count(pool, "size") for pool in pools))
        self.checked_out.set(sum(_count(pool, "checkedout") for pool in pools))
        self.overflow.set(sum(max(0, _count(pool, "overflow")) for pool in pools))


_pools: dict[str, _PoolGauges] = {}


def instrument_pool(engine: AsyncEngine, name: str) -> None:
    """Keep the pool gauges of ``name`` current. They are set as connections come and go,
    not read at scrape time: a scrape is answered by one worker, and it reads every
    worker's figures from their files."""
    gauges = _pools.get(name)
    if gauges is None:
        gauges = _pools[name] = _PoolGauges(name)
    gauges.engines.add(engine.sync_engine)
    gauges.publish()
    event.listen(engine.sync_engine, "checkout", gauges.changed)
    event.listen(engine.sync_engine, "checkin", gauges.changed)


def _count(pool: object, method: str) -> int:
    # QueuePool's counts; a pool without them (NullPool, in tools) keeps nothing open.
    counter = getattr(pool, method, None)
    return int(counter()) if callable(counter) else 0


def forget_this_process() -> None:
    """Drop this worker's live gauges as it stops (its connections close with it)."""
    if MULTIPROCESS_DIR is not None:
        _mark_dead(os.getpid(), MULTIPROCESS_DIR)


_LIVE_GAUGE_FILE = re.compile(r"gauge_live[a-z]+_(\d+)\.db")


def _forget_dead_workers(directory: str) -> None:
    """A worker that was killed could not forget itself; uvicorn replaces it with a new
    process, and its last pool figures must not be added to the live ones."""
    for file in Path(directory).iterdir():
        match = _LIVE_GAUGE_FILE.fullmatch(file.name)
        if match and not _alive(int(match.group(1))):
            _mark_dead(int(match.group(1)), directory)


def _mark_dead(pid: int, directory: str) -> None:
    # prometheus_client's multiprocess module has no annotations.
    multiprocess.mark_process_dead(pid, directory)  # type: ignore[no-untyped-call]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _exposition(accept: str | None) -> tuple[bytes, str]:
    registry: CollectorRegistry
    if MULTIPROCESS_DIR is not None:
        _forget_dead_workers(MULTIPROCESS_DIR)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, MULTIPROCESS_DIR)  # type: ignore[no-untyped-call]
    else:
        registry = REGISTRY
    encoder, content_type = choose_encoder(accept or "")
    return encoder(registry), content_type


async def metrics_endpoint(request: Request) -> Response:
    """The Prometheus scrape target; with SPOTTER_METRICS_TOKEN set, only for its bearer."""
    token: str = request.app.state.settings.metrics_token.get_secret_value()
    if token:
        sent = request.headers.get("authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            return problem_response(
                request,
                401,
                "Scraping the metrics needs the bearer token set in SPOTTER_METRICS_TOKEN.",
                slug="unauthorized",
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
    # Merging the workers' files reads from disk: off the event loop.
    body, content_type = await run_in_threadpool(_exposition, request.headers.get("accept"))
    return Response(body, media_type=content_type, headers={"Cache-Control": "no-store"})
