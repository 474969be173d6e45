"""Content codings: gzip and brotli for text and JSON bodies, negotiated on ``Accept-Encoding``.

A catalog page of 100 exercises is 38 KB of JSON, the OpenAPI document 270 KB; both shrink
to a tenth or less. A pure ASGI middleware (Starlette's GZipMiddleware negotiates on a
substring, knows no brotli and leaves ETags alone) encodes a body when:

* the client accepts the coding (``negotiate``: q-values honoured, brotli preferred on a tie);
* the body is one message of at least ``MIN_SIZE`` bytes with a text or JSON media type and
  no coding of its own; a streamed body (the docs' static files) is sent as it is, since
  encoding it would mean giving up its Content-Length and its range support.

Such a response varies by ``Accept-Encoding``, so it says so in ``Vary``, identity answers
included (a shared cache must not hand a stored gzip answer to a client that cannot read it).

ETags. A coded answer is another representation of the resource, with other bytes, so it
cannot share a strong tag with the identity one (RFC 9110 §8.8.3). It gets the identity tag
with the coding appended inside the quotes (``"r4-ab12"`` → ``"r4-ab12-gzip"``), still
strong: the same identity bytes always encode to the same coded bytes. The suffix is this
module's business alone: on the way in it is taken off the tags in ``If-None-Match`` and
``If-Match``, so the routes and the stored-answer fast path compare the identity tags they
know, and a client holding either form gets its 304 (or passes its precondition: the coded
tag is current exactly when its identity tag is). A 304 carries the form the client sent,
so that a cache freshens the stored answer it revalidated (RFC 9111 §4.3.4 selects it by
that validator).

Encoding the same bytes again on every request would cost more than the rest of a stored
catalog answer (0.3 to 0.9 ms for a page of 100, against ~25 µs), so encoded bodies of
cacheable (``Cache-Control: public``) responses are kept under their ETag and coding, bounded
in bytes (``SPOTTER_ENCODED_CACHE_BYTES``), and reused only for identical identity bytes (the
stored-answer cache hands over the same bytes object, so that check is free). A body of
``THREAD_MIN_SIZE`` or more is encoded in a thread, so the event loop goes on serving others
meanwhile.

Secrets in encoded bodies (tokens, a new key) are safe from BREACH-style size oracles: those
need a browser that attaches credentials to an attacker's cross-site requests by itself
(cookies), and this API takes credentials only from headers its clients set explicitly.
"""

from __future__ import annotations

import asyncio
import functools
import gzip
from collections import OrderedDict
from typing import Final

import brotli
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MIN_SIZE: Final = 1024
THREAD_MIN_SIZE: Final = 128 * 1024
# zlib's default level and brotli's 5 are the usual choices for bodies encoded on the fly:
# on the OpenAPI document, 6.5 ms and 4.8 ms for 10 % and 9 % of the size (gzip 9 saves 2 %
# more in 2.4 times the time; brotli 11 takes 0.3 s).
GZIP_LEVEL: Final = 6
BROTLI_QUALITY: Final = 5
# Server preference when the client weighs both alike: brotli is smaller for the same effort.
CODINGS: Final = ("br", "gzip")

_SUFFIXES: Final = tuple(f'-{coding}"'.encode() for coding in CODINGS)
_CONDITIONAL_HEADERS: Final = (b"if-none-match", b"if-match")
_TEXT_TYPES: Final = frozenset(
    {b"application/json", b"application/javascript", b"application/xml", b"image/svg+xml"}
)
_NO_BODY_STATUSES: Final = frozenset({204, 205, 206, 304})
_VARY: Final = b"Accept-Encoding"


