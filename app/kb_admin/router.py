"""Administrators' endpoints under ``/v1/admin``: read the editable item, create, replace,
delete. Every route requires the ``kb:admin`` scope (a router-wide dependency, so no route can
be added without it). Writes answer with the item's public detail and the item's ``ETag``;
send that tag as ``If-Match`` to replace or delete it.

The administration paths are separate from the public ones on purpose: public ``ETag``s version
a cached representation of the whole content revision (for ``If-None-Match``), while these
version one item (for ``If-Match``), and mixing both meanings on one URL would mislead caches.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Response

from app.anatomy.router import get_joint_action, get_muscle
from app.anatomy.schemas import JointActionDetail, MuscleDetail
from app.auth.dependencies import requires
from app.auth.scopes import Scope
from app.bodies import StrictJSONRoute
from app.content.schema import ContentModel
from app.content.schema import Exercise as ExerciseItem
from app.content.schema import JointAction as JointActionItem
from app.content.schema import Muscle as MuscleItem
from app.content.schema import Tip as TipItem
from app.db.session import SessionDep
from app.errors import problem_responses
from app.exercises.schemas import ExerciseDetail
from app.exercises.service import get_exercise_detail
from app.kb_admin import service
from app.knowledge.http import SlugPath
from app.preconditions import PRECONDITION_HEADERS, IfMatchHeader, set_etag
from app.tips.schemas import TipPublic
from app.tips.service import get_tip

router = APIRouter(
    prefix="/admin",
    route_class=StrictJSONRoute,
    tags=["administration"],
    dependencies=[Depends(requires(Scope.KB_ADMIN))],
)

READ_ERRORS = problem_responses(401, 403, 404, 409, 422, 429, 503)
CREATE_ERRORS = problem_responses(401, 403, 409, 413, 422, 429, 503)
WRITE_ERRORS = problem_responses(401, 403, 404, 409, 412, 413, 422, 428, 429, 503)
CREATED_HEADERS: dict[str, Any] = {
    **PRECONDITION_HEADERS,
    "Location": {"description": "Where to replace or delete it.", "schema": {"type": "string"}},
}


def replaced(noun: str) -> dict[int | str, dict[str, Any]]:
    """The 200 of a replacement: what the body is, and the item's new `ETag`."""
    return {
        200: {
            "description": f"The {noun} as replaced, in its public detail form; `ETag` is its "
            "new tag.",
            "headers": PRECONDITION_HEADERS,
        }
    }


def created(noun: str) -> dict[int | str, dict[str, Any]]:
    """The 201 of a creation: what the body is, its `ETag` and `Location`."""
    return {
        201: {
            "description": f"The new {noun} in its public detail form; `Location` is its "
            "administration URL and `ETag` its tag.",
            "headers": CREATED_HEADERS,
        }
    }


RULES = (
    "The body is the content files' own item format, checked with the content loader's rules "
    "against what is stored: an unknown muscle, joint action, equipment, exercise, tip or "
    "source slug is a 422 naming the field."
)
LOADER = (
    "Curated items stay owned by the content files: the next `spotter load-content` restores "
    "the file version of a curated item changed or deleted here; items created here "
    "(origin `api`) are never touched by the loader."
)


def _tagged(response: Response, kind: service.Kind, row: Any) -> None:
    set_etag(response, service.item_etag(kind, row))


def _created(response: Response, kind: service.Kind, collection: str, row: Any) -> None:
    _tagged(response, kind, row)
    response.headers["Location"] = f"/v1/admin/{collection}/{row.slug}"


# --------------------------------------------------------------------------- shared routes


