"""The MCP server at /mcp, driven by the SDK's own client (``streamable_http_client`` and
``ClientSession``) over an in-process transport to the whole application.

The database is committed (not the per-test rolled-back transaction): the credential gate
resolves the caller in a session of its own, as it does in production, and would not see a
user created inside a test's uncommitted transaction.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx
import httpx2
import pytest
from fastapi import FastAPI
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult, TextContent

from app.main import create_app
from app.mcp.endpoint import MCP_PATH
from app.recommendations.examples import BEGINNER
from tests.conftest import DatabaseFactory, asgi_client, loaded_database, make_settings
from tests.oauth import helpers as oauth
from tests.test_auth import bearer, login, new_key, register
from tests.training.conftest import session_body

TOOLS = {
    "search_knowledge_base",
    "list_exercises",
    "get_exercise",
    "find_exercise_alternatives",
    "list_equipment",
    "list_muscles",
    "get_muscle",
    "list_tips",
    "get_tip",
    "list_strategies",
    "get_strategy",
    "list_routines",
    "recommend_next_session",
    "list_my_training_sessions",
    "get_my_training_session",
    "log_training_session",
    "recommend_my_next_session",
}
ALL_SCOPES = ["kb:read", "logs:read", "logs:write", "recommendations:read"]
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"},
    },
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream"}


@pytest.fixture(scope="module")
def mcp_database(database_factory: DatabaseFactory) -> str:
    return loaded_database(database_factory)


@asynccontextmanager
async def running_app(url: str, **overrides: object) -> AsyncIterator[FastAPI]:
    application = create_app(make_settings(url, **overrides))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="module")
async def mcp_app(mcp_database: str) -> AsyncIterator[FastAPI]:
    async with running_app(mcp_database) as application:
        yield application


@pytest.fixture
async def rest(mcp_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(mcp_app) as http:
        yield http


EventHooks = Mapping[str, list[Callable[..., Any]]]


def raw_client(
    app: FastAPI, headers: Mapping[str, str] | None = None, event_hooks: EventHooks | None = None
) -> httpx2.AsyncClient:
    """What the SDK client sends its requests with, over the app in-process."""
    transport = httpx2.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx2.AsyncClient(
        transport=transport,
        base_url="http://testserver",
        headers=dict(headers or {}),
        event_hooks=event_hooks,
    )


@asynccontextmanager
async def mcp_session(
    app: FastAPI, headers: Mapping[str, str], event_hooks: EventHooks | None = None
) -> AsyncIterator[ClientSession]:
    """An initialized SDK client session to /mcp carrying ``headers`` (the credential)."""
    async with (
        raw_client(app, headers, event_hooks) as http,
        streamable_http_client(f"http://testserver{MCP_PATH}", http_client=http) as streams,
        ClientSession(*streams) as session,
    ):
        await session.initialize()
        yield session


async def lifter(rest: httpx.AsyncClient) -> dict[str, str]:
    email = f"mcp-{uuid.uuid4().hex[:10]}@example.com"
    await register(rest, email)
    return bearer((await login(rest, email))["access_token"])


async def key_headers(
    rest: httpx.AsyncClient, owner: dict[str, str], scopes: list[str]
) -> dict[str, str]:
    created = await new_key(rest, owner, scopes)
    return {"X-API-Key": created["key"]}


def text_of(result: CallToolResult) -> str:
    [block] = result.content
    assert isinstance(block, TextContent)
    return block.text


def status_of(result: CallToolResult) -> int:
    assert result.meta is not None
    status: int = result.meta["spotter"]["status"]
    return status


def assert_same_answer(result: CallToolResult, response: httpx.Response) -> None:
    """The tool's output is the REST answer: the same bytes, the same status."""
    assert not result.is_error, text_of(result)
    assert status_of(result) == response.status_code
    assert text_of(result) == response.text
    body = response.json()
    assert result.structured_content == (body if isinstance(body, dict) else None)


# --------------------------------------------------------------------------- the tools


async def test_lists_every_tool_with_a_description_and_typed_arguments(
    mcp_app: FastAPI, rest: httpx.AsyncClient
) -> None:
    headers = await key_headers(rest, await lifter(rest), ["kb:read"])
    async with mcp_session(mcp_app, headers) as session:
        listed = (await session.list_tools()).tools
    by_name = {tool.name: tool for tool in listed}
    assert set(by_name) == TOOLS
    for tool in listed:
        assert tool.description, tool.name
        assert len(tool.description) > 80, f"{tool.name}: a description a model can choose by"
        assert tool.input_schema["type"] == "object"
    search = by_name["search_knowledge_base"].input_schema
    assert search["required"] == ["q"]
    assert search["properties"]["q"]["maxLength"] == 100
    assert search["properties"]["limit"]["maximum"] == 50
    # The request models' own schemas: a model sees every field the REST body takes.
    recommend = by_name["recommend_next_session"].input_schema
    assert "ProfileIn" in recommend["$defs"]
    assert by_name["get_exercise"].annotations is not None
    assert by_name["get_exercise"].annotations.read_only_hint is True
    log = by_name["log_training_session"].annotations
    assert log is not None
    assert log.read_only_hint is False