@functools.lru_cache(maxsize=256)
def negotiate(accept_encoding: bytes, codings: tuple[str, ...] = CODINGS) -> str | None:
    """The coding to answer a request with this ``Accept-Encoding`` in; None for identity.
    ``codings`` are those the answer can be sent in, preferred first (the streamed catalog
    snapshot encodes gzip only, ``app.exports``).

    Cached: clients send a handful of distinct values, and parsing one costs more than the
    rest of a stored answer's header handling."""
    weights: dict[str, float] = {}
    for member in accept_encoding.decode("latin-1").lower().split(","):
        name, _, parameters = member.partition(";")
        weight = 1.0
        for parameter in parameters.split(";"):
            key, _, value = parameter.partition("=")
            if key.strip() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        name = name.strip()
        weights.setdefault("gzip" if name == "x-gzip" else name, weight)
    anything = weights.get("*")
    # Identity is always acceptable unless refused (RFC 9110 §12.5.3), but unnamed it is only
    # the fallback: a coding the client lists at any weight is preferred to it.
    identity = weights.get("identity", anything or 0.0)
    # The heaviest coding, brotli first among equals (CODINGS' order); at the weight of
    # identity a coding still wins, being the smaller answer.
    weight, _, coding = max(
        (weights.get(coding, anything or 0.0), -rank, coding) for rank, coding in enumerate(codings)
    )
    return coding if weight > 0 and weight >= identity else None


def encode(body: bytes, coding: str) -> bytes:
    if coding == "br":
        return bytes(brotli.compress(body, mode=brotli.MODE_TEXT, quality=BROTLI_QUALITY))
    # mtime=0: the same bytes always encode alike, as a strong tag promises.
    return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)


def coded_etag(etag: bytes, coding: str) -> bytes:
    """``"tag"`` → ``"tag-gzip"`` (and ``W/"tag"`` → ``W/"tag-gzip"``)."""
    return etag[:-1] + f'-{coding}"'.encode()


def _identity_tags(value: bytes, held: dict[bytes, bytes]) -> bytes:
    """``value`` (an If-None-Match or If-Match list) with the coding suffixes taken off; each
    coded tag is remembered in ``held`` under its identity form."""
    members = []
    for member in value.split(b","):
        tag = member.strip()
        for suffix in _SUFFIXES:
            if tag.endswith(suffix):
                identity = tag[: -len(suffix)] + b'"'
                # The tag as this module wrote it: strong, whatever an intermediary made of it.
                held.setdefault(identity.removeprefix(b"W/"), tag.removeprefix(b"W/"))
                tag = identity
                break
        members.append(tag)
    return b", ".join(members)


