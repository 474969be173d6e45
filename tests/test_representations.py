"""Catalog answers from memory (app/knowledge/representations.py, issue 10): on every cached
read endpoint the stored answer is byte-for-byte the one the route computes, a hit runs no
query, and a content change is never answered from the old revision's bytes."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.requests import Request

from app.knowledge.http import etag_for
from app.knowledge.representations import Representation, RepresentationCache
from app.main import create_app
from tests.conftest import DatabaseFactory, asgi_client, fetch, loaded_database, make_settings
from tests.test_abuse import assert_refusal, client_at
from tests.test_revision_watcher import StatementLog, _known

# Headers each request makes for itself, on a hit as on a miss.
PER_REQUEST = {"x-request-id", "server-timing", "ratelimit", "ratelimit-policy"}
# Conditional reads that stream their answer, which no worker keeps.
STREAMED = {"/v1/exports/catalog"}
# Filters and pages the list endpoints answer differently, beside their bare form.
QUERIES = {
    "/v1/exercises": ["?muscle=latissimus-dorsi&limit=5", "?q=row", "?level=beginner&limit=3"],
    "/v1/search": ["?q=row", "?q=rdl&limit=3"],
    "/v1/muscles": ["?group=back"],
}


@pytest.fixture(scope="module")
def loaded(database_factory: DatabaseFactory) -> str:
    return loaded_database(database_factory)


@pytest.fixture
async def apps(loaded: str) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient, httpx.AsyncClient]]:
    cached = create_app(make_settings(loaded))
    uncached = create_app(make_settings(loaded, representation_cache_bytes=0))
    async with (
        cached.router.lifespan_context(cached),
        uncached.router.lifespan_context(uncached),
        asgi_client(cached) as cached_client,
        asgi_client(uncached) as uncached_client,
    ):
        await _known(cached)
        yield cached, cached_client, uncached_client


def _cached_paths(application: FastAPI) -> list[str]:
    """The conditional catalog reads whose answers are stored: the GET operations that
    document a 304, but for the catalog snapshot, streamed and never stored (app/exports)."""
    paths = [
        path
        for path, operations in application.openapi()["paths"].items()
        if "304" in operations.get("get", {}).get("responses", {}) and path not in STREAMED
    ]
    assert len(paths) >= 15, paths
    return paths


def _first_slug(body: Any) -> str:
    items = body["items"] if isinstance(body, dict) else body
    slug: str = items[0]["slug"]
    return slug


async def _urls(application: FastAPI, client: httpx.AsyncClient) -> list[str]:
    """Every cached endpoint with real slugs, plus filtered variants of the lists."""
    urls: list[str] = []
    for path in _cached_paths(application):
        if "{level}" in path:
            urls.append(path.replace("{level}", "beginner"))
            continue
        if "{slug}" in path:
            listing = path.split("/{slug}")[0]
            listed = await client.get(listing)
            assert listed.status_code == 200, listing
            urls.append(path.replace("{slug}", _first_slug(listed.json())))
            continue
        if "{" in path:
            pytest.fail(f"no value for the parameters of {path}")
        if path == "/v1/search":
            urls.append(path + "?q=pull")
        else:
            urls.append(path)
        urls.extend(path + query for query in QUERIES.get(path, []))
    return urls


def _comparable(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(k, v) for k, v in response.headers.multi_items() if k not in PER_REQUEST]
    return response.status_code, headers, response.content


async def test_every_cached_answer_is_the_computed_answer(
    apps: tuple[FastAPI, httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    application, cached, uncached = apps
    store = application.state.representations
    assert isinstance(store, RepresentationCache)
    urls = await _urls(application, uncached)
    for url in urls:
        computed = await uncached.get(url)
        assert computed.status_code == 200, (url, computed.text)
        first = await cached.get(url)
        hits = store.hits
        with StatementLog(application) as log:
            again = await cached.get(url)
        assert store.hits == hits + 1, url
        assert log.statements == [], (url, log.statements)
        assert _comparable(first) == _comparable(computed), url
        assert _comparable(again) == _comparable(computed), url
        # The middlewares still add what is the request's own.
        assert again.headers["x-request-id"] != first.headers["x-request-id"]
        assert "ratelimit" in again.headers


async def test_errors_and_revalidations_are_not_stored(
    apps: tuple[FastAPI, httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    application, cached, _ = apps
    store = application.state.representations
    size = store.size
    assert (await cached.get("/v1/exercises/no-such-exercise")).status_code == 404
    assert (await cached.get("/v1/exercises?muscle=no-such-muscle")).status_code == 422
    assert store.size == size
    first = await cached.get("/v1/muscles/trapezius")
    revalidated = await cached.get(
        "/v1/muscles/trapezius", headers={"If-None-Match": first.headers["etag"]}
    )
    assert revalidated.status_code == 304
    assert revalidated.content == b""


async def test_an_overlong_if_none_match_is_refused_even_when_stored(
    apps: tuple[FastAPI, httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    application, cached, _ = apps
    stored = await cached.get("/v1/muscles")
    hits = application.state.representations.hits
    tags = ", ".join([stored.headers["etag"]] * 100)  # 2,600 characters: over the bound
    refused = await cached.get("/v1/muscles", headers={"If-None-Match": tags})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["name"] == "If-None-Match"
    # Not answered from memory before routing, where nothing checks the bound.
    assert application.state.representations.hits == hits
    within = await cached.get("/v1/muscles", headers={"If-None-Match": tags[:2000]})
    assert within.status_code == 304


async def test_a_star_revalidates_only_what_exists(
    apps: tuple[FastAPI, httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    """`If-None-Match: *` is checked before the route's parameters: it must not turn a bad
    query or an unknown slug into a 304."""
    _, cached, _ = apps
    star = {"If-None-Match": "*"}
    assert (await cached.get("/v1/exercises?limit=0", headers=star)).status_code == 422
    assert (await cached.get("/v1/exercises?level=expert", headers=star)).status_code == 422
    assert (await cached.get("/v1/tips/no-such-tip", headers=star)).status_code == 404
    assert (await cached.get("/v1/tips", headers=star)).status_code == 200  # not yet known
    assert (await cached.get("/v1/tips", headers=star)).status_code == 304  # now it is


async def test_a_change_is_never_answered_from_the_old_bytes(
    loaded: str, apps: tuple[FastAPI, httpx.AsyncClient, httpx.AsyncClient]
) -> None:
    application, cached, _ = apps
    path = "/v1/muscles/trapezius"
    before = await cached.get(path)
    assert (await cached.get(path)).content == before.content  # now stored
    revision = await _known(application)
    await fetch(
        loaded,
        "WITH changed AS (UPDATE muscle SET document = jsonb_set(document, '{description}', "
        "'\"Changed under the cache.\"') WHERE slug = 'trapezius' RETURNING 1), "
        "bumped AS (UPDATE content_revision SET revision = revision + 1, changed_at = now() "
        "RETURNING revision) SELECT pg_notify('spotter_content', revision::text) FROM bumped, "
        "changed",
    )
    await _known(application, above=revision)
    after = await cached.get(path)
    assert after.status_code == 200
    assert after.headers["etag"] != before.headers["etag"]
    assert after.json()["description"] == "Changed under the cache."


def test_the_cache_is_bounded_and_keeps_one_revision() -> None:
    store = RepresentationCache(max_bytes=8000)
    entry = Representation(b"x" * 900, ((b"etag", b'"a"'),), "application/json")
    for number in range(20):
        store.put("r1", f'"{number}"', entry)
    assert store.size <= 8000
    assert store.get("r1", '"19"') is entry
    assert store.get("r1", '"0"') is None  # the least recently used went first
    store.put("r2", '"19"', entry)
    assert store.get("r1", '"19"') is None  # a newer revision drops the older one's entries
    assert store.get("r2", '"19"') is entry
    store.put("r2", "big", Representation(b"y" * 2000, (), None))
    assert store.get("r2", "big") is None  # above an eighth of the bound: never kept


async def test_stored_answers_count_against_the_quota(loaded: str) -> None:
    application = create_app(make_settings(loaded, rate_limit_kb_anonymous=3))
    async with application.router.lifespan_context(application):
        await _known(application)
        address = f"198.51.100.{uuid.uuid4().int % 200 + 1}"
        async with client_at(application, address) as http:
            answers = [await http.get("/v1/muscles") for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    assert application.state.representations.hits >= 2  # the 2nd and 3rd came from memory
    assert_refusal(answers[3], "anonymous-kb")


async def test_only_stored_catalog_answers_are_sent_before_routing(
    apps: tuple[FastAPI, httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    application, cached, _ = apps
    revision = await _known(application)
    # A tag made the way catalog tags are, for a path that is not the catalog's.
    crafted = etag_for(
        revision, {"type": "http", "path": "/v1/me", "query_string": b"", "headers": []}
    )
    refused = await cached.get("/v1/me", headers={"If-None-Match": crafted})
    assert refused.status_code == 401
    # With credentials the request goes through routing (its quota depends on who it is).
    await cached.get("/v1/muscles")
    hits = application.state.representations.hits
    keyed = await cached.get("/v1/muscles", headers={"X-API-Key": "not-a-key"})
    assert keyed.status_code == 401
    assert application.state.representations.hits == hits


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/v1/exercises", b"muscle=latissimus-dorsi&limit=5"),
        ("/v1/exercises/deadlift", b""),
        ("/v1/search", b"q=r%C3%BCck+row"),
        ("/v1/exercises/odd?name#x\\y", b"a=1"),
    ],
)
def test_tags_read_from_the_scope_are_the_tags_clients_hold(path: str, query: bytes) -> None:
    # Clients keep tags across releases: the scope-built tag is the one built from the URL.
    scope = {
        "type": "http",
        "scheme": "http",
        "path": path,
        "query_string": query,
        "headers": [(b"host", b"api.example.com")],
    }
    url = Request(scope).url
    digest = hashlib.sha256(f"7|{url.path}?{url.query}".encode()).hexdigest()
    assert etag_for(7, scope) == f'"r7-{digest[:20]}"'
