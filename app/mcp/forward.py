"""Tool calls as REST calls: the same application, in-process, with the caller's credential.

Going through HTTP rather than calling the services keeps one implementation of every rule
that lives in the REST layer (scopes, quotas, validation, idempotency, problem documents):
an MCP caller cannot do anything, or anything more often, than the same credential can over
REST. The cost is one ASGI round trip inside the process, no network.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx
from mcp_types import CallToolResult, TextContent
from starlette.requests import Request
from starlette.types import ASGIApp

# Credential headers copied from the MCP request onto every forwarded call; nothing else of
# the MCP request is (its Accept and Content-Type are about JSON-RPC, not the REST call).
CREDENTIAL_HEADERS = ("authorization", "x-api-key")
# Forwarded calls stay inside the process: the name only fills the Host header and the URLs
# in Location and Link, which a tool result does not promise to be reachable.
BASE_URL = "http://spotter"
# Response headers a model may need next: the new session's URL, its version for a later
# change, the next page, and how much of the quota is left.
KEPT_HEADERS = ("location", "etag", "link", "ratelimit", "ratelimit-policy", "x-request-id")

QueryValue = str | int | float | bool | list[str] | None


class Forwarder:
    """Sends one REST request for a tool call and turns the answer into a tool result."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def call(
        self,
        request: Request | None,
        method: str,
        path: str,
        *,
        params: Mapping[str, QueryValue] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> CallToolResult:
        """``method path`` as the caller of ``request`` (the MCP HTTP request); a 4xx or 5xx
        answer is a tool error carrying the problem document, never an exception."""
        sent = dict(headers or {})
        if request is not None:
            sent.update({n: v for n in CREDENTIAL_HEADERS if (v := request.headers.get(n))})
        # The answer is read here, in memory: compressing it would only cost CPU twice.
        sent["accept-encoding"] = "identity"
        # The caller's own address, so the access log and any per-address decision see the
        # client rather than this process.
        peer = request.client if request is not None else None
        transport = httpx.ASGITransport(
            app=self._app,
            raise_app_exceptions=False,
            client=(peer.host, peer.port) if peer is not None else ("127.0.0.1", 0),
        )
        query = {k: v for k, v in (params or {}).items() if v is not None and v != []}
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            response = await client.request(
                method,
                path,
                params=query,
                content=None if body is None else json.dumps(body).encode(),
                headers=sent if body is None else {**sent, "content-type": "application/json"},
            )
        return to_tool_result(response)


def to_tool_result(response: httpx.Response) -> CallToolResult:
    """The REST answer as it was sent: its body as the text content (byte for byte what a
    REST client reads), parsed as the structured content when it is a JSON object, and the
    status and useful headers in ``_meta``."""
    text = response.text
    structured: Any = None
    try:
        parsed = json.loads(text) if text else None
    except ValueError:  # every answer of the API is JSON; a proxy's error page might not be
        parsed = None
    # Older protocol versions allow only an object as structured content; an array (the
    # muscle list, the tips) is in the text content alone.
    if isinstance(parsed, dict):
        structured = parsed
    meta: dict[str, Any] = {"status": response.status_code}
    meta.update({name: response.headers[name] for name in KEPT_HEADERS if name in response.headers})
    return CallToolResult(
        content=[TextContent(type="text", text=text)] if text else [],
        structured_content=structured,
        is_error=response.is_error,
        meta={"spotter": meta},
    )