class EncodedBodies:
    """At most ``max_bytes`` of (identity, encoded) bodies, least recently used out first."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[bytes, str], tuple[bytes, bytes]] = OrderedDict()
        self._size = 0
        # For tests and benchmarks.
        self.encoded = 0

    async def get(self, etag: bytes | None, coding: str, body: bytes) -> bytes:
        key = None if etag is None else (etag, coding)
        if key is not None:
            found = self._entries.get(key)
            # `==` is a pointer comparison for the stored answers' shared bytes objects; for
            # others it guarantees that a tag reused by another resource never gets its bytes.
            if found is not None and found[0] == body:
                self._entries.move_to_end(key)
                return found[1]
        self.encoded += 1
        if len(body) >= THREAD_MIN_SIZE:
            encoded = await asyncio.to_thread(encode, body, coding)
        else:
            encoded = encode(body, coding)
        if key is not None:
            self._put(key, body, encoded)
        return encoded

    def _put(self, key: tuple[bytes, str], body: bytes, encoded: bytes) -> None:
        size = len(body) + len(encoded)
        if size > self.max_bytes // 8:
            return
        previous = self._entries.pop(key, None)
        if previous is not None:
            self._size -= len(previous[0]) + len(previous[1])
        self._entries[key] = (body, encoded)
        self._size += size
        while self._size > self.max_bytes:
            _, (old_body, old_encoded) = self._entries.popitem(last=False)
            self._size -= len(old_body) + len(old_encoded)

    @property
    def size(self) -> int:
        return self._size


class CompressionMiddleware:
    def __init__(self, app: ASGIApp, *, cache_bytes: int, min_size: int = MIN_SIZE) -> None:
        self.app = app
        self.min_size = min_size
        self.bodies = EncodedBodies(cache_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        coding = None
        held: dict[bytes, bytes] = {}
        rewritten = None
        # One pass over the raw headers (lower-case names in ASGI); the list is copied only
        # when a conditional header carries a coded tag.
        for index, (name, value) in enumerate(scope["headers"]):
            if name == b"accept-encoding":
                coding = negotiate(value)
            elif name in _CONDITIONAL_HEADERS and any(s in value for s in _SUFFIXES):
                rewritten = rewritten or list(scope["headers"])
                rewritten[index] = (name, _identity_tags(value, held))
        if rewritten is not None:
            # The copy must share the request's state with the middlewares outside (the
            # rate-limit decisions the header middleware sends), so that dict exists first.
            scope.setdefault("state", {})
            scope = {**scope, "headers": rewritten}
        await self.app(scope, receive, _Encoder(self, send, coding, held).send)


class _Encoder:
    """One response's way out: holds the start message until the body shows whether (and
    how) to encode it."""

    def __init__(
        self,
        middleware: CompressionMiddleware,
        send: Send,
        coding: str | None,
        held: dict[bytes, bytes],
    ) -> None:
        self.middleware = middleware
        self.downstream = send
        self.coding = coding
        self.held = held
        self.start: Message | None = None
        self.passing = False

    async def send(self, message: Message) -> None:
        if self.passing:
            await self.downstream(message)
        elif message["type"] == "http.response.start":
            status: int = message["status"]
            if status == 304:
                self._not_modified(message)
                await self.downstream(message)
            elif status < 200 or status in _NO_BODY_STATUSES:
                self.passing = True
                await self.downstream(message)
            else:
                self.start = message
        elif message["type"] == "http.response.body" and self.start is not None:
            start, self.start = self.start, None
            self.passing = True
            await self._body(start, message)
        else:
            await self.downstream(message)

    def _not_modified(self, message: Message) -> None:
        headers: list[tuple[bytes, bytes]] = list(message.get("headers", ()))
        for index, (name, value) in enumerate(headers):
            if name == b"etag" and self.held:
                coded = self.held.get(value.removeprefix(b"W/"))
                if coded is not None:
                    headers[index] = (name, coded)
        _add_vary(headers)
        message["headers"] = headers

    async def _body(self, start: Message, message: Message) -> None:
        body: bytes = message.get("body", b"")
        headers: list[tuple[bytes, bytes]] = list(start.get("headers", ()))
        if message.get("more_body", False) or len(body) < self.middleware.min_size:
            await self.downstream(start)
            await self.downstream(message)
            return
        media_type = etag = None
        public = False
        for name, value in headers:
            if name == b"content-encoding":
                await self.downstream(start)
                await self.downstream(message)
                return
            if name == b"content-type":
                media_type = value.partition(b";")[0].strip().lower()
            elif name == b"etag":
                etag = value
            elif name == b"cache-control":
                public = b"public" in value
        if media_type is None or not _is_text(media_type):
            await self.downstream(start)
            await self.downstream(message)
            return
        _add_vary(headers)
        if self.coding is not None:
            coding = self.coding
            encoded = await self.middleware.bodies.get(etag if public else None, coding, body)
            headers = [
                (name, coded_etag(value, coding) if name == b"etag" else value)
                for name, value in headers
                if name != b"content-length"
            ]
            headers += [
                (b"content-encoding", coding.encode()),
                (b"content-length", str(len(encoded)).encode()),
            ]
            message = {**message, "body": encoded}
        start["headers"] = headers
        await self.downstream(start)
        await self.downstream(message)


def _is_text(media_type: bytes) -> bool:
    return (
        media_type in _TEXT_TYPES
        or media_type.startswith(b"text/")
        or media_type.endswith((b"+json", b"+xml"))
    )


def _add_vary(headers: list[tuple[bytes, bytes]]) -> None:
    for index, (name, value) in enumerate(headers):
        if name == b"vary":
            if b"accept-encoding" not in value.lower() and value.strip() != b"*":
                headers[index] = (name, value + b", " + _VARY)
            return
    headers.append((b"vary", _VARY))
