"""Authlib's OAuth 2 authorization server, fitted to Spotter.

Authlib implements the protocol (RFC 6749 grants, PKCE, refresh rotation hooks, RFC 7009
revocation, RFC 7662 introspection, RFC 9207 ``iss``); this module supplies what it leaves
to the framework and the storage, and tightens it to OAuth 2.1:

- PKCE with S256 is required of every client at the authorization endpoint; ``plain`` and a
  missing method are refused.
- Refresh tokens rotate on every use; a spent one presented again revokes its whole grant.
- Codes live 60 seconds and are single use; a replayed code revokes what it issued.
- Redirect URIs are compared exactly; there is never a default one.

Authlib is synchronous and the service is not, so each protocol call runs in a worker
thread, and the storage hooks it calls hop back onto the event loop to run their SQL in the
request's own session (``Exchange.run``): the request still owns its one transaction.
"""

from __future__ import annotations

import asyncio
import contextvars
import secrets
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio.from_thread
import anyio.to_thread
from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import OAuth2Payload, OAuth2Request, grants
from authlib.oauth2.rfc6749.errors import InvalidClientError, InvalidRequestError, InvalidScopeError
from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oauth2.rfc9207 import IssuerParameter
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.scopes import GRANTABLE_SCOPES, ordered
from app.oauth import credentials, service
from app.oauth.records import Client, Code, Lifter, Token, TokenKind

T = TypeVar("T")
_EXCHANGE: contextvars.ContextVar[Exchange] = contextvars.ContextVar("oauth_exchange")


