"""Content codings (app/compression.py, issue 11.6): gzip and brotli answers decode to the
identity bytes, small and streamed bodies go as they are, ETags stay per representation and
revalidate in either form, stored answers are encoded once; /openapi.json is cacheable."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import brotli
import httpx
import pytest
from fastapi import FastAPI
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from app.compression import MIN_SIZE, CompressionMiddleware, EncodedBodies, negotiate
from app.importers.free_exercise_db import import_records, read_records
from app.main import create_app
from app.openapi_route import CACHE_CONTROL as OPENAPI_CACHE_CONTROL
from app.pagination import MAX_LIMIT
from tests.conftest import DatabaseFactory, asgi_client, loaded_database, make_settings
from tests.test_revision_watcher import _known

DECODE = {"gzip": gzip.decompress, "br": brotli.decompress}
IDENTITY = {"Accept-Encoding": "identity"}


async def raw_get(
    client: httpx.AsyncClient, url: str, coding: str, **headers: str
) -> tuple[httpx.Response, bytes]:
    """The response and its body as sent, not decoded by httpx."""
    async with client.stream("GET", url, headers={"Accept-Encoding": coding, **headers}) as r:
        return r, b"".join([chunk async for chunk in r.aiter_raw()])


def middleware_of(app: FastAPI) -> CompressionMiddleware:
    layer: ASGIApp | None = app.middleware_stack
    while layer is not None and not isinstance(layer, CompressionMiddleware):
        layer = getattr(layer, "app", None)
    assert layer is not None, "no CompressionMiddleware in the stack"
    return layer


# --------------------------------------------------------------------------- negotiation


@pytest.mark.parametrize(
    ("header", "coding"),
    [
        ("gzip, deflate", "gzip"),
        ("gzip, deflate, br", "br"),
        ("br;q=0.5, gzip", "gzip"),
        ("GZIP;Q=0.8, br;q=0.8", "br"),
        ("x-gzip", "gzip"),
        ("*", "br"),
        ("br;q=0, *;q=0.3", "gzip"),
        ("deflate", None),
        ("identity", None),
        ("gzip;q=0", None),
        ("gzip;q=0.5, identity", None),
        ("gzip;q=nonsense", None),
        ("", None),
    ],
)
def test_negotiation_honours_the_weights(header: str, coding: str | None) -> None:
    assert negotiate(header.encode()) == coding


# --------------------------------------------------------------------------- the catalog


@pytest.fixture
async def imported(db_session: AsyncSession, shared_dir: Path) -> int:
    """The free-exercise-db dataset inside the test's rolled-back transaction."""
    records = read_records(shared_dir / "data" / "free-exercise-db" / "exercises.json")
    await import_records(db_session, records, lambda _done, _total: None)
    return len(records)


async def test_full_catalog_pages_decode_to_the_identity_bytes_gzip_under_15_percent(
    client: httpx.AsyncClient, imported: int
) -> None:
    sizes = {"identity": 0, "gzip": 0, "br": 0}
    largest = (0, 0)
    url: str | None = f"/v1/exercises?limit={MAX_LIMIT}"
    pages = 0
    while url is not None:
        identity, plain = await raw_get(client, url, "identity")
        assert "content-encoding" not in identity.headers
        assert identity.headers["vary"] == "Accept-Encoding"
        tag = identity.headers["etag"]
        for coding, decode in DECODE.items():
            coded, body = await raw_get(client, url, coding)
            assert coded.headers["content-encoding"] == coding
            assert coded.headers["vary"] == "Accept-Encoding"
            assert int(coded.headers["content-length"]) == len(body)
            assert decode(body) == plain
            # Another representation, another strong tag; the same one for the same bytes.
            assert coded.headers["etag"] == tag[:-1] + f'-{coding}"'
            sizes[coding] += len(body)
            if coding == "gzip":
                largest = max(largest, (len(plain), len(body)))
        sizes["identity"] += len(plain)
        pages += 1
        cursor = json.loads(plain)["next_cursor"]
        url = None if cursor is None else f"/v1/exercises?limit={MAX_LIMIT}&cursor={cursor}"
    assert pages >= imported // MAX_LIMIT
    # The whole catalog (issue 11: 333 KB → 33 KB), and its largest page.
    assert sizes["identity"] > 300_000
    assert sizes["gzip"] < 0.15 * sizes["identity"], sizes
    assert sizes["br"] < 0.15 * sizes["identity"], sizes
    assert largest[1] < 0.15 * largest[0], largest


