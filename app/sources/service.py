"""Source queries: every work credited, and one by slug."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import NotFoundError
from app.knowledge.models import Source
from app.sources.schemas import SourcePublic


def _public(row: Source) -> SourcePublic:
    d: dict[str, Any] = row.document
    return SourcePublic(
        slug=row.slug,
        title=row.title,
        author=d.get("author"),
        url=d.get("url"),
        kind=d["kind"],
        publisher=d.get("publisher"),
        year=d.get("year"),
        notes=d.get("notes"),
    )


async def list_sources(session: AsyncSession, *, kind: str | None) -> list[SourcePublic]:
    statement = select(Source).order_by(col(Source.title), col(Source.slug))
    rows = [_public(row) for row in (await session.exec(statement)).all()]
    return [s for s in rows if kind is None or s.kind == kind]


async def get_source(session: AsyncSession, slug: str) -> SourcePublic:
    row = (await session.exec(select(Source).where(col(Source.slug) == slug))).first()
    if row is None:
        raise NotFoundError(f"No source has the slug '{slug}'.")
    return _public(row)
