"""Every error is an RFC 9457 problem: routing, validation, unexpected faults, database outages."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Annotated

import asyncpg
import httpx
import pytest
from asgi_correlation_id import CorrelationIdFilter
from fastapi import FastAPI, Query, Request
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from app.db.session import SessionDep
from app.errors import (
    DatabaseFault,
    NotFoundError,
    database_fault,
    database_fault_response,
    sqlstate,
)
from app.main import create_app
from tests.conftest import asgi_client, make_settings
from tests.support.proxy import FaultProxy, Mode

PROBLEM = "application/problem+json"


def add_probe_routes(app: FastAPI) -> None:
    """Routes that exist only in tests, to drive each error path through the real stack."""

    @app.get("/probe/items")
    async def list_probe_items(limit: Annotated[int, Query(ge=1, le=100)] = 10) -> dict[str, int]:
        return {"limit": limit}

    @app.get("/probe/missing")
    async def get_missing() -> None:
        raise NotFoundError("No exercise has the slug 'deadlfit'.")

    @app.get("/probe/crash")
    async def crash() -> None:
        secret = "hunter2-internal-detail"
        raise RuntimeError(secret)

    @app.get("/probe/database")
    async def query_database(session: SessionDep) -> dict[str, int]:
        value = (await session.exec(text("SELECT 1"))).scalar_one()  # type: ignore[call-overload]
        return {"value": value}


@pytest.fixture
async def probe_client(settings_for_probe: str) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(make_settings(settings_for_probe))
    add_probe_routes(application)
    async with application.router.lifespan_context(application), asgi_client(application) as client:
        yield client


@pytest.fixture
def settings_for_probe(database_url: str) -> str:
    return database_url


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["instance"] == response.request.url.path
    assert body["request_id"] == response.headers["x-request-id"]
    return body


async def test_unknown_route_is_404_problem(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/v1/no-such-thing"), 404)
    assert body["detail"] == "Nothing is served at /v1/no-such-thing."


async def test_wrong_method_is_405_with_allow(client: httpx.AsyncClient) -> None:
    response = await client.delete("/healthz")
    assert_problem(response, 405)
    assert response.headers["allow"] == "GET"


async def test_validation_error_names_the_parameter(probe_client: httpx.AsyncClient) -> None:
    body = assert_problem(await probe_client.get("/probe/items", params={"limit": 1000}), 422)
    assert body["type"] == "/problems/validation-error"
    assert body["errors"] == [
        {
            "name": "limit",
            "location": "query",
            "reason": "'1000': Input should be less than or equal to 100",
            "type": "less_than_equal",
        }
    ]
    assert "limit" in str(body["detail"])


async def test_app_error_carries_its_status(probe_client: httpx.AsyncClient) -> None:
    body = assert_problem(await probe_client.get("/probe/missing"), 404)
    assert body["type"] == "/problems/not-found"
    assert body["detail"] == "No exercise has the slug 'deadlfit'."


async def test_unexpected_error_is_a_logged_500_without_internals(
    probe_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    # The same filter the logging configuration installs: it stamps the request id on records.
    caplog.handler.addFilter(CorrelationIdFilter())
    with caplog.at_level(logging.ERROR, logger="spotter.errors"):
        response = await probe_client.get("/probe/crash", headers={"X-Request-ID": "0" * 32})
    body = assert_problem(response, 500)
    assert body["request_id"] == "0" * 32
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    records = [r for r in caplog.records if r.name == "spotter.errors"]
    assert len(records) == 1
    assert records[0].exc_info is not None
    assert getattr(records[0], "correlation_id", None) == "0" * 32


async def test_request_id_is_generated_when_absent(client: httpx.AsyncClient) -> None:
    first = await client.get("/healthz")
    second = await client.get("/healthz")
    assert len(first.headers["x-request-id"]) == 32
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_database_outage_mid_request_is_503(database_url: str) -> None:
    proxy = FaultProxy(database_url)
    await proxy.start()
    try:
        application = create_app(make_settings(proxy.url))
        add_probe_routes(application)
        async with (
            application.router.lifespan_context(application),
            asgi_client(application) as client,
        ):
            assert (await client.get("/probe/database")).json() == {"value": 1}
            proxy.set_mode(Mode.DOWN)
            response = await client.get("/probe/database")
            body = assert_problem(response, 503)
            assert response.headers["retry-after"] == "5"
            assert "asyncpg" not in str(body["detail"])
            proxy.set_mode(Mode.UP)
            assert (await client.get("/probe/database")).status_code == 200
    finally:
        await proxy.stop()


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", "/v1/search?q=ab%00c", None),
        ("GET", "/v1/exercises?q=%00", None),
        (
            "POST",
            "/v1/auth/register",
            '{"email": "a\\u0000b@example.com", "password": "0123456789ab"}',
        ),
        (
            "POST",
            "/v1/auth/register",
            '{"email": "a\\ud800b@example.com", "password": "0123456789ab"}',
        ),
    ],
)
async def test_unstorable_text_is_a_422_not_a_500(
    client: httpx.AsyncClient, method: str, url: str, body: str | None
) -> None:
    # PostgreSQL cannot store NUL; UTF-8 cannot encode a lone surrogate. JSON and URLs can
    # carry both, so the API must refuse them as bad input.
    headers = {"content-type": "application/json"} if body else {}
    response = await client.request(method, url, content=body, headers=headers)
    assert_problem(response, 422)


def _driver_error(sqlstate_code: str) -> sa_exc.DBAPIError:
    """A PostgreSQL error as SQLAlchemy hands it to the handlers: the driver's, wrapped."""
    original = asyncpg.PostgresError.new({"C": sqlstate_code, "M": "from the server", "S": "ERROR"})
    return sa_exc.DBAPIError("SELECT 1", None, original)


