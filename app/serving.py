"""The server process: uvicorn with Spotter's settings, and as few imports as possible.

uvicorn starts each worker with multiprocessing's *spawn*, which re-imports the main module
of the parent before the worker can answer the supervisor's health ping. ``spotter serve``
therefore prepares the database and then replaces itself with ``python -m app.serving``, so
a worker re-imports this small module rather than the whole command line (typer, rich, the
simulator, the importers).
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import shutil
import signal
import socket
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import Any

import uvicorn

from app.config import Settings, get_settings, published_secret_refusal
from app.db.embedded import resolve_database_url, stop_embedded_servers
from app.logs import configure_logging, logging_config

logger = logging.getLogger("spotter.serving")
# prometheus_client's own variable (app.metrics reads it too; not imported from there, which
# would bring the whole application into the supervisor).
METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"


def parse_arguments(argv: Sequence[str] | None, settings: Settings) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m app.serving", description=__doc__)
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port)
    parser.add_argument("--workers", type=int, default=settings.workers)
    return parser.parse_args(argv)


def base_url(host: str, port: int) -> str:
    """The address a browser on this machine opens for a server bound to ``host``."""
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 - naming the wildcard, not binding it
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def busy_port_refusal(host: str, port: int) -> str | None:
    """Why ``host``:``port`` cannot be served because something already listens there, or
    None. A second server finds out before it migrates or starts a database, not from
    uvicorn after all that. Any other bind failure (an address this machine does not have)
    is left for uvicorn to report."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As uvicorn binds: connections of a server that just stopped, still in TIME_WAIT,
        # do not make the port busy.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (
                    f"port {port} on {host} is already in use (another server running?);"
                    " choose one with --port"
                )
    return None


def _exit_on_signal(_signum: int, _frame: FrameType | None) -> None:
    # A stop that was asked for is a clean exit (status 0, as uvicorn's supervisor of several
    # workers already ends): raising here unwinds through main's clean-up and the exit hooks,
    # where SIGTERM's default action would kill the process past both and SIGINT's would
    # print a KeyboardInterrupt traceback.
    raise SystemExit(0)


def _shut_down_on_hangup(_signum: int, _frame: FrameType | None) -> None:
    # uvicorn's single-process server shuts down gracefully on SIGINT and SIGTERM only; its
    # supervisor of several workers takes SIGHUP itself (it restarts the workers) and never
    # calls this. A hang-up is therefore turned into the graceful SIGTERM.
    signal.raise_signal(signal.SIGTERM)


def main(argv: Sequence[str] | None = None) -> None:
    settings = get_settings()
    arguments = parse_arguments(argv, settings)
    refusal = published_secret_refusal(settings, arguments.host)
    if refusal:
        raise SystemExit(f"spotter: {refusal}")
    configure_logging(settings)
    # While it serves, uvicorn replaces these handlers with its own (a graceful shutdown);
    # when it is done it restores them and raises the signal it got again, which lands here.
    signal.signal(signal.SIGINT, _exit_on_signal)
    signal.signal(signal.SIGTERM, _exit_on_signal)
    signal.signal(signal.SIGHUP, _shut_down_on_hangup)
    try:
        # Attaching to the embedded server (when DATABASE_URL is unset) registers this
        # process as one of its users; the workers reach it through the exported URL.
        resolve_database_url(settings)
        # Once, from this supervising process: workers start the application, not this.
        base = base_url(arguments.host, arguments.port)
        logger.info("serving the API at %s; interactive docs at %s/docs", base, base)
        with shared_metrics(arguments.workers):
            uvicorn.run(
                "app.main:create_app",
                factory=True,
                host=arguments.host,
                port=arguments.port,
                workers=arguments.workers,
                log_config=logging_config(settings),
                timeout_worker_healthcheck=settings.worker_healthcheck_timeout_s,
                **connection_options(settings),
            )
    finally:
        # However the server ended, stop the embedded database here rather than in an exit
        # hook, with further stop signals ignored (a supervisor may repeat its SIGTERM, a
        # second Ctrl-C may follow): one arriving mid-way would abandon the stop.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        stop_embedded_servers()


@contextmanager
def shared_metrics(workers: int) -> Iterator[None]:
    """With several workers, a fresh directory for the metrics they share (app.metrics),
    named in the environment they inherit, and removed when the server stops.

    Files left by an earlier run would add its counts to this one's, hence a new directory
    every time. One named by the operator is used as it is: emptying it is theirs to do.
    A single worker keeps its metrics in memory, which is cheaper.
    """
    if workers < 2 or os.environ.get(METRICS_DIR_ENV):
        yield
        return
    directory = tempfile.mkdtemp(prefix="spotter-metrics-")
    os.environ[METRICS_DIR_ENV] = directory
    try:
        yield
    finally:
        del os.environ[METRICS_DIR_ENV]
        shutil.rmtree(directory, ignore_errors=True)


def connection_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for how connections are read and whom they may claim to come from.

    A function of its own so tests can build a ``uvicorn.Config`` exactly as the server does.
    """
    return {
        # httptools (uvicorn's fast parser) plus the header size cap and header read deadline
        # uvicorn lacks; the string is resolved in each worker.
        "http": "app.http_protocol:BoundedHttpToolsProtocol",
        "timeout_keep_alive": settings.http_keep_alive_timeout_s,
        # X-Forwarded-For names the client only when the TCP peer is a trusted proxy; the rate
        # limits count by that client address.
        "proxy_headers": True,
        "forwarded_allow_ips": settings.trusted_proxies,
        "server_header": False,
        # The API has no WebSocket routes. uvicorn's "auto" would import a WebSocket library
        # in every worker anyway, and before 0.50 that import is websockets' deprecated legacy
        # module, which warns.
        "ws": "none",
        "timeout_graceful_shutdown": 10,
    }


if __name__ == "__main__":
    main()
