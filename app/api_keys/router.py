"""API key endpoints; they need the account's own login, never an API key."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, status

from app.api_keys import service
from app.api_keys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic
from app.auth.dependencies import KeyHashSecret, LoggedInUser
from app.bodies import StrictJSONRoute
from app.db.session import SessionDep
from app.errors import problem_responses
from app.ratelimit.dependency import limit_key_creation

router = APIRouter(route_class=StrictJSONRoute, tags=["api-keys"])


@router.post(
    "/me/api-keys",
    summary="Create an API key",
    response_description="The new key with its secret (`key`), which no later response shows "
    "again.",
    status_code=status.HTTP_201_CREATED,
    response_model=ApiKeyCreated,
    responses=problem_responses(401, 403, 413, 422, 429, 503),
    dependencies=[Depends(limit_key_creation)],
)
async def create_api_key(
    data: ApiKeyCreate, principal: LoggedInUser, session: SessionDep, secret: KeyHashSecret
) -> ApiKeyCreated:
    """Creates a key a third-party app can use (`X-API-Key` header) to act for you within the
    scopes you grant, which can be no more than your own. The secret is in this response only;
    Spotter keeps just a keyed hash of it. At most 10 keys an hour per account by default."""
    return await service.create_key(session, principal.user_id, principal.scopes, data, secret)


@router.get(
    "/me/api-keys",
    summary="List my API keys",
    response_description="Every key of the account, revoked ones included, without their secrets.",
    response_model=list[ApiKeyPublic],
    responses=problem_responses(401, 403, 429, 503),
)
async def list_api_keys(principal: LoggedInUser, session: SessionDep) -> list[ApiKeyPublic]:
    """Your keys, revoked ones included, with their scopes, expiry and when each was last used
    (to the minute). Secrets are never shown again."""
    return await service.list_keys(session, principal.user_id)


@router.delete(
    "/me/api-keys/{key_id}",
    summary="Revoke an API key",
    response_description="The key is revoked (or already was); no body.",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 422, 429, 503),
)
async def revoke_api_key(
    key_id: Annotated[int, Path(ge=1, le=2**31 - 1, description="The key's id.")],
    principal: LoggedInUser,
    session: SessionDep,
) -> None:
    """Revokes one of your keys at once; revoking a revoked key again changes nothing."""
    await service.revoke_key(session, principal.user_id, key_id)
