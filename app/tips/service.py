"""Guidance queries. Slugs stored in documents are resolved to names for embedding."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.arrays import contains_all
from app.db.session import run_statement
from app.errors import NotFoundError
from app.knowledge.service import (
    document_slugs,
    named,
    names_by_slug,
    source_refs_from,
    sources_by_slug,
)
from app.tips.models import AnatomyNote, Benefit, Routine, Strategy, Tip
from app.tips.schemas import (
    AnatomyNotePublic,
    BenefitPublic,
    RoutinePublic,
    StrategyPublic,
    TipPublic,
)


def _refs(names: dict[str, str] | None, slugs: list[str] | None) -> list[Any]:
    return [{"slug": slug, "name": name} for slug, name in named(names, slugs)]


def _table(model: type[SQLModel]) -> sa.Table:
    table: sa.Table = model.__table__  # type: ignore[attr-defined]
    return table


def _columns(table: sa.Table, *names: str) -> list[sa.ColumnElement[Any]]:
    return [table.c[name] for name in names]


# Each read is one statement: the rows with the names and sources they link to embedded.
_TIP = _table(Tip)
_TIP_COLUMNS = (
    *_columns(_TIP, "slug", "title", "category", "levels", "exercises", "muscles", "document"),
    names_by_slug("exercise", "tip.exercises").label("exercise_names"),
    names_by_slug("muscle", "tip.muscles").label("muscle_names"),
    sources_by_slug(document_slugs("tip.document", "sources")).label("source_rows"),
)


def _tip_public(row: sa.Row[Any]) -> TipPublic:
    d: dict[str, Any] = row.document
    return TipPublic(
        slug=row.slug,
        title=row.title,
        summary=d["summary"],
        body=d["body"],
        category=row.category,
        levels=row.levels,
        exercises=_refs(row.exercise_names, row.exercises),
        muscles=_refs(row.muscle_names, row.muscles),
        problems=d.get("problems", []),
        solutions=d.get("solutions", []),
        exceptions=d.get("exceptions", []),
        sources=source_refs_from(row.source_rows, d.get("sources", [])),
    )


async def list_tips(
    session: AsyncSession,
    *,
    exercise: str | None,
    muscle: str | None,
    category: str | None,
    level: str | None,
) -> list[TipPublic]:
    statement = sa.select(*_TIP_COLUMNS).order_by(_TIP.c.title)
    if exercise is not None:
        statement = statement.where(contains_all(_TIP.c.exercises, [exercise]))
    if muscle is not None:
        statement = statement.where(contains_all(_TIP.c.muscles, [muscle]))
    if category is not None:
        statement = statement.where(_TIP.c.category == category)
    if level is not None:
        statement = statement.where(contains_all(_TIP.c.levels, [level]))
    return [_tip_public(row) for row in await run_statement(session, statement)]


async def get_tip(session: AsyncSession, slug: str) -> TipPublic:
    statement = sa.select(*_TIP_COLUMNS).where(_TIP.c.slug == slug)
    row = (await run_statement(session, statement)).first()
    if row is None:
        raise NotFoundError(f"No tip has the slug '{slug}'.")
    return _tip_public(row)


def _prose_statement(model: type[SQLModel], *extra: sa.ColumnElement[Any]) -> sa.Select[Any]:
    """Benefits or anatomy notes, by slug, with the muscles and sources they name."""
    table = _table(model)
    document = f"{table.name}.document"
    return sa.select(
        *_columns(table, "slug", "title", "document"),
        names_by_slug("muscle", document_slugs(document, "muscles")).label("muscle_names"),
        sources_by_slug(document_slugs(document, "sources")).label("source_rows"),
        *extra,
    ).order_by(table.c.slug)


def _prose(row: sa.Row[Any]) -> dict[str, Any]:
    """The fields benefits and anatomy notes share: a titled text with points and links."""
    d: dict[str, Any] = row.document
    return {
        "slug": row.slug,
        "title": row.title,
        "summary": d["summary"],
        "body": d["body"],
        "points": d.get("points", []),
        "muscles": _refs(row.muscle_names, d.get("muscles", [])),
        "sources": source_refs_from(row.source_rows, d.get("sources", [])),
    }


async def list_benefits(session: AsyncSession) -> list[BenefitPublic]:
    exercises = names_by_slug("exercise", document_slugs("benefit.document", "exercises"))
    statement = _prose_statement(Benefit, exercises.label("exercise_names"))
    return [
        BenefitPublic(
            **_prose(r), exercises=_refs(r.exercise_names, r.document.get("exercises", []))
        )
        for r in await run_statement(session, statement)
    ]


async def list_anatomy_notes(session: AsyncSession) -> list[AnatomyNotePublic]:
    statement = _prose_statement(AnatomyNote)
    return [AnatomyNotePublic(**_prose(r)) for r in await run_statement(session, statement)]


_STRATEGY = _table(Strategy)
_STRATEGY_COLUMNS = (
    *_columns(_STRATEGY, "slug", "level", "title", "document"),
    # One lookup for both exercise lists: the names are the same table's.
    names_by_slug(
        "exercise",
        document_slugs("strategy.document", "recommended_exercises")
        + " || "
        + document_slugs("strategy.document", "anchor_exercises"),
    ).label("exercise_names"),
    sources_by_slug(document_slugs("strategy.document", "sources")).label("source_rows"),
)


def _strategy_public(row: sa.Row[Any]) -> StrategyPublic:
    d: dict[str, Any] = row.document
    return StrategyPublic(
        slug=row.slug,
        level=row.level,
        title=row.title,
        summary=d["summary"],
        goals=d.get("goals", []),
        principles=d.get("principles", []),
        recommended_exercises=_refs(row.exercise_names, d.get("recommended_exercises", [])),
        anchor_exercises=_refs(row.exercise_names, d.get("anchor_exercises", [])),
        modifications=d.get("modifications", []),
        routines=d.get("routines", []),
        sources=source_refs_from(row.source_rows, d.get("sources", [])),
    )


LEVEL_ORDER = sa.case(
    {"beginner": 0, "intermediate": 1, "advanced": 2}, value=_STRATEGY.c.level, else_=9
)


async def list_strategies(session: AsyncSession) -> list[StrategyPublic]:
    statement = sa.select(*_STRATEGY_COLUMNS).order_by(LEVEL_ORDER)
    return [_strategy_public(row) for row in await run_statement(session, statement)]


async def get_strategy(session: AsyncSession, level: str) -> StrategyPublic:
    statement = sa.select(*_STRATEGY_COLUMNS).where(_STRATEGY.c.level == level)
    row = (await run_statement(session, statement)).first()
    if row is None:
        raise NotFoundError(f"No strategy for the level '{level}'.")
    return _strategy_public(row)


async def list_routines(session: AsyncSession, *, level: str | None) -> list[RoutinePublic]:
    routine = _table(Routine)
    statement = sa.select(
        *_columns(routine, "slug", "name", "level", "document"),
        sources_by_slug(document_slugs("routine.document", "sources")).label("source_rows"),
    ).order_by(routine.c.name)
    if level is not None:
        statement = statement.where(routine.c.level == level)
    result = []
    for r in await run_statement(session, statement):
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
                sources=source_refs_from(r.source_rows, d.get("sources", [])),
            )
        )
    return result
