"""Shared fixtures: a real PostgreSQL database per test run, built by the migrations.

The server is the one ``DATABASE_URL`` names, or an embedded one started for the run. The run
creates its own uniquely named databases on it and drops them at the end, so it never touches
data it did not create. Each API test runs inside an outer transaction that is rolled back.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url
from sqlmodel.ext.asyncio.session import AsyncSession

from app.config import Environment, LogFormat, Settings
from app.content import load_content
from app.content.loader import load_bundle_into
from app.db import migrations
from app.db.embedded import start_embedded_server

# Re-exported (the alias is how mypy --strict reads it): the tests import it from here.
from app.db.engine import asyncpg_dsn as asyncpg_dsn  # noqa: PLC0414
from app.db.engine import build_engine
from app.db.session import get_session, settle_after_error
from app.importers.free_exercise_db import import_records, read_records
from app.main import create_app

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A maintenance-database URL on the server the run uses."""
    configured = os.environ.get("DATABASE_URL")
    if configured:
        return configured
    server = start_embedded_server(tmp_path_factory.mktemp("embedded-postgres"))
    url: str = server.get_uri("postgres")
    return url


DatabaseFactory = Callable[[], str]


def loaded_database(database_factory: DatabaseFactory) -> str:
    """A new database, migrated, with the curated content loaded and committed: for tests
    whose requests commit, as in production."""
    url = database_factory()
    migrations.upgrade(url)
    asyncio.run(load_bundle_into(url, make_settings(url), load_content()))
    return url


def import_dataset_into(url: str, dataset: Path) -> None:
    """Import the free-exercise-db file at ``dataset`` into a loaded database, committed."""

    async def _import() -> None:
        engine = build_engine(url, make_settings(url))
        try:
            async with AsyncSession(engine) as session:
                await import_records(session, read_records(dataset), lambda _d, _t: None)
                await session.commit()
        finally:
            await engine.dispose()

    asyncio.run(_import())


async def fetch(url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    """Read (or change) a committed database from outside the application."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return list(await connection.fetch(sql, *args))
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def database_factory(server_url: str) -> Iterator[DatabaseFactory]:
    """Creates empty, uniquely named databases; drops every one of them after the run."""
    created: list[str] = []

    async def _execute(sql: str) -> None:
        connection = await asyncpg.connect(asyncpg_dsn(server_url), timeout=10)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    def create() -> str:
        name = f"spotter_test_{uuid.uuid4().hex[:12]}"
        asyncio.run(_execute(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return make_url(server_url).set(database=name).render_as_string(hide_password=False)

    yield create
    for name in created:
        asyncio.run(_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def database_url(database_factory: DatabaseFactory) -> str:
    """The run's main database, migrated to the newest revision, with the curated content."""
    url = database_factory()
    migrations.upgrade(url)
    asyncio.run(load_bundle_into(url, make_settings(url), load_content()))
    return url


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "environment": Environment.TEST,
        "log_format": LogFormat.CONSOLE,
        "readiness_timeout_s": 0.8,
        "db_connect_timeout_s": 1.0,
        "db_pool_timeout_s": 1.0,
        # Limits stay on, so every test runs through the limiter, but are far above what any
        # one test sends; tests of the limits themselves pass small figures.
        "rate_limit_anonymous": 1_000_000,
        "rate_limit_kb_anonymous": 1_000_000,
        "rate_limit_user": 1_000_000,
        "rate_limit_key": 1_000_000,
        "rate_limit_kb_key": 1_000_000,
        "rate_limit_login_failures": 1_000_000,
        "rate_limit_login_address_failures": 1_000_000,
        "rate_limit_login_account_failures": 1_000_000,
        "rate_limit_key_creation": 1_000_000,
        "rate_limit_app": 1_000_000,
        "rate_limit_oauth": 1_000_000,
    }
    values.update(overrides)
    # model_validate skips the environment and .env: a test's settings are exactly these.
    return Settings.model_validate(values)


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """One application for the run, with its lifespan (engine) started."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def db_session(app: FastAPI) -> AsyncIterator[AsyncSession]:
    """A session inside an outer transaction that is rolled back after the test.

    ``create_savepoint`` turns the request's commit into a savepoint release, so the code
    under test commits as usual and the test still leaves nothing behind.
    """
    async with app.state.engine.connect() as connection:
        transaction = await connection.begin()
        session = AsyncSession(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        try:
            yield session
        finally:
            await session.close()
            await transaction.rollback()


def asgi_client(app: FastAPI) -> httpx.AsyncClient:
    # raise_app_exceptions=False: an unexpected error must come back as a 500 problem, as it
    # would over the network, not as an exception inside the test.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
async def client(app: FastAPI, db_session: AsyncSession) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client whose requests share the test's rolled-back transaction."""

    async def session_override() -> AsyncIterator[AsyncSession]:
        try:
            yield db_session
        except BaseException as exc:
            await settle_after_error(db_session, exc)
            raise
        await db_session.commit()

    app.dependency_overrides[get_session] = session_override
    # These requests share one transaction that is never committed, which a worker's watcher
    # of committed revisions cannot see: without it, the revision is read in the transaction
    # (and stored catalog answers are not sent before routing).
    watcher = app.state.revision_watcher
    app.state.revision_watcher = None
    try:
        async with asgi_client(app) as http:
            yield http
    finally:
        app.dependency_overrides.pop(get_session, None)
        app.state.revision_watcher = watcher


@pytest.fixture
async def openapi(client: httpx.AsyncClient) -> dict[str, Any]:
    """The live OpenAPI document, as a client downloads it."""
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only shared material beside the repository (article, datasets, schemas).

    Absent on a developer's machine it skips the tests that need it; absent in CI it fails
    them, because there it is always supposed to be present.
    """
    if SHARED_DIR.is_dir():
        return SHARED_DIR
    message = f"shared material not found at {SHARED_DIR}"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{message} (required under CI=true)")
    pytest.skip(message)
