"""The OpenAPI document is part of the product: complete, consistent, generator-friendly."""

from __future__ import annotations

import re
from typing import Any

import httpx
from pydantic import AnyHttpUrl

from app.compression import MIN_SIZE
from app.config import Settings
from app.main import create_app

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}
INTERNAL = re.compile(r"spec v\d|spec section|\bR[1-9]\b|the article", re.IGNORECASE)


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


async def test_every_operation_is_documented(openapi: dict[str, Any]) -> None:
    found = operations(openapi)
    assert found
    for method, path, operation in found:
        where = f"{method} {path}"
        assert operation.get("summary"), f"{where} has no summary"
        assert len(operation.get("description", "")) >= 40, f"{where} has no real description"
        # Written for integrators: no internal rule numbers or spec versions.
        assert not INTERNAL.search(operation["description"] + operation["summary"]), where
        assert re.fullmatch(r"[a-z]+(_[a-z0-9]+)+", operation["operationId"]), where
        assert (
            "200" in operation["responses"]
            or "201" in operation["responses"]
            or "204" in operation["responses"]
        )


async def test_operation_ids_are_unique(openapi: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(openapi)]
    assert len(ids) == len(set(ids))


async def test_errors_are_documented_as_problem_details(openapi: dict[str, Any]) -> None:
    assert "HTTPValidationError" not in openapi["components"]["schemas"]
    assert "Problem" in openapi["components"]["schemas"]
    for method, path, operation in operations(openapi):
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                assert list(response["content"]) == ["application/problem+json"], (
                    f"{method} {path} {status}"
                )


async def test_readiness_documents_its_503(openapi: dict[str, Any]) -> None:
    assert "503" in openapi["paths"]["/readyz"]["get"]["responses"]


async def test_every_parameter_is_documented(openapi: dict[str, Any]) -> None:
    for method, path, operation in operations(openapi):
        for parameter in operation.get("parameters", []):
            where = f"{method} {path} {parameter['name']}"
            assert parameter.get("description"), f"{where} has no description"


async def test_list_and_detail_responses_carry_examples(openapi: dict[str, Any]) -> None:
    schemas = openapi["components"]["schemas"]
    for name in ("ExerciseSummary", "MuscleSummary", "SearchHit", "Problem"):
        schema = schemas[name]
        has_examples = "examples" in schema or any(
            "examples" in field for field in schema.get("properties", {}).values()
        )
        assert has_examples, f"{name} has no examples"


async def test_schema_names_read_well_in_generated_clients(openapi: dict[str, Any]) -> None:
    names = list(openapi["components"]["schemas"])
    assert not [n for n in names if "__" in n or n.endswith(("-Input", "-Output"))]


PUBLIC = {
    ("GET", "/v1/exercises"),
    ("GET", "/v1/search"),
    ("POST", "/v1/recommendations/next-session"),
    ("POST", "/v1/auth/register"),
    ("POST", "/v1/auth/token"),
}


async def test_security_is_declared_only_where_credentials_matter(
    openapi: dict[str, Any], client: httpx.AsyncClient
) -> None:
    schemes = set(openapi["components"]["securitySchemes"])
    for method, path, operation in operations(openapi):
        where = f"{method} {path}"
        security = operation.get("security")
        if path.startswith(("/v1/me", "/v1/admin", "/v1/apps")):
            # Required: no empty alternative that would make them optional.
            assert security, where
            assert {} not in security, where
            assert {name for option in security for name in option} == schemes, where
        elif not path.startswith("/v1/auth/logout"):
            assert security is None, f"{where} declares credentials it does not need"
    for method, path in PUBLIC:
        operation = openapi["paths"][path][method.lower()]
        # What a key changes there, in words, and the 401 a bad one still earns.
        assert "larger" in operation["description"], path
        assert "401" in operation["responses"], path
    # Still refused, not ignored: a bad key on a public operation is a 401.
    refused = await client.get("/v1/exercises", headers={"X-API-Key": "spk_not-a-key"})
    assert refused.status_code == 401


MANAGED_HEADERS = {
    "etag",
    "cache-control",
    "link",
    "ratelimit",
    "ratelimit-policy",
    "content-encoding",
    "vary",
    # The catalog snapshot's digests (app/exports).
    "repr-digest",
    "x-content-sha256",
}
# Documented on every 200 with a body, sent only by those of 1 KB or more (app/compression.py).
WHEN_LARGE = {"content-encoding", "vary"}


