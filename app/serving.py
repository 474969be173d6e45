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
import signal
import socket
from collections.abc import Sequence
from types import FrameType
from typing import Any

import uvicorn

from app.config import Settings, get_settings, published_secret_refusal
from app.db.embedded import resolve_database_url
from app.logs import configure_logging, logging_config

logger = logging.getLogger("spotter.serving")


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


def _exit_on_signal(signum: int, _frame: FrameType | None) -> None:
    # uvicorn shuts down gracefully on SIGTERM, restores the handler it found and raises the
    # signal again. With the default handler that kills the process before exit handlers
    # run, leaving the embedded PostgreSQL running; exiting this way runs them.
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> None:
    settings = get_settings()
    arguments = parse_arguments(argv, settings)
    refusal = published_secret_refusal(settings, arguments.host)
    if refusal:
        raise SystemExit(f"spotter: {refusal}")
    configure_logging(settings)
    # Attaching to the embedded server (when DATABASE_URL is unset) registers this process
    # as one of its users, so the server stops when this process, the last one, exits.
    resolve_database_url(settings)
    signal.signal(signal.SIGTERM, _exit_on_signal)
    # Once, from this supervising process: workers start the application, not this function.
    base = base_url(arguments.host, arguments.port)
    logger.info("serving the API at %s; interactive docs at %s/docs", base, base)
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
