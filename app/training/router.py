"""Training-log endpoints under ``/v1/me``: the owner is always the caller's principal."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status

from app.auth.dependencies import LogsReader, LogsWriter, RecommendationsReader
from app.bodies import StrictJSONRoute
from app.db.session import SessionDep
from app.errors import problem_responses
from app.idempotency import service as idempotency
from app.idempotency.service import REPLAY_HEADERS, IdempotencyKeyHeader, Outcome
from app.pagination import CursorQuery, LimitQuery, link_next
from app.preconditions import PRECONDITION_HEADERS, IfMatchHeader, set_etag
from app.recommendations.schemas import DAY_RANGE
from app.recommender import RecommendationResult
from app.training import service
from app.training.schemas import (
    IsoDate,
    IsoDay,
    ProfilePublic,
    ProfileUpdate,
    TrainingSessionCreate,
    TrainingSessionPage,
    TrainingSessionPublic,
    TrainingSessionUpdate,
)

router = APIRouter(route_class=StrictJSONRoute, tags=["training-logs"])
# The stored-history recommendation reads the logs but is listed with the stateless one: one
# tag per operation, so generated clients put it in exactly one place.
recommendations_router = APIRouter(route_class=StrictJSONRoute, tags=["recommendations"])

SessionIdPath = Annotated[
    int, Path(ge=1, le=2**31 - 1, description="The session's id, from its creation or a listing.")
]


# --------------------------------------------------------------------------- profile


@router.get(
    "/me/profile",
    summary="Get my training profile",
    response_description="Your training profile; its `ETag` is what `If-Match` must carry to "
    "replace it.",
    response_model=ProfilePublic,
    responses={
        200: {"headers": PRECONDITION_HEADERS},
        **problem_responses(401, 403, 404, 429, 503),
    },
)
async def get_my_profile(
    principal: LogsReader, session: SessionDep, response: Response
) -> ProfilePublic:
    """Your experience level, unit, bodyweight, goal, routine and equipment: what the
    recommender plans with. 404 until you create it with `PUT /v1/me/profile`. The `ETag` is
    what `If-Match` must carry to change it."""
    profile = await service.get_profile(session, principal.user_id)
    set_etag(response, service.profile_etag(profile, principal.user_id))
    return profile


@router.put(
    "/me/profile",
    summary="Create or replace my training profile",
    response_model=ProfilePublic,
    responses={
        200: {
            "description": "The profile was replaced: the stored profile, with its new version "
            "and `ETag`.",
            "headers": PRECONDITION_HEADERS,
        },
        201: {
            "description": "The profile was created: the stored profile, with its `ETag`.",
            "model": ProfilePublic,
            "headers": PRECONDITION_HEADERS,
        },
        **problem_responses(401, 403, 409, 412, 413, 422, 428, 429, 503),
    },
)
async def put_my_profile(
    data: ProfileUpdate,
    principal: LogsWriter,
    session: SessionDep,
    response: Response,
    if_match: IfMatchHeader = None,
) -> ProfilePublic:
    """Replaces the whole profile (omitted fields take their defaults). The first `PUT` creates
    it (201) and needs no `If-Match`; every later one must send the `ETag` it last saw: without
    it 428, with an outdated one 412, so two devices cannot silently overwrite each other."""
    profile, created = await service.put_profile(session, principal.user_id, data, if_match)
    if created:
        response.status_code = status.HTTP_201_CREATED
    set_etag(response, service.profile_etag(profile, principal.user_id))
    return profile


# --------------------------------------------------------------------------- sessions


def _session_headers(request: Request, created: TrainingSessionPublic) -> dict[str, str]:
    location = request.url_for("get_training_session", session_id=created.id).path
    return {"Location": location, "ETag": service.session_etag(created)}


@router.post(
    "/me/sessions",
    summary="Log a training session",
    status_code=status.HTTP_201_CREATED,
    response_model=TrainingSessionPublic,
    responses={
        201: {
            "description": "The stored session with its sets (on a replay, the one the first "
            "request stored); `Location` is its URL.",
            "headers": {
                **PRECONDITION_HEADERS,
                **REPLAY_HEADERS,
                "Location": {"description": "The new session.", "schema": {"type": "string"}},
            },
        },
        **problem_responses(401, 403, 409, 413, 422, 429, 503),
    },
)
async def create_training_session(
    data: TrainingSessionCreate,
    principal: LogsWriter,
    session: SessionDep,
    request: Request,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Stores a session with its sets, in order, all or nothing. Every exercise must be a
    knowledge-base slug (422 otherwise). Send an `Idempotency-Key` to make retries safe: a
    repeat returns the first response instead of logging the session twice."""

    async def create() -> Outcome:
        created = await service.create_session(session, principal.user_id, data)
        return Outcome(status.HTTP_201_CREATED, created, _session_headers(request, created))

    return await idempotency.run_once(
        session,
        principal.user_id,
        idempotency_key,
        idempotency.fingerprint(request, data),
        create,
    )