async def test_search_answers_what_rest_answers(mcp_app: FastAPI, rest: httpx.AsyncClient) -> None:
    headers = await key_headers(rest, await lifter(rest), ["kb:read"])
    async with mcp_session(mcp_app, headers) as session:
        result = await session.call_tool("search_knowledge_base", {"q": "row"})
    response = await rest.get("/v1/search", params={"q": "row"}, headers=headers)
    assert response.status_code == 200
    assert_same_answer(result, response)
    assert any(hit["slug"] == "barbell-bent-over-row" for hit in response.json()["items"])


async def test_reads_answer_what_rest_answers(mcp_app: FastAPI, rest: httpx.AsyncClient) -> None:
    headers = await key_headers(rest, await lifter(rest), ["kb:read"])
    calls: list[tuple[str, dict[str, Any], str, dict[str, Any]]] = [
        (
            "get_exercise",
            {"slug": "barbell-bent-over-row"},
            "/v1/exercises/barbell-bent-over-row",
            {},
        ),
        (
            "list_exercises",
            {"muscle": ["latissimus-dorsi"], "level": ["beginner"], "limit": 5},
            "/v1/exercises",
            {"muscle": "latissimus-dorsi", "level": "beginner", "limit": 5},
        ),
        (
            "find_exercise_alternatives",
            {"slug": "barbell-bent-over-row", "limit": 3},
            "/v1/exercises/barbell-bent-over-row/alternatives",
            {"limit": 3},
        ),
        ("list_muscles", {"group": "back"}, "/v1/muscles", {"group": "back"}),
        ("get_muscle", {"slug": "latissimus-dorsi"}, "/v1/muscles/latissimus-dorsi", {}),
        ("list_tips", {"level": "beginner"}, "/v1/tips", {"level": "beginner"}),
        ("get_strategy", {"level": "intermediate"}, "/v1/strategies/intermediate", {}),
        ("list_strategies", {}, "/v1/strategies", {}),
        ("list_routines", {"level": "beginner"}, "/v1/routines", {"level": "beginner"}),
        ("list_equipment", {}, "/v1/equipment", {}),
    ]
    async with mcp_session(mcp_app, headers) as session:
        for tool, arguments, path, params in calls:
            result = await session.call_tool(tool, arguments)
            response = await rest.get(path, params=params, headers=headers)
            assert response.status_code == 200, (tool, response.text)
            assert_same_answer(result, response)


async def test_an_unknown_slug_is_a_tool_error_with_the_problem(
    mcp_app: FastAPI, rest: httpx.AsyncClient
) -> None:
    headers = await key_headers(rest, await lifter(rest), ["kb:read"])
    async with mcp_session(mcp_app, headers) as session:
        result = await session.call_tool("get_exercise", {"slug": "deadlfit"})
    assert result.is_error
    problem = json.loads(text_of(result))
    assert problem == result.structured_content
    assert problem["status"] == 404
    assert problem["type"] == "/problems/not-found"
    assert status_of(result) == 404


async def test_the_stateless_recommender_answers_what_rest_answers(
    mcp_app: FastAPI, rest: httpx.AsyncClient
) -> None:
    headers = await key_headers(rest, await lifter(rest), ["kb:read"])
    async with mcp_session(mcp_app, headers) as session:
        result = await session.call_tool("recommend_next_session", {"request": BEGINNER})
    response = await rest.post("/v1/recommendations/next-session", json=BEGINNER, headers=headers)
    assert response.status_code == 200, response.text
    assert_same_answer(result, response)
    assert response.json()["recommendations"]


# --------------------------------------------------------------------------- the lifter's log


