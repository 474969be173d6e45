"""Unbounded consumption and misconfiguration (reliability.md rows 5, 9 and 19): the body cap,
security headers, the CORS allow-list, and a contract in which every input is bounded."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from app.config import Settings
from app.main import create_app
from app.recommendations.examples import BEGINNER
from app.recommendations.schemas import MAX_HISTORY_SETS
from tests.conftest import asgi_client, make_settings
from tests.test_auth import signed_in

SMALL_CAP = 4096
# Formats whose own grammar bounds the length.
BOUNDED_FORMATS = {"date", "date-time", "time", "uuid", "duration"}
# The recommender's `state` is its engine's frozen dataclasses echoed back to it; that package
# is kept free of pydantic, so its fields carry no schema bounds (the body cap still bounds the
# whole). Listed here so that any other unbounded input fails the test below.
RECOMMENDER_STATE_SCHEMAS = {
    "EngineState",
    "ExerciseState",
    "ActiveModification",
    "Prescription",
    "GroupDeload",
    "DeloadSnapshot",
}


@pytest.fixture(scope="module")
async def capped_app(settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(make_settings(settings.database_url or "", max_body_bytes=SMALL_CAP))
    async with app.router.lifespan_context(app):
        yield app


def assert_413(response: httpx.Response) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 413
    assert body["type"] == "/problems/content-too-large"
    assert str(SMALL_CAP) in body["detail"]
    assert_security_headers(response)


def assert_security_headers(response: httpx.Response) -> None:
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    assert headers["cross-origin-resource-policy"] == "same-origin"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "x-request-id" in headers


# --------------------------------------------------------------------------- body size


async def test_body_over_the_cap_with_content_length_is_413(
    capped_app: FastAPI, db_session: AsyncSession
) -> None:
    email = "too-big@example.com"
    body = {"email": email, "password": "x" * (SMALL_CAP * 2)}
    async with asgi_client(capped_app) as http:
        response = await http.post("/v1/auth/register", json=body)
    assert "content-length" in response.request.headers
    assert_413(response)
    connection = await db_session.connection()
    count = (
        await connection.execute(
            text("SELECT count(*) FROM user_account WHERE email = :e"), {"e": email}
        )
    ).scalar_one()
    assert count == 0


async def test_chunked_body_over_the_cap_is_413(capped_app: FastAPI) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"email": "chunked@example.com", "password": "'
        for _ in range(10):
            yield b"x" * 1024
        yield b'"}'

    async with asgi_client(capped_app) as http:
        response = await http.post(
            "/v1/auth/register", content=chunks(), headers={"Content-Type": "application/json"}
        )
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert_413(response)


async def test_a_body_on_any_method_is_capped(capped_app: FastAPI) -> None:
    async with asgi_client(capped_app) as http:
        response = await http.request("GET", "/v1", content=b"x" * (SMALL_CAP + 1))
    assert_413(response)


async def test_a_body_under_the_cap_reaches_validation(capped_app: FastAPI) -> None:
    async with asgi_client(capped_app) as http:
        response = await http.post(
            "/v1/auth/register", json={"email": "x", "password": "y" * (SMALL_CAP // 2)}
        )
    assert response.status_code == 422


def full_history(sets_per_session: int = 200) -> dict[str, Any]:
    """The recommender's largest accepted history, every optional set field filled."""
    body = copy.deepcopy(BEGINNER)
    today = date.fromisoformat(body.get("today") or "2026-03-06")
    body["today"] = today.isoformat()
    filled_set = {
        "exercise": "barbell-bent-over-row",
        "reps": 8,
        "load": 102.5,
        "assistance": 0.0,
        "target_reps": 8,
        "target_range": [6, 10],
        "target_rpe": 8.0,
        "rpe": 8.5,
        "is_amrap": False,
        "to_failure": False,
        "form_ok": True,
        "is_warmup": False,
        "ladder_step": None,
    }
    sessions = MAX_HISTORY_SETS // sets_per_session
    body["history"] = [
        {"date": (today - timedelta(days=2 * (i + 1))).isoformat(), "sets": [filled_set] * 200}
        for i in range(sessions)
    ]
    return body


