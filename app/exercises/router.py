"""Exercise endpoints: list with filters and facets, detail, alternatives, equipment."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.anatomy.models import JointAction, Muscle
from app.content.schema import Category, Force, Level, Mechanic
from app.db.session import SessionDep
from app.errors import problem_responses
from app.exercises import service
from app.exercises.models import Equipment
from app.exercises.schemas import (
    AlternativeList,
    EquipmentPublic,
    ExerciseDetail,
    ExercisePage,
    ExerciseSort,
    MuscleRole,
)
from app.knowledge.http import NOT_MODIFIED_RESPONSE, ConditionalGet, SlugItem, SlugPath
from app.knowledge.representations import CachingRoute
from app.pagination import CursorQuery, LimitQuery, link_next
from app.recommender.enums import Pattern
from app.search.service import exercise_relevance

router = APIRouter(tags=["exercises"], dependencies=[ConditionalGet], route_class=CachingRoute)

# "none" is how a client says it owns no equipment at all (bodyweight exercises only).
NO_EQUIPMENT = "none"


def _listing_scope(request: Request) -> str:
    """Identifies a listing by its filters and sort (not its page), for cursor checks."""
    items = sorted(
        (k, v) for k, v in request.query_params.multi_items() if k not in {"cursor", "limit"}
    )
    return hashlib.sha256(repr(items).encode()).hexdigest()[:16]


@router.get(
    "/exercises",
    summary="List exercises",
    response_description="One page of exercises matching every filter, with the total and facet "
    "counts.",
    response_model=ExercisePage,
    responses={**NOT_MODIFIED_RESPONSE, **problem_responses(422, 503)},
)
async def list_exercises(
    request: Request,
    response: Response,
    session: SessionDep,
    muscle: Annotated[
        list[SlugItem] | None,
        Query(
            max_length=20,
            description="Muscle slug(s); any of them matches. A parent muscle such as "
            "`trapezius` includes its parts.",
            examples=["latissimus-dorsi"],
        ),
    ] = None,
    role: Annotated[
        MuscleRole | None,
        Query(
            description="With `muscle`: only exercises where it is a primary (or secondary) mover."
        ),
    ] = None,
    joint_action: Annotated[
        list[SlugItem] | None,
        Query(
            max_length=20,
            description="Joint action slug(s); any of them matches.",
            examples=["shoulder-extension"],
        ),
    ] = None,
    equipment: Annotated[
        list[SlugItem] | None,
        Query(
            max_length=30,
            description="Equipment slug(s); exercises using any of them.",
            examples=["barbell"],
        ),
    ] = None,
    available_equipment: Annotated[
        list[SlugItem] | None,
        Query(
            max_length=30,
            description="Only exercises doable with this equipment: everything they need (or "
            "one of their alternative setups) is in the list. Send `none` for bodyweight-only.",
            examples=["pull-up-bar"],
        ),
    ] = None,
    level: Annotated[
        list[Level] | None,
        Query(
            max_length=3,
            description="Experience level(s) the exercise suits.",
            examples=["beginner"],
        ),
    ] = None,
    mechanic: Annotated[
        list[Mechanic] | None,
        Query(
            max_length=2,
            description="`compound` (several joints) or `isolation` (one).",
            examples=["compound"],
        ),
    ] = None,
    force: Annotated[
        list[Force] | None,
        Query(
            max_length=3,
            description="Whether the exercise pulls, pushes or holds.",
            examples=["pull"],
        ),
    ] = None,
    pattern: Annotated[
        list[Pattern] | None,
        Query(max_length=8, description="Movement pattern(s).", examples=["horizontal_pull"]),
    ] = None,
    category: Annotated[
        list[Category] | None,
        Query(
            max_length=7,
            description="Training category (imported datasets add more).",
            examples=["strength"],
        ),
    ] = None,
    top_pick: Annotated[
        bool | None,
        Query(description="Only (true) or never (false) the five top back exercises."),
    ] = None,
    origin: Annotated[
        str | None,
        Query(
            max_length=32,
            pattern=r"^[a-z0-9-]+$",
            description="`curated`, or an imported dataset such as `free-exercise-db`.",
        ),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            description="Search text; understands typos and gym shorthand "
            "(`deadlfit`, `RDL`, `pullup`).",
            examples=["rdl"],
        ),
    ] = None,
    sort: Annotated[
        ExerciseSort | None,
        Query(
            description="`name` (default), `-name`, `top_pick`, or `relevance` (default with `q`)."
        ),
    ] = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> ExercisePage:
    """Exercises matching every given filter (repeat a parameter to allow several values), in a
    stable order, one page at a time. The body carries `next_cursor`, the total and facet
    counts for the main filters; the `Link` header carries the next page's URL."""
    await service.require_known(session, Muscle, muscle or [], "muscle")
    await service.require_known(session, JointAction, joint_action or [], "joint_action")
    await service.require_known(session, Equipment, equipment or [], "equipment")
    owned = None
    if available_equipment is not None:
        owned = tuple(e for e in available_equipment if e != NO_EQUIPMENT)
        await service.require_known(session, Equipment, owned, "available_equipment")
    relevance = await exercise_relevance(session, q) if q else None
    chosen_sort = sort or (ExerciseSort.RELEVANCE if q else ExerciseSort.NAME)
    if chosen_sort is ExerciseSort.RELEVANCE and relevance is None:
        chosen_sort = ExerciseSort.NAME
    filters = service.ExerciseFilters(
        muscles=tuple(muscle or ()),
        role=role,
        joint_actions=tuple(joint_action or ()),
        equipment=tuple(equipment or ()),
        available_equipment=owned,
        levels=tuple(level or ()),
        mechanics=tuple(mechanic or ()),
        forces=tuple(force or ()),
        patterns=tuple(pattern or ()),
        categories=tuple(category or ()),
        top_pick=top_pick,
        origin=origin,
        relevance=relevance,
    )
    page = await service.list_exercises(
        session,
        filters,
        sort=chosen_sort,
        limit=limit,
        cursor=cursor,
        scope=_listing_scope(request),
    )
    link_next(request, response, page.next_cursor)
    return page


