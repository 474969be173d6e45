"""Every JSON body is read the same strict way: UTF-8 only, no duplicate keys, no NaN, bounded
nesting. Each departure is the same 422 `json_invalid` problem on every operation, never a 400,
a 500 or a silently dropped value (issue 9, point 12)."""

from __future__ import annotations

import codecs
import json

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from app.bodies import StrictJSONRoute
from tests.test_auth import PASSWORD, signed_in

ACCOUNT = {"email": "strict@example.com", "password": PASSWORD}
TEXT = json.dumps(ACCOUNT)

BAD_BODIES: dict[str, tuple[bytes, str]] = {
    "duplicate key": (
        b'{"email": "a@example.com", "email": "b@example.com", "password": "x"}',
        'the key "email" appears more than once',
    ),
    "duplicate key, nested": (
        b'{"history": [{"date": "2026-01-01", "sets": [{"reps": 5, "reps": 8}]}]}',
        'the key "reps" appears more than once',
    ),
    "UTF-16 with BOM": (TEXT.encode("utf-16"), "UTF-8"),
    "UTF-16 without BOM": (TEXT.encode("utf-16-le"), "UTF-8"),
    "UTF-32": (TEXT.encode("utf-32"), "UTF-8"),
    "UTF-8 with BOM": (codecs.BOM_UTF8 + TEXT.encode(), "UTF-8"),
    "invalid UTF-8": (b'{"email": "a\xff@example.com"}', "byte 12 is not UTF-8"),
    "NaN": (b'{"email": "a@example.com", "password": NaN}', "NaN is not a JSON value"),
    "Infinity": (b'{"bodyweight": -Infinity}', "-Infinity is not a JSON value"),
    "too deep (arrays)": (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    "too deep (objects)": (b'{"a":' * 5_000 + b"1" + b"}" * 5_000, "nested too deeply"),
    "truncated": (b'{"email": "a@example.com", "pass', "at character"),
    "trailing garbage": (TEXT.encode() + b" x", "at character"),
}

OPERATIONS = [
    ("/v1/auth/register", False),
    ("/v1/auth/token", False),
    ("/v1/auth/refresh", False),
    ("/v1/recommendations/next-session", False),
    ("/v1/me/sessions", True),
    ("/v1/me/api-keys", True),
]


@pytest.mark.parametrize(("path", "signed"), OPERATIONS, ids=[p for p, _ in OPERATIONS])
@pytest.mark.parametrize("case", list(BAD_BODIES))
async def test_a_body_that_is_not_strict_json_is_the_same_422_everywhere(
    client: httpx.AsyncClient, path: str, signed: bool, case: str
) -> None:
    headers = {"Content-Type": "application/json"}
    if signed:
        headers |= await signed_in(client)
    body, says = BAD_BODIES[case]
    response = await client.post(path, content=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert (error["name"], error["type"]) == ("body", "json_invalid")
    assert says in error["reason"]


async def test_a_duplicate_key_no_longer_wins_silently(client: httpx.AsyncClient) -> None:
    body = b'{"email": "first@example.com", "email": "second@example.com", "password": "%s"}'
    response = await client.post(
        "/v1/auth/register",
        content=body % PASSWORD.encode(),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    # Nothing was stored under either spelling.
    for email in ("first@example.com", "second@example.com"):
        again = await client.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
        assert again.status_code == 201, again.text


def test_every_operation_with_a_json_body_reads_it_strictly(app: FastAPI) -> None:
    routes = [context.original_route for context in iter_route_contexts(app.routes)]
    with_bodies = [
        route
        for route in routes
        if isinstance(route, APIRoute) and (route.body_field is not None or route.openapi_extra)
    ]
    assert len(with_bodies) >= 10  # registration, sessions, keys, admin writes, recommendations
    loose = [
        f"{sorted(route.methods or ())} {route.path}"
        for route in with_bodies
        if not isinstance(route, StrictJSONRoute)
    ]
    assert loose == []
