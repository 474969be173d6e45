"""Resolve source slugs to the references the API embeds."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.knowledge.models import Source
from app.knowledge.schemas import SourceRef


async def source_refs(session: AsyncSession, slugs: Sequence[str]) -> list[SourceRef]:
    """The sources named by ``slugs``, in that order."""
    if not slugs:
        return []
    rows = {
        s.slug: s
        for s in (await session.exec(select(Source).where(col(Source.slug).in_(slugs)))).all()
    }
    return [
        SourceRef(
            slug=slug,
            title=rows[slug].title,
            author=rows[slug].document.get("author"),
            url=rows[slug].document.get("url"),
        )
        for slug in slugs
        if slug in rows
    ]
