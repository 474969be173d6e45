"""One MCP session as a client application would hold it (initialize, list the tools, search,
ask the recommender), recorded on the wire as the SDK's client sent and received it.

With SPOTTER_MCP_TRANSCRIPT=<file> the recording is written there as Markdown; that is how
docs/mcp-session.md is made:

    SPOTTER_MCP_TRANSCRIPT=docs/mcp-session.md pytest tests/test_mcp_session.py
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

import anyio
import httpx2
from fastapi import FastAPI

from app.mcp.endpoint import MCP_PATH
from app.recommendations.examples import BEGINNER
from tests.conftest import asgi_client
from tests.test_mcp import EventHooks, key_headers, lifter, mcp_database, mcp_session, running_app

__all__ = ["mcp_database"]  # the fixture, shared with tests/test_mcp.py

# Long answers are cut in the transcript (the test still checks them whole).
SHOWN_ITEMS = 3
SHOWN_CHARS = 240


@dataclass
class Exchange:
    method: str
    request: Any
    status: int
    response: Any


class Recorder:
    """httpx2 event hooks that keep each MCP POST's JSON-RPC body and its answer."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self._pending: list[Any] = []

    async def on_request(self, request: httpx2.Request) -> None:
        self._pending.append(json.loads(request.content) if request.content else None)

    async def on_response(self, response: httpx2.Response) -> None:
        body = self._pending.pop(0)
        await response.aread()
        answer = json.loads(response.content) if response.content else None
        method = body.get("method", "?") if isinstance(body, dict) else "?"
        self.exchanges.append(Exchange(method, body, response.status_code, answer))


def _cut(value: Any, depth: int = 0) -> Any:
    """The value with long lists and strings shortened, marked where they were."""
    if isinstance(value, list):
        shown = [_cut(v, depth + 1) for v in value[:SHOWN_ITEMS]]
        if len(value) > SHOWN_ITEMS:
            shown.append(f"... {len(value) - SHOWN_ITEMS} more")
        return shown
    if isinstance(value, dict):
        return {k: _cut(v, depth + 1) for k, v in value.items()}
    if isinstance(value, str) and len(value) > SHOWN_CHARS:
        return value[:SHOWN_CHARS] + f"... ({len(value)} characters)"
    return value


def _shown(exchange: Exchange) -> Any:
    answer = exchange.response
    result = answer.get("result", {}) if isinstance(answer, dict) else {}
    if exchange.method == "tools/list":
        # Every tool's name and description; the input schemas only by their fields.
        tools = [
            {
                "name": tool["name"],
                "description": tool["description"],
                "inputSchema.properties": sorted(tool["inputSchema"].get("properties", {})),
            }
            for tool in result["tools"]
        ]
        return {**answer, "result": {**result, "tools": tools}}
    if exchange.method == "tools/call":
        # The text content is the structured content serialised; show it once.
        content = [
            {**block, "text": f"<the REST body: {len(block['text'])} characters>"}
            for block in result.get("content", [])
        ]
        return _cut({**answer, "result": {**result, "content": content}})
    return _cut(answer)


def _markdown(exchanges: list[Exchange], tool_names: list[str]) -> str:
    lines = [
        "# An MCP session with Spotter",
        "",
        "Recorded by `tests/test_mcp_session.py` with the official `mcp` Python SDK's client",
        "(`streamable_http_client` and `ClientSession`) against the application in-process,",
        "authenticated by an API key (`X-API-Key`) with the `kb:read` scope. Each step is the",
        f"JSON-RPC body the client POSTed to `{MCP_PATH}` and the answer it got. In the",
        f"answers, long lists are cut to {SHOWN_ITEMS} items and long strings to",
        f"{SHOWN_CHARS} characters; a tool result's text content (the REST body, byte for",
        "byte) is shown once, as its `structuredContent`.",
        "",
        f"Tools listed: {', '.join(f'`{n}`' for n in tool_names)}.",
        "",
    ]
    for number, exchange in enumerate(exchanges, 1):
        lines += [
            f"## {number}. `{exchange.method}`",
            "",
            "Request:",
            "",
            "```json",
            json.dumps(exchange.request, indent=2, ensure_ascii=False),
            "```",
            "",
            f"Response: HTTP {exchange.status}",
            "",
            "```json",
            json.dumps(_shown(exchange), indent=2, ensure_ascii=False)
            if exchange.response is not None
            else "(no body)",
            "```",
            "",
        ]
    return "\n".join(lines)


async def test_a_recorded_session_lists_searches_and_recommends(mcp_database: str) -> None:
    recorder = Recorder()
    async with running_app(mcp_database) as application, asgi_client(application) as http:
        headers = await key_headers(http, await lifter(http), ["kb:read"])
        async with recorded_session(application, headers, recorder) as session:
            tools = (await session.list_tools()).tools
            found = await session.call_tool("search_knowledge_base", {"q": "row", "limit": 5})
            advice = await session.call_tool("recommend_next_session", {"request": BEGINNER})
    assert not found.is_error
    assert not advice.is_error
    methods = [e.method for e in recorder.exchanges]
    assert methods == [
        "initialize",
        "notifications/initialized",
        "tools/list",
        "tools/call",
        "tools/call",
    ]
    assert all(e.status in (200, 202) for e in recorder.exchanges)
    target = os.environ.get("SPOTTER_MCP_TRANSCRIPT")
    if target:
        text = _markdown(recorder.exchanges, [t.name for t in tools]) + "\n"
        await anyio.Path(target).write_text(text)


def recorded_session(app: FastAPI, headers: dict[str, str], recorder: Recorder) -> Any:
    hooks: EventHooks = {"request": [recorder.on_request], "response": [recorder.on_response]}
    return mcp_session(app, headers, event_hooks=hooks)