async def test_small_answers_are_not_encoded_and_do_not_vary(client: httpx.AsyncClient) -> None:
    response, body = await raw_get(client, "/v1", "gzip, br")
    assert response.status_code == 200
    assert len(body) < MIN_SIZE
    assert "content-encoding" not in response.headers
    assert "vary" not in response.headers
    assert json.loads(body)["name"] == "Spotter"


async def test_either_tag_revalidates_and_the_304_carries_the_form_sent(
    client: httpx.AsyncClient,
) -> None:
    url = "/v1/exercises/deadlift"
    identity_tag = (await client.get(url, headers=IDENTITY)).headers["etag"]
    gzip_tag = (await client.get(url, headers={"Accept-Encoding": "gzip"})).headers["etag"]
    assert gzip_tag == identity_tag[:-1] + '-gzip"'
    for accepted in ("gzip", "identity", "br"):
        for held in (identity_tag, gzip_tag, f"W/{gzip_tag}", f'"other", {gzip_tag}'):
            response = await client.get(
                url, headers={"Accept-Encoding": accepted, "If-None-Match": held}
            )
            assert response.status_code == 304, (accepted, held)
            assert response.content == b""
            assert response.headers["etag"] == (gzip_tag if "gzip" in held else identity_tag)
            assert response.headers["vary"] == "Accept-Encoding"
            assert response.headers["cache-control"].startswith("public")
            # The request the route saw (its tags rewritten) shares the state the outer
            # middlewares read: the quota's fields are still sent.
            assert "ratelimit-policy" in response.headers
    stale = await client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": '"r0-x"'})
    assert stale.status_code == 200


@pytest.fixture(scope="module")
def loaded(database_factory: DatabaseFactory) -> str:
    return loaded_database(database_factory)


async def test_stored_answers_are_encoded_once_per_coding(loaded: str) -> None:
    # Committed content and a watcher that knows its revision: answers go out before routing.
    application = create_app(make_settings(loaded))
    async with application.router.lifespan_context(application), asgi_client(application) as http:
        await _known(application)
        url = "/v1/exercises?limit=50"
        _, plain = await raw_get(http, url, "identity")
        encoder = middleware_of(application).bodies
        before = encoder.encoded
        for _ in range(3):
            for coding, decode in DECODE.items():
                response, body = await raw_get(http, url, coding)
                assert response.headers["content-encoding"] == coding
                assert decode(body) == plain
        assert encoder.encoded - before == len(DECODE)
        assert application.state.representations.hits >= 6
        # The fast path compares identity tags: a coded one still revalidates there.
        revalidated = await http.get(
            url, headers={"Accept-Encoding": "br", "If-None-Match": response.headers["etag"]}
        )
    assert revalidated.status_code == 304
    assert revalidated.headers["etag"] == response.headers["etag"]


# --------------------------------------------------------------------------- the middleware


def _echo_app() -> Starlette:
    """Bodies the middleware must leave alone, and the conditional headers it passes on."""
    text = "x" * (4 * MIN_SIZE)

    async def stream(_request: Request) -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            yield text.encode()
            yield text.encode()

        return StreamingResponse(chunks(), media_type="text/plain")

    async def encoded(_request: Request) -> Response:
        return Response(
            gzip.compress(text.encode()),
            media_type="text/plain",
            headers={"Content-Encoding": "gzip"},
        )

    async def image(_request: Request) -> Response:
        return Response(text.encode(), media_type="image/png")

    async def echo(request: Request) -> JSONResponse:
        seen = {h: request.headers.get(h) for h in ("if-match", "if-none-match")}
        return JSONResponse({"seen": seen, "padding": text}, headers={"Vary": "Origin"})

    async def tagged(request: Request) -> Response:
        policy = request.query_params["cache"]
        headers = {"ETag": '"v1"', "Cache-Control": policy}
        return Response(text.encode(), media_type="text/plain", headers=headers)

    routes = [
        Route("/tagged", tagged),
        Route("/stream", stream),
        Route("/encoded", encoded),
        Route("/image", image),
        Route("/echo", echo),
    ]
    return Starlette(routes=routes, middleware=[])


