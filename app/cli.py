"""The ``spotter`` command line: serve the API, migrate the database, and (later) manage content."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.table import Table

from app.config import get_settings
from app.content import ContentBundle, ContentError, load_content
from app.content.loader import LoadSummary, load_bundle
from app.db import migrations
from app.db.embedded import resolve_database_url
from app.db.engine import build_engine, build_sessionmaker
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


LoadContentOption = Annotated[
    bool, typer.Option("--load-content", help="Load the curated knowledge base afterwards.")
]


@cli.command()
def migrate(
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
    load: LoadContentOption = False,
) -> None:
    """Apply the database migrations (to the newest revision by default)."""
    url = _prepare()
    migrations.upgrade(url, revision)
    logger.info("database migrated", extra={"revision": revision})
    if load:
        _load_content(url, None)


@cli.command("load-content")
def load_content_command(
    path: Annotated[
        Path | None,
        typer.Option(help="Content folder [default: the curated content shipped with Spotter]."),
    ] = None,
) -> None:
    """Load the curated knowledge base into the database (idempotent upsert by slug)."""
    _load_content(_prepare(), path)


def _load_content(url: str, path: Path | None) -> None:
    try:
        bundle = load_content(path)
    except ContentError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from exc
    summary = asyncio.run(_write_bundle(url, bundle))
    console = Console(stderr=True)
    table = Table(title="Knowledge base", title_justify="left")
    for column in ("kind", "created", "updated", "unchanged", "deleted"):
        table.add_column(column, justify="left" if column == "kind" else "right")
    for name, kind in summary.kinds.items():
        table.add_row(
            name,
            *(
                str(n)
                for n in (len(kind.created), len(kind.updated), kind.unchanged, len(kind.deleted))
            ),
        )
    console.print(table)
    if summary.changed:
        console.print(f"content revision is now {summary.revision}")
    else:
        console.print("nothing changed")


async def _write_bundle(url: str, bundle: ContentBundle) -> LoadSummary:
    settings = get_settings()
    engine = build_engine(url, settings)
    try:
        async with build_sessionmaker(engine)() as session:
            summary = await load_bundle(session, bundle)
            await session.commit()
    finally:
        await engine.dispose()
    return summary


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
    load: LoadContentOption = False,
) -> None:
    """Serve the HTTP API with uvicorn."""
    settings = get_settings()
    url = _prepare()
    if migrate_first:
        migrations.upgrade(url)
    if load:
        _load_content(url, None)
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
