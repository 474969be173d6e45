"""Structured logging and the request-level middleware that feeds it.

Every log line is one JSON object carrying the request id that is also sent back in the
``X-Request-ID`` header, so a client's complaint can be matched to the server's logs.
"""

from __future__ import annotations

import logging
import time

from asgi_correlation_id import correlation_id
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import problem_response
from app.metrics import HttpMetrics

access_logger = logging.getLogger("spotter.access")
error_logger = logging.getLogger("spotter.errors")

REQUEST_ID_HEADER = "X-Request-ID"


class RequestLogMiddleware:
    """Logs one line per request, counts and times it for the metrics (when given), and turns
    any exception that escapes into a 500 problem.

    It sits inside the request-id middleware (so both see the id) and outside FastAPI's own
    exception handling, so only faults nothing else handled reach it. The metrics are taken
    here rather than in a middleware of their own: this one already has the status and the
    time, and another layer would wrap every request's send once more.
    """

    def __init__(self, app: ASGIApp, *, metrics: HttpMetrics | None = None) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                # Time spent in the application, for clients and benchmarks (W3C Server-Timing).
                elapsed_ms = (time.perf_counter() - started) * 1000
                timing = (b"server-timing", b"app;dur=%.2f" % elapsed_ms)
                message["headers"] = [*message.get("headers", ()), timing]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            error_logger.exception(
                "unhandled error", extra={"path": scope.get("path"), "method": scope.get("method")}
            )
            if response_started:
                raise
            response = problem_response(
                Request(scope),
                500,
                f"An unexpected error occurred; quote request id {correlation_id.get()} "
                "when reporting it.",
                slug="internal-error",
            )
            await response(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            if self.metrics is not None:
                self.metrics.observe(scope, status, elapsed)
            access_logger.info(
                "request",
                extra={
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
