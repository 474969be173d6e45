"""The credential check in front of the MCP endpoint.

MCP over HTTP has no anonymous use here: the tools act for a caller whose quota they spend,
so a request without a credential, or with one the REST API would refuse, is answered 401
before the SDK reads it. The principal is resolved by the REST API's own dependency, so
whatever it accepts (API keys, access tokens) is accepted here too, with the same refusals.
What the credential may do is left to the REST calls the tools make.
"""

from __future__ import annotations

from fastapi import BackgroundTasks
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from app.auth.dependencies import api_key_scheme, bearer_scheme, optional_principal
from app.errors import UnauthorizedError, app_error_response
from app.oauth.router import resource_metadata_url

MISSING = "The MCP endpoint needs credentials: send an API key (X-API-Key) or a bearer token."


class CredentialGate:
    """Pure ASGI, so the SDK's streaming answer passes through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        # The REST API's own schemes read the headers, so both parse them alike (a scheme
        # other than Bearer is no bearer token, for instance).
        bearer = await bearer_scheme(request)
        api_key = await api_key_scheme(request)
        if bearer is None and api_key is None:
            await self._refuse(request, UnauthorizedError(MISSING), scope, receive, send)
            return
        background = BackgroundTasks()
        sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
        # Closed before the tools run: each forwarded call checks out its own connection, and
        # holding this one meanwhile would take two per call from the pool.
        async with sessionmaker() as session:
            try:
                await optional_principal(request, session, background, bearer, api_key)
            except UnauthorizedError as refused:
                await self._refuse(request, refused, scope, receive, send)
                return
        await self.app(scope, receive, send)
        # The key's last use, as after a REST response (it is one write a minute at most).
        await background()

    @staticmethod
    async def _refuse(
        request: Request, refused: UnauthorizedError, scope: Scope, receive: Receive, send: Send
    ) -> None:
        # The challenge points at the resource metadata (RFC 9728), as the MCP authorization
        # spec asks, so a client can find the authorization server and ask the lifter.
        refused.headers["WWW-Authenticate"] += (
            f', resource_metadata="{resource_metadata_url(request)}"'
        )
        await app_error_response(request, refused)(scope, receive, send)