async def test_logs_a_session_and_reads_it_back(mcp_app: FastAPI, rest: httpx.AsyncClient) -> None:
    owner = await lifter(rest)
    headers = await key_headers(rest, owner, ALL_SCOPES)
    body = session_body(notes="logged through MCP")
    async with mcp_session(mcp_app, headers) as session:
        logged = await session.call_tool(
            "log_training_session", {"session": body, "idempotency_key": str(uuid.uuid4())}
        )
        assert not logged.is_error, text_of(logged)
        assert status_of(logged) == 201
        assert logged.meta is not None
        created = json.loads(text_of(logged))
        assert logged.meta["spotter"]["location"] == f"/v1/me/sessions/{created['id']}"
        one = await session.call_tool("get_my_training_session", {"session_id": created["id"]})
        page = await session.call_tool("list_my_training_sessions", {})
    assert created["notes"] == "logged through MCP"
    assert [s["exercise"] for s in created["sets"]] == ["barbell-bent-over-row"] * 3
    assert_same_answer(one, await rest.get(f"/v1/me/sessions/{created['id']}", headers=owner))
    assert_same_answer(page, await rest.get("/v1/me/sessions", headers=owner))
    assert [s["id"] for s in json.loads(text_of(page))["items"]] == [created["id"]]


async def test_a_key_without_logs_write_gets_a_403_problem_and_nothing_is_stored(
    mcp_app: FastAPI, rest: httpx.AsyncClient
) -> None:
    owner = await lifter(rest)
    headers = await key_headers(rest, owner, ["kb:read", "logs:read"])
    async with mcp_session(mcp_app, headers) as session:
        refused = await session.call_tool("log_training_session", {"session": session_body()})
        listed = await session.call_tool("list_my_training_sessions", {})
    assert refused.is_error
    problem = json.loads(text_of(refused))
    assert problem["status"] == 403
    assert problem["type"] == "/problems/forbidden"
    assert "logs:write" in problem["detail"]
    assert json.loads(text_of(listed))["items"] == []
    stored = await rest.get("/v1/me/sessions", headers=owner)
    assert stored.json()["items"] == []


async def test_rest_validation_comes_back_as_a_422_problem(
    mcp_app: FastAPI, rest: httpx.AsyncClient
) -> None:
    headers = await key_headers(rest, await lifter(rest), ALL_SCOPES)
    body = session_body()
    body["sets"][0]["exercise"] = "no-such-exercise"
    async with mcp_session(mcp_app, headers) as session:
        result = await session.call_tool("log_training_session", {"session": body})
    assert result.is_error
    assert json.loads(text_of(result))["status"] == 422


async def test_the_next_session_from_the_stored_log(
    mcp_app: FastAPI, rest: httpx.AsyncClient
) -> None:
    owner = await lifter(rest)
    headers = await key_headers(rest, owner, ALL_SCOPES)
    async with mcp_session(mcp_app, headers) as session:
        no_profile = await session.call_tool("recommend_my_next_session", {"today": "2026-03-06"})
        profile = {
            "experience": "beginner",
            "unit": "kg",
            "bodyweight": 80,
            "routine_profile": "stronglifts",
        }
        assert (await rest.put("/v1/me/profile", json=profile, headers=owner)).status_code == 201
        await session.call_tool("log_training_session", {"session": session_body()})
        result = await session.call_tool("recommend_my_next_session", {"today": "2026-03-06"})
    assert no_profile.is_error
    assert json.loads(text_of(no_profile))["status"] == 409
    response = await rest.get(
        "/v1/me/recommendations/next-session", params={"today": "2026-03-06"}, headers=owner
    )
    assert_same_answer(result, response)


async def test_an_access_token_works_like_a_key(mcp_app: FastAPI, rest: httpx.AsyncClient) -> None:
    owner = await lifter(rest)
    async with mcp_session(mcp_app, owner) as session:
        result = await session.call_tool("list_my_training_sessions", {})
    assert not result.is_error, text_of(result)
    assert json.loads(text_of(result))["items"] == []


