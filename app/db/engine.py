"""The async engine: one per process, tuned to fail fast when the database is away."""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from app.config import Settings

ASYNC_DRIVER = "postgresql+asyncpg"
# How much longer than the server's statement_timeout the client waits for any reply: long
# enough that the server's own, clearer error normally arrives first.
COMMAND_TIMEOUT_MARGIN_S = 1.0


def to_async_url(url: str) -> str:
    """Accept the URL spellings platforms hand out and point them at the asyncpg driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        msg = f"only PostgreSQL is supported, got a {parsed.get_backend_name()!r} URL"
        raise ValueError(msg)
    return parsed.set(drivername=ASYNC_DRIVER).render_as_string(hide_password=False)


def asyncpg_dsn(url: str) -> str:
    """The plain DSN asyncpg itself takes (for connections outside SQLAlchemy), from any of
    the URL spellings the settings accept."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def build_engine(
    url: str,
    settings: Settings,
    *,
    name: str = "spotter",
    pool_size: int | None = None,
    pre_ping: bool = True,
    autocommit: bool = False,
    statement_timeout_ms: int | None = None,
    lock_timeout_ms: int = 3000,
) -> AsyncEngine:
    """Create an engine with the connect, pool and statement timeouts from the settings.

    The keywords let a special-purpose pool (the rate limiter's) differ where it must while
    sharing everything else.
    """
    options: dict[str, object] = {"isolation_level": "AUTOCOMMIT"} if autocommit else {}
    return create_async_engine(
        to_async_url(url),
        pool_pre_ping=pre_ping,
        pool_size=pool_size or settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_s,
        # Statement parameters are password hashes, key digests and e-mail addresses: they
        # must never reach a log line or an exception message.
        hide_parameters=True,
        connect_args={
            "timeout": settings.db_connect_timeout_s,
            # The client-side bound for a database that stops answering altogether (frozen,
            # partitioned): the server's own statement_timeout cannot fire then.
            "command_timeout": (statement_timeout_ms or settings.db_statement_timeout_ms) / 1000
            + COMMAND_TIMEOUT_MARGIN_S,
            "server_settings": {
                "application_name": name,
                "statement_timeout": str(statement_timeout_ms or settings.db_statement_timeout_ms),
                # A long lock wait would hold the request hostage: fail, and let the client retry.
                "lock_timeout": str(lock_timeout_ms),
                "idle_in_transaction_session_timeout": "60000",
            },
        },
        **options,
    )


def build_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: the response is serialised after the commit and must not reload.
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
