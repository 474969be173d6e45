"""Database round trips per signed-in request (issue 10: at most 2).

What is counted: every statement the request's engine (``app.state.engine``, the one behind
``get_session``) sends, through SQLAlchemy's ``before_cursor_execute`` event, from the moment
the request is sent until the response (background tasks included: ``httpx.ASGITransport``
runs them before it returns). Each of those is one round trip once the connection's prepared
statement cache holds it; the requests run twice and only the second is counted, so the first
use of a statement on a connection does not show as an extra prepare.

What is not counted, and why:

- The transaction's BEGIN and COMMIT. asyncpg sends them outside the cursor (SQLAlchemy's
  ``begin``/``commit`` events, not statements), and every request pays them once, in
  ``app.db.session.get_session``; the test checks that it is once (one transaction per
  request), so a helper that opens a second session would still show up.
- The rate limiter's statements: it has its own engine (and with a Redis URL none at all).

An API key's ``last_used_at`` write is a second transaction after the response; the warm-up
request has just made it, so the counted one must find it fresh and skip it (one write a
minute per key, not one per request).

The database is a committed one (``loaded_database``), so requests commit as in production:
the shared rolled-back transaction of the ``client`` fixture would add SAVEPOINT statements.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.main import create_app
from tests.conftest import DatabaseFactory, asgi_client, loaded_database, make_settings
from tests.test_auth import new_key, signed_in
from tests.training.conftest import PROFILE, session_body

MAX_ROUND_TRIPS = 2


@dataclass
class Traffic:
    statements: list[str] = field(default_factory=list)
    transactions: int = 0
    ended: int = 0


@contextmanager
def counted(engine: Engine) -> Iterator[Traffic]:
    traffic = Traffic()

    def on_statement(*args: Any) -> None:
        traffic.statements.append(" ".join(str(args[2]).split())[:200])

    def on_begin(*_: Any) -> None:
        traffic.transactions += 1

    def on_end(*_: Any) -> None:
        traffic.ended += 1

    listeners = [
        ("before_cursor_execute", on_statement),
        ("begin", on_begin),
        ("commit", on_end),
        ("rollback", on_end),
    ]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        yield traffic
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)


@pytest.fixture(scope="module")
def logs_database(database_factory: DatabaseFactory) -> str:
    # Outside the event loop: loading the content runs its own.
    return loaded_database(database_factory)


@pytest.fixture(scope="module")
async def committed_app(logs_database: str) -> AsyncIterator[FastAPI]:
    application = create_app(make_settings(logs_database))
    async with application.router.lifespan_context(application):
        yield application


@dataclass
class Lifter:
    bearer: dict[str, str]
    key: dict[str, str]


@pytest.fixture
async def lifter(committed_app: FastAPI) -> Lifter:
    """A lifter with a profile, three sessions, and a key with every log scope."""
    async with asgi_client(committed_app) as http:
        return await _new_lifter(http)


async def _new_lifter(http: httpx.AsyncClient) -> Lifter:
    bearer = await signed_in(http, f"trips-{uuid.uuid4().hex[:10]}@example.com")
    created = await new_key(http, bearer, ["logs:read", "logs:write", "recommendations:read"])
    assert (await http.put("/v1/me/profile", json=PROFILE, headers=bearer)).status_code == 201
    for day in ("2026-03-02", "2026-03-04", "2026-03-06"):
        response = await http.post("/v1/me/sessions", json=session_body(day), headers=bearer)
        assert response.status_code == 201, response.text
    return Lifter(bearer=bearer, key={"X-API-Key": created["key"]})


Request = Callable[[httpx.AsyncClient, dict[str, str]], Awaitable[httpx.Response]]


async def _session_id(http: httpx.AsyncClient, headers: dict[str, str]) -> tuple[int, str]:
    """A fresh session of the lifter's, and its ETag."""
    created = await http.post("/v1/me/sessions", json=session_body("2026-03-08"), headers=headers)
    assert created.status_code == 201, created.text
    return created.json()["id"], created.headers["etag"]


