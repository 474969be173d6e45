"""Stored catalog answers sent before routing, for callers without credentials.

A catalog read this worker has already answered at the current revision
(``representations.py``) needs nothing from the route: its bytes are stored, its ETag is known,
and the revision is in memory (``watcher.py``). What FastAPI would still do on the way there,
resolving a dozen dependencies to reach the stored bytes, cost most of such a request. So this
pure ASGI middleware answers it directly, doing exactly what those dependencies would have:

* the anonymous knowledge-base quota is counted (``count_anonymous_request``, the same hit,
  the same 429);
* ``If-None-Match`` naming the current tag is a 304 (``not_modified_response``), else the stored
  bytes are sent with their stored headers (``StoredResponse``), as the route's handlers do;
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

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from app.errors import TooManyRequestsError, app_error_response
from app.knowledge.http import (
    IF_NONE_MATCH_MAX_LENGTH,
    etag_for,
    matches_etag,
    not_modified_response,
)
from app.knowledge.representations import Representation, RepresentationCache, StoredResponse
from app.knowledge.watcher import RevisionWatcher
from app.ratelimit.dependency import count_anonymous_request

logger = logging.getLogger(__name__)

CREDENTIALS = (b"authorization", b"x-api-key")


class StoredCatalogReads:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and await self._answered(scope, receive, send):
            return
        await self.app(scope, receive, send)

    async def _answered(self, scope: Scope, receive: Receive, send: Send) -> bool:
        found = _stored_answer(scope)
        if found is None:
            return False
        etag, stored, if_none_match = found
        # What routing would have set, for the metrics (a 429 or 304 here counts there too).
        scope["route"] = stored.route
        request = Request(scope, receive)
        try:
            await count_anonymous_request(request)
        except TooManyRequestsError as refused:
            await app_error_response(request, refused)(scope, receive, send)
            return True
        except Exception:  # the store is away: the application meets it and answers 503
            logger.debug("quota check failed before routing; passing the request on")
            return False
        if matches_etag(if_none_match, etag):
            await not_modified_response(etag)(scope, receive, send)
        else:
            await StoredResponse(stored)(scope, receive, send)
        return True


def _stored_answer(scope: Scope) -> tuple[str, Representation, str | None] | None:
    """The tag, the stored answer and the request's ``If-None-Match``, when this middleware
    may answer it."""
    if scope["method"] != "GET" or not scope["path"].startswith("/v1/"):
        return None
    state = scope["app"].state
    watcher: RevisionWatcher | None = getattr(state, "revision_watcher", None)
    cache: RepresentationCache | None = getattr(state, "representations", None)
    known = watcher.current if watcher is not None else None
    if known is None or cache is None:
        return None
    # One pass over the raw headers, read as Starlette's Headers would (names are lower-case
    # in ASGI; the first If-None-Match wins).
    if_none_match = None
    for name, value in scope["headers"]:
        if name in CREDENTIALS:
            return None
        if name == b"if-none-match" and if_none_match is None:
            if len(value) > IF_NONE_MATCH_MAX_LENGTH:
                return None  # routed on, where the header's bound answers 422
            if_none_match = value.decode("latin-1")
    etag = etag_for(known.number, scope)
    stored = cache.get(known.stamp, etag)
    return None if stored is None else (etag, stored, if_none_match)