async def test_an_apps_oauth_token_carries_the_lifters_grant_and_its_revocation(
    mcp_app: FastAPI,
) -> None:
    """An app holding a lifter's grant (read only) reads through MCP, is refused a write, and
    is shut out at the gate as soon as the lifter revokes the grant."""
    transport = httpx.ASGITransport(app=mcp_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as https:
        suffix = uuid.uuid4().hex[:10]
        owner = await oauth.lifter(https, f"mcp-dev-{suffix}@example.com")
        email = f"mcp-lifter-{suffix}@example.com"
        await oauth.lifter(https, email)
        app = await oauth.new_app(https, owner)
        tokens = await oauth.tokens_for(https, app, email, granted=["logs:read"])
        headers = bearer(tokens["access_token"])
        async with mcp_session(mcp_app, headers) as session:
            listed = await session.call_tool("list_my_training_sessions", {})
            written = await session.call_tool("log_training_session", {"session": session_body()})
        assert not listed.is_error, text_of(listed)
        assert written.is_error
        assert json.loads(text_of(written))["status"] == 403
        own = bearer((await login(https, email))["access_token"])
        [grant] = (await https.get("/v1/me/grants", headers=own)).json()
        assert (await https.delete(f"/v1/me/grants/{grant['id']}", headers=own)).status_code == 204
    async with raw_client(mcp_app, {**MCP_HEADERS, **headers}) as http:
        response = await http.post(MCP_PATH, json=INITIALIZE)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


# --------------------------------------------------------------------------- the gate


async def test_no_credential_is_a_401_problem_with_a_challenge(mcp_app: FastAPI) -> None:
    async with raw_client(mcp_app, MCP_HEADERS) as http:
        response = await http.post(MCP_PATH, json=INITIALIZE)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer")
    # RFC 9728: the challenge leads an MCP client to the authorization server.
    metadata_url = "http://testserver/.well-known/oauth-protected-resource/mcp"
    assert f'resource_metadata="{metadata_url}"' in challenge
    async with raw_client(mcp_app) as http:
        metadata = (await http.get(metadata_url)).json()
    assert metadata["resource"] == "http://testserver/mcp"
    assert metadata["authorization_servers"] == ["http://testserver"]
    assert "logs:read" in metadata["scopes_supported"]
    problem = response.json()
    assert problem["type"] == "/problems/unauthorized"
    assert problem["instance"] == MCP_PATH


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"X-API-Key": "spt_not-a-real-key"}, id="malformed-key"),
        pytest.param({"X-API-Key": "spt_" + "a" * 40}, id="unknown-key"),
        pytest.param({"Authorization": "Bearer not.a.token"}, id="bad-token"),
    ],
)
async def test_a_bad_credential_is_a_401(mcp_app: FastAPI, headers: dict[str, str]) -> None:
    async with raw_client(mcp_app, {**MCP_HEADERS, **headers}) as http:
        response = await http.post(MCP_PATH, json=INITIALIZE)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_a_revoked_key_is_refused_at_the_gate(
    mcp_app: FastAPI, rest: httpx.AsyncClient
) -> None:
    owner = await lifter(rest)
    created = await new_key(rest, owner, ["kb:read"])
    revoked = await rest.delete(f"/v1/me/api-keys/{created['id']}", headers=owner)
    assert revoked.status_code == 204
    async with raw_client(mcp_app, {**MCP_HEADERS, "X-API-Key": created["key"]}) as http:
        response = await http.post(MCP_PATH, json=INITIALIZE)
    assert response.status_code == 401


async def test_answers_at_exactly_mcp_with_the_security_headers(
    mcp_app: FastAPI, rest: httpx.AsyncClient
) -> None:
    headers = await key_headers(rest, await lifter(rest), ["kb:read"])
    async with raw_client(mcp_app, {**MCP_HEADERS, **headers}) as http:
        response = await http.post(MCP_PATH, json=INITIALIZE)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["result"]["serverInfo"]["name"] == "spotter"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    # Stateless: no session to stick to a worker.
    assert "mcp-session-id" not in response.headers


async def test_the_openapi_document_describes_rest_only(rest: httpx.AsyncClient) -> None:
    document = (await rest.get("/openapi.json")).json()
    assert not [path for path in document["paths"] if path.startswith(MCP_PATH)]


# --------------------------------------------------------------------------- quotas


def remaining(result: CallToolResult) -> int:
    assert result.meta is not None
    found = re.search(r";r=(\d+)", result.meta["spotter"]["ratelimit"])
    assert found is not None
    return int(found[1])


async def test_tool_calls_spend_the_credentials_rest_quota(mcp_database: str) -> None:
    async with (
        running_app(mcp_database, rate_limit_kb_key=3) as application,
        asgi_client(application) as http,
    ):
        headers = await key_headers(http, await lifter(http), ["kb:read"])
        async with mcp_session(application, headers) as session:
            first = await session.call_tool("get_exercise", {"slug": "deadlift"})
            second = await session.call_tool("search_knowledge_base", {"q": "row"})
            # Listing tools and initializing are not REST calls: they spend nothing.
            await session.list_tools()
            third = await session.call_tool("list_muscles", {})
            refused = await session.call_tool("get_exercise", {"slug": "deadlift"})
        over_rest = await http.get("/v1/exercises/deadlift", headers=headers)
    assert [remaining(r) for r in (first, second, third)] == [2, 1, 0]
    assert refused.is_error
    problem = json.loads(text_of(refused))
    assert problem["status"] == 429
    assert problem["policy"] == "api-key-kb"
    assert over_rest.status_code == 429