@pytest.mark.parametrize(
    ("code", "fault"),
    [
        ("57P01", DatabaseFault.UNAVAILABLE),  # admin shutdown: a restart in progress
        ("57P03", DatabaseFault.UNAVAILABLE),  # cannot connect now: starting up
        ("08006", DatabaseFault.UNAVAILABLE),  # connection failure
        ("53300", DatabaseFault.UNAVAILABLE),  # too many connections
        ("57014", DatabaseFault.TIMEOUT),  # statement timeout
        ("55P03", DatabaseFault.TIMEOUT),  # lock timeout
        ("40001", DatabaseFault.CONFLICT),  # serialization failure
        ("40P01", DatabaseFault.CONFLICT),  # deadlock
        ("42601", None),  # a syntax error is our bug: it stays a 500
        ("23505", None),  # unique violation: the integrity handler's 409
    ],
)
def test_database_errors_are_classified_by_sqlstate(code: str, fault: DatabaseFault | None) -> None:
    error = _driver_error(code)
    assert sqlstate(error) == code
    assert database_fault(error) is fault


def test_timeouts_and_pool_exhaustion_are_told_apart() -> None:
    assert database_fault(sa_exc.TimeoutError("QueuePool limit reached")) is DatabaseFault.BUSY
    assert database_fault(TimeoutError()) is DatabaseFault.TIMEOUT
    assert database_fault(ConnectionRefusedError()) is DatabaseFault.UNAVAILABLE
    assert database_fault(ValueError()) is None


@pytest.mark.parametrize("fault", list(DatabaseFault))
def test_every_database_fault_is_a_503_saying_what_happened(fault: DatabaseFault) -> None:
    request = Request(
        {"type": "http", "path": "/v1/me/sessions", "headers": [], "query_string": b""}
    )
    response = database_fault_response(request, fault)
    assert response.status_code == 503
    assert int(response.headers["retry-after"]) >= 1
    body = json.loads(bytes(response.body))
    assert body["reason"] == fault.value
    assert "nothing was stored" in body["detail"]
    unknown = json.loads(bytes(database_fault_response(request, fault, stored=None).body))
    assert "unknown" in unknown["detail"]


async def test_a_connection_lost_while_committing_says_the_outcome_is_unknown(
    database_url: str,
) -> None:
    proxy = FaultProxy(database_url)
    await proxy.start()
    try:
        application = create_app(make_settings(proxy.url, rate_limit_enabled=False))

        @application.post("/probe/write")
        async def write_then_lose_the_connection(session: SessionDep) -> dict[str, int]:
            value = (await session.exec(text("SELECT 1"))).scalar_one()  # type: ignore[call-overload]
            # The route's work is done; the connection breaks before the request's COMMIT.
            proxy.set_mode(Mode.DOWN)
            return {"value": value}

        async with (
            application.router.lifespan_context(application),
            asgi_client(application) as client,
        ):
            response = await client.post("/probe/write")
            body = assert_problem(response, 503)
            assert body["reason"] == "unavailable"
            assert "unknown" in str(body["detail"])
            assert "Idempotency-Key" in str(body["detail"])
    finally:
        await proxy.stop()