async def test_the_largest_recommender_history_fits_the_default_cap(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    body = full_history()
    size = len(httpx.Request("POST", "/", json=body).content)
    assert size < settings.max_body_bytes, size
    response = await client.post("/v1/recommendations/next-session", json=body)
    assert response.status_code == 200, response.text[:500]
    # Even with slugs at their longest the body fits (it fails on the unknown slug, not size).
    long_slug = "a" * 120
    for session in body["history"]:
        session["sets"] = [{**s, "exercise": long_slug} for s in session["sets"]]
    response = await client.post("/v1/recommendations/next-session", json=body)
    assert response.status_code == 422, response.text[:500]


# --------------------------------------------------------------------------- headers


async def test_security_headers_on_every_kind_of_response(client: httpx.AsyncClient) -> None:
    headers = await signed_in(client, "headers@example.com")
    responses = [
        await client.get("/v1"),
        await client.get("/v1/exercises"),
        await client.get("/v1/exercises/no-such-exercise"),
        await client.get("/v1/nothing-here"),
        await client.delete("/v1/exercises"),
        await client.get("/v1/exercises", params={"limit": 10_000}),
        await client.get("/v1/me"),
        await client.get("/v1/me", headers=headers),
        await client.get("/healthz"),
        await client.get("/openapi.json"),
    ]
    assert {r.status_code for r in responses} >= {200, 401, 404, 405, 422}
    for response in responses:
        assert_security_headers(response)
        assert "strict-transport-security" not in response.headers
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["status"] == response.status_code


async def test_unexpected_errors_carry_the_headers_too(settings: Settings) -> None:
    app = create_app(settings)

    async def boom() -> None:
        raise RuntimeError("kaboom")

    app.add_api_route("/boom", boom)
    async with asgi_client(app) as http:
        response = await http.get("/boom")
    assert response.status_code == 500
    assert "kaboom" not in response.text
    assert_security_headers(response)


async def test_docs_keep_working_under_the_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert_security_headers(response)
    # Swagger UI and ReDoc come from the service: their pages may load from nowhere else.
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "http" not in policy  # no CDN is named
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
        assert f"/docs/assets/{asset}" in response.text + (await client.get("/redoc")).text
    served = await client.get("/docs/assets/swagger-ui-bundle.js")
    assert served.status_code == 200
    assert served.headers["cache-control"] == "public, max-age=86400"
    revalidated = await client.get(
        "/docs/assets/swagger-ui-bundle.js", headers={"If-None-Match": served.headers["etag"]}
    )
    assert revalidated.status_code == 304
    api = await client.get("/v1")
    assert api.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"


async def test_hsts_only_over_https(app: FastAPI, client: httpx.AsyncClient) -> None:
    assert "strict-transport-security" not in (await client.get("/v1")).headers
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as secure:
        response = await secure.get("/healthz")
    assert response.headers["strict-transport-security"].startswith("max-age=")


async def test_cache_control(client: httpx.AsyncClient) -> None:
    headers = await signed_in(client, "cache@example.com")
    # Public knowledge-base content stays cacheable for anonymous readers.
    public = await client.get("/v1/exercises")
    assert public.headers["cache-control"].startswith("public")
    # Anything answered to a credential is personal: never stored.
    for path in ("/v1/exercises", "/v1/me", "/v1/me/api-keys"):
        response = await client.get(path, headers=headers)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store", path
    # Other API answers, errors included, are not stored either.
    for path in ("/v1", "/v1/me", "/v1/nothing-here"):
        assert (await client.get(path)).headers["cache-control"] == "no-store", path


# --------------------------------------------------------------------------- CORS


@pytest.fixture(scope="module")
async def cors_app(settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(
        make_settings(settings.database_url or "", cors_origins="https://app.example.com")
    )
    async with app.router.lifespan_context(app):
        yield app


def preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Authorization, Content-Type",
    }


async def test_preflight_from_an_allowed_origin(cors_app: FastAPI) -> None:
    async with asgi_client(cors_app) as http:
        response = await http.options(
            "/v1/auth/token", headers=preflight("https://app.example.com")
        )
        simple = await http.get("/v1", headers={"Origin": "https://app.example.com"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://app.example.com"
    assert "POST" in response.headers["access-control-allow-methods"]
    assert_security_headers(response)
    assert simple.headers["access-control-allow-origin"] == "https://app.example.com"
    exposed = simple.headers["access-control-expose-headers"].lower()
    assert {"ratelimit", "ratelimit-policy", "retry-after"} <= {
        h.strip() for h in exposed.split(",")
    }


async def test_preflight_from_a_disallowed_origin(cors_app: FastAPI) -> None:
    async with asgi_client(cors_app) as http:
        response = await http.options("/v1/auth/token", headers=preflight("https://evil.example"))
        simple = await http.get("/v1", headers={"Origin": "https://evil.example"})
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 400
    assert_security_headers(response)
    assert "access-control-allow-origin" not in simple.headers


# --------------------------------------------------------------------------- contract hygiene


@pytest.fixture
async def openapi(client: httpx.AsyncClient) -> dict[str, Any]:
    document: dict[str, Any] = (await client.get("/openapi.json")).json()
    return document


def unbounded_inputs(document: dict[str, Any]) -> dict[str, list[str]]:
    """Every request input the contract leaves unbounded, grouped by the component it is in.

    Walks every parameter and request body, through $refs and unions: request objects must
    forbid unknown fields, strings need maxLength (or an enum, const or bounded format), arrays
    need maxItems.
    """
    components: dict[str, Any] = document["components"]["schemas"]
    found: dict[str, list[str]] = {}
    visited: set[str] = set()

    def report(owner: str, problem: str) -> None:
        found.setdefault(owner, []).append(problem)

    def walk(schema: dict[str, Any], where: str, owner: str, *, body: bool) -> None:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            if name not in visited:
                visited.add(name)
                walk(components[name], name, name, body=body)
            return
        for key in ("anyOf", "oneOf", "allOf"):
            for option in schema.get(key, []):
                walk(option, where, owner, body=body)
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            walk_object(schema, where, owner, body=body)
        if kind == "string" and not (
            {"maxLength", "enum", "const"} & set(schema) or schema.get("format") in BOUNDED_FORMATS
        ):
            report(owner, f"{where}: string without maxLength")
        if kind == "array":
            if "maxItems" not in schema:
                report(owner, f"{where}: array without maxItems")
            if isinstance(schema.get("items"), dict):
                walk(schema["items"], f"{where}[]", owner, body=body)
            for index, item in enumerate(schema.get("prefixItems", [])):
                walk(item, f"{where}[{index}]", owner, body=body)

    def walk_object(schema: dict[str, Any], where: str, owner: str, *, body: bool) -> None:
        if body and schema.get("additionalProperties") is not False:
            report(owner, f"{where}: object accepts unknown fields")
        for name, field in schema.get("properties", {}).items():
            walk(field, f"{where}.{name}", owner, body=body)
        if isinstance(schema.get("additionalProperties"), dict):
            walk(schema["additionalProperties"], f"{where}.*", owner, body=body)

    for path, item in document["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                name = f"{where} {parameter['in']} {parameter['name']}"
                walk(parameter["schema"], name, where, body=False)
            for content in operation.get("requestBody", {}).get("content", {}).values():
                walk(content["schema"], f"{where} body", where, body=True)
    return found


async def test_every_request_input_is_bounded(openapi: dict[str, Any]) -> None:
    found = unbounded_inputs(openapi)
    unexpected = {k: v for k, v in found.items() if k not in RECOMMENDER_STATE_SCHEMAS}
    assert not unexpected, "\n".join(p for problems in unexpected.values() for p in problems)


async def test_the_recommender_state_is_bounded(openapi: dict[str, Any]) -> None:
    found = unbounded_inputs(openapi)
    assert not (set(found) & RECOMMENDER_STATE_SCHEMAS)


async def test_the_walker_sees_unbounded_inputs() -> None:
    # Guards the two tests above: a document with every kind of gap must be reported.
    document = {
        "components": {
            "schemas": {
                "Body": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "tags": {"type": "array", "items": {"type": "string", "maxLength": 5}},
                        "when": {"type": "string", "format": "date"},
                    },
                }
            }
        },
        "paths": {
            "/x": {
                "post": {
                    "parameters": [{"in": "query", "name": "q", "schema": {"type": "string"}}],
                    "requestBody": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Body"}}
                        }
                    },
                }
            }
        },
    }
    problems = sorted(p for ps in unbounded_inputs(document).values() for p in ps)
    assert problems == [
        "Body.name: string without maxLength",
        "Body.tags: array without maxItems",
        "Body: object accepts unknown fields",
        "POST /x query q: string without maxLength",
    ]


async def test_page_size_is_capped_everywhere(
    client: httpx.AsyncClient, openapi: dict[str, Any]
) -> None:
    headers = await signed_in(client, "pages@example.com")
    checked = []
    for path, item in openapi["paths"].items():
        operation = item.get("get")
        if operation is None:
            continue
        limit = next((p for p in operation.get("parameters", []) if p["name"] == "limit"), None)
        if limit is None:
            continue
        schema = limit["schema"]
        assert "maximum" in schema, f"{path}: limit has no maximum"
        url = path.replace("{slug}", "deadlift")
        response = await client.get(url, params={"limit": schema["maximum"] + 1}, headers=headers)
        assert response.status_code == 422, f"{path}: {response.status_code}"
        assert "limit" in {e["name"] for e in response.json()["errors"]}
        checked.append(path)
    assert "/v1/exercises" in checked
    assert "/v1/me/sessions" in checked


@pytest.mark.parametrize("field", ["id", "owner_id", "is_admin", "created_at", "unexpected"])
async def test_unknown_fields_are_rejected(client: httpx.AsyncClient, field: str) -> None:
    response = await client.post(
        "/v1/auth/register",
        json={"email": f"mass-{field}@example.com", "password": "correct horse battery", field: 1},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["name"] == field
