"""Alembic environment: async, bound to the URL the caller chose (or the settings')."""

from __future__ import annotations

import asyncio
from typing import Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel.sql.sqltypes import AutoString

import app.db.models  # noqa: F401 - registers every table on the metadata
from app.config import get_settings
from app.db.base import metadata
from app.db.embedded import resolve_database_url
from app.db.engine import to_async_url

config = context.config


def database_url() -> str:
    url = config.attributes.get("database_url")
    if isinstance(url, str):
        return url
    return resolve_database_url(get_settings())


def render_item(type_: str, obj: object, _context: AutogenContext) -> str | Literal[False]:
    """Render SQLModel's AutoString as plain ``sa.String`` so revisions need no sqlmodel import."""
    if type_ == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def run_migrations(connection: Connection) -> None:
    # A migration that waits on a lock held by live traffic should fail, not stall the API.
    connection.exec_driver_sql("SET lock_timeout = '5s'")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        compare_server_default=True,
        render_item=render_item,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.exec_driver_sql(ONLY_THE_MIGRATOR_WRITES_THE_VERSION)


# alembic_version says which migrations have run. The roles script's default privileges give
# the API role row rights on every table the migrator creates, this one included, and an API
# that could rewrite it could make the next deploy skip or re-run migrations. After every
# upgrade, every role but the table's owner keeps at most SELECT on it (idempotent, and it
# heals a later blanket GRANT ON ALL TABLES).
ONLY_THE_MIGRATOR_WRITES_THE_VERSION = """
DO $$
DECLARE
    holder oid;
BEGIN
    FOR holder IN
        SELECT DISTINCT grant_.grantee
        FROM pg_class AS version_table, aclexplode(version_table.relacl) AS grant_
        WHERE version_table.oid = 'alembic_version'::regclass
          AND grant_.privilege_type IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')
          AND grant_.grantee <> version_table.relowner
    LOOP
        EXECUTE format(
            'REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM %s',
            CASE WHEN holder = 0 THEN 'PUBLIC' ELSE holder::regrole::text END
        );
    END LOOP;
END
$$
"""


async def run_async_migrations() -> None:
    engine = create_async_engine(to_async_url(database_url()))
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_migrations)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(
        url=to_async_url(database_url()), target_metadata=metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(run_async_migrations())
