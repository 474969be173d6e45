"""Encoded catalog responses kept in each worker's memory, per content revision.

A public catalog read is a function of the content revision, the path and the query: the ETag
(``app.knowledge.http``) already promises that, since it is made of exactly those three. So a
200 answer's encoded bytes and the headers the route set can be kept under the ETag and the
revision's stamp and sent again for the same request without running the route's queries or
encoding anything. What a request adds on its own (request id, rate-limit fields, timing,
security headers) is added by the middlewares around it, on a hit as on a miss, and the quota
dependency runs before the lookup, so a hit is counted like any request.

Entries of older revisions are dropped as soon as a newer revision is seen; the whole cache is
bounded in bytes (least recently used first out), and responses larger than an eighth of the
bound are not kept.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

# The request-state entry conditional_get leaves for the route: (stamp, ETag) of a miss.
PENDING_KEY = "representation_key"


@dataclass(frozen=True, slots=True)
class Representation:
    body: bytes
    raw_headers: tuple[tuple[bytes, bytes], ...]
    media_type: str | None
    # The route that first answered: an answer sent again before routing is counted under
    # its template in the metrics, like the same request routed.
    route: BaseRoute | None = None

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.raw_headers)


class RepresentationCache:
    """At most ``max_bytes`` of encoded 200 responses of one content revision."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._stamp: str | None = None
        self._entries: OrderedDict[str, Representation] = OrderedDict()
        self._size = 0
        # For tests and benchmarks.
        self.hits = 0
        self.misses = 0

    def get(self, stamp: str, etag: str) -> Representation | None:
        if stamp != self._stamp:
            self.misses += 1
            return None
        found = self._entries.get(etag)
        if found is None:
            self.misses += 1
            return None
        self._entries.move_to_end(etag)
        self.hits += 1
        return found

    def put(self, stamp: str, etag: str, representation: Representation) -> None:
        if representation.size > self.max_bytes // 8:
            return
        if stamp != self._stamp:
            self._entries.clear()
            self._size = 0
            self._stamp = stamp
        previous = self._entries.pop(etag, None)
        if previous is not None:
            self._size -= previous.size
        self._entries[etag] = representation
        self._size += representation.size
        while self._size > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self._size -= evicted.size

    @property
    def size(self) -> int:
        return self._size


class CachedRepresentationError(Exception):
    """Raised by ``conditional_get`` on a hit; answered with the stored bytes (not an error
    for the client: an exception is how a dependency ends a request early in FastAPI)."""

    def __init__(self, representation: Representation) -> None:
        super().__init__("cached representation")
        self.representation = representation


class StoredResponse(Response):
    """A stored answer sent with the headers it was first encoded with, none built again."""

    def __init__(self, stored: Representation) -> None:  # no super(): it would encode them
        self.status_code = 200
        self.body = stored.body
        self.media_type = stored.media_type
        self.background = None
        self.raw_headers = list(stored.raw_headers)


async def cached_representation_handler(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CachedRepresentationError)  # noqa: S101 - registered for it only
    return StoredResponse(exc.representation)


class CachingRoute(APIRoute):
    """A catalog route whose 200 answers are kept for ``conditional_get`` to send again."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def caching_handler(request: Request) -> Response:
            response = await handler(request)
            pending = request.scope.get("state", {}).get(PENDING_KEY)
            cache: RepresentationCache | None = getattr(request.app.state, "representations", None)
            body = getattr(response, "body", None)
            if (
                pending is not None
                and cache is not None
                and response.status_code == 200
                and isinstance(body, bytes)
            ):
                stamp, etag = pending
                cache.put(
                    stamp,
                    etag,
                    Representation(
                        body, tuple(response.raw_headers), response.media_type, route=self
                    ),
                )
            return response

        return caching_handler
