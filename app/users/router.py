"""Account endpoints: register, obtain and refresh tokens, log out, read the account."""

from __future__ import annotations

from fastapi import APIRouter, status

from app.auth.dependencies import (
    AuthenticatedPrincipal,
    LoggedInUser,
    PasswordHasherDep,
    TokenSecret,
)
from app.bodies import StrictJSONRoute
from app.db.session import SessionDep
from app.errors import problem_responses
from app.ratelimit.dependency import SignInGuard
from app.users import service
from app.users.schemas import LoginRequest, RefreshRequest, TokenPair, UserCreate, UserPublic

router = APIRouter(route_class=StrictJSONRoute, tags=["accounts"])


@router.post(
    "/auth/register",
    summary="Create an account",
    response_description="The new account; sign in with `POST /v1/auth/token` for its tokens.",
    status_code=status.HTTP_201_CREATED,
    response_model=UserPublic,
    responses=problem_responses(409, 413, 422, 429, 503),
)
async def register_account(
    data: UserCreate, session: SessionDep, passwords: PasswordHasherDep
) -> UserPublic:
    """Registers a lifter with an email and a password (10 to 128 characters, stored as an
    Argon2id hash). Sign in with `POST /v1/auth/token` afterwards."""
    return service.public(await service.register(session, passwords, data))


@router.post(
    "/auth/token",
    summary="Sign in",
    response_description="A new access and refresh token pair for the account.",
    response_model=TokenPair,
    responses=problem_responses(401, 413, 422, 429, 503),
)
async def create_token(
    data: LoginRequest,
    session: SessionDep,
    secret: TokenSecret,
    attempts: SignInGuard,
    passwords: PasswordHasherDep,
) -> TokenPair:
    """Exchanges an email and password for an access token (send it as
    `Authorization: Bearer ...`; valid 15 minutes) and a refresh token (30 days).

    Failed sign-ins are limited per client address and per account (10 per 15 minutes by
    default): the next attempt is answered 429 with `Retry-After`, even with the right
    password."""
    async with attempts.attempt(data.email):
        return await service.login(session, passwords, data.email, data.password, secret)


@router.post(
    "/auth/refresh",
    summary="Refresh tokens",
    response_description="A new access and refresh token pair; the refresh token sent is now "
    "spent.",
    response_model=TokenPair,
    responses=problem_responses(401, 413, 422, 429, 503),
)
async def refresh_token(
    data: RefreshRequest, session: SessionDep, secret: TokenSecret
) -> TokenPair:
    """Exchanges a refresh token for a new access and refresh token pair. Each refresh token
    works once: keep the new one and discard the old. Presenting a refresh token that was
    already used is taken as a sign it was copied, and revokes every token descended from the
    same sign-in (401 `invalid_grant`; sign in again). A refresh token also stops working when
    it expires (30 days) or the account logs out everywhere."""
    return await service.refresh(session, data.refresh_token, secret)


@router.post(
    "/auth/logout",
    summary="Log out everywhere",
    response_description="Every token issued to the account so far is revoked; no body.",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 429, 503),
)
async def log_out_everywhere(principal: LoggedInUser, session: SessionDep) -> None:
    """Revokes every access and refresh token issued to the account so far. API keys are
    unaffected; revoke them one by one."""
    await service.revoke_tokens(session, principal.user_id)


@router.get(
    "/me",
    summary="Get my account",
    response_description="The account the credential belongs to, with the scopes its own login "
    "has.",
    response_model=UserPublic,
    responses=problem_responses(401, 429, 503),
)
async def get_my_account(principal: AuthenticatedPrincipal, session: SessionDep) -> UserPublic:
    """The account the credential belongs to, and the scopes its own login has."""
    return service.public(await service.get_user(session, principal.user_id))
