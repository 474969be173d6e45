"""Browsing the catalog has its own anonymous quota (issue 11.11): paging the whole imported
catalog and revalidating it leaves registration its budget, and a 429 names its policy and
the ways to a larger quota."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from app.config import Settings
from app.knowledge.representations import CachingRoute
from app.main import create_app
from app.pagination import DEFAULT_LIMIT, MAX_LIMIT
from app.ratelimit.dependency import KNOWLEDGE_BASE_TAGS
from tests.conftest import (
    DatabaseFactory,
    import_dataset_into,
    loaded_database,
    make_settings,
)
from tests.test_abuse import assert_refusal, client_at, parse_fields
from tests.test_auth import PASSWORD
from tests.test_revision_watcher import _known

# The imported catalog of issue 11: 893 exercises, 45 pages of 20.
CATALOG_SIZE = 893
SHIPPED = {
    name: Settings.model_fields[name].default
    for name in ("rate_limit_anonymous", "rate_limit_kb_anonymous")
}


@pytest.fixture(scope="module")
def catalog(database_factory: DatabaseFactory, shared_dir: Path) -> str:
    url = loaded_database(database_factory)
    import_dataset_into(url, shared_dir / "data" / "free-exercise-db" / "exercises.json")
    return url


async def walk(http: httpx.AsyncClient) -> list[httpx.Response]:
    """Every page of the catalog at the default page size, then each page again with the
    tag it came with (a client refreshing its copy: 304s)."""
    pages: list[httpx.Response] = []
    url: str | None = "/v1/exercises"
    while url is not None:
        page = await http.get(url)
        assert page.status_code == 200, page.text
        pages.append(page)
        cursor = page.json()["next_cursor"]
        url = None if cursor is None else f"/v1/exercises?cursor={cursor}"
    revalidated = [
        await http.get(str(page.url), headers={"If-None-Match": page.headers["etag"]})
        for page in pages
    ]
    assert {r.status_code for r in revalidated} == {304}
    return pages + revalidated


def browser(application: FastAPI) -> httpx.AsyncClient:
    """A client at an address of its own: the counters outlive each test's application."""
    return client_at(application, f"203.0.113.{uuid.uuid4().int % 250 + 1}")


def register(http: httpx.AsyncClient) -> Any:
    email = f"browser-{uuid.uuid4().hex[:8]}@example.com"
    return http.post("/v1/auth/register", json={"email": email, "password": PASSWORD})


async def test_paging_the_whole_catalog_leaves_registration_its_budget(catalog: str) -> None:
    # The shipped quotas: before issue 11.11 the 60th page or revalidation refused everything.
    application = create_app(make_settings(catalog, **SHIPPED))
    async with application.router.lifespan_context(application), browser(application) as http:
        await _known(application)  # so the revalidations are answered before routing too
        answers = await walk(http)
        registered = await register(http)
    total = answers[0].json()["total"]
    assert total >= CATALOG_SIZE
    assert len(answers) == 2 * -(-total // DEFAULT_LIMIT) > SHIPPED["rate_limit_anonymous"]
    for answer in answers:
        assert set(parse_fields(answer.headers["ratelimit-policy"])) == {"anonymous-kb"}
    # Every answer was counted there (the budget drips back meanwhile: at least this is left).
    left = parse_fields(answers[-1].headers["ratelimit"])["anonymous-kb"]["r"]
    assert left >= SHIPPED["rate_limit_kb_anonymous"] - len(answers)
    assert registered.status_code == 201, registered.text
    state = parse_fields(registered.headers["ratelimit"])["anonymous"]
    assert state["r"] == SHIPPED["rate_limit_anonymous"] - 1


def alternatives(response: httpx.Response) -> dict[str | None, dict[str, Any]]:
    return {a.get("policy"): a for a in response.json()["alternatives"]}


async def test_a_catalog_refusal_points_to_a_key_and_bigger_pages(catalog: str) -> None:
    settings = make_settings(catalog, rate_limit_kb_anonymous=3, rate_limit_anonymous=2)
    application = create_app(settings)
    async with application.router.lifespan_context(application), browser(application) as http:
        await _known(application)
        answers = [await http.get("/v1/exercises/deadlift") for _ in range(4)]
        # Still registration's own budget: the catalog's refusal did not touch it.
        registered = await register(http)
        refused_elsewhere = [await http.get("/v1") for _ in range(2)][-1]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert_refusal(refused, "anonymous-kb")
    body = refused.json()
    assert body["policy"] == "anonymous-kb"
    assert "'anonymous-kb'" in body["detail"]
    ways = alternatives(refused)
    key = ways["api-key-kb"]
    assert key["href"] == "/v1/me/api-keys"
    assert (key["limit"], key["window_s"]) == (settings.rate_limit_kb_key, 60)
    assert "kb:read" in key["description"]
    assert "POST /v1/auth/register" in key["description"]
    pages = ways[None]
    assert pages["href"] == f"/v1/exercises?limit={MAX_LIMIT}"
    assert f"limit={MAX_LIMIT}" in pages["description"]
    # The catalog has no bulk export: no pointer may name one.
    assert all("export" not in way["href"] for way in ways.values())

    assert registered.status_code == 201, registered.text
    assert_refusal(refused_elsewhere, "anonymous")
    elsewhere = alternatives(refused_elsewhere)
    assert elsewhere.keys() == {"user", "api-key"}
    assert elsewhere["user"]["href"] == "/v1/auth/token"
    assert elsewhere["api-key"]["limit"] == settings.rate_limit_key


def test_every_stored_catalog_route_is_a_knowledge_base_read(app: FastAPI) -> None:
    # The fast path counts a stored answer against the anonymous knowledge-base quota without
    # routing: that is right only if the route would have chosen that quota too.
    stored = [
        context.original_route
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, CachingRoute)
    ]
    assert len(stored) >= 15
    for route in stored:
        assert route.methods is not None
        assert route.methods <= {"GET", "HEAD"}, route.path
        assert not KNOWLEDGE_BASE_TAGS.isdisjoint(route.tags), route.path


async def test_the_openapi_429_names_the_quotas_of_each_operation(app: FastAPI) -> None:
    document = app.openapi()
    schemas = document["components"]["schemas"]
    assert {"policy", "retry_after", "alternatives"} <= set(
        schemas["RateLimitedProblem"]["properties"]
    )
    assert "QuotaAlternative" in schemas
    paths = document["paths"]

    def refusal(path: str, method: str) -> dict[str, Any]:
        response: dict[str, Any] = paths[path][method]["responses"]["429"]
        schema = response["content"]["application/problem+json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/RateLimitedProblem"}
        return response

    policies = app.state.rate_limit_policies
    catalog = refusal("/v1/exercises", "get")["description"]
    assert f"`anonymous-kb` ({policies.kb_anonymous.limit} per 60 s" in catalog
    assert "`api-key-kb`" in catalog
    assert "`anonymous` (" not in catalog
    account = refusal("/v1/auth/register", "post")["description"]
    assert f"`anonymous` ({policies.anonymous.limit} per 60 s" in account
    assert "anonymous-kb" not in account
    assert "sign-in" not in account
    assert "`sign-in-address`" in refusal("/v1/auth/token", "post")["description"]
    assert "`api-key-creation`" in refusal("/v1/me/api-keys", "post")["description"]
    assert "`api-key-creation`" not in refusal("/v1/me/api-keys", "get")["description"]