@pytest.fixture
async def echo() -> AsyncIterator[httpx.AsyncClient]:
    app = CompressionMiddleware(_echo_app(), cache_bytes=1_048_576)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def test_streamed_encoded_and_binary_bodies_pass_as_they_are(
    echo: httpx.AsyncClient,
) -> None:
    streamed, body = await raw_get(echo, "/stream", "gzip")
    assert "content-encoding" not in streamed.headers
    assert body == b"x" * (8 * MIN_SIZE)
    already, body = await raw_get(echo, "/encoded", "br")
    assert already.headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == b"x" * (4 * MIN_SIZE)
    image, body = await raw_get(echo, "/image", "gzip")
    assert "content-encoding" not in image.headers
    assert len(body) == 4 * MIN_SIZE


async def test_coded_tags_reach_the_application_in_identity_form(
    echo: httpx.AsyncClient,
) -> None:
    response, body = await raw_get(
        echo, "/echo", "gzip", **{"If-Match": '"v3-gzip"', "If-None-Match": 'W/"a-br", "b"'}
    )
    seen: dict[str, Any] = json.loads(gzip.decompress(body))["seen"]
    assert seen == {"if-match": '"v3"', "if-none-match": 'W/"a", "b"'}
    # An existing Vary is extended, not replaced.
    assert response.headers["vary"] == "Origin, Accept-Encoding"


async def test_only_public_answers_are_kept() -> None:
    middleware = CompressionMiddleware(_echo_app(), cache_bytes=1_048_576)
    transport = httpx.ASGITransport(app=middleware)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        for policy, encodings in (("private, max-age=60", 3), ("public, max-age=60", 1)):
            before = middleware.bodies.encoded
            for _ in range(3):
                response = await http.get("/tagged", params={"cache": policy})
                assert response.headers["etag"] == '"v1-br"'
            assert middleware.bodies.encoded - before == encodings, policy


async def test_kept_bodies_are_bounded_and_never_stand_for_other_bytes() -> None:
    kept = EncodedBodies(64 * 1024)
    first, other = b"a" * 3000, b"b" * 3000
    encoded = await kept.get(b'"t"', "gzip", first)
    assert await kept.get(b'"t"', "gzip", first) is encoded
    assert kept.encoded == 1
    # The same tag on other bytes (another user's "v1", say) is encoded anew, never reused.
    assert gzip.decompress(await kept.get(b'"t"', "gzip", other)) == other
    for index in range(100):
        await kept.get(f'"{index}"'.encode(), "br", bytes([index]) * 3000)
    assert 0 < kept.size <= kept.max_bytes
    assert await kept.get(b'"99"', "br", bytes([99]) * 3000) is not None
    before = kept.encoded
    await kept.get(b'"0"', "br", bytes([0]) * 3000)  # least recently used: evicted
    await kept.get(None, "gzip", first)  # without a tag nothing is kept
    await kept.get(None, "gzip", first)
    assert kept.encoded == before + 3
    assert EncodedBodies(0).size == 0


# --------------------------------------------------------------------------- /openapi.json


async def test_openapi_is_tagged_cacheable_and_revalidated(app: FastAPI) -> None:
    async with asgi_client(app) as client:
        first, plain = await raw_get(client, "/openapi.json", "identity")
        assert first.status_code == 200
        assert first.headers["cache-control"] == OPENAPI_CACHE_CONTROL
        assert json.loads(plain) == app.openapi()
        tag = first.headers["etag"]
        again = await client.get("/openapi.json", headers=IDENTITY)
        assert again.headers["etag"] == tag
        coded, body = await raw_get(client, "/openapi.json", "gzip")
        assert gzip.decompress(body) == plain
        assert len(body) < 0.2 * len(plain)
        for held in (tag, coded.headers["etag"]):
            revalidated = await client.get("/openapi.json", headers={"If-None-Match": held})
            assert revalidated.status_code == 304
            assert revalidated.content == b""
            assert revalidated.headers["cache-control"] == OPENAPI_CACHE_CONTROL
        assert (await client.get("/openapi.json", headers={"If-None-Match": '"x"'})).is_success