@dataclass
class Exchange:
    """One request's link between the protocol code (in a worker thread) and its session."""

    session: AsyncSession
    hash_secret: str
    issuer: str
    # The request's database deadline (app.db.deadline), as event-loop time.
    deadline: float
    # The scopes the lifter ticked on the consent page (a subset of those requested).
    granted_scopes: tuple[str, ...] = ()

    def run(self, function: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
        """Run a storage coroutine on the event loop, in the request's session."""
        return anyio.from_thread.run(self._bounded, function, args)

    async def _bounded(
        self, function: Callable[..., Coroutine[Any, Any, T]], args: tuple[Any, ...]
    ) -> T:
        # The request's own deadline cannot cancel the worker thread it waits for, so the SQL
        # the thread asks for runs under it here: a frozen database ends the call in time,
        # and the request is answered 503 like any other (tests/faults).
        async with asyncio.timeout_at(self.deadline):
            return await function(self.session, *args)

    def digest(self, value: str) -> str:
        return credentials.digest(value, self.hash_secret)


def _exchange() -> Exchange:
    return _EXCHANGE.get()


@dataclass
class Reply:
    """An answer of the protocol code, turned into a Starlette response by the router."""

    status: int
    body: dict[str, Any] | str
    headers: list[tuple[str, str]]

    @property
    def location(self) -> str | None:
        return next((v for k, v in self.headers if k.lower() == "location"), None)

    @location.setter
    def location(self, value: str) -> None:
        self.headers = [(k, v) for k, v in self.headers if k.lower() != "location"]
        self.headers.append(("Location", value))


class _Payload(OAuth2Payload):  # type: ignore[misc]  # Authlib is untyped
    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._datalist: dict[str, list[str]] = {}
        for key, value in pairs:
            self._datalist.setdefault(key, []).append(value)
        self._data = {key: values[0] for key, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> dict[str, list[str]]:
        return self._datalist


class FormRequest(OAuth2Request):  # type: ignore[misc]
    """A request's parameters as Authlib reads them: the query string for the authorization
    endpoint, the form body (never the query) for the token, revocation and introspection
    endpoints."""

    def __init__(
        self, method: str, uri: str, headers: Any, pairs: Iterable[tuple[str, str]]
    ) -> None:
        super().__init__(method, uri, headers=headers)
        self.payload = _Payload(pairs)

    @property
    def args(self) -> dict[str, str]:
        data: dict[str, str] = self.payload.data
        return data

    @property
    def form(self) -> dict[str, str]:
        data: dict[str, str] = self.payload.data
        return data


def _find(token_string: str) -> Token | None:
    """A token by its value; the prefix says which kind it is, whatever the hint says."""
    exchange = _exchange()
    kinds: tuple[tuple[str, TokenKind], ...] = (
        (credentials.ACCESS_PREFIX, "access_token"),
        (credentials.REFRESH_PREFIX, "refresh_token"),
    )
    for prefix, kind in kinds:
        if credentials.is_well_formed(token_string, prefix):
            return exchange.run(service.find_token, exchange.digest(token_string), kind)
    return None


def _lifter(user_id: int | None) -> Lifter | None:
    if user_id is None:
        return None
    is_admin = _exchange().run(service.user_is_admin, user_id)
    return None if is_admin is None else Lifter(id=user_id, is_admin=is_admin)


class S256Challenge(CodeChallenge):  # type: ignore[misc]
    """PKCE for every client, S256 only (OAuth 2.1 section 4.1.1)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]  # noqa: RUF012 - Authlib's class attribute
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError(
                "PKCE is required: send code_challenge with code_challenge_method=S256."
            )
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError(
                "code_challenge_method must be S256; the plain method is not accepted."
            )
        super().validate_code_challenge(grant, redirect_uri)

    def get_authorization_code_challenge(self, authorization_code: Code) -> str:
        return authorization_code.code_challenge

    def get_authorization_code_challenge_method(self, authorization_code: Code) -> str:
        return authorization_code.code_challenge_method


class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]  # noqa: RUF012

    def generate_authorization_code(self) -> str:
        return credentials.new(credentials.CODE_PREFIX)

    def save_authorization_code(self, code: str, request: FormRequest) -> None:
        exchange = _exchange()
        client: Client = request.client
        user: Lifter = request.user
        requested = set(scope_to_list(request.scope))
        granted = tuple(s for s in exchange.granted_scopes if s in requested)
        exchange.run(
            service.save_code,
            exchange.digest(code),
            Code(
                code_hash="",
                app_id=client.id,
                user_id=user.id,
                redirect_uri=request.payload.redirect_uri,
                scopes=granted,
                code_challenge=request.payload.data["code_challenge"],
                code_challenge_method=request.payload.data["code_challenge_method"],
            ),
        )

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        if not credentials.is_well_formed(code, credentials.CODE_PREFIX):
            return None
        exchange = _exchange()
        return exchange.run(service.take_code, exchange.digest(code), client.id)

    def delete_authorization_code(self, authorization_code: Code) -> None:
        _exchange().run(service.spend_code, authorization_code.code_hash)

    def authenticate_user(self, authorization_code: Code) -> Lifter | None:
        return _lifter(authorization_code.user_id)


async def _refresh_token(session: AsyncSession, digest: str) -> Token | None:
    token = await service.find_token(session, digest, "refresh_token", lock=True)
    if token is None:
        return None
    if token.spent and token.user_id is not None:
        # Two parties hold this token, one of them a thief: end the grant for both, and
        # the lifter consents again (OAuth 2.1 section 4.3.1).
        await service.revoke_grants(session, user_id=token.user_id, grant_id=token.grant_id)
        return None
    if token.revoked or token.expired:
        return None
    return token


class RefreshGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]  # noqa: RUF012
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        if not credentials.is_well_formed(refresh_token, credentials.REFRESH_PREFIX):
            return None
        exchange = _exchange()
        return exchange.run(_refresh_token, exchange.digest(refresh_token))

    def authenticate_user(self, refresh_token: Token) -> Lifter | None:
        return _lifter(refresh_token.user_id)

    def revoke_old_credential(self, refresh_token: Token) -> None:
        _exchange().run(service.spend_refresh_token, refresh_token.id)


class AppCredentialsGrant(grants.ClientCredentialsGrant):  # type: ignore[misc]
    """An app's own token, acting for no lifter: catalog reads and the stateless
    recommender, on the app's own quota."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]  # noqa: RUF012

    def validate_token_request(self) -> None:
        super().validate_token_request()
        client: Client = self.request.client
        scope = client.app_level_scope(self.request.payload.scope)
        if scope is None:
            raise InvalidScopeError(
                "An app's own token can carry only kb:read and recommendations:read, and "
                "only those the app is allowed."
            )
        self.request.scope = scope

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        token = self.generate_token(scope=self.request.scope, include_refresh_token=False)
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]  # noqa: RUF012

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:  # noqa: ARG002 - the prefix decides
        return _find(token_string)

    def revoke_token(self, token: Token, request: FormRequest) -> None:  # noqa: ARG002
        exchange = _exchange()
        if token.kind == "refresh_token":
            # Revoking a refresh token ends every token descended from the same consent.
            exchange.run(service.revoke_family, token.family)
        else:
            exchange.run(service.revoke_token_row, token.id)


class Introspection(IntrospectionEndpoint):  # type: ignore[misc]
    # Only confidential apps can prove who asks; an app may introspect its own tokens only.
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]  # noqa: RUF012

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:  # noqa: ARG002 - the prefix decides
        return _find(token_string)

    def check_permission(self, token: Token, client: Client, request: FormRequest) -> bool:  # noqa: ARG002
        return token.check_client(client)

    def introspect_token(self, token: Token) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "active": True,
            "client_id": token.client_id,
            "scope": token.get_scope(),
            "token_type": "Bearer" if token.kind == "access_token" else "refresh_token",
            "iat": int(token.issued_at.timestamp()),
            "iss": _exchange().issuer,
        }
        if token.expires_at is not None:
            payload["exp"] = int(token.expires_at.timestamp())
        if token.user_id is not None:
            payload["sub"] = str(token.user_id)
        return payload


