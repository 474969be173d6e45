"""Who is calling: one dependency that resolves a bearer token or an API key to a principal.

Declared through FastAPI's security classes so the OpenAPI document names both schemes.
Credentials are accepted in headers only; a key or token in the URL would end up in logs
and browser histories, so such a request is refused outright.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import BackgroundTasks, Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.api_keys.models import is_active
from app.auth import keys, tokens
from app.auth.passwords import Passwords
from app.auth.scopes import Scope, scopes_of
from app.config import Settings
from app.db.session import SessionDep
from app.errors import ForbiddenError, UnauthorizedError
from app.oauth import credentials

logger = logging.getLogger(__name__)

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="BearerToken",
    description="An access token (valid 15 minutes): a lifter's own from `POST /v1/auth/token`, "
    "or an app's from the OAuth 2.1 token endpoint (`/oauth/token`; discovery at "
    "`/.well-known/oauth-authorization-server`), limited to the scopes the lifter granted.",
)
api_key_scheme = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key a lifter created (`spt_...`), limited to the scopes it was granted.",
)
URL_CREDENTIALS = {"api_key", "apikey", "key", "access_token", "token"}
# last_used_at is informative, not an audit log: one write a minute per key is plenty.
LAST_USED_RESOLUTION_S = 60


def derived_secret(settings: Settings, purpose: str) -> str:
    """A separate key per use of the one configured secret (token signing, key hashing)."""
    master = settings.secret_key.get_secret_value().encode()
    return hmac.new(master, purpose.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Principal:
    """The user a request acts for, and what this credential lets it do.

    A credential an app holds for the lifter names its key (``api_key_id``) or its OAuth grant
    (``grant_id``); both are None for the lifter's own login.
    """

    user_id: int
    is_admin: bool
    scopes: frozenset[Scope]
    api_key_id: int | None = None
    grant_id: int | None = None

    @property
    def is_own_login(self) -> bool:
        return self.api_key_id is None and self.grant_id is None


@dataclass(frozen=True)
class AppPrincipal:
    """A registered app acting on its own behalf (client credentials), for no lifter: it may
    read the catalog and ask the stateless recommender, on the app's own quota."""

    app_id: int
    scopes: frozenset[Scope]
    rate_limit: int | None


Caller = Principal | AppPrincipal


# The tables whose rows record when a credential was last used: API keys and OAuth grants.
_USE_RECORDS = {
    table: text(
        f"UPDATE {table} SET last_used_at = now() WHERE id = :id AND "  # noqa: S608 - fixed names
        "(last_used_at IS NULL OR last_used_at < now() - make_interval(secs => :every))"
    )
    for table in ("api_key", "oauth_grant")
}


async def _record_use(
    sessionmaker: async_sessionmaker[AsyncSession], table: str, row_id: int
) -> None:
    """Runs after the response is sent, in its own transaction."""
    try:
        async with sessionmaker() as session:
            connection = await session.connection()
            await connection.execute(
                _USE_RECORDS[table], {"id": row_id, "every": LAST_USED_RESOLUTION_S}
            )
            await session.commit()
    except Exception:  # a bookkeeping write must never surface as a request error
        logger.warning("could not record the use of a %s", table, exc_info=True)


# The key and what its owner may do today, in one indexed look-up by the key's hash.
_KEY_PRINCIPAL = text(
    "SELECT k.id, k.user_id, k.scopes, k.expires_at, k.revoked_at, k.last_used_at, u.is_admin "
    "FROM api_key k JOIN user_account u ON u.id = k.user_id WHERE k.key_hash = :digest"
)
# Only what a bearer token's check needs: rows read as tuples, no ORM object to build.
_TOKEN_PRINCIPAL = text("SELECT is_admin, token_version FROM user_account WHERE id = :id")


def _use_is_stale(last_used_at: datetime | None, now: datetime) -> bool:
    """Whether ``last_used_at`` is due for a write. Most requests of a busy key find it fresh
    and so cost no second transaction; the UPDATE's own condition stays the judge when it runs
    (the database's clock, and two requests that both found it stale)."""
    return last_used_at is None or now - last_used_at >= timedelta(seconds=LAST_USED_RESOLUTION_S)