@router.get(
    "/exercises/{slug}",
    summary="Get an exercise",
    response_description="The exercise with its muscles, joint actions, instructions, cues, "
    "mistakes, related exercises, tips and sources embedded.",
    response_model=ExerciseDetail,
    responses={**NOT_MODIFIED_RESPONSE, **problem_responses(404, 422, 503)},
)
async def get_exercise(slug: SlugPath, session: SessionDep) -> ExerciseDetail:
    """One exercise with everything embedded: muscles with their roles, joint actions, numbered
    instructions, form cues, common mistakes with fixes, safety notes, rep range, bodyweight
    ladder, easier and harder exercises, variations, tips and sources."""
    return await service.get_exercise_detail(session, slug)


@router.get(
    "/exercises/{slug}/alternatives",
    summary="List alternatives to an exercise",
    response_description="The exercise's alternatives, most similar first, each with its "
    "similarity score and the reasons it was chosen.",
    response_model=AlternativeList,
    responses={**NOT_MODIFIED_RESPONSE, **problem_responses(404, 422, 503)},
)
async def list_exercise_alternatives(
    slug: SlugPath,
    session: SessionDep,
    available_equipment: Annotated[
        list[SlugItem] | None,
        Query(
            max_length=30,
            description="Only alternatives doable with this equipment; `none` for bodyweight-only.",
        ),
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=50, description="How many alternatives (at most 50).")
    ] = 10,
) -> AlternativeList:
    """Substitutes for an exercise, most similar first: ranked by shared muscles (prime movers
    weigh most), shared joint actions and movement pattern. Each comes with a similarity score
    and the reasons it was chosen."""
    owned = None
    if available_equipment is not None:
        owned = tuple(e for e in available_equipment if e != NO_EQUIPMENT)
        await service.require_known(session, Equipment, owned, "available_equipment")
    return await service.exercise_alternatives(
        session, slug, available_equipment=owned, limit=limit
    )


@router.get(
    "/equipment",
    summary="List equipment",
    response_description="Every piece of equipment an exercise can require, by slug.",
    response_model=list[EquipmentPublic],
    responses={**NOT_MODIFIED_RESPONSE, **problem_responses(503)},
)
async def list_equipment(session: SessionDep) -> list[EquipmentPublic]:
    """Every piece of equipment exercises can require, by slug: the values the `equipment` and
    `available_equipment` filters accept."""
    return await service.list_equipment(session)
