"""The ``spotter`` command line: serve the API, migrate the database, and (later) manage content."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
import uvicorn

from app.config import get_settings
from app.db import migrations
from app.db.embedded import resolve_database_url
from app.observability import configure_logging, logging_config

logger = logging.getLogger("spotter.cli")

cli = typer.Typer(
    name="spotter",
    help="Spotter: strength-training knowledge base and progression API.",
    no_args_is_help=True,
    add_completion=False,
)


def _prepare() -> str:
    """Configure logging and find the database (starting the embedded one if none is set)."""
    settings = get_settings()
    configure_logging(settings)
    return resolve_database_url(settings)


@cli.command()
def migrate(
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Apply the database migrations (to the newest revision by default)."""
    url = _prepare()
    migrations.upgrade(url, revision)
    logger.info("database migrated", extra={"revision": revision})


@cli.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Interface to bind [default: SPOTTER_HOST or 127.0.0.1].")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port [default: SPOTTER_PORT or 8000].")] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Worker processes [default: SPOTTER_WORKERS or 1].")
    ] = None,
    migrate_first: Annotated[
        bool, typer.Option("--migrate", help="Apply migrations before serving.")
    ] = False,
) -> None:
    """Serve the HTTP API with uvicorn."""
    settings = get_settings()
    url = _prepare()
    if migrate_first:
        migrations.upgrade(url)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
        log_config=logging_config(settings),
        proxy_headers=True,
        server_header=False,
        timeout_graceful_shutdown=10,
    )


def main() -> None:
    cli()
