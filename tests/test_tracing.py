"""OpenTelemetry tracing: off unless an exporter is configured, and then one span per request
sent over OTLP/HTTP, the caller's trace continued, probes and scrapes left out."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from app.config import Settings
from app.tracing import OFF, telemetry_config
from tests.conftest import DatabaseFactory
from tests.support.server import wait_until_ready
from tests.test_serving import server_env, serving

ENDPOINT = "http://127.0.0.1:4318"


def settings(**values: Any) -> Settings:
    return Settings.model_validate(values)


def test_off_without_an_exporter() -> None:
    assert telemetry_config(settings(), {}) == OFF
    assert telemetry_config(settings(), {"OTEL_SERVICE_NAME": "spotter"}) == OFF


@pytest.mark.parametrize(
    "environ",
    [
        {"OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT, "OTEL_SDK_DISABLED": "true"},
        {"OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT, "OTEL_TRACES_EXPORTER": "none"},
        {"OTEL_EXPORTER_OTLP_ENDPOINT": " "},
    ],
)
def test_off_when_the_exporter_is_disabled(environ: dict[str, str]) -> None:
    assert telemetry_config(settings(), environ) == OFF


@pytest.mark.parametrize(
    "variable", ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]
)
def test_spans_only_with_an_exporter(variable: str) -> None:
    config = telemetry_config(settings(), {variable: ENDPOINT})
    assert config is not None
    assert (config["tracing"], config["metrics"], config["logs"]) == (True, False, False)
    # The workers build the SDK's provider and exporter from the same variables.
    assert config["auto_configure"] is True
    exclude = config["exclude"]
    assert exclude is not None
    assert exclude({"type": "http", "path": "/metrics"})
    assert not exclude({"type": "http", "path": "/v1/exercises"})


def test_spotter_opentelemetry_keeps_fastapis_defaults() -> None:
    assert telemetry_config(settings(opentelemetry=True), {}) is None


class Collector(ThreadingHTTPServer):
    """An OTLP/HTTP trace receiver on loopback that keeps every span it is sent."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Receive)
        self.spans: list[Span] = []
        self.changed = threading.Condition()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def wait_for(self, name: str, timeout_s: float = 60) -> Span:
        deadline = time.monotonic() + timeout_s
        with self.changed:
            while True:
                for span in self.spans:
                    if span.name == name:
                        return span
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"no span {name!r}: {[s.name for s in self.spans]}"
                self.changed.wait(remaining)


class _Receive(BaseHTTPRequestHandler):
    server: Collector

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        with self.server.changed:
            for resource in request.resource_spans:
                for scope in resource.scope_spans:
                    self.server.spans.extend(scope.spans)
            self.server.changed.notify_all()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        """Quiet: the test reads the spans, not the access log."""


@pytest.fixture
def collector() -> Iterator[Collector]:
    server = Collector()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def attributes(span: Span) -> dict[str, object]:
    return {a.key: a.value.string_value or a.value.int_value for a in span.attributes}


@pytest.mark.slow
def test_a_served_request_is_traced(
    database_factory: DatabaseFactory, collector: Collector
) -> None:
    env = {
        **server_env(database_factory()),
        "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
        "OTEL_SERVICE_NAME": "spotter-test",
        # Send each batch after 50 ms rather than 5 s.
        "OTEL_BSP_SCHEDULE_DELAY": "50",
    }
    trace_id = secrets.token_hex(16)
    with serving(env, "--migrate") as (base, process, _output):
        wait_until_ready(base, process)
        assert httpx.get(f"{base}/healthz").status_code == 200
        assert httpx.get(f"{base}/metrics").status_code == 200
        # The database has no content (--migrate only): a 404, under the route's template.
        response = httpx.get(
            f"{base}/v1/exercises/deadlift",
            headers={"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"},
        )
        assert response.status_code == 404
        span = collector.wait_for("GET /v1/exercises/{slug}")
    assert span.trace_id.hex() == trace_id
    assert span.kind == Span.SpanKind.SPAN_KIND_SERVER
    assert attributes(span)["http.route"] == "/v1/exercises/{slug}"
    assert attributes(span)["http.response.status_code"] == 404
    # Probes (wait_until_ready polls /readyz) and scrapes are not traced.
    # Spans are sent in the order they end, so theirs would have come first.
    paths = {attributes(s).get("url.path") for s in collector.spans}
    assert paths.isdisjoint({"/healthz", "/readyz", "/metrics"}), paths
