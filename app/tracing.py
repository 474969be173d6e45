"""OpenTelemetry tracing through FastAPI's native instrumentation, on only when it is asked for.

Two ways to turn it on:

* an OTLP exporter named the standard way (``OTEL_EXPORTER_OTLP_ENDPOINT`` or
  ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``): each worker then builds the SDK's tracer provider
  and an OTLP/HTTP exporter itself, and sends a span per request (route template, status,
  the caller's ``traceparent`` continued). Spans only: the metrics are Prometheus's
  (app.metrics) and the logs are JSON lines. Needs the ``opentelemetry`` extra.
* ``SPOTTER_OPENTELEMETRY=true``: spans, metrics and logs go to whatever providers the
  process has configured (``opentelemetry-instrument``, a vendor's distribution).

Otherwise the instrumentation stays off: even unconfigured, FastAPI's per-request check of the
global providers cost a fifth of a stored catalog answer.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Mapping

from fastapi.telemetry import TelemetryConfig
from starlette.types import Scope

from app.config import Settings
from app.metrics import METRICS_PATH

logger = logging.getLogger(__name__)

OFF: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}
ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
# Scrapes and probes arrive every few seconds and say nothing about a request's path.
UNTRACED_PATHS = frozenset({METRICS_PATH, "/healthz", "/readyz"})
SDK_MODULES = ("opentelemetry.sdk.trace", "opentelemetry.exporter.otlp.proto.http")


def telemetry_config(
    settings: Settings, environ: Mapping[str, str] = os.environ
) -> TelemetryConfig | None:
    """What to pass as FastAPI's ``telemetry``: None for its defaults (every signal)."""
    if settings.opentelemetry:
        return None
    if not exporter_configured(environ):
        return OFF
    missing = [name for name in SDK_MODULES if not _installed(name)]
    if missing:
        # A deployment that names an exporter means to trace: say why it does not.
        logger.warning(
            "an OTLP endpoint is configured but the OpenTelemetry SDK is not installed "
            "(install spotter[opentelemetry]); requests are not traced",
            extra={"missing": missing},
        )
        return OFF
    return {
        "tracing": True,
        "metrics": False,
        "logs": False,
        "auto_configure": True,
        "exclude": _untraced,
    }


def exporter_configured(environ: Mapping[str, str]) -> bool:
    """Whether the standard variables name an OTLP trace exporter the SDK would use."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    if environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() == "none":
        return False
    return any(environ.get(name, "").strip() for name in ENDPOINT_VARIABLES)


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def _untraced(scope: Scope) -> bool:
    return scope.get("path") in UNTRACED_PATHS
