"""The ``spotter`` command line: serve the API, migrate the database, manage content, simulate."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.auth.passwords import Passwords
from app.config import get_settings, published_secret_refusal
from app.content import ContentBundle, ContentError, load_content
from app.content.loader import exercise_values, load_bundle_into
from app.db import migrations
from app.db.embedded import resolve_database_url
from app.db.engine import build_engine, build_sessionmaker
from app.exercises.models import Exercise
from app.importers.free_exercise_db import (
    DatasetError,
    ImportSummary,
    Record,
    import_records,
    read_records,
)
from app.logs import configure_logging
from app.recommendations.service import exercise_facts
from app.recommender import ExerciseFacts
from app.serving import busy_port_refusal
from app.simulation import (
    ARCHETYPES,
    CHECKED,
    INVARIANTS,
    Archetype,
    Run,
    action_rows,
    check_run,
    summed_counts,
    violation_counts,
)
from app.simulation import simulate as run_simulation
from app.users.schemas import UserCreate
from app.users.service import find_by_email, make_admin

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
    summary = asyncio.run(load_bundle_into(url, get_settings(), bundle))
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


@cli.command("import-free-exercise-db")
def import_free_exercise_db_command(
    path: Annotated[Path, typer.Argument(help="The dataset's exercises.json file.")],
) -> None:
    """Import the free-exercise-db dataset beside the curated exercises (idempotent).

    Every record is validated first: if any is invalid, nothing is stored. Records whose slug
    belongs to a curated exercise are skipped; the dataset's images are never stored.
    """
    console = Console(stderr=True)
    try:
        # Validate before reaching for a database: a broken file needs none.
        records = read_records(path)
        summary = asyncio.run(_write_import(_prepare(), records, console))
    except DatasetError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from exc
    table = Table(title="free-exercise-db import", title_justify="left")
    for column in ("records", "created", "updated", "unchanged", "skipped"):
        table.add_column(column, justify="right")
    table.add_row(
        *(
            str(n)
            for n in (
                summary.total,
                len(summary.created),
                len(summary.updated),
                len(summary.unchanged),
                len(summary.skipped),
            )
        )
    )
    console.print(table)
    if summary.skipped:
        skipped = Table(title="Skipped records", title_justify="left")
        for column in ("record", "id", "reason"):
            skipped.add_column(column)
        for record in summary.skipped:
            skipped.add_row(f"#{record.index}", escape(record.record_id), escape(record.reason))
        console.print(skipped)
    if summary.changed:
        console.print(f"content revision is now {summary.revision}")
    else:
        console.print("nothing changed")


async def _write_import(url: str, records: list[Record], console: Console) -> ImportSummary:
    engine = build_engine(url, get_settings())
    columns = (TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        async with build_sessionmaker(engine)() as session:
            with Progress(*columns, console=console) as progress:
                task = progress.add_task("import", total=len(records))
                summary = await import_records(
                    session,
                    records,
                    lambda done, total: progress.update(task, completed=done, total=total),
                )
            await session.commit()
    finally:
        await engine.dispose()
    return summary


@cli.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(help="The administrator's email.")],
) -> None:
    """Create the administrator account, or make an existing account an administrator.

    A new account's password comes from SPOTTER_ADMIN_PASSWORD, or is asked for (twice)."""
    url = _prepare()
    password = os.environ.get("SPOTTER_ADMIN_PASSWORD")
    try:
        validated = UserCreate(email=email, password=password or "x" * 10)
    except ValidationError as exc:
        typer.echo(f"invalid email: {exc.errors()[0]['msg']}", err=True)
        raise typer.Exit(code=2) from exc
    user, created = asyncio.run(_make_admin(url, validated.email, password))
    typer.echo(f"{'created' if created else 'promoted'} administrator {user}", err=True)


async def _make_admin(url: str, email: str, password: str | None) -> tuple[str, bool]:
    engine = build_engine(url, get_settings())
    try:
        async with build_sessionmaker(engine)() as session:
            if password is None and await find_by_email(session, email) is None:
                password = typer.prompt(
                    "Password for the new administrator", hide_input=True, confirmation_prompt=True
                )
                try:
                    UserCreate(email=email, password=password)
                except ValidationError as exc:
                    typer.echo(f"invalid password: {exc.errors()[0]['msg']}", err=True)
                    raise typer.Exit(code=2) from exc
            passwords = Passwords(get_settings().password_hashing_concurrency)
            user, created = await make_admin(session, passwords, email, password)
            await session.commit()
            return user.email, created
    finally:
        await engine.dispose()


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
    # Refused before anything is migrated or started. app.serving checks the secret again,
    # for anyone who runs it directly; a port taken after this check is uvicorn's to report.
    refusal = published_secret_refusal(settings, host or settings.host) or busy_port_refusal(
        host or settings.host, port or settings.port
    )
    if refusal:
        typer.echo(f"spotter: {refusal}", err=True)
        raise typer.Exit(code=2)
    url = _prepare()
    if migrate_first:
        migrations.upgrade(url)
    if load:
        _load_content(url, None)
    if settings.database_url is None:
        # The server process attaches to the embedded server itself, so that the server
        # stops when that process exits (exec skips this process's exit handlers).
        os.environ.pop("DATABASE_URL", None)
    arguments = [
        "--host",
        host or settings.host,
        "--port",
        str(port or settings.port),
        "--workers",
        str(workers or settings.workers),
    ]
    sys.stdout.flush()
    sys.stderr.flush()
    # Replace this process (same pid, so signals from Docker or a supervisor still reach the
    # server) with the small server module: see app.serving for why workers need it small.
    os.execv(sys.executable, [sys.executable, "-m", "app.serving", *arguments])  # noqa: S606 - fixed argv, no shell


