"""An embedded PostgreSQL (the ``pgserver`` package) for machines without a database server.

Only used when ``DATABASE_URL`` is unset outside production. The server keeps its data in
``<data_dir>/postgres`` so a second start reuses it, and stops when the last process that
started it exits.

pgserver (0.1.4) keeps the pid of every process using the server in ``.handle_pids.json`` in
the data folder: each process adds itself when it attaches, and its exit hook removes it and
stops the server if the list held only that process. A process that dies without running its
exit hooks (``kill -9``, a signal's default action) stays in the list for good, so from then on
no exit is the last one and the server is never stopped: `start_embedded_server` therefore
drops the pids of processes that no longer run before it attaches.
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from pathlib import Path
from typing import Any

from app.config import Environment, Settings

logger = logging.getLogger(__name__)

DATABASE_NAME = "spotter"
# pgserver's list of the processes using the server, inside its data folder (see above).
HANDLE_FILE = ".handle_pids.json"

# One handle per data folder and process: attaching again would add this process to
# pgserver's list twice; stop_embedded_servers() leaves each one once.
_servers: dict[Path, Any] = {}


class EmbeddedDatabaseError(RuntimeError):
    """The embedded PostgreSQL could not be started."""


def start_embedded_server(data_dir: Path) -> Any:
    """Start (or attach to) the embedded server kept in ``data_dir`` and return its handle."""
    data_dir = data_dir.resolve()
    if data_dir in _servers:
        return _servers[data_dir]
    try:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI) and falls back
            # to a private folder under /tmp, which is what pgserver needs anyway.
            warnings.filterwarnings("ignore", module="platformdirs")
            from pgserver.postgres_server import (  # noqa: PLC0415 - optional dependency
                PostgresServer,
                get_server,
            )
            from pgserver.utils import DiskList, process_is_running  # noqa: PLC0415
    except ImportError as exc:  # pragma: no cover - depends on the install profile
        msg = (
            "DATABASE_URL is not set and the embedded PostgreSQL is not installed; "
            "set DATABASE_URL or install the 'embedded' dependency group"
        )
        raise EmbeddedDatabaseError(msg) from exc
    data_dir.mkdir(parents=True, exist_ok=True)
    # Under pgserver's own lock (a file lock shared by every process; a private attribute,
    # and uv.lock pins pgserver), so that no process attaching or leaving at the same moment
    # loses its change to the list.
    with PostgresServer._lock:
        handles = DiskList(data_dir / HANDLE_FILE)
        recorded = handles.get()
        living = [pid for pid in recorded if process_is_running(pid)]
        if living != recorded:
            logger.warning(
                "embedded PostgreSQL: forgetting processes that died without leaving",
                extra={"data_dir": str(data_dir), "pids": sorted(set(recorded) - set(living))},
            )
            handles.put(living)
    logger.info("starting embedded PostgreSQL", extra={"data_dir": str(data_dir)})
    server = get_server(data_dir, cleanup_mode="stop")
    _servers[data_dir] = server
    return server


def stop_embedded_servers() -> None:
    """Leave every embedded server this process attached to, now rather than at exit.

    pgserver stops a server when the process leaving is the last one in its list; leaving
    twice is harmless, so its own exit hook does nothing afterwards.
    """
    while _servers:
        _data_dir, server = _servers.popitem()
        server.cleanup()


def embedded_database_url(data_dir: Path, database: str = DATABASE_NAME) -> str:
    """Start the embedded server if needed, make sure ``database`` exists, return its URL."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", database):
        msg = f"invalid database name {database!r}"
        raise EmbeddedDatabaseError(msg)
    server = start_embedded_server(data_dir)
    # psql takes plain SQL text; the name was checked above, so interpolating it is safe.
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")  # noqa: S608
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    uri: str = server.get_uri(database)
    return uri


def resolve_database_url(settings: Settings) -> str:
    """The configured database URL, or the embedded server's when none is configured.

    The result is also exported as ``DATABASE_URL`` so worker processes and Alembic, which
    read the environment, reach the same server instead of starting their own.
    """
    if settings.database_url:
        return settings.database_url
    if settings.environment is Environment.PRODUCTION:  # pragma: no cover - settings refuse it
        msg = "DATABASE_URL must be set in production"
        raise EmbeddedDatabaseError(msg)
    url = embedded_database_url(settings.data_dir / "postgres")
    os.environ["DATABASE_URL"] = url
    return url
