"""Logging set-up, kept apart from the HTTP middleware so that it imports almost nothing.

uvicorn's worker processes apply this configuration before they answer the supervisor's
first health ping; anything heavy imported here would count against that deadline.
"""

from __future__ import annotations

import logging
import logging.config
import re
import sys
from typing import Any, TextIO

from app.config import Environment, LogFormat, Settings

# uvicorn reports a worker it had to kill and replace at INFO, next to routine start-up
# lines. A worker dying is an operational event an operator must see, so it is raised.
_WORKER_TROUBLE = re.compile(r"^Child process \[\d+\] died")


def chosen_format(settings: Settings, stream: TextIO | None = None) -> LogFormat:
    """SPOTTER_LOG_FORMAT when it is set; otherwise console lines for development on a
    terminal (``stream``, stderr by default, is where the logs go), and JSON in every other
    case, so production and anything that collects the output get JSON without asking."""
    if settings.log_format is not None:
        return settings.log_format
    stream = sys.stderr if stream is None else stream
    if settings.environment is Environment.DEVELOPMENT and stream.isatty():
        return LogFormat.CONSOLE
    return LogFormat.JSON


def logging_config(settings: Settings, stream: TextIO | None = None) -> dict[str, Any]:
    """A ``dictConfig`` for our loggers and uvicorn's, so the server's own lines match ours."""
    formatter: dict[str, Any]
    if chosen_format(settings, stream) is LogFormat.JSON:
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
    level = settings.log_level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "asgi_correlation_id.CorrelationIdFilter", "default_value": "-"},
            "plain": {"()": "app.logs.DropColorMessage"},
            "worker_trouble": {"()": "app.logs.RaiseWorkerTrouble"},
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
            "": {"handlers": ["default"], "level": level},
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level, "filters": ["worker_trouble"]},
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


class RaiseWorkerTrouble(logging.Filter):
    """Raises uvicorn's "Child process [N] died" from INFO to WARNING."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING and _WORKER_TROUBLE.match(record.getMessage()):
            record.levelno = logging.WARNING
            record.levelname = logging.getLevelName(logging.WARNING)
        return True


def configure_logging(settings: Settings) -> None:
    logging.config.dictConfig(logging_config(settings))