def content_catalog(bundle: ContentBundle | None = None) -> tuple[ExerciseFacts, ...]:
    """The engine's catalog straight from the curated content files, without a database.

    Each content item becomes the row the loader would store and goes through the HTTP layer's
    own `exercise_facts`, muscles ordered by slug as the database query returns them, so the
    simulator sees exactly the facts a request would.
    """
    bundle = bundle or load_content()
    return tuple(
        exercise_facts(
            Exercise(**exercise_values(item)),
            sorted((link.muscle, link.role.value) for link in item.muscles),
        )
        for item in bundle.exercises
    )


ArchetypeArgument = Annotated[
    str, typer.Argument(help=f"One of: {', '.join(ARCHETYPES)}.", show_default=False)
]
WeeksOption = Annotated[int, typer.Option(min=1, max=52, help="Weeks to simulate.")]


def _archetype(name: str) -> Archetype:
    found = ARCHETYPES.get(name)
    if found is None:
        typer.echo(f"unknown archetype {name!r}; choose one of {', '.join(ARCHETYPES)}", err=True)
        raise typer.Exit(code=2)
    return found


@cli.command()
def simulate(
    archetype: ArchetypeArgument,
    weeks: WeeksOption = 16,
    seed: Annotated[int, typer.Option(help="Seed of the lifter's random draws.")] = 0,
    plot: Annotated[
        Path | None, typer.Option(help="Write the load/reps chart as SVG to this file.")
    ] = None,
) -> None:
    """Run a simulated lifter against the recommender and print the actions and invariants.

    Needs no database: the catalog comes from the curated content files.
    """
    run = run_simulation(_archetype(archetype), content_catalog(), weeks=weeks, seed=seed)
    console = Console(width=160)
    table = Table(title=f"{archetype}, seed {seed}: actions per session", title_justify="left")
    for column in ("date", "exercise", "action", "modification", "prescription", "reason", "reps"):
        table.add_column(column)
    for row in action_rows(run):
        table.add_row(
            row.on.isoformat(),
            row.exercise,
            row.action,
            row.modification,
            escape(row.prescription),
            row.reason,
            " ".join(str(r) for r in row.reps),
        )
    console.print(table)
    found = check_run(run)
    console.print(_counts_table("Invariant violations", {archetype: violation_counts(found)}))
    for violations in found.values():
        for v in violations[:3]:
            console.print(f"  {v.invariant} {v.on} {v.exercise or ''}: {escape(v.description)}")
    if plot is not None:
        plot.write_text(_svg(run), encoding="utf-8")
        console.print(f"chart written to {plot}")


def _svg(run: Run) -> str:
    """The run's chart. matplotlib is imported here, not with the module: every `spotter serve`
    worker imports this module before it answers the supervisor's health ping, and a second
    of plotting imports there gets workers killed on a busy machine."""
    from app.simulation.plot import render_svg  # noqa: PLC0415 - see the docstring

    return render_svg(run)


def _counts_table(title: str, counts: dict[str, dict[str, int]]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("archetype")
    columns = [name for name in (*CHECKED, *INVARIANTS) if any(name in r for r in counts.values())]
    for name in columns:
        table.add_column(name.replace("_", " "), justify="right")
    for archetype, row in counts.items():
        table.add_row(archetype, *(str(row[name]) for name in columns))
    return table


def _one_archetype(name: str, weeks: int, seeds: int, out: Path) -> dict[str, int]:
    catalog = content_catalog()
    runs = [run_simulation(ARCHETYPES[name], catalog, weeks=weeks, seed=s) for s in range(seeds)]
    (out / f"{name}.svg").write_text(_svg(runs[0]), encoding="utf-8")
    return summed_counts(runs)


@cli.command("simulate-all")
def simulate_all(
    weeks: WeeksOption = 16,
    seeds: Annotated[int, typer.Option(min=1, help="Seeds per archetype (0, 1, ...).")] = 20,
    out: Annotated[Path, typer.Option(help="Folder for one SVG per archetype.")] = Path(".sim"),
    jobs: Annotated[int, typer.Option(min=1, help="Archetypes simulated in parallel.")] = 4,
) -> None:
    """Every archetype over many seeds: invariant counts per archetype, one chart each."""
    out.mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {
            name: pool.submit(_one_archetype, name, weeks, seeds, out) for name in ARCHETYPES
        }
        counts = {name: future.result() for name, future in futures.items()}
    console = Console(width=200)
    console.print(_counts_table(f"Invariant violations, {seeds} seeds x {weeks} weeks", counts))
    console.print(f"charts written to {out}/")


def main() -> None:
    cli()