def _add_shared_routes(
    kind: service.Kind, collection: str, item_model: type[Any], article: str
) -> None:
    """The read and delete routes, which differ between kinds only in names and texts."""
    noun = kind.noun
    name = noun.replace(" ", "_")

    async def read(slug: SlugPath, session: SessionDep, response: Response) -> ContentModel:
        row = await service.get_administrable(session, kind, slug)
        _tagged(response, kind, row)
        return service.as_item(kind, row)

    async def delete(
        slug: SlugPath, session: SessionDep, if_match: IfMatchHeader = None
    ) -> Response:
        await service.delete_item(session, kind, slug, if_match)
        return Response(status_code=204)

    router.add_api_route(
        f"/{collection}/{{slug}}",
        read,
        methods=["GET"],
        name=f"get_{name}_for_editing",
        summary=f"Get {article} {noun} for editing",
        description=(
            f"The {noun} in the editable format that `PUT` takes, with its `ETag` (send it as "
            "`If-Match` to replace or delete the item). Imported items are not editable (409)."
        ),
        response_model=item_model,
        responses={
            200: {
                "description": f"The {noun} in the editable format `PUT` takes; `ETag` is its tag.",
                "headers": PRECONDITION_HEADERS,
            },
            **READ_ERRORS,
        },
    )
    router.add_api_route(
        f"/{collection}/{{slug}}",
        delete,
        methods=["DELETE"],
        name=f"delete_{name}",
        summary=f"Delete {article} {noun}",
        description=(
            f"Deletes the {noun} named by the slug when `If-Match` names its current `ETag` "
            "(428 without it, 412 when stale). Nothing may still refer to it: otherwise 409 "
            "lists every item that does (`referenced_by`), to change first. Deleting a curated "
            "item takes it down only until the next `spotter load-content`, which recreates it "
            "from its file."
        ),
        status_code=204,
        response_class=Response,
        responses={204: {"description": f"The {noun} is deleted; no body."}, **WRITE_ERRORS},
    )


# --------------------------------------------------------------------------- exercises

_add_shared_routes(service.EXERCISES, "exercises", ExerciseItem, "an")


@router.post(
    "/exercises",
    summary="Create an exercise",
    description=f"Adds an exercise (origin `api`); 409 if the slug is taken. {RULES} {LOADER}",
    status_code=201,
    response_model=ExerciseDetail,
    responses={**created(service.EXERCISES.noun), **CREATE_ERRORS},
)
async def create_exercise(
    body: Annotated[ExerciseItem, Body(description="The new exercise.")],
    session: SessionDep,
    response: Response,
) -> ExerciseDetail:
    row = await service.create_item(session, service.EXERCISES, body)
    _created(response, service.EXERCISES, "exercises", row)
    return await get_exercise_detail(session, row.slug)


@router.put(
    "/exercises/{slug}",
    summary="Replace an exercise",
    description=(
        "Replaces the whole exercise when `If-Match` names its current `ETag` (428 without, "
        f"412 when stale); the body's slug must be the path's. {RULES} {LOADER}"
    ),
    response_model=ExerciseDetail,
    responses={**replaced(service.EXERCISES.noun), **WRITE_ERRORS},
)
async def replace_exercise(
    slug: SlugPath,
    body: Annotated[ExerciseItem, Body(description="The exercise's new version, whole.")],
    session: SessionDep,
    response: Response,
    if_match: IfMatchHeader = None,
) -> ExerciseDetail:
    row = await service.replace_item(session, service.EXERCISES, slug, body, if_match)
    _tagged(response, service.EXERCISES, row)
    return await get_exercise_detail(session, row.slug)


# --------------------------------------------------------------------------- muscles

_add_shared_routes(service.MUSCLES, "muscles", MuscleItem, "a")


@router.post(
    "/muscles",
    summary="Create a muscle",
    description=f"Adds a muscle (origin `api`); 409 if the slug is taken. {RULES} {LOADER}",
    status_code=201,
    response_model=MuscleDetail,
    responses={**created(service.MUSCLES.noun), **CREATE_ERRORS},
)
async def create_muscle(
    body: Annotated[MuscleItem, Body(description="The new muscle.")],
    session: SessionDep,
    response: Response,
) -> MuscleDetail:
    row = await service.create_item(session, service.MUSCLES, body)
    _created(response, service.MUSCLES, "muscles", row)
    return await get_muscle(row.slug, session)


