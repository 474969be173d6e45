"""Anatomy endpoints. Detail routes also list exercises, so the exercises service composes
them (``muscle_detail``, ``joint_action_detail``): anatomy's own service never depends on
exercises."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.anatomy import service
from app.anatomy.schemas import (
    JointActionDetail,
    JointActionSummary,
    MuscleDetail,
    MuscleSummary,
)
from app.content.schema import BodyView, Joint, MuscleGroup
from app.db.session import SessionDep
from app.errors import problem_responses
from app.exercises.service import joint_action_detail, muscle_detail
from app.knowledge.http import NOT_MODIFIED_RESPONSE, ConditionalGet, SlugPath
from app.knowledge.representations import CachingRoute

router = APIRouter(tags=["anatomy"], dependencies=[ConditionalGet], route_class=CachingRoute)


@router.get(
    "/muscles",
    summary="List muscles",
    response_description="The muscles matching the filters, by group then name, with their gym "
    "names.",
    response_model=list[MuscleSummary],
    responses={**NOT_MODIFIED_RESPONSE, **problem_responses(422, 503)},
)
async def list_muscles(
    session: SessionDep,
    group: Annotated[MuscleGroup | None, Query(description="Only this muscle group.")] = None,
    view: Annotated[
        BodyView | None, Query(description="Only muscles shown on this body view.")
    ] = None,
) -> list[MuscleSummary]:
    """Every muscle in the knowledge base, by group then name, with the gym names people use
    for it (`lats`, `traps`, `rear delts`)."""
    return await service.list_muscles(
        session, group=group.value if group else None, view=view.value if view else None
    )


@router.get(
    "/muscles/{slug}",
    summary="Get a muscle",
    response_description="The muscle with its functions, its parts, and the exercises that train "
    "it as a primary or secondary mover.",
    response_model=MuscleDetail,
    responses={**NOT_MODIFIED_RESPONSE, **problem_responses(404, 422, 503)},
)
async def get_muscle(slug: SlugPath, session: SessionDep) -> MuscleDetail:
    """A muscle with its functions (the joint actions it performs and its role in each), its
    parts, and the exercises that train it as a primary or secondary mover."""
    return await muscle_detail(session, slug)


@router.get(
    "/joint-actions",
    summary="List joint actions",
    response_description="The joint actions matching the filter, each described in plain language.",
    response_model=list[JointActionSummary],
    responses={**NOT_MODIFIED_RESPONSE, **problem_responses(422, 503)},
)
async def list_joint_actions(
    session: SessionDep,
    joint: Annotated[Joint | None, Query(description="Only actions of this joint.")] = None,
) -> list[JointActionSummary]:
    """The movements joints make (shoulder extension, scapular retraction...), each described
    in plain language."""
    return await service.list_joint_actions(session, joint=joint.value if joint else None)


@router.get(
    "/joint-actions/{slug}",
    summary="Get a joint action",
    response_description="The joint action with the muscles that perform it (prime movers first) "
    "and the exercises that train it.",
    response_model=JointActionDetail,
    responses={**NOT_MODIFIED_RESPONSE, **problem_responses(404, 422, 503)},
)
async def get_joint_action(slug: SlugPath, session: SessionDep) -> JointActionDetail:
    """A joint action with the muscles that perform it (prime movers first) and the exercises
    that train it."""
    return await joint_action_detail(session, slug)
