"""The lifter's view of the apps they granted access: list and revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from app.auth.dependencies import LoggedInUser
from app.db.session import SessionDep
from app.errors import NotFoundError, problem_responses
from app.oauth import service
from app.oauth.schemas import GrantPublic

router = APIRouter(tags=["apps"])


@router.get(
    "/me/grants",
    summary="List the apps I allowed",
    response_description="Every app that can act for you now, with what it may do.",
    response_model=list[GrantPublic],
    responses=problem_responses(401, 403, 429, 503),
)
async def list_my_grants(principal: LoggedInUser, session: SessionDep) -> list[GrantPublic]:
    """The apps you approved on the consent page and have not revoked, with their scopes and
    when each last used its access."""
    return await service.list_grants(session, principal.user_id)


@router.delete(
    "/me/grants/{grant_id}",
    summary="Revoke an app's access",
    response_description="The app's access is revoked (or already was); no body.",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 422, 429, 503),
)
async def revoke_my_grant(
    grant_id: Annotated[int, Path(ge=1, le=2**31 - 1, description="The grant's id.")],
    principal: LoggedInUser,
    session: SessionDep,
) -> None:
    """Ends the grant and every token issued under it, at once: the app's next request with
    any of them is a 401. Revoking a revoked grant again changes nothing."""
    if not await service.grant_exists(session, principal.user_id, grant_id):
        raise NotFoundError(f"You have no grant {grant_id}.")
    await service.revoke_grants(session, user_id=principal.user_id, grant_id=grant_id)
