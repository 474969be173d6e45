"""GET /v1/sources and /v1/sources/{slug}: every cited work, and every citation resolves."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.content import ARTICLE_SOURCE_SLUG, load_content
from app.recommendations.examples import OPENAPI_EXAMPLES
from tests.content.helpers import recommender_source_ids
from tests.test_knowledge_api import assert_problem, get_json

CURATED = load_content()


async def test_list_sources(client: httpx.AsyncClient) -> None:
    sources = await get_json(client, "/v1/sources")
    assert {s["slug"] for s in sources} == {s.slug for s in CURATED.sources}
    titles = [(s["title"], s["slug"]) for s in sources]
    assert titles == sorted(titles)
    article = next(s for s in sources if s["slug"] == ARTICLE_SOURCE_SLUG)
    assert article == {
        "slug": ARTICLE_SOURCE_SLUG,
        "title": "Back Training Tips & Strategies for Building a BIG Back",
        "author": "Alex (King of the Gym)",
        "url": "https://www.kingofthegym.com/",
        "kind": "article",
        "publisher": "King of the Gym",
        "year": None,
        "notes": article["notes"],
    }
    assert article["notes"]


async def test_list_sources_by_kind(client: httpx.AsyncClient) -> None:
    books = await get_json(client, "/v1/sources", kind="book")
    expected = {s.slug for s in CURATED.sources if s.kind.value == "book"}
    assert {s["slug"] for s in books} == expected
    assert {"starting-strength", "epley-formula"} <= expected
    assert_problem(await client.get("/v1/sources", params={"kind": "podcast"}), 422)


async def test_get_source(client: httpx.AsyncClient) -> None:
    epley = await get_json(client, "/v1/sources/epley-formula")
    assert (epley["author"], epley["kind"], epley["year"]) == ("Boyd Epley", "book", 1985)
    rts = await get_json(client, "/v1/sources/rts-rpe-chart")
    assert rts["author"] == "Mike Tuchscherer"
    assert rts["publisher"] == "Reactive Training Systems"


async def test_unknown_source_is_a_404_naming_the_slug(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/v1/sources/article-king-of-the-gym"), 404)
    assert body["detail"] == "No source has the slug 'article-king-of-the-gym'."
    assert body["type"] == "/problems/not-found"


async def test_malformed_source_slug_is_422(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/v1/sources/article:king"), 422)
    assert body["errors"][0]["name"] == "slug"


@pytest.mark.parametrize("url", ["/v1/sources", "/v1/sources/gzclp"])
async def test_sources_are_conditional(client: httpx.AsyncClient, url: str) -> None:
    first = await client.get(url)
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("public")
    again = await client.get(url, headers={"If-None-Match": etag})
    assert (again.status_code, again.content) == (304, b"")


async def test_openapi_documents_the_source_operations(client: httpx.AsyncClient) -> None:
    paths = (await get_json(client, "/openapi.json"))["paths"]
    listing, detail = paths["/v1/sources"]["get"], paths["/v1/sources/{slug}"]["get"]
    assert (listing["operationId"], detail["operationId"]) == ("list_sources", "get_source")
    assert {"200", "304", "422", "503"} <= set(listing["responses"])
    assert {"200", "304", "404", "422", "503"} <= set(detail["responses"])


# --------------------------------------------------------------------------- citations resolve


async def test_every_recommender_source_id_resolves(client: httpx.AsyncClient) -> None:
    for name, slug in recommender_source_ids().items():
        response = await client.get(f"/v1/sources/{slug}")
        assert response.status_code == 200, (name, slug, response.text)


def cited(value: object) -> set[str]:
    """Every slug in any ``sources`` list of a response body."""
    if isinstance(value, dict):
        found = {s for s in value.get("sources", []) if isinstance(s, str)}
        return found.union(*(cited(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(cited(v) for v in value))
    return set()


async def test_recommendation_reason_sources_resolve(client: httpx.AsyncClient) -> None:
    known = {s["slug"] for s in await get_json(client, "/v1/sources")}
    seen: set[str] = set()
    for name, example in OPENAPI_EXAMPLES.items():
        response = await client.post("/v1/recommendations/next-session", json=example["value"])
        assert response.status_code == 200, (name, response.text)
        body: dict[str, Any] = response.json()
        sources = cited(body)
        assert sources <= known, (name, sources - known)
        seen |= sources
    assert ARTICLE_SOURCE_SLUG in seen
