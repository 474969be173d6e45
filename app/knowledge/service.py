"""Content revision bookkeeping and search vectors, shared by every knowledge-base writer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.session import run_sql
from app.knowledge.schemas import SourceRef
from app.knowledge.watcher import (
    CHANNEL,
    CONTENT_WRITTEN,
    KNOWN_REVISION,
    REVISION_SQL,
    KnownRevision,
    revision_of,
)

# One lock for every knowledge-base writer (loader, importer, administrators): two loaders
# started by two containers at once must not interleave their upserts.
CONTENT_WRITE_LOCK = 0x5B07_7E12

# Per table: the text that feeds full-text search. Names and aliases weigh most (A),
# then descriptions (C). 'english' stems ("rows" finds "row"); aliases use 'simple' so
# abbreviations like "RDL" or "OHP" are kept verbatim.
_SEARCH_SOURCES: dict[str, tuple[str, str, str]] = {
    "exercise": ("name", "aliases", "coalesce(document->>'summary', '')"),
    "muscle": ("name", "aliases", "coalesce(document->>'description', '')"),
    "joint_action": ("name", "aliases", "coalesce(document->>'description', '')"),
    "tip": (
        "title",
        "'{}'::text[]",
        "coalesce(document->>'summary', '') || ' ' || coalesce(document->>'body', '')",
    ),
}


async def lock_content(session: AsyncSession) -> None:
    """Serialise knowledge-base writers until the end of the current transaction."""
    await run_sql(session, "SELECT pg_advisory_xact_lock(:key)", key=CONTENT_WRITE_LOCK)


async def current_revision(session: AsyncSession) -> int:
    """The content revision (0 before anything was ever loaded)."""
    return (await known_revision(session)).number


async def revision_stamp(session: AsyncSession) -> str:
    """Revision and change time: unique per change even if a bumped revision is rolled back
    and the same number is reached again by a different change."""
    return (await known_revision(session)).stamp


async def known_revision(session: AsyncSession) -> KnownRevision:
    """The revision from the worker's memory when its watcher knows it (``watcher.py``),
    else from this transaction, as always after the transaction changed content itself."""
    known = session.info.get(KNOWN_REVISION)
    if isinstance(known, KnownRevision) and not session.info.get(CONTENT_WRITTEN):
        return known
    row = (await run_sql(session, REVISION_SQL)).one_or_none()
    return revision_of(None if row is None else (row[0], row[1]))


async def bump_revision(session: AsyncSession, fingerprint: str | None = None) -> int:
    """Record that content changed in this transaction; returns the new revision."""
    result = await run_sql(
        session,
        "INSERT INTO content_revision (id, revision, fingerprint, changed_at) "
        "VALUES (1, 1, :fingerprint, now()) "
        "ON CONFLICT (id) DO UPDATE SET revision = content_revision.revision + 1, "
        "fingerprint = coalesce(:fingerprint, content_revision.fingerprint), changed_at = now() "
        "RETURNING revision",
        fingerprint=fingerprint,
    )
    revision = int(result.scalar_one())
    # Delivered to every worker's watcher when (and only if) this transaction commits.
    await run_sql(session, "SELECT pg_notify(:channel, :payload)", channel=CHANNEL,
                  payload=str(revision))  # fmt: skip
    session.info[CONTENT_WRITTEN] = True
    return revision


async def refresh_search_vectors(session: AsyncSession, table: str, ids: Sequence[int]) -> None:
    """Recompute the full-text search vector of the given rows."""
    if not ids or table not in _SEARCH_SOURCES:
        return
    name, aliases, body = _SEARCH_SOURCES[table]
    # The table and column names come from the fixed mapping above, never from input.
    statement = (
        f"UPDATE {table} SET search_vector = "  # noqa: S608
        f"setweight(to_tsvector('english', {name}), 'A') || "
        f"setweight(to_tsvector('simple', array_to_string({aliases}, ' ')), 'A') || "
        f"setweight(to_tsvector('english', {body}), 'C') "
        "WHERE id = ANY(:ids)"
    )
    await run_sql(session, statement, ids=list(ids))


T = TypeVar("T")


class RevisionCache(Generic[T]):
    """A value derived from knowledge-base content, rebuilt only when the content changes.

    Kept per process and per database; every use costs one tiny revision lookup, and a
    rebuild happens at most once per content change.
    """

    def __init__(self, build: Callable[[AsyncSession], Awaitable[T]]) -> None:
        self._build = build
        self._entries: dict[str, tuple[str, T]] = {}

    async def get(self, session: AsyncSession) -> T:
        stamp = await revision_stamp(session)
        # A session bound to a connection (tests) or an engine: both lead to the engine's URL.
        database = str(session.get_bind().engine.url)
        cached = self._entries.get(database)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        value = await self._build(session)
        self._entries[database] = (stamp, value)
        return value


# Fragments for embedding what a row links to in the row's own statement, so a catalog read
# costs one round trip instead of one per kind of link (issue 10). Table, column and key
# names passed to them are fixed names from the services, never input.


def document_slugs(document: str, key: str) -> str:
    """SQL for the ``text[]`` of slugs a document lists under ``key`` (empty when absent,
    null or not a list, as ``document.get(key) or []`` reads it)."""
    return (
        f"ARRAY(SELECT jsonb_array_elements_text(CASE jsonb_typeof({document}->'{key}') "
        f"WHEN 'array' THEN {document}->'{key}' END))"
    )


def names_by_slug(table: str, slugs: str, *, name: str = "name") -> sa.ColumnElement[Any]:
    """A scalar subquery: ``{slug: name}`` of the ``table`` rows whose slug is in the SQL
    array ``slugs``; null when there is none."""
    return sa.literal_column(
        # The alias keeps ``slugs`` free to name the enclosing row of the same table.
        f"(SELECT json_object_agg(linked.slug, linked.{name}) FROM {table} AS linked "  # noqa: S608
        f"WHERE linked.slug = ANY({slugs}))"
    )


def sources_by_slug(slugs: str) -> sa.ColumnElement[Any]:
    """A scalar subquery: ``{slug: [title, author, url]}`` of the sources named in the SQL
    array ``slugs``; null when there is none."""
    return sa.literal_column(
        "(SELECT json_object_agg(linked.slug, json_build_array(linked.title, "  # noqa: S608
        "linked.document->'author', linked.document->'url')) FROM source AS linked "
        f"WHERE linked.slug = ANY({slugs}))"
    )


def named(found: dict[str, Any] | None, slugs: Sequence[str] | None) -> list[tuple[str, Any]]:
    """``(slug, what was found for it)`` in the order of ``slugs``, skipping unknown slugs."""
    found = found or {}
    return [(slug, found[slug]) for slug in slugs or () if slug in found]


def source_refs_from(found: dict[str, Any] | None, slugs: Sequence[str] | None) -> list[SourceRef]:
    """The references a ``sources_by_slug`` column names, in the order of ``slugs``."""
    return [
        SourceRef(slug=slug, title=title, author=author, url=url)
        for slug, (title, author, url) in named(found, slugs)
    ]