@router.put(
    "/muscles/{slug}",
    summary="Replace a muscle",
    description=(
        "Replaces the whole muscle, functions included, when `If-Match` names its current "
        f"`ETag` (428 without, 412 when stale); the body's slug must be the path's. {RULES} "
        f"{LOADER}"
    ),
    response_model=MuscleDetail,
    responses={**replaced(service.MUSCLES.noun), **WRITE_ERRORS},
)
async def replace_muscle(
    slug: SlugPath,
    body: Annotated[MuscleItem, Body(description="The muscle's new version, whole.")],
    session: SessionDep,
    response: Response,
    if_match: IfMatchHeader = None,
) -> MuscleDetail:
    row = await service.replace_item(session, service.MUSCLES, slug, body, if_match)
    _tagged(response, service.MUSCLES, row)
    return await get_muscle(row.slug, session)


# --------------------------------------------------------------------------- joint actions

_add_shared_routes(service.JOINT_ACTIONS, "joint-actions", JointActionItem, "a")


@router.post(
    "/joint-actions",
    summary="Create a joint action",
    description=f"Adds a joint action (origin `api`); 409 if the slug is taken. {RULES} {LOADER}",
    status_code=201,
    response_model=JointActionDetail,
    responses={**created(service.JOINT_ACTIONS.noun), **CREATE_ERRORS},
)
async def create_joint_action(
    body: Annotated[JointActionItem, Body(description="The new joint action.")],
    session: SessionDep,
    response: Response,
) -> JointActionDetail:
    row = await service.create_item(session, service.JOINT_ACTIONS, body)
    _created(response, service.JOINT_ACTIONS, "joint-actions", row)
    return await get_joint_action(row.slug, session)


@router.put(
    "/joint-actions/{slug}",
    summary="Replace a joint action",
    description=(
        "Replaces the whole joint action when `If-Match` names its current `ETag` (428 "
        f"without, 412 when stale); the body's slug must be the path's. {RULES} {LOADER}"
    ),
    response_model=JointActionDetail,
    responses={**replaced(service.JOINT_ACTIONS.noun), **WRITE_ERRORS},
)
async def replace_joint_action(
    slug: SlugPath,
    body: Annotated[JointActionItem, Body(description="The joint action's new version, whole.")],
    session: SessionDep,
    response: Response,
    if_match: IfMatchHeader = None,
) -> JointActionDetail:
    row = await service.replace_item(session, service.JOINT_ACTIONS, slug, body, if_match)
    _tagged(response, service.JOINT_ACTIONS, row)
    return await get_joint_action(row.slug, session)


# --------------------------------------------------------------------------- tips

_add_shared_routes(service.TIPS, "tips", TipItem, "a")


@router.post(
    "/tips",
    summary="Create a tip",
    description=f"Adds a training tip (origin `api`); 409 if the slug is taken. {RULES} {LOADER}",
    status_code=201,
    response_model=TipPublic,
    responses={**created(service.TIPS.noun), **CREATE_ERRORS},
)
async def create_tip(
    body: Annotated[TipItem, Body(description="The new tip.")],
    session: SessionDep,
    response: Response,
) -> TipPublic:
    row = await service.create_item(session, service.TIPS, body)
    _created(response, service.TIPS, "tips", row)
    return await get_tip(session, row.slug)


@router.put(
    "/tips/{slug}",
    summary="Replace a tip",
    description=(
        "Replaces the whole tip when `If-Match` names its current `ETag` (428 without, 412 "
        f"when stale); the body's slug must be the path's. {RULES} {LOADER}"
    ),
    response_model=TipPublic,
    responses={**replaced(service.TIPS.noun), **WRITE_ERRORS},
)
async def replace_tip(
    slug: SlugPath,
    body: Annotated[TipItem, Body(description="The tip's new version, whole.")],
    session: SessionDep,
    response: Response,
    if_match: IfMatchHeader = None,
) -> TipPublic:
    row = await service.replace_item(session, service.TIPS, slug, body, if_match)
    _tagged(response, service.TIPS, row)
    return await get_tip(session, row.slug)