class Issuer(IssuerParameter):  # type: ignore[misc]
    def get_issuer(self) -> str:
        return _exchange().issuer


def _bearer_token(
    *, scope: str | None = None, include_refresh_token: bool = True, **_: Any
) -> dict[str, Any]:
    """Authlib's token generator hook (it also passes the grant type, client and user)."""
    token: dict[str, Any] = {
        "token_type": "Bearer",
        "access_token": credentials.new(credentials.ACCESS_PREFIX),
        "expires_in": int(credentials.ACCESS_TTL.total_seconds()),
        "scope": scope or "",
    }
    if include_refresh_token:
        token["refresh_token"] = credentials.new(credentials.REFRESH_PREFIX)
    return token


class SpotterAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(scopes_supported=[s.value for s in ordered(GRANTABLE_SCOPES)])
        self.register_token_generator("default", _bearer_token)
        self.register_grant(CodeGrant, [S256Challenge(required=True)])
        self.register_grant(RefreshGrant)
        self.register_grant(AppCredentialsGrant)
        self.register_endpoint(Revocation)
        self.register_endpoint(Introspection)
        self.register_extension(Issuer())

    def query_client(self, client_id: str | None) -> Client | None:
        if not client_id or not credentials.is_well_formed(client_id, credentials.CLIENT_ID_PREFIX):
            return None
        exchange = _exchange()
        client = exchange.run(service.find_client, client_id, exchange.hash_secret)
        if client is not None and client.suspended:
            raise InvalidClientError(description="This app has been suspended.")
        return client

    def save_token(self, token: dict[str, Any], request: FormRequest) -> None:
        exchange = _exchange()
        client: Client = request.client
        grant_type = request.payload.grant_type
        grant_id: int | None = None
        if grant_type == "authorization_code":
            code: Code = request.authorization_code
            grant_id = exchange.run(service.live_grant, code.user_id, client.id, code.scopes)
            family = code.code_hash
        elif grant_type == "refresh_token":
            previous: Token = request.refresh_token
            grant_id, family = previous.grant_id, previous.family
        else:
            family = "app:" + secrets.token_hex(16)
        refresh = token.get("refresh_token")
        exchange.run(
            service.insert_token,
            exchange.digest(token["access_token"]),
            exchange.digest(refresh) if refresh else None,
            client.id,
            grant_id,
            family,
            tuple(scope_to_list(token["scope"])),
        )

    def create_oauth2_request(self, request: FormRequest) -> FormRequest:
        return request

    def create_json_request(self, request: Any) -> Any:
        msg = "no Spotter endpoint takes a JSON OAuth request"
        raise NotImplementedError(msg)

    def handle_response(
        self, status_code: int, payload: dict[str, Any] | str, headers: list[tuple[str, str]]
    ) -> Reply:
        return Reply(status=status_code, body=payload, headers=list(headers))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """Nothing listens to Authlib's signals."""


async def run(exchange: Exchange, call: Callable[[], T]) -> T:
    """Run one protocol call in a worker thread, with ``exchange`` as its context."""

    def in_thread() -> T:
        token = _EXCHANGE.set(exchange)
        try:
            return call()
        finally:
            _EXCHANGE.reset(token)

    return await anyio.to_thread.run_sync(in_thread)
