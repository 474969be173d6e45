"""``/openapi.json`` as a cacheable document: encoded once, tagged by its hash, revalidated.

FastAPI's own route encodes the 270 KB document again on every request and sends no
validator, so every docs page load and client generator downloads it whole. The document
changes only when the code does (a deploy), so it is encoded once per worker (per
``root_path``, which FastAPI adds as a server), tagged with a hash of those bytes, and sent
with a lifetime of five minutes: a docs page reloaded within that needs no request at all,
and after it one revalidation (a 304 with no body) as long as the deploy is the same. Five
minutes bounds how long a browser or shared cache shows an old document after a deploy;
``must-revalidate`` forbids showing it longer when the service cannot be reached.

Identical workers and replicas encode identical bytes, so they agree on the tag.
"""

from __future__ import annotations

import hashlib
import json

from fastapi import FastAPI, Request, Response
from starlette.routing import BaseRoute, Route

from app.knowledge.http import matches_etag

CACHE_CONTROL = "public, max-age=300, must-revalidate"


def serve_cacheable_openapi(app: FastAPI) -> None:
    """Replace the application's OpenAPI route with one that sends the stored bytes, an ETag
    and a lifetime, and answers 304 to a matching ``If-None-Match``."""
    url = app.openapi_url
    if url is None:
        return
    encoded: dict[str, tuple[bytes, str]] = {}

    async def openapi(request: Request) -> Response:
        root_path = request.scope.get("root_path", "").rstrip("/")
        found = encoded.get(root_path)
        if found is None:
            found = encoded[root_path] = _encode(app, root_path)
        body, etag = found
        headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
        if matches_etag(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="application/json", headers=headers)

    app.router.routes[:] = [r for r in app.router.routes if not _is_route_to(r, url)]
    app.add_route(url, openapi, include_in_schema=False)


def _is_route_to(route: BaseRoute, path: str) -> bool:
    return isinstance(route, Route) and route.path == path


def _encode(app: FastAPI, root_path: str) -> tuple[bytes, str]:
    # What FastAPI's route sends: the document, with the root path as the first server when
    # it is served under one.
    schema = app.openapi()
    if root_path and app.root_path_in_servers:
        servers = schema.get("servers", [])
        if root_path not in {s.get("url") for s in servers}:
            schema = {**schema, "servers": [{"url": root_path}, *servers]}
    # Encoded as Starlette's JSONResponse does, so the bytes are the ones sent before.
    body = json.dumps(
        schema, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode("utf-8")
    return body, f'"{hashlib.sha256(body).hexdigest()[:32]}"'
