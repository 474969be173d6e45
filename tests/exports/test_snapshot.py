"""The bulk catalog snapshot: every public item as its detail endpoint answers it, its digest
and size in the headers, revalidation, gzip, NDJSON and content negotiation."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from app.exports.service import body_facts

PATH = "/v1/exports/catalog"
NDJSON = {"Accept": "application/x-ndjson"}
IDENTITY = {"Accept-Encoding": "identity"}
GZIP = {"Accept-Encoding": "gzip"}

# The detail (or listing) endpoint each kind's items come from, and how its URL names one.
DETAIL = {
    "exercises": "/v1/exercises/{slug}",
    "muscles": "/v1/muscles/{slug}",
    "joint_actions": "/v1/joint-actions/{slug}",
    "tips": "/v1/tips/{slug}",
    "strategies": "/v1/strategies/{level}",
    "sources": "/v1/sources/{slug}",
}
LISTED = {
    "equipment": "/v1/equipment",
    "routines": "/v1/routines",
    "benefits": "/v1/benefits",
    "anatomy_notes": "/v1/anatomy-notes",
}
KIND_OF = {
    "exercises": "exercise",
    "muscles": "muscle",
    "joint_actions": "joint_action",
    "tips": "tip",
    "equipment": "equipment",
    "strategies": "strategy",
    "routines": "routine",
    "sources": "source",
    "benefits": "benefit",
    "anatomy_notes": "anatomy_note",
}


@dataclass
class Sent:
    """An answer with its body as sent: not decoded by httpx."""

    response: httpx.Response
    body: bytes

    @property
    def headers(self) -> httpx.Headers:
        return self.response.headers

    @property
    def status_code(self) -> int:
        return self.response.status_code


async def _raw(client: httpx.AsyncClient, headers: dict[str, str]) -> Sent:
    async with client.stream("GET", PATH, headers=headers) as response:
        body = b"".join([chunk async for chunk in response.aiter_raw()])
    return Sent(response, body)


def _repr_digest(data: bytes) -> str:
    return f"sha-256=:{base64.b64encode(hashlib.sha256(data).digest()).decode()}:"


async def _expected(client: httpx.AsyncClient) -> dict[str, list[Any]]:
    """Every public item, by kind, as the public endpoints answer them, by slug."""
    found: dict[str, list[Any]] = {}
    for key, listing in LISTED.items():
        found[key] = sorted((await client.get(listing)).json(), key=lambda i: i["slug"])
    for key, detail in DETAIL.items():
        base = detail.rsplit("/", 1)[0]
        if key == "exercises":
            slugs, cursor = [], None
            while True:
                page = (
                    await client.get(
                        base, params={"limit": 100} | ({"cursor": cursor} if cursor else {})
                    )
                ).json()
                slugs += [item["slug"] for item in page["items"]]
                cursor = page["next_cursor"]
                if cursor is None:
                    break
            names = [{"slug": s, "level": None} for s in slugs]
        else:
            names = (await client.get(base)).json()
        items = [
            (await client.get(detail.format(slug=n["slug"], level=n.get("level")))).json()
            for n in names
        ]
        assert all("slug" in item for item in items), key
        found[key] = sorted(items, key=lambda i: i["slug"])
    return found


async def test_the_json_document_holds_every_public_item_as_its_endpoint_answers_it(
    client: httpx.AsyncClient,
) -> None:
    response = await _raw(client, IDENTITY)
    assert response.status_code == 200, response.body[:200]
    assert response.headers["content-type"] == "application/json"
    document = json.loads(response.body)
    revision = (await client.get("/v1/exercises/deadlift")).headers["etag"]
    assert f'"r{document["revision"]}-' in revision
    assert document["cursor"] == str(document["revision"])
    assert list(document) == ["revision", "cursor", *KIND_OF, "counts"]
    expected = await _expected(client)
    for key, items in expected.items():
        assert document[key] == items, key
        assert document["counts"][KIND_OF[key]] == len(items)
    assert len(document["exercises"]) >= 20


async def test_ndjson_has_a_header_one_line_per_item_and_a_trailer(
    client: httpx.AsyncClient,
) -> None:
    document = json.loads((await _raw(client, IDENTITY)).body)
    response = await _raw(client, NDJSON | IDENTITY)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    raw = response.body
    assert raw.endswith(b"\n")
    lines = [json.loads(line) for line in raw.decode().splitlines()]
    header, *items, trailer = lines
    assert header == {
        "type": "header",
        "revision": document["revision"],
        "cursor": document["cursor"],
        "kinds": list(KIND_OF.values()),
    }
    assert trailer == {
        "type": "trailer",
        "revision": document["revision"],
        "cursor": document["cursor"],
        "counts": document["counts"],
    }
    for key, kind in KIND_OF.items():
        assert [line["item"] for line in items if line["kind"] == kind] == document[key], key
    assert {line["type"] for line in items} == {"item"}


@pytest.mark.parametrize("accept", [{}, NDJSON])
@pytest.mark.parametrize("coding", [IDENTITY, GZIP])
async def test_the_headers_give_the_digest_and_size_of_the_body_sent(
    client: httpx.AsyncClient, accept: dict[str, str], coding: dict[str, str]
) -> None:
    body_facts.clear()
    before = body_facts.passes
    # The first answer hashes the body before sending it; the second uses what it learned.
    for _ in range(2):
        response = await _raw(client, accept | coding)
        sent = response.body
        assert response.headers["repr-digest"] == _repr_digest(sent)
        assert int(response.headers["content-length"]) == len(sent)
        decoded = gzip.decompress(sent) if coding is GZIP else sent
        assert response.headers["x-content-sha256"] == hashlib.sha256(decoded).hexdigest()
        assert response.headers["vary"] == "Accept, Accept-Encoding"
    assert body_facts.passes == before + 1


async def test_gzip_decodes_to_the_identity_bytes(client: httpx.AsyncClient) -> None:
    for accept in ({}, NDJSON):
        plain = await _raw(client, accept | IDENTITY)
        coded = await _raw(client, accept | GZIP)
        assert "content-encoding" not in plain.headers
        assert coded.headers["content-encoding"] == "gzip"
        assert gzip.decompress(coded.body) == plain.body
        assert len(coded.body) < len(plain.body) / 4
        assert coded.headers["etag"] == plain.headers["etag"][:-1] + '-gzip"'


async def test_a_current_etag_gets_a_304_in_either_form(client: httpx.AsyncClient) -> None:
    plain = await client.head(PATH, headers=IDENTITY)
    coded = await client.head(PATH, headers=GZIP)
    for tag in (plain.headers["etag"], coded.headers["etag"]):
        for coding in (IDENTITY, GZIP):
            again = await client.get(PATH, headers=coding | {"If-None-Match": tag})
            assert again.status_code == 304, (tag, coding)
            assert again.content == b""
            assert "accept-encoding" in again.headers["vary"].lower()
    # The NDJSON form is another representation, with a tag of its own.
    other = await client.get(PATH, headers=NDJSON | {"If-None-Match": plain.headers["etag"]})
    assert other.status_code == 200
    assert other.headers["etag"] != plain.headers["etag"]
    stale = await client.get(PATH, headers={"If-None-Match": '"snap-r0-0000"'})
    assert stale.status_code == 200


async def test_head_answers_the_headers_of_the_get_without_a_body(
    client: httpx.AsyncClient,
) -> None:
    head = await client.head(PATH, headers=IDENTITY)
    get = await _raw(client, IDENTITY)
    assert head.status_code == 200
    assert head.content == b""
    for name in ("etag", "content-length", "repr-digest", "x-content-sha256", "content-type"):
        assert head.headers[name] == get.headers[name], name


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        ("*/*", "application/json"),
        ("application/*", "application/json"),
        ("application/json, application/x-ndjson;q=0.5", "application/json"),
        ("application/json;q=0.2, application/x-ndjson", "application/x-ndjson"),
        ("text/html, */*;q=0.1", "application/json"),
    ],
)
async def test_accept_chooses_the_media_type(
    client: httpx.AsyncClient, accept: str, media_type: str
) -> None:
    response = await client.head(PATH, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type


@pytest.mark.parametrize("accept", ["text/html", "application/xml", "application/json;q=0"])
async def test_an_accept_it_cannot_meet_is_a_406_problem(
    client: httpx.AsyncClient, accept: str
) -> None:
    response = await client.get(PATH, headers={"Accept": accept})
    assert response.status_code == 406
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/problems/not-acceptable"
    assert "application/x-ndjson" in problem["detail"]