async def _from_api_key(
    request: Request, session: AsyncSession, key: str, background: BackgroundTasks
) -> Principal:
    if not keys.is_well_formed(key):
        raise UnauthorizedError("The API key is malformed.", error="invalid_token")
    digest = keys.key_hash(key, key_hash_secret(request))
    connection = await session.connection()
    found = (await connection.execute(_KEY_PRINCIPAL, {"digest": digest})).first()
    if found is None:
        raise UnauthorizedError("The API key is not valid.", error="invalid_token")
    key_id, user_id, scopes, expires_at, revoked_at, last_used_at, is_admin = found
    now = datetime.now(UTC)
    if not is_active(revoked_at, expires_at, now):
        raise UnauthorizedError(
            "The API key has been revoked or has expired.", error="invalid_token"
        )
    if _use_is_stale(last_used_at, now):
        background.add_task(_record_use, request.app.state.sessionmaker, "api_key", key_id)
    # A key never does more than its owner may do today (an ex-administrator's key loses kb:admin).
    granted = frozenset(Scope(s) for s in scopes) & scopes_of(is_admin=is_admin)
    return Principal(user_id=user_id, is_admin=is_admin, scopes=granted, api_key_id=key_id)


# An app's access token, its grant, app and lifter, in one indexed look-up by the token's hash.
_OAUTH_PRINCIPAL = text(
    "SELECT t.scopes, t.grant_id, t.access_expires_at, t.revoked_at, a.id AS app_id, "
    "a.suspended_at, a.rate_limit, g.user_id, g.scopes AS grant_scopes, "
    "g.revoked_at AS grant_revoked_at, g.last_used_at, u.is_admin "
    "FROM oauth_token t JOIN registered_app a ON a.id = t.app_id "
    "LEFT JOIN oauth_grant g ON g.id = t.grant_id "
    "LEFT JOIN user_account u ON u.id = g.user_id WHERE t.access_hash = :digest"
)


async def _from_oauth_token(
    request: Request, session: AsyncSession, token: str, background: BackgroundTasks
) -> Caller:
    """An access token from the authorization server (``app.oauth``). Its grant and app are
    read on every request, so revoking the grant or suspending the app ends it at once."""
    if not credentials.is_well_formed(token, credentials.ACCESS_PREFIX):
        raise UnauthorizedError("The access token is malformed.", error="invalid_token")
    digest = credentials.digest(token, oauth_secret(request))
    connection = await session.connection()
    found = (await connection.execute(_OAUTH_PRINCIPAL, {"digest": digest})).first()
    now = datetime.now(UTC)
    if found is None:
        raise UnauthorizedError("The access token is not valid.", error="invalid_token")
    if found.revoked_at is not None or found.access_expires_at <= now:
        raise UnauthorizedError(
            "The access token has expired or been revoked.", error="invalid_token"
        )
    if found.suspended_at is not None:
        raise UnauthorizedError("The app holding this token is suspended.", error="invalid_token")
    scopes = frozenset(Scope(s) for s in found.scopes)
    if found.grant_id is None:
        return AppPrincipal(app_id=found.app_id, scopes=scopes, rate_limit=found.rate_limit)
    if found.grant_revoked_at is not None or found.user_id is None:
        raise UnauthorizedError("The lifter has revoked this app's access.", error="invalid_token")
    if _use_is_stale(found.last_used_at, now):
        background.add_task(
            _record_use, request.app.state.sessionmaker, "oauth_grant", found.grant_id
        )
    # What the lifter granted, narrowed by a later consent, and never beyond the account.
    granted = (
        scopes
        & frozenset(Scope(s) for s in found.grant_scopes)
        & scopes_of(is_admin=found.is_admin)
    )
    return Principal(
        user_id=found.user_id, is_admin=found.is_admin, scopes=granted, grant_id=found.grant_id
    )


