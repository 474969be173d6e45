"""Guidance endpoints: tips, benefits, anatomy notes, strategies by level, routines."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from app.content.schema import Level, TipCategory
from app.db.session import SessionDep
from app.errors import problem_responses
from app.knowledge.http import NOT_MODIFIED_RESPONSE, ConditionalGet, SlugPath
from app.knowledge.representations import CachingRoute
from app.tips import service
from app.tips.schemas import (
    AnatomyNotePublic,
    BenefitPublic,
    RoutinePublic,
    StrategyPublic,
    TipPublic,
)

router = APIRouter(tags=["guidance"], dependencies=[ConditionalGet], route_class=CachingRoute)

SlugQuery = Annotated[str | None, Query(max_length=120, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]


@router.get(
    "/tips",
    summary="List training tips",
    response_description="The tips matching every filter, each with its problems, solutions, "
    "exceptions and sources.",
    response_model=list[TipPublic],
    responses={**NOT_MODIFIED_RESPONSE, **problem_responses(422, 503)},
)
async def list_tips(
    session: SessionDep,
    exercise: Annotated[
        SlugQuery, Query(description="Only tips about this exercise (slug).")
    ] = None,
    muscle: Annotated[SlugQuery, Query(description="Only tips about this muscle (slug).")] = None,
    category: Annotated[
        TipCategory | None, Query(description="Only tips of this category.")
    ] = None,
    level: Annotated[
        Level | None, Query(description="Only tips that apply at this experience level.")
    ] = None,
) -> list[TipPublic]:
    """Coaching tips (getting the back to do the pulling, head and neck position, keeping the
    back straight, balancing back and front work...), each with the problems it addresses, the
    solutions, any exceptions, and the exercises and muscles it concerns."""
    return await service.list_tips(
        session,
        exercise=exercise,
        muscle=muscle,
        category=category.value if category else None,
        level=level.value if level else None,
    )


@router.get(
    "/tips/{slug}",
    summary="Get a tip",
    response_description="The tip with its problems, solutions, exceptions, exercises, muscles and "
    "sources.",
    response_model=TipPublic,
    responses={**NOT_MODIFIED_RESPONSE, **problem_responses(404, 422, 503)},
)
async def get_tip(slug: SlugPath, session: SessionDep) -> TipPublic:
    """One tip with its problems, solutions, exceptions, exercises, muscles and sources."""
    return await service.get_tip(session, slug)


@router.get(
    "/benefits",
    summary="List the benefits of back training",
    response_description="Every benefit of back training, explained, with the muscles and "
    "exercises involved.",
    response_model=list[BenefitPublic],
    responses={**NOT_MODIFIED_RESPONSE, **problem_responses(503)},
)
async def list_benefits(session: SessionDep) -> list[BenefitPublic]:
    """Why train the back: strength on every big lift, width, the V-taper, posture and arm
    growth, each explained and linked to the muscles and exercises involved."""
    return await service.list_benefits(session)


@router.get(
    "/anatomy-notes",
    summary="List anatomy notes",
    response_description="Every anatomy note, with its points, the muscles it concerns and its "
    "sources.",
    response_model=list[AnatomyNotePublic],
    responses={**NOT_MODIFIED_RESPONSE, **problem_responses(503)},
)
async def list_anatomy_notes(session: SessionDep) -> list[AnatomyNotePublic]:
    """What the back muscles do as a whole, and why a weak back beside a strong front pulls the
    shoulders forward."""
    return await service.list_anatomy_notes(session)


@router.get(
    "/strategies",
    summary="List training strategies",
    response_description="The back-training strategy of every experience level, beginner to "
    "advanced.",
    response_model=list[StrategyPublic],
    responses={**NOT_MODIFIED_RESPONSE, **problem_responses(503)},
)
async def list_strategies(session: SessionDep) -> list[StrategyPublic]:
    """How to train the back at each experience level, beginner to advanced: goals, principles,
    the exercises to choose and keep, and the modifications to apply one at a time."""
    return await service.list_strategies(session)


@router.get(
    "/strategies/{level}",
    summary="Get the strategy for a level",
    response_description="The strategy for this level: goals, principles, the exercises to choose "
    "and keep, and the modifications.",
    response_model=StrategyPublic,
    responses={**NOT_MODIFIED_RESPONSE, **problem_responses(404, 422, 503)},
)
async def get_strategy(
    level: Annotated[Level, Path(description="Experience level.")], session: SessionDep
) -> StrategyPublic:
    """The back-training strategy for one experience level."""
    return await service.get_strategy(session, level.value)


@router.get(
    "/routines",
    summary="List routines",
    response_description="The routines matching the filter, with their days, sets, reps, "
    "progression rules and sources.",
    response_model=list[RoutinePublic],
    responses={**NOT_MODIFIED_RESPONSE, **problem_responses(422, 503)},
)
async def list_routines(
    session: SessionDep,
    level: Annotated[Level | None, Query(description="Only routines for this level.")] = None,
) -> list[RoutinePublic]:
    """Established routines a beginner can choose as they are (rather than inventing one), and
    a dedicated back-day template for intermediates, with their days, sets, reps, progression
    rules and sources."""
    return await service.list_routines(session, level=level.value if level else None)