async def list_sessions(http: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    return await http.get("/v1/me/sessions", headers=headers)


async def get_one(http: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    first = (await http.get("/v1/me/sessions?limit=1", headers=headers)).json()["items"][0]
    return await http.get(f"/v1/me/sessions/{first['id']}", headers=headers)


async def create(http: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    return await http.post("/v1/me/sessions", json=session_body(sets=5), headers=headers)


async def replace(http: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    session_id, etag = await _session_id(http, headers)
    return await http.put(
        f"/v1/me/sessions/{session_id}",
        json=session_body("2026-03-09", sets=4, notes="heavier"),
        headers={**headers, "If-Match": etag},
    )


async def delete(http: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    session_id, etag = await _session_id(http, headers)
    return await http.delete(f"/v1/me/sessions/{session_id}", headers={**headers, "If-Match": etag})


async def get_profile(http: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    return await http.get("/v1/me/profile", headers=headers)


async def put_profile(http: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    etag = (await http.get("/v1/me/profile", headers=headers)).headers["etag"]
    return await http.put(
        "/v1/me/profile", json={**PROFILE, "bodyweight": 81}, headers={**headers, "If-Match": etag}
    )


async def get_account(http: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    return await http.get("/v1/me", headers=headers)


async def list_keys(http: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    return await http.get("/v1/me/api-keys", headers=headers)


# (name, request, status with a bearer token, status with an API key).
CASES: list[tuple[str, Request, int, int]] = [
    ("list sessions", list_sessions, 200, 200),
    ("get a session", get_one, 200, 200),
    ("create a session", create, 201, 201),
    ("replace a session", replace, 200, 200),
    ("delete a session", delete, 204, 204),
    ("get the profile", get_profile, 200, 200),
    ("replace the profile", put_profile, 200, 200),
    ("get the account", get_account, 200, 200),
    # Keys are the account's own business: an API key is refused (403) before any query.
    ("list API keys", list_keys, 200, 403),
]


async def measure(
    app: FastAPI, http: httpx.AsyncClient, headers: dict[str, str], call: Request
) -> tuple[httpx.Response, Traffic]:
    """The last response of ``call`` on its second run, and what that request sent.

    A case may make setup requests first (reading the ETag to send back); an event hook marks
    where each request starts, so only the last one's statements are kept.
    """
    await call(http, headers)
    starts: list[tuple[int, int, int]] = []
    with counted(app.state.engine.sync_engine) as traffic:

        async def mark(_: httpx.Request) -> None:
            starts.append((len(traffic.statements), traffic.transactions, traffic.ended))

        http.event_hooks["request"].append(mark)
        try:
            response = await call(http, headers)
        finally:
            http.event_hooks["request"].remove(mark)
    first, begun, ended = starts[-1]
    last = Traffic(traffic.statements[first:], traffic.transactions - begun, traffic.ended - ended)
    return response, last


@pytest.mark.parametrize("credential", ["bearer", "key"])
@pytest.mark.parametrize(("name", "call", "bearer_status", "key_status"), CASES)
async def test_round_trips(
    committed_app: FastAPI,
    lifter: Lifter,
    credential: str,
    name: str,
    call: Request,
    bearer_status: int,
    key_status: int,
) -> None:
    headers = lifter.bearer if credential == "bearer" else lifter.key
    expected = bearer_status if credential == "bearer" else key_status
    async with asgi_client(committed_app) as http:
        response, sent = await measure(committed_app, http, headers, call)
    assert response.status_code == expected, response.text
    assert len(sent.statements) <= MAX_ROUND_TRIPS, sent.statements
    # One transaction, ended once (committed, or rolled back for the refused key): the
    # request's BEGIN and COMMIT, and no second session (a background write) beside it.
    assert (sent.transactions, sent.ended) == (1, 1)