async def _from_token(request: Request, session: AsyncSession, token: str) -> Principal:
    try:
        claims = tokens.decode(token, token_secret(request), "access")
    except tokens.TokenError as exc:
        raise UnauthorizedError(
            f"The access token is not valid: {exc}.", error="invalid_token"
        ) from exc
    connection = await session.connection()
    found = (await connection.execute(_TOKEN_PRINCIPAL, {"id": claims.user_id})).first()
    if found is None or found.token_version != claims.version:
        raise UnauthorizedError("The access token is no longer valid.", error="invalid_token")
    return Principal(
        user_id=claims.user_id, is_admin=found.is_admin, scopes=scopes_of(is_admin=found.is_admin)
    )


async def optional_principal(
    request: Request,
    session: SessionDep,
    background: BackgroundTasks,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
    api_key: Annotated[str | None, Security(api_key_scheme)],
) -> Caller | None:
    """The caller, or None for an anonymous request; invalid credentials are always a 401."""
    if URL_CREDENTIALS & {name.lower() for name in request.query_params}:
        raise UnauthorizedError(
            "Credentials are accepted in headers only, never in the URL.", error="invalid_request"
        )
    if bearer is not None and api_key is not None:
        raise UnauthorizedError(
            "Send either a bearer token or an API key, not both.", error="invalid_request"
        )
    if api_key is not None:
        return await _from_api_key(request, session, api_key, background)
    if bearer is not None:
        if bearer.credentials.startswith(credentials.ACCESS_PREFIX):
            return await _from_oauth_token(request, session, bearer.credentials, background)
        return await _from_token(request, session, bearer.credentials)
    return None


OptionalPrincipal = Annotated[Caller | None, Depends(optional_principal)]


def requires(*needed: Scope) -> Callable[[Caller | None], Awaitable[Principal]]:
    """A dependency: an authenticated principal holding every scope in ``needed``."""

    async def dependency(principal: OptionalPrincipal) -> Principal:
        if principal is None:
            raise UnauthorizedError(
                "Authentication is required: send a bearer token or an X-API-Key."
            )
        if isinstance(principal, AppPrincipal):
            raise ForbiddenError(
                "An app's own token acts for no lifter; this needs a lifter's grant."
            )
        missing = [scope.value for scope in needed if scope not in principal.scopes]
        if missing:
            raise ForbiddenError(f"This credential lacks the scope(s) {', '.join(missing)}.")
        return principal

    return dependency


# Any signed-in caller (own account operations such as managing keys need a login, see below).
AuthenticatedPrincipal = Annotated[Principal, Depends(requires())]
LogsReader = Annotated[Principal, Depends(requires(Scope.LOGS_READ))]
LogsWriter = Annotated[Principal, Depends(requires(Scope.LOGS_WRITE))]
RecommendationsReader = Annotated[Principal, Depends(requires(Scope.RECOMMENDATIONS_READ))]
KnowledgeBaseAdmin = Annotated[Principal, Depends(requires(Scope.KB_ADMIN))]


async def require_login(principal: AuthenticatedPrincipal) -> Principal:
    """Account management (keys, apps, grants, password) needs the lifter's own login, not a
    credential an app holds: a third-party app must not mint itself new keys or grants."""
    if not principal.is_own_login:
        raise ForbiddenError(
            "This needs the account's own login; API keys and app tokens cannot manage the account."
        )
    return principal


LoggedInUser = Annotated[Principal, Depends(require_login)]


def token_secret(request: Request) -> str:
    return derived_secret(request.app.state.settings, "jwt")


def key_hash_secret(request: Request) -> str:
    return derived_secret(request.app.state.settings, "api-key")


def oauth_secret(request: Request) -> str:
    """Hashes the authorization server's codes, tokens and client secrets."""
    return derived_secret(request.app.state.settings, "oauth")


TokenSecret = Annotated[str, Depends(token_secret)]
KeyHashSecret = Annotated[str, Depends(key_hash_secret)]
OAuthSecret = Annotated[str, Depends(oauth_secret)]


def password_hasher(request: Request) -> Passwords:
    passwords: Passwords = request.app.state.passwords
    return passwords


PasswordHasherDep = Annotated[Passwords, Depends(password_hasher)]
