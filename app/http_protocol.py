"""uvicorn's httptools protocol with two bounds it lacks: request-header size and read time.

uvicorn (0.54) with httptools buffers request headers without limit (``h11_max_incomplete_
event_size`` only applies to the slower pure-Python h11 parser) and has no header read
timeout at all: its only timer is the keep-alive one, armed after a response and cancelled by
the first byte of the next request. A client sending one header byte at a time, or 50 MiB of
headers, therefore held a connection and the memory for as long as it liked. This subclass
keeps httptools' speed and adds both bounds:

* the bytes of one request's line and headers are counted while they are incomplete, and
  measured once complete; past the limit the server answers 431 and closes the connection.
  The parser never holds more than the limit plus one read (256 KiB at most), and a request
  whose complete headers are too large never reaches the application;
* a deadline is armed when a connection opens and whenever a new request starts, and
  cancelled when its headers are complete; a client still sending headers then gets 408 and
  the connection is closed. The deadline is absolute, so trickling bytes does not extend it.

The limits come from ``Settings`` (``SPOTTER_HTTP_MAX_HEADER_BYTES``,
``SPOTTER_HTTP_HEADER_TIMEOUT_S``). This module is imported by every worker: it reads the
settings but imports nothing of the application.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from uvicorn._types import ASGIReceiveCallable, ASGISendCallable, Scope
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from app.config import get_settings

REASONS = {408: "Request Timeout", 431: "Request Header Fields Too Large"}


def problem_response(status: int, kind: str, detail: str) -> bytes:
    """A complete HTTP/1.1 response with an RFC 9457 body that closes the connection.

    Written by hand because no ASGI application runs yet: the request never got that far.
    """
    body = problem_body(status, kind, detail)
    head = (
        f"HTTP/1.1 {status} {REASONS[status]}\r\n"
        "content-type: application/problem+json\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    ).encode("ascii")
    return head + body


def problem_body(status: int, kind: str, detail: str) -> bytes:
    return json.dumps(
        {"type": f"/problems/{kind}", "title": REASONS[status], "status": status, "detail": detail}
    ).encode()


class HeadersTooLarge:
    """The ASGI application a request with oversized (but complete) headers gets instead of
    Spotter's: it answers 431 through uvicorn's ordinary response path and closes."""

    def __init__(self, limit: int) -> None:
        self.body = problem_body(
            431, "headers-too-large", f"The request line and headers exceed {limit} bytes."
        )

    async def __call__(
        self, _scope: Scope, _receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 431,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(self.body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": self.body})


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with a cap on header bytes and a deadline for reading them."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        settings = get_settings()
        self.max_header_bytes = settings.http_max_header_bytes
        self.header_timeout_s = settings.http_header_timeout_s
        # True from the start of a request until its headers are complete.
        self.awaiting_headers = True
        self.header_bytes = 0
        self.header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # A connection that opens and sends nothing is held by nothing else either.
        self._arm_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # Counted after parsing, so a read that completes the headers and carries body bytes
        # is never mistaken for oversized headers.
        if self.awaiting_headers and not self.transport.is_closing():
            self.header_bytes += len(data)
            if self.header_bytes > self.max_header_bytes:
                self._refuse(
                    431,
                    "headers-too-large",
                    f"The request line and headers exceed {self.max_header_bytes} bytes.",
                )

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.awaiting_headers = True
        self.header_bytes = 0
        # The first request's deadline runs from the moment the connection opened.
        if self.header_deadline is None:
            self._arm_header_deadline()

    def on_headers_complete(self) -> None:
        self.awaiting_headers = False
        self._cancel_header_deadline()
        # The read that completed the headers was not counted (it may carry body bytes), so
        # measure what the parser kept: the target and each "name: value" line.
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size <= self.max_header_bytes:
            super().on_headers_complete()
            return
        self.logger.warning("Refused a request: headers of %d bytes", size)
        application = self.app
        self.app = HeadersTooLarge(self.max_header_bytes)
        try:
            super().on_headers_complete()
        finally:
            self.app = application

    def _arm_header_deadline(self) -> None:
        self._cancel_header_deadline()
        self.header_deadline = self.loop.call_later(self.header_timeout_s, self._headers_too_slow)

    def _cancel_header_deadline(self) -> None:
        if self.header_deadline is not None:
            self.header_deadline.cancel()
            self.header_deadline = None

    def _headers_too_slow(self) -> None:
        self.header_deadline = None
        if not self.awaiting_headers or self.transport.is_closing():
            return
        if self.header_bytes == 0 and (self.cycle is None or self.cycle.response_complete):
            # Nothing of a request arrived: an idle connection, closed without a response.
            self.transport.close()
            return
        self._refuse(
            408,
            "header-timeout",
            f"The request headers were not complete within {self.header_timeout_s:g} s.",
        )

    def _refuse(self, status: int, kind: str, detail: str) -> None:
        self._cancel_header_deadline()
        self.awaiting_headers = False
        self.logger.warning("Refused a request: %s", detail)
        self.transport.write(problem_response(status, kind, detail))
        self.transport.close()
