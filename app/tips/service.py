"""Guidance queries. Slugs stored in documents are resolved to names for embedding."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.arrays import contains_all
from app.db.session import run_sql
from app.errors import NotFoundError
from app.knowledge.schemas import ExerciseRef, MuscleRef
from app.knowledge.sources import source_refs
from app.tips.models import AnatomyNote, Benefit, Routine, Strategy, Tip
from app.tips.schemas import (
    AnatomyNotePublic,
    BenefitPublic,
    RoutinePublic,
    StrategyPublic,
    TipPublic,
)


async def _names(session: AsyncSession, table: str, slugs: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(slugs))
    if not wanted:
        return {}
    # ``table`` is one of two fixed names, never input.
    sql = f"SELECT slug, name FROM {table} WHERE slug = ANY(:slugs)"  # noqa: S608
    result = await run_sql(session, sql, slugs=wanted)
    return {row[0]: row[1] for row in result}


async def _exercise_refs(session: AsyncSession, slugs: list[str]) -> list[ExerciseRef]:
    names = await _names(session, "exercise", slugs)
    return [ExerciseRef(slug=s, name=names[s]) for s in slugs if s in names]


async def _muscle_refs(session: AsyncSession, slugs: list[str]) -> list[MuscleRef]:
    names = await _names(session, "muscle", slugs)
    return [MuscleRef(slug=s, name=names[s]) for s in slugs if s in names]


async def _tip_public(session: AsyncSession, row: Tip) -> TipPublic:
    d: dict[str, Any] = row.document
    return TipPublic(
        slug=row.slug,
        title=row.title,
        summary=d["summary"],
        body=d["body"],
        category=row.category,
        levels=row.levels,
        exercises=await _exercise_refs(session, row.exercises),
        muscles=await _muscle_refs(session, row.muscles),
        problems=d.get("problems", []),
        solutions=d.get("solutions", []),
        exceptions=d.get("exceptions", []),
        sources=await source_refs(session, d.get("sources", [])),
    )


async def list_tips(
    session: AsyncSession,
    *,
    exercise: str | None,
    muscle: str | None,
    category: str | None,
    level: str | None,
) -> list[TipPublic]:
    statement = select(Tip).order_by(col(Tip.title))
    if exercise is not None:
        statement = statement.where(contains_all(Tip.exercises, [exercise]))
    if muscle is not None:
        statement = statement.where(contains_all(Tip.muscles, [muscle]))
    if category is not None:
        statement = statement.where(col(Tip.category) == category)
    if level is not None:
        statement = statement.where(contains_all(Tip.levels, [level]))
    return [await _tip_public(session, row) for row in (await session.exec(statement)).all()]


async def get_tip(session: AsyncSession, slug: str) -> TipPublic:
    row = (await session.exec(select(Tip).where(col(Tip.slug) == slug))).first()
    if row is None:
        raise NotFoundError(f"No tip has the slug '{slug}'.")
    return await _tip_public(session, row)


async def _prose(session: AsyncSession, row: Benefit | AnatomyNote) -> dict[str, Any]:
    """The fields benefits and anatomy notes share: a titled text with points and links."""
    d: dict[str, Any] = row.document
    return {
        "slug": row.slug,
        "title": row.title,
        "summary": d["summary"],
        "body": d["body"],
        "points": d.get("points", []),
        "muscles": await _muscle_refs(session, d.get("muscles", [])),
        "sources": await source_refs(session, d.get("sources", [])),
    }


async def list_benefits(session: AsyncSession) -> list[BenefitPublic]:
    rows = (await session.exec(select(Benefit).order_by(col(Benefit.slug)))).all()
    return [
        BenefitPublic(
            **await _prose(session, r),
            exercises=await _exercise_refs(session, r.document.get("exercises", [])),
        )
        for r in rows
    ]


async def list_anatomy_notes(session: AsyncSession) -> list[AnatomyNotePublic]:
    rows = (await session.exec(select(AnatomyNote).order_by(col(AnatomyNote.slug)))).all()
    return [AnatomyNotePublic(**await _prose(session, r)) for r in rows]


async def _strategy_public(session: AsyncSession, row: Strategy) -> StrategyPublic:
    d: dict[str, Any] = row.document
    return StrategyPublic(
        slug=row.slug,
        level=row.level,
        title=row.title,
        summary=d["summary"],
        goals=d.get("goals", []),
        principles=d.get("principles", []),
        recommended_exercises=await _exercise_refs(session, d.get("recommended_exercises", [])),
        anchor_exercises=await _exercise_refs(session, d.get("anchor_exercises", [])),
        modifications=d.get("modifications", []),
        routines=d.get("routines", []),
        sources=await source_refs(session, d.get("sources", [])),
    )


LEVEL_ORDER = sa.case(
    {"beginner": 0, "intermediate": 1, "advanced": 2}, value=col(Strategy.level), else_=9
)


async def list_strategies(session: AsyncSession) -> list[StrategyPublic]:
    rows = (await session.exec(select(Strategy).order_by(LEVEL_ORDER))).all()
    return [await _strategy_public(session, row) for row in rows]


async def get_strategy(session: AsyncSession, level: str) -> StrategyPublic:
    row = (await session.exec(select(Strategy).where(col(Strategy.level) == level))).first()
    if row is None:
        raise NotFoundError(f"No strategy for the level '{level}'.")
    return await _strategy_public(session, row)


async def list_routines(session: AsyncSession, *, level: str | None) -> list[RoutinePublic]:
    statement = select(Routine).order_by(col(Routine.name))
    if level is not None:
        statement = statement.where(col(Routine.level) == level)
    result = []
    for r in (await session.exec(statement)).all():
        d: dict[str, Any] = r.document
        result.append(
            RoutinePublic(
                slug=r.slug,
                name=r.name,
                aliases=d.get("aliases", []),
                kind=d["kind"],
                level=r.level,
                summary=d["summary"],
                days_per_week=d["days_per_week"],
                schedule=d["schedule"],
                days=d["days"],
                progression=d.get("progression", []),
                recommender_profile=d.get("recommender_profile"),
                sources=await source_refs(session, d.get("sources", [])),
            )
        )
    return result