def documented_headers(document: dict[str, Any], response: dict[str, Any]) -> set[str]:
    names = set()
    for name, header in response.get("headers", {}).items():
        ref = header.get("$ref")
        if ref:
            assert ref.rsplit("/", 1)[-1] in document["components"]["headers"], ref
        names.add(name.lower())
    return names


async def test_conditional_reads_document_the_headers_they_send(
    openapi: dict[str, Any], client: httpx.AsyncClient
) -> None:
    """Every catalog GET, called for real: the managed headers it sends on 200 and 304 are
    exactly the documented ones (Link only while a next page exists)."""
    checked = 0
    for method, path, operation in operations(openapi):
        responses = operation["responses"]
        if method != "GET" or "304" not in responses:
            continue
        assert any(
            p["name"] == "If-None-Match" and p["in"] == "header" for p in operation["parameters"]
        ), path
        url = path.replace("{level}", "beginner")
        if path.endswith("/alternatives"):
            url = path.replace("{slug}", "deadlift")
        elif "{slug}" in path:
            # The first item its own listing names (the listing is checked on its own).
            listing = (await client.get(path.rsplit("/", 1)[0])).json()
            items = listing["items"] if isinstance(listing, dict) else listing
            url = url.replace("{slug}", items[0]["slug"])
        if path == "/v1/search":
            url += "?q=row&limit=1"
        fresh = await client.get(
            url, params={"limit": 1} if "next_cursor" in str(responses) else None
        )
        assert fresh.status_code == 200, (url, fresh.text)
        sent = {name for name in fresh.headers if name in MANAGED_HEADERS}
        expected = documented_headers(openapi, responses["200"])
        if "link" not in sent:
            expected.discard("link")
        if len(fresh.content) < MIN_SIZE:
            expected -= WHEN_LARGE
        assert sent == expected, url
        revalidated = await client.get(
            str(fresh.url), headers={"If-None-Match": fresh.headers["etag"]}
        )
        assert revalidated.status_code == 304, url
        sent = {name for name in revalidated.headers if name in MANAGED_HEADERS}
        assert sent == documented_headers(openapi, responses["304"]), url
        checked += 1
    assert checked >= 15


async def test_other_operations_document_no_store_and_quota_headers(
    openapi: dict[str, Any], client: httpx.AsyncClient
) -> None:
    for _method, path, operation in operations(openapi):
        if not path.startswith("/v1") or "304" in operation["responses"]:
            continue
        for status, response in operation["responses"].items():
            if status.startswith("2"):
                names = documented_headers(openapi, response)
                assert {"cache-control", "ratelimit", "ratelimit-policy"} <= names, (path, status)
                assert "content" not in response or status != "204", path
    # Live: a registration's 201 is not cacheable and carries the quota fields.
    registered = await client.post(
        "/v1/auth/register",
        json={"email": "headers@example.com", "password": "correct horse battery staple 42"},
    )
    assert registered.status_code == 201, registered.text
    assert registered.headers["cache-control"] == "no-store"
    assert {"ratelimit", "ratelimit-policy"} <= set(registered.headers)
    sessions = openapi["paths"]["/v1/me/sessions"]["get"]["responses"]["200"]
    assert "link" in documented_headers(openapi, sessions)


async def test_routine_days_are_structured(openapi: dict[str, Any]) -> None:
    schemas = openapi["components"]["schemas"]
    days = schemas["RoutinePublic"]["properties"]["days"]
    assert days["items"] == {"$ref": "#/components/schemas/RoutineDay"}
    entry = schemas["RoutineDay"]["properties"]["entries"]["items"]["$ref"].rsplit("/", 1)[-1]
    assert {"exercise", "sets", "reps"} <= set(schemas[entry]["properties"])


async def test_tags_are_declared_and_one_per_operation(openapi: dict[str, Any]) -> None:
    declared = {tag["name"]: tag for tag in openapi["tags"]}
    for name, tag in declared.items():
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", name), name
        assert len(tag["description"]) >= 20, name
    used = set()
    for method, path, operation in operations(openapi):
        assert len(operation["tags"]) == 1, f"{method} {path}: {operation['tags']}"
        used.add(operation["tags"][0])
    assert used == set(declared)


async def test_info_names_contact_licence_and_servers(openapi: dict[str, Any]) -> None:
    info = openapi["info"]
    assert info["contact"]["email"]
    assert info["license"]["name"]
    assert openapi["servers"][-1]["url"] == "/"


def test_a_public_url_is_the_first_server() -> None:
    settings = Settings(
        public_url=AnyHttpUrl("https://api.example.com/"), database_url="postgresql://x/y"
    )
    servers = create_app(settings).openapi()["servers"]
    assert [s["url"] for s in servers] == ["https://api.example.com", "/"]
