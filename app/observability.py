"""Structured logging and the request-level middleware that feeds it.

Every log line is one JSON object carrying the request id that is also sent back in the
``X-Request-ID`` header, so a client's complaint can be matched to the server's logs.
"""

from __future__ import annotations

import logging
import logging.config
import time
from typing import Any

from asgi_correlation_id import correlation_id
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import LogFormat, Settings
from app.errors import problem_response

access_logger = logging.getLogger("spotter.access")
error_logger = logging.getLogger("spotter.errors")

REQUEST_ID_HEADER = "X-Request-ID"


def logging_config(settings: Settings) -> dict[str, Any]:
    """A ``dictConfig`` for our loggers and uvicorn's, so the server's own lines are JSON too."""
    formatter: dict[str, Any]
    if settings.log_format is LogFormat.JSON:
        formatter = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s %(correlation_id)s",
            "rename_fields": {
                "levelname": "level",
                "name": "logger",
                "correlation_id": "request_id",
            },
            "timestamp": "time",
        }
    else:
        formatter = {
            "format": "%(asctime)s %(levelname)-7s [%(correlation_id)s] %(name)s: %(message)s"
        }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "asgi_correlation_id.CorrelationIdFilter", "default_value": "-"},
            "plain": {"()": "app.observability.DropColorMessage"},
        },
        "formatters": {"default": formatter},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["request_id", "plain"],
                "stream": "ext://sys.stderr",
            },
        },
        "loggers": {
            "": {"handlers": ["default"], "level": settings.log_level.upper()},
            "uvicorn": {
                "handlers": ["default"],
                "level": settings.log_level.upper(),
                "propagate": False,
            },
            "uvicorn.error": {"level": settings.log_level.upper()},
            # Our access middleware logs each request with its id; uvicorn's line would repeat it.
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            # The embedded server narrates every pg_ctl call at INFO.
            "pgserver": {"level": "WARNING"},
        },
    }


class DropColorMessage(logging.Filter):
    """uvicorn attaches an ANSI-coloured copy of some messages; it is noise in JSON logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.__dict__.pop("color_message", None)
        return True


def configure_logging(settings: Settings) -> None:
    logging.config.dictConfig(logging_config(settings))


class RequestLogMiddleware:
    """Logs one line per request and turns any exception that escapes into a 500 problem.

    It sits inside the request-id middleware (so both see the id) and outside FastAPI's own
    exception handling, so only faults nothing else handled reach it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

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
                headers = MutableHeaders(scope=message)
                headers.append("Server-Timing", f"app;dur={elapsed_ms:.2f}")
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
            access_logger.info(
                "request",
                extra={
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
