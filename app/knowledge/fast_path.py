"""Stored catalog answers sent before routing, for callers without credentials.

A catalog read this worker has already answered at the current revision
(``representations.py``) needs nothing from the route: its bytes are stored, its ETag is known,
and the revision is in memory (``watcher.py``). What FastAPI would still do on the way there,
resolving a dozen dependencies to reach the stored bytes, cost most of such a request. So this
pure ASGI middleware answers it directly, doing exactly what those dependencies would have:

* the anonymous quota is counted (``count_anonymous_request``, the same hit, the same 429);
* ``If-None-Match`` naming the current tag is a 304 (``not_modified_handler``), else the stored
  bytes are sent (``cached_representation_handler``);
* the middlewares around it add the request id, the security and the rate-limit headers as
  they do for every response.

Anything else goes on to the application untouched: a request with credentials (its quota
depends on who it is), a revision the worker does not know right now, a request the worker
has not answered yet (which is also why a crafted ``If-None-Match`` on another path can never
be answered here), and any failure of the quota check, which the application then meets and
answers itself (a 503 when the store is away). The quota is only counted when this
middleware answers, so no request is counted twice.
"""

from __future__ import annotations

import logging

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.errors import TooManyRequestsError, app_error_response
from app.knowledge.http import NotModifiedError, make_etag, matches_etag, not_modified_handler
from app.knowledge.representations import (
    CachedRepresentationError,
    Representation,
    RepresentationCache,
    cached_representation_handler,
)
from app.knowledge.watcher import RevisionWatcher
from app.ratelimit.dependency import count_anonymous_request

logger = logging.getLogger(__name__)

CREDENTIALS = ("authorization", "x-api-key")


class StoredCatalogReads:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self._answer(scope, receive) if scope["type"] == "http" else None
        if response is None:
            await self.app(scope, receive, send)
        else:
            await response(scope, receive, send)

    async def _answer(self, scope: Scope, receive: Receive) -> Response | None:
        found = _stored_answer(scope, receive)
        if found is None:
            return None
        request, etag, stored = found
        try:
            await count_anonymous_request(request)
        except TooManyRequestsError as refused:
            return app_error_response(request, refused)
        except Exception:  # the store is away: the application meets it and answers 503
            logger.debug("quota check failed before routing; passing the request on")
            return None
        if matches_etag(request.headers.get("if-none-match"), etag):
            return await not_modified_handler(request, NotModifiedError(etag))
        return await cached_representation_handler(request, CachedRepresentationError(stored))


def _stored_answer(scope: Scope, receive: Receive) -> tuple[Request, str, Representation] | None:
    """The request, its tag and the stored answer, when this middleware may answer it."""
    if scope["method"] != "GET" or not scope["path"].startswith("/v1/"):
        return None
    state = scope["app"].state
    watcher: RevisionWatcher | None = getattr(state, "revision_watcher", None)
    cache: RepresentationCache | None = getattr(state, "representations", None)
    known = watcher.current if watcher is not None else None
    if known is None or cache is None:
        return None
    if any(name in Headers(scope=scope) for name in CREDENTIALS):
        return None
    request = Request(scope, receive)
    etag = make_etag(known.number, request)
    stored = cache.get(known.stamp, etag)
    return None if stored is None else (request, etag, stored)
