"""A snapshot never mixes two revisions: a write committed while one is being read is not in
it, and the next snapshot has all of it. On a database that really commits."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.engine import build_engine
from app.db.session import run_sql
from app.exports import service
from app.exports.schemas import JSON_MEDIA_TYPE, NDJSON_MEDIA_TYPE
from app.knowledge.service import bump_revision, lock_content
from tests.conftest import DatabaseFactory, loaded_database, make_settings


@pytest.fixture
def committed(database_factory: DatabaseFactory) -> str:
    return loaded_database(database_factory)


@pytest.fixture
async def engine(committed: str) -> AsyncIterator[AsyncEngine]:
    url = committed
    built = build_engine(url, make_settings(url))
    try:
        yield built
    finally:
        await built.dispose()


async def _write(engine: AsyncEngine, summary: str) -> None:
    """An administrator's kind of write, committed: an exercise and a tip change, and the
    revision with them."""
    async with AsyncSession(engine) as session:
        await lock_content(session)
        for table in ("exercise", "tip"):
            await run_sql(
                session,
                f"UPDATE {table} SET document = jsonb_set(document, '{{summary}}', "  # noqa: S608
                "to_jsonb(CAST(:summary AS text))) "
                f"WHERE slug = (SELECT max(slug) FROM {table})",
                summary=summary,
            )
        await bump_revision(session)
        await session.commit()


def _measuring(engine: AsyncEngine) -> dict[str, Any]:
    return {"measure_in": lambda: service.open_view(engine, service.revision_cursor), "wait_s": 60}


async def _document(view: service.SnapshotView, media_type: str) -> bytes:
    return b"".join([chunk async for chunk in service.body(view, media_type, None)])


@pytest.mark.parametrize("media_type", [JSON_MEDIA_TYPE, NDJSON_MEDIA_TYPE])
async def test_a_write_during_a_snapshot_is_not_in_it(engine: AsyncEngine, media_type: str) -> None:
    async with service.open_view(engine, service.revision_cursor) as view:
        chunks = service.body(view, media_type, None)
        first = await anext(chunks)
        # Committed after the snapshot began, before any item was read.
        await _write(engine, "Written during the snapshot.")
        during = first + b"".join([chunk async for chunk in chunks])
    async with service.open_view(engine, service.revision_cursor) as after:
        assert after.revision.number == view.revision.number + 1
        assert after.cursor == str(after.revision.number)
        fresh = await _document(after, media_type)
    assert b"Written during the snapshot." not in during
    assert fresh.count(b"Written during the snapshot.") >= 2
    revision = view.revision.number
    if media_type == JSON_MEDIA_TYPE:
        assert json.loads(during)["revision"] == revision
    else:
        lines = [json.loads(line) for line in during.splitlines()]
        assert lines[0]["revision"] == lines[-1]["revision"] == revision


async def test_the_digest_follows_the_revision(engine: AsyncEngine) -> None:
    async with service.open_view(engine, service.revision_cursor) as view:
        before, _ = await service.body_facts.facts(
            view, JSON_MEDIA_TYPE, None, **_measuring(engine)
        )
        tag = service.etag_of(view, JSON_MEDIA_TYPE)
    await _write(engine, "A newer summary.")
    async with service.open_view(engine, service.revision_cursor) as view:
        after, identity = await service.body_facts.facts(
            view, JSON_MEDIA_TYPE, None, **_measuring(engine)
        )
        assert after == identity
        assert service.etag_of(view, JSON_MEDIA_TYPE) != tag
        body = await _document(view, JSON_MEDIA_TYPE)
    assert after != before
    assert after.size == len(body)


async def test_a_pass_longer_than_the_deadline_is_a_503_and_goes_on_for_the_retry(
    engine: AsyncEngine,
) -> None:
    service.body_facts.clear()
    async with service.open_view(engine, service.revision_cursor) as view:
        with pytest.raises(service.SnapshotPreparingError) as refused:
            await service.body_facts.facts(
                view, NDJSON_MEDIA_TYPE, "gzip", **(_measuring(engine) | {"wait_s": 0.0})
            )
        assert refused.value.headers["Retry-After"] == str(service.PREPARING_RETRY_S)
        # The pass was not cancelled with the request: a patient retry gets its result.
        sent, identity = await service.body_facts.facts(
            view, NDJSON_MEDIA_TYPE, "gzip", **_measuring(engine)
        )
        body = b"".join([c async for c in service.body(view, NDJSON_MEDIA_TYPE, "gzip")])
    assert sent.size == len(body)
    assert identity.size > sent.size