@router.get(
    "/me/sessions",
    summary="List my training sessions",
    response_description="One page of your sessions with their sets, newest first.",
    response_model=TrainingSessionPage,
    # Its Link header is documented with every page's (app/openapi_headers.py).
    responses=problem_responses(401, 403, 422, 429, 503),
)
async def list_training_sessions(
    principal: LogsReader,
    session: SessionDep,
    request: Request,
    response: Response,
    date_from: Annotated[
        IsoDate | None,
        Query(alias="from", description="Only sessions on or after this date (`YYYY-MM-DD`)."),
    ] = None,
    date_to: Annotated[
        IsoDate | None,
        Query(alias="to", description="Only sessions on or before this date (`YYYY-MM-DD`)."),
    ] = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> TrainingSessionPage:
    """Your sessions with their sets, newest first (by date, then by creation), optionally
    within a date range. Follow `next_cursor` (or the `Link` header) for the next page; a
    cursor only works with the same `from` and `to`."""
    page = await service.list_sessions(
        session, principal.user_id, date_from, date_to, limit, cursor
    )
    link_next(request, response, page.next_cursor)
    return page


@router.get(
    "/me/sessions/{session_id}",
    summary="Get one of my training sessions",
    response_description="The session with its sets in order; its `ETag` is what `If-Match` must "
    "carry to change or delete it.",
    response_model=TrainingSessionPublic,
    responses={
        200: {"headers": PRECONDITION_HEADERS},
        **problem_responses(401, 403, 404, 422, 429, 503),
    },
)
async def get_training_session(
    session_id: SessionIdPath, principal: LogsReader, session: SessionDep, response: Response
) -> TrainingSessionPublic:
    """One session with its sets in order. Another lifter's session is 404, exactly like one
    that does not exist. The `ETag` is what `If-Match` must carry to change or delete it."""
    found = await service.get_session(session, principal.user_id, session_id)
    set_etag(response, service.session_etag(found))
    return found


@router.put(
    "/me/sessions/{session_id}",
    summary="Replace one of my training sessions",
    response_description="The session as replaced, with its new version (and `ETag`).",
    response_model=TrainingSessionPublic,
    responses={
        200: {"headers": PRECONDITION_HEADERS},
        **problem_responses(401, 403, 404, 412, 413, 422, 428, 429, 503),
    },
)
async def replace_training_session(
    session_id: SessionIdPath,
    data: TrainingSessionUpdate,
    principal: LogsWriter,
    session: SessionDep,
    response: Response,
    if_match: IfMatchHeader = None,
) -> TrainingSessionPublic:
    """Replaces the date, notes and every set of a session in one transaction. `If-Match` is
    required (428 without it) and must be the session's current `ETag` (412 otherwise): of two
    edits based on the same version, only the first is kept."""
    replaced = await service.replace_session(session, principal.user_id, session_id, data, if_match)
    set_etag(response, service.session_etag(replaced))
    return replaced


@router.delete(
    "/me/sessions/{session_id}",
    summary="Delete one of my training sessions",
    response_description="The session and its sets are deleted; no body.",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 412, 422, 428, 429, 503),
)
async def delete_training_session(
    session_id: SessionIdPath,
    principal: LogsWriter,
    session: SessionDep,
    if_match: IfMatchHeader = None,
) -> None:
    """Deletes a session and its sets. `If-Match` is required, as for a change: deleting a
    version you have not seen would discard another device's edit unseen (428 without it, 412
    when the session changed since). Deleting it again is 404."""
    await service.delete_session(session, principal.user_id, session_id, if_match)


# --------------------------------------------------------------------------- recommendations


@recommendations_router.get(
    "/me/recommendations/next-session",
    summary="Recommend my next session",
    response_description="What the stateless recommender answers for your profile, equipment and "
    "logged sessions.",
    response_model=RecommendationResult,
    responses=problem_responses(401, 403, 409, 422, 429, 503),
)
async def recommend_my_next_session(
    principal: RecommendationsReader,
    session: SessionDep,
    today: Annotated[
        IsoDay | None,
        Query(
            description=f"The day to plan for (`YYYY-MM-DD`, {DAY_RANGE}); the server's date "
            "(UTC) if omitted."
        ),
    ] = None,
) -> RecommendationResult:
    """Runs the recommender on your stored profile and the last year of your sessions (the
    newest 5,000 sets at most): the same answer `POST /v1/recommendations/next-session` gives
    for that data. 409 until you have created your profile."""
    day = today or datetime.now(UTC).date()
    return await service.recommend_next_session(session, principal.user_id, day)
