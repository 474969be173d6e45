"""Registered app endpoints: a signed-in lifter manages their own apps; administrators see
and suspend any. They need the account's own login, never a credential an app holds."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, status

from app.apps import service
from app.apps.schemas import AppCreate, AppCreated, AppPublic, AppUpdate, ClientSecret, Suspension
from app.auth.dependencies import LoggedInUser, OAuthSecret
from app.bodies import StrictJSONRoute
from app.db.session import SessionDep
from app.errors import ForbiddenError, problem_responses
from app.oauth.credentials import CLIENT_ID_LENGTH, CLIENT_ID_PATTERN

router = APIRouter(route_class=StrictJSONRoute, tags=["apps"])

ClientIdPath = Annotated[
    str,
    Path(
        min_length=CLIENT_ID_LENGTH,
        max_length=CLIENT_ID_LENGTH,
        pattern=CLIENT_ID_PATTERN,
        description="The app's client id.",
        examples=["spa_4fQm9ZkP0aX7cV2bN8rT1yU6wE4sD5A0b1C2"],
    ),
]


def _app_quota(request: Request) -> int:
    most: int = request.app.state.settings.rate_limit_app
    return most


def _admin(principal: LoggedInUser) -> None:
    if not principal.is_admin:
        raise ForbiddenError("Only administrators can see every app or suspend one.")


@router.post(
    "/apps",
    summary="Register an app",
    response_description="The new app; a confidential app's `client_secret` is in this response "
    "only.",
    status_code=status.HTTP_201_CREATED,
    response_model=AppCreated,
    responses=problem_responses(401, 403, 409, 413, 422, 429, 503),
)
async def register_app(
    data: AppCreate,
    principal: LoggedInUser,
    session: SessionDep,
    secret: OAuthSecret,
    request: Request,
) -> AppCreated:
    """Registers a third-party app as an OAuth 2.1 client that lifters can grant access to
    through the consent page (`/oauth/authorize`; discovery at
    `/.well-known/oauth-authorization-server`). A public app (phone, desktop, browser) proves
    itself with PKCE alone; a confidential app also gets a client secret, shown only here and
    stored as a keyed hash. At most 20 apps per account."""
    return await service.register(session, principal.user_id, data, secret, _app_quota(request))


@router.get(
    "/apps",
    summary="List my apps",
    response_description="Every app the account registered, without secrets.",
    response_model=list[AppPublic],
    responses=problem_responses(401, 403, 429, 503),
)
async def list_my_apps(
    principal: LoggedInUser, session: SessionDep, request: Request
) -> list[AppPublic]:
    """The apps you registered, suspended ones included."""
    return await service.list_apps(session, principal.user_id, _app_quota(request))


@router.get(
    "/apps/{client_id}",
    summary="Get one of my apps",
    response_description="The app, without its secret.",
    response_model=AppPublic,
    responses=problem_responses(401, 403, 404, 422, 429, 503),
)
async def get_my_app(
    client_id: ClientIdPath, principal: LoggedInUser, session: SessionDep, request: Request
) -> AppPublic:
    """One of your apps by its client id; administrators can read any app. Someone else's
    app is a 404, so client ids cannot be probed."""
    app = await service.get_app(session, client_id, principal.user_id, is_admin=principal.is_admin)
    return service.public(app, _app_quota(request))


@router.patch(
    "/apps/{client_id}",
    summary="Change one of my apps",
    response_description="The app as changed.",
    response_model=AppPublic,
    responses=problem_responses(401, 403, 404, 413, 422, 429, 503),
)
async def update_my_app(
    client_id: ClientIdPath,
    data: AppUpdate,
    principal: LoggedInUser,
    session: SessionDep,
    request: Request,
) -> AppPublic:
    """Changes the fields you send and leaves the rest. New redirect URIs apply to the next
    authorization request; grants already given keep their scopes."""
    app = await service.get_app(session, client_id, principal.user_id, is_admin=False, lock=True)
    quota = _app_quota(request)
    return service.public(await service.update_app(session, app, data, quota), quota)


@router.post(
    "/apps/{client_id}/secret",
    summary="Rotate my app's client secret",
    response_description="The new client secret, shown only in this response.",
    response_model=ClientSecret,
    responses=problem_responses(401, 403, 404, 409, 422, 429, 503),
)
async def rotate_app_secret(
    client_id: ClientIdPath, principal: LoggedInUser, session: SessionDep, secret: OAuthSecret
) -> ClientSecret:
    """Issues a new client secret for a confidential app; the previous one stops working at
    once (tokens already issued keep working). A public app has none: 409."""
    app = await service.get_app(session, client_id, principal.user_id, is_admin=False, lock=True)
    return service.rotate_secret(app, secret)


@router.delete(
    "/apps/{client_id}",
    summary="Delete one of my apps",
    response_description="The app, its grants and every token it held are gone; no body.",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 422, 429, 503),
)
async def delete_my_app(
    client_id: ClientIdPath, principal: LoggedInUser, session: SessionDep
) -> None:
    """Deletes the app; every lifter's grant to it and every token it held end at once."""
    app = await service.get_app(session, client_id, principal.user_id, is_admin=False, lock=True)
    await service.delete_app(session, app)


@router.get(
    "/admin/apps",
    summary="List every app",
    response_description="Every registered app, without secrets.",
    response_model=list[AppPublic],
    responses=problem_responses(401, 403, 429, 503),
)
async def list_every_app(
    principal: LoggedInUser, session: SessionDep, request: Request
) -> list[AppPublic]:
    """Every registered app with its owner; administrators only."""
    _admin(principal)
    return await service.list_apps(session, None, _app_quota(request))


@router.put(
    "/admin/apps/{client_id}/suspension",
    summary="Suspend an app",
    response_description="The app, now suspended.",
    response_model=AppPublic,
    responses=problem_responses(401, 403, 404, 413, 422, 429, 503),
)
async def suspend_app(
    client_id: ClientIdPath,
    data: Suspension,
    principal: LoggedInUser,
    session: SessionDep,
    request: Request,
) -> AppPublic:
    """Suspends an app (administrators only): its tokens stop working on their next request,
    it can neither get new ones nor send lifters to the consent page. Suspending again
    replaces the reason."""
    _admin(principal)
    app = await service.get_app(session, client_id, principal.user_id, is_admin=True, lock=True)
    return service.public(await service.suspend(session, app, data.reason), _app_quota(request))


@router.delete(
    "/admin/apps/{client_id}/suspension",
    summary="Reinstate an app",
    response_description="The app, active again.",
    response_model=AppPublic,
    responses=problem_responses(401, 403, 404, 422, 429, 503),
)
async def reinstate_app(
    client_id: ClientIdPath, principal: LoggedInUser, session: SessionDep, request: Request
) -> AppPublic:
    """Lifts a suspension (administrators only). Grants lifters gave before it work again."""
    _admin(principal)
    app = await service.get_app(session, client_id, principal.user_id, is_admin=True, lock=True)
    return service.public(await service.suspend(session, app, None), _app_quota(request))
