"""``/mcp``: the SDK's streamable HTTP transport behind the credential gate.

Stateless with plain JSON answers: the service runs several workers and replicas without
sticky sessions, so any of them must be able to answer any MCP request, and no request
leaves a stream or a session behind.

The endpoint is a route for exactly ``/mcp``, not a mount: a mount matches only paths below
its prefix, so the bare ``/mcp`` that clients are configured with would be redirected to
``/mcp/``, and MCP clients do not all follow redirects of a POST.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from app.mcp.forward import Forwarder
from app.mcp.gate import CredentialGate
from app.mcp.server import build_server

MCP_PATH = "/mcp"
# The SDK checks Host and Origin against a list to stop DNS rebinding, which matters for a
# server on a developer's loopback that trusts whoever reaches it. This one trusts nobody:
# every request needs a credential in a header, which a rebound page does not have; and the
# hosts it answers for are the deployment's, not a list this code could know.
TRANSPORT_SECURITY = TransportSecuritySettings(enable_dns_rebinding_protection=False)


class McpEndpoint:
    """The ASGI endpoint; its transport exists while the application's lifespan runs."""

    def __init__(self, server: MCPServer[Any]) -> None:
        self._server = server
        self._transport: ASGIApp | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run for the application's lifespan. The SDK's session manager runs only once, so
        each lifespan builds its own (tests start one application's lifespan again)."""
        # The Starlette app it returns is not used: only the session manager it creates.
        # That app would route by path again and set itself as the scope's app, which the
        # middlewares outside this route still read after it returns.
        self._server.streamable_http_app(
            streamable_http_path=MCP_PATH,
            stateless_http=True,
            json_response=True,
            transport_security=TRANSPORT_SECURITY,
        )
        manager = self._server.session_manager
        started, stop = asyncio.Event(), asyncio.Event()

        # The manager's task group must be left by the task that entered it, and a lifespan
        # may be started and ended by different tasks (pytest-asyncio's fixtures do): so the
        # manager runs in a task of its own for as long as the lifespan lasts.
        async def serve() -> None:
            async with manager.run():
                started.set()
                await stop.wait()

        server = asyncio.create_task(serve(), name="mcp-session-manager")
        ready = asyncio.create_task(started.wait())
        await asyncio.wait({server, ready}, return_when=asyncio.FIRST_COMPLETED)
        if not started.is_set():
            ready.cancel()
            server.result()  # raises what stopped it from starting
        self._transport = manager.handle_request
        try:
            yield
        finally:
            self._transport = None
            stop.set()
            await server

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._transport is None:
            msg = "the MCP endpoint is called outside the application's lifespan"
            raise RuntimeError(msg)
        await self._transport(scope, receive, send)


def mount_mcp(app: FastAPI) -> McpEndpoint:
    """Add ``/mcp`` to ``app`` (outside the OpenAPI document, which describes REST only);
    the caller runs the returned endpoint's ``running()`` in the app's lifespan."""
    endpoint = McpEndpoint(build_server(Forwarder(app)))
    app.router.routes.append(Route(MCP_PATH, CredentialGate(endpoint), include_in_schema=False))
    return endpoint
