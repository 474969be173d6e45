"""Rate limits: the GCRA in PostgreSQL, who is counted against what, the IETF RateLimit
fields, the stricter sign-in and key-creation quotas, and the limit holding across two worker
processes."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from app.db import migrations
from app.main import create_app
from app.ratelimit.service import CLEANUP_BATCH, Policy, RateLimiter, decide
from tests.conftest import DatabaseFactory, make_settings
from tests.support.server import OutputLines, free_port, wait_until_ready
from tests.test_auth import PASSWORD, bearer

BIN_DIR = Path(sys.executable).parent
# Structured-field list members as this service writes them: "name";key=int;key=int
MEMBER = re.compile(r'"(?P<name>[a-z-]+)"(?P<params>(?:;[a-z]+=\d+)+)')


def parse_fields(value: str) -> dict[str, dict[str, int]]:
    """Parse a `RateLimit` or `RateLimit-Policy` field into {policy: {param: value}}."""
    parsed: dict[str, dict[str, int]] = {}
    for member in value.split(","):
        match = MEMBER.fullmatch(member.strip())
        assert match, f"not a structured-field list member: {member!r} in {value!r}"
        params = {}
        for param in match["params"].split(";")[1:]:
            key, _, number = param.partition("=")
            params[key] = int(number)
        parsed[match["name"]] = params
    return parsed


def assert_refusal(response: httpx.Response, policy: str) -> None:
    """A 429 as reliability.md row 6 wants it: problem body, Retry-After, both fields."""
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 429
    assert body["type"] == "/problems/rate-limited"
    retry_after = int(response.headers["retry-after"])
    assert retry_after >= 1
    assert body["retry_after"] == retry_after
    assert policy in parse_fields(response.headers["ratelimit-policy"])
    assert parse_fields(response.headers["ratelimit"])[policy]["r"] == 0


@pytest.fixture(scope="module")
def abuse_database(database_factory: DatabaseFactory) -> str:
    """A database of this module's own: its tests commit accounts and counters for real."""
    url = database_factory()
    migrations.upgrade(url)
    return url


@asynccontextmanager
async def limited_app(url: str, **overrides: object) -> AsyncIterator[FastAPI]:
    app = create_app(make_settings(url, **overrides))
    async with app.router.lifespan_context(app):
        async with app.state.engine.begin() as connection:
            await connection.execute(text("DELETE FROM rate_limit_state"))
        yield app


def client_at(app: FastAPI, address: str = "198.51.100.7") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(address, 50123))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


_counter = iter(range(10**6))


def unique_email() -> str:
    return f"abuse-{os.getpid()}-{next(_counter)}-{time.monotonic_ns()}@example.com"


async def account(http: httpx.AsyncClient) -> tuple[str, dict[str, str]]:
    email = unique_email()
    created = await http.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert created.status_code == 201, created.text
    tokens = await http.post("/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert tokens.status_code == 200, tokens.text
    return email, bearer(tokens.json()["access_token"])


# --------------------------------------------------------------------------- the algorithm


def test_gcra_arithmetic() -> None:
    policy = Policy("user", limit=300, window_s=60)
    first = decide(policy, allowed_ahead=0.2, stored_ahead=None)
    assert (first.allowed, first.remaining, first.reset_s, first.retry_after_s) == (True, 299, 1, 0)
    last = decide(policy, allowed_ahead=60.0, stored_ahead=59.8)
    assert (last.allowed, last.remaining) == (True, 0)
    refused = decide(policy, allowed_ahead=None, stored_ahead=59.9)
    assert (refused.allowed, refused.remaining) == (False, 0)
    assert refused.retry_after_s == 1  # one emission interval (0.2 s), rounded up
    assert refused.header_item() == '"user";r=0;t=60'
    assert policy.header_item() == '"user";q=300;w=60'


async def test_burst_of_exactly_the_limit_then_refusal(abuse_database: str) -> None:
    async with limited_app(abuse_database, rate_limit_anonymous=5) as app, client_at(app) as http:
        seen = [await http.get("/v1") for _ in range(5)]
        refused = await http.get("/v1")
    for index, response in enumerate(seen):
        assert response.status_code == 200
        assert parse_fields(response.headers["ratelimit-policy"]) == {
            "anonymous": {"q": 5, "w": 60}
        }
        state = parse_fields(response.headers["ratelimit"])["anonymous"]
        assert state["r"] == 4 - index
        assert 0 < state["t"] <= 60
    assert_refusal(refused, "anonymous")
    # One emission interval is 12 s; the refusal comes right after the burst.
    assert 1 <= int(refused.headers["retry-after"]) <= 12


async def test_concurrent_requests_never_exceed_the_limit(abuse_database: str) -> None:
    # One atomic statement per check: 40 requests racing for 10 slots get exactly 10.
    async with (
        limited_app(abuse_database, rate_limit_anonymous=10, db_pool_size=20) as app,
        client_at(app) as http,
    ):
        responses = await asyncio.gather(*(http.get("/v1") for _ in range(40)))
    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 10
    assert statuses.count(429) == 30
    for response in responses:
        if response.status_code == 429:
            assert_refusal(response, "anonymous")


async def test_addresses_are_counted_apart_and_ipv6_per_64(abuse_database: str) -> None:
    async with limited_app(abuse_database, rate_limit_anonymous=1) as app:
        async with client_at(app, "198.51.100.1") as first, client_at(app, "198.51.100.2") as other:
            assert (await first.get("/v1")).status_code == 200
            assert (await first.get("/v1")).status_code == 429
            assert (await other.get("/v1")).status_code == 200
        async with (
            client_at(app, "2001:db8:1:2::1") as one,
            client_at(app, "2001:db8:1:2:ffff::9") as same_64,
            client_at(app, "2001:db8:1:3::1") as next_64,
        ):
            assert (await one.get("/v1")).status_code == 200
            assert (await same_64.get("/v1")).status_code == 429
            assert (await next_64.get("/v1")).status_code == 200


async def test_users_have_their_own_quota(abuse_database: str) -> None:
    async with limited_app(abuse_database, rate_limit_user=3) as app, client_at(app) as http:
        _, alice = await account(http)
        _, bob = await account(http)
        for remaining in (2, 1, 0):
            response = await http.get("/v1/me", headers=alice)
            assert response.status_code == 200
            assert parse_fields(response.headers["ratelimit"])["user"]["r"] == remaining
            assert response.headers["cache-control"] == "no-store"
        assert_refusal(await http.get("/v1/me", headers=alice), "user")
        # Same address, another user, and anonymous traffic: untouched.
        assert (await http.get("/v1/me", headers=bob)).status_code == 200
        assert (await http.get("/v1")).status_code == 200


async def test_api_keys_have_their_own_quota_and_kb_read_buys_a_larger_one(
    abuse_database: str,
) -> None:
    async with (
        limited_app(abuse_database, rate_limit_key=2, rate_limit_kb_key=4) as app,
        client_at(app) as http,
    ):
        _, owner = await account(http)
        keys = {}
        for name, scopes in (("reader", ["kb:read", "logs:read"]), ("logs", ["logs:read"])):
            created = await http.post(
                "/v1/me/api-keys", json={"name": name, "scopes": scopes}, headers=owner
            )
            assert created.status_code == 201, created.text
            keys[name] = {"X-API-Key": created.json()["key"]}

        for _ in range(4):
            response = await http.get("/v1/exercises", headers=keys["reader"])
            assert response.status_code == 200, response.text
            assert "api-key-kb" in parse_fields(response.headers["ratelimit-policy"])
        assert_refusal(await http.get("/v1/exercises", headers=keys["reader"]), "api-key-kb")
        # Its other operations use the ordinary key quota, which is still full.
        assert (await http.get("/v1/me", headers=keys["reader"])).status_code == 200

        # Without kb:read, knowledge-base reads count against the ordinary key quota.
        for _ in range(2):
            response = await http.get("/v1/exercises", headers=keys["logs"])
            assert response.status_code == 200
            assert "api-key" in parse_fields(response.headers["ratelimit-policy"])
        assert_refusal(await http.get("/v1/exercises", headers=keys["logs"]), "api-key")
        # The owner's own login is a different budget.
        assert (await http.get("/v1/me", headers=owner)).status_code == 200


async def test_refused_credentials_use_the_address_quota(abuse_database: str) -> None:
    # Otherwise a flood of guessed keys or forged tokens would cost a lookup each, unlimited.
    async with limited_app(abuse_database, rate_limit_anonymous=3) as app, client_at(app) as http:
        forged = bearer("not.a.token")
        for _ in range(3):
            response = await http.get("/v1/me", headers=forged)
            assert response.status_code == 401
            assert "anonymous" in parse_fields(response.headers["ratelimit"])
        assert_refusal(await http.get("/v1/me", headers=forged), "anonymous")
        assert_refusal(await http.get("/v1"), "anonymous")


# --------------------------------------------------------------------------- stricter flows


WRONG = "wrong password!"


async def sign_in(http: httpx.AsyncClient, email: str, password: str = WRONG) -> httpx.Response:
    return await http.post("/v1/auth/token", json={"email": email, "password": password})


async def test_an_attacker_locks_out_only_their_own_address(abuse_database: str) -> None:
    # The default figures: 10 failures per (account, address) per 15 minutes.
    async with limited_app(
        abuse_database,
        rate_limit_login_failures=10,
        rate_limit_login_window_s=900,
        rate_limit_login_address_failures=30,
        rate_limit_login_account_failures=100,
    ) as app:
        async with client_at(app, "198.51.100.11") as owner_home:
            email, _ = await account(owner_home)
            # Successful sign-ins are given back: they never use up the quota.
            for _ in range(12):
                ok = await sign_in(owner_home, email, PASSWORD)
                assert ok.status_code == 200
            assert parse_fields(ok.headers["ratelimit"])["sign-in"]["r"] == 10
        async with client_at(app, "203.0.113.66") as attacker:
            for attempt in range(10):
                wrong = await sign_in(attacker, email)
                assert wrong.status_code == 401, attempt
                assert parse_fields(wrong.headers["ratelimit"])["sign-in"]["r"] == 9 - attempt
            # Even the right password is refused from there now, before it is checked.
            refused = await sign_in(attacker, email, PASSWORD)
            assert_refusal(refused, "sign-in")
            # 15 min / 10 = 90 s until one failure has drained.
            assert 60 <= int(refused.headers["retry-after"]) <= 90
            # The attacker's address may still fail on other accounts (its own budget is 30).
            assert (await sign_in(attacker, unique_email())).status_code == 401
        async with client_at(app, "198.51.100.11") as owner_home:
            # The owner, from their own address, is not locked out by someone else's failures.
            assert (await sign_in(owner_home, email, PASSWORD)).status_code == 200


async def test_the_account_wide_limit_takes_many_addresses(abuse_database: str) -> None:
    async with limited_app(
        abuse_database, rate_limit_login_failures=3, rate_limit_login_account_failures=5
    ) as app:
        async with client_at(app, "198.51.100.20") as http:
            email, _ = await account(http)
        async with client_at(app, "198.51.100.30") as one_bot:
            # One address alone stops at its pair limit (3), far from the account's 5 ...
            for _ in range(3):
                assert (await sign_in(one_bot, email)).status_code == 401
            assert_refusal(await sign_in(one_bot, email), "sign-in")
        for bot in range(2):
            # ... and refused attempts were not counted: it takes two more addresses.
            async with client_at(app, f"198.51.100.{31 + bot}") as other_bot:
                assert (await sign_in(other_bot, email)).status_code == 401
        async with client_at(app, "198.51.100.99") as fresh:
            refused = await sign_in(fresh, email.upper(), PASSWORD)
            assert_refusal(refused, "sign-in-account")
            # The refused attempt did not use the new address's own quotas.
            fields = parse_fields(refused.headers["ratelimit"])
            assert fields["sign-in"]["r"] == 3
            assert fields["sign-in-address"]["r"] == 1_000_000
            # Other accounts are unaffected from the same address.
            assert (await sign_in(fresh, unique_email())).status_code == 401


async def test_one_address_cannot_grow_the_counter_table(abuse_database: str) -> None:
    # Spraying many accounts from one address: the address's budget is checked first, so once
    # it is spent no attempt adds a row, however many emails are tried.
    async with limited_app(abuse_database, rate_limit_login_address_failures=5) as app:
        async with client_at(app, "198.51.100.44") as sprayer:
            statuses = [(await sign_in(sprayer, unique_email())).status_code for _ in range(25)]
            assert statuses == [401] * 5 + [429] * 20
            refused = await sign_in(sprayer, unique_email())
            assert_refusal(refused, "sign-in-address")
        async with app.state.engine.connect() as connection:
            rows = (
                await connection.execute(
                    text("SELECT count(*) FROM rate_limit_state WHERE key LIKE 'login:%'")
                )
            ).scalar_one()
    # One address row, and a pair row and an account row for each of the 5 failures.
    assert rows == 1 + 5 * 2


async def test_api_key_creation_is_limited_per_user(abuse_database: str) -> None:
    async with (
        limited_app(abuse_database, rate_limit_key_creation=10) as app,
        client_at(app) as http,
    ):
        _, owner = await account(http)
        _, other = await account(http)
        body = {"name": "app", "scopes": ["logs:read"]}
        for _ in range(10):
            created = await http.post("/v1/me/api-keys", json=body, headers=owner)
            assert created.status_code == 201
            assert "api-key-creation" in parse_fields(created.headers["ratelimit-policy"])
        refused = await http.post("/v1/me/api-keys", json=body, headers=owner)
        assert_refusal(refused, "api-key-creation")
        assert int(refused.headers["retry-after"]) > 60
        listed = await http.get("/v1/me/api-keys", headers=owner)
        assert len(listed.json()) == 10
        assert (await http.post("/v1/me/api-keys", json=body, headers=other)).status_code == 201


# --------------------------------------------------------------------------- scope and switch


async def test_probes_and_docs_are_not_limited(abuse_database: str) -> None:
    async with limited_app(abuse_database, rate_limit_anonymous=1) as app, client_at(app) as http:
        for _ in range(3):
            for path in ("/healthz", "/readyz", "/docs", "/openapi.json"):
                response = await http.get(path)
                assert response.status_code == 200, path
                assert "ratelimit" not in response.headers
        assert (await http.get("/v1")).status_code == 200
        assert (await http.get("/v1")).status_code == 429


async def test_the_switch_turns_limiting_off(abuse_database: str) -> None:
    async with limited_app(abuse_database, rate_limit_enabled=False, rate_limit_anonymous=1) as app:
        async with client_at(app) as http:
            for _ in range(5):
                response = await http.get("/v1")
                assert response.status_code == 200
                assert "ratelimit" not in response.headers
        async with app.state.engine.connect() as connection:
            count = (await connection.execute(text("SELECT count(*) FROM rate_limit_state"))).one()
    assert count[0] == 0


async def test_clean_up_removes_drained_counters_only(abuse_database: str) -> None:
    # More than one batch: one batch a round fell behind when many addresses created rows.
    drained = CLEANUP_BATCH * 2 + 123
    async with limited_app(abuse_database) as app:
        async with app.state.engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO rate_limit_state (key, tat) SELECT 'drained:' || n, "
                    "now() - interval '1 second' FROM generate_series(1, :n) AS n "
                    "UNION ALL SELECT 'live', now() + interval '1 hour'"
                ),
                {"n": drained},
            )
        limiter: RateLimiter = app.state.rate_limiter
        assert await limiter.cleanup() == drained
        async with app.state.engine.connect() as connection:
            keys = (await connection.execute(text("SELECT key FROM rate_limit_state"))).scalars()
            assert list(keys) == ["live"]


async def test_429_413_and_the_header_bounds_are_documented_on_every_v1_operation(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if not path.startswith("/v1"):
                continue
            for status in ("408", "413", "429", "431"):
                response = operation["responses"].get(status)
                assert response, f"{method.upper()} {path} does not document {status}"
                assert list(response["content"]) == ["application/problem+json"]
            assert {"Retry-After", "RateLimit", "RateLimit-Policy"} <= set(
                operation["responses"]["429"]["headers"]
            )


async def test_every_v1_response_carries_the_fields(client: httpx.AsyncClient) -> None:
    for path, policy in (
        ("/v1", "anonymous"),
        ("/v1/me", "anonymous"),
        ("/v1/exercises", "anonymous-kb"),
        ("/v1/exercises/no-such-exercise", "anonymous-kb"),
    ):
        response = await client.get(path)
        assert response.status_code in {200, 401, 404}
        assert policy in parse_fields(response.headers["ratelimit-policy"]), path
        assert policy in parse_fields(response.headers["ratelimit"]), path


# --------------------------------------------------------------------------- two workers


@contextmanager
def two_workers(database_url: str, limit: int, window_s: int) -> Iterator[tuple[str, list[str]]]:
    """`spotter serve --workers 2` on ``database_url``; yields the base URL and, once the
    server has stopped, its output lines."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SPOTTER_ENVIRONMENT": "test",
        "SPOTTER_HOST": "127.0.0.1",
        "SPOTTER_PORT": str(port),
        "SPOTTER_RATE_LIMIT_ANONYMOUS": str(limit),
        "SPOTTER_RATE_LIMIT_ANONYMOUS_WINDOW_S": str(window_s),
    }
    server = subprocess.Popen(
        [str(BIN_DIR / "spotter"), "serve", "--migrate", "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = OutputLines(server)
    output: list[str] = []
    base = f"http://127.0.0.1:{port}"
    try:
        # Both workers must be serving before the burst, or one process takes every request
        # and the test proves nothing about sharing; a busy machine may take a while.
        lines.wait_for("Application startup complete", count=2, timeout_s=240)
        wait_until_ready(base, server, timeout_s=120)
        yield base, output
    finally:
        server.terminate()
        server.wait(timeout=60)
        output.extend(lines.close())


@pytest.mark.slow
def test_the_limit_holds_across_two_worker_processes(database_factory: DatabaseFactory) -> None:
    # 20 per 10 minutes: one request drips back every 30 s, so none does while the test runs
    # and the expected count is exact.
    limit, extra = 20, 20

    def one(base: str) -> httpx.Response:
        # A new connection per request, so the kernel spreads them over both workers.
        return httpx.get(f"{base}/v1", timeout=10)

    with (
        two_workers(database_factory(), limit, 600) as (base, output),
        ThreadPoolExecutor(max_workers=8) as pool,
    ):
        responses = list(pool.map(one, [base] * (limit + extra)))  # L + k = 40, loopback only
    accepted = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code == 429]
    print(f"two workers: {len(accepted)} accepted, {len(refused)} refused of {len(responses)}")  # noqa: T201
    assert len(accepted) + len(refused) == len(responses)
    assert len(accepted) == limit
    for response in refused:
        assert_refusal(response, "anonymous")
    # Two worker processes really ran (uvicorn logs one start-up per worker); with the count
    # kept per process the 40 requests would have found up to 40 slots.
    started = {line for line in output if "Started server process" in line}
    assert len(started) >= 2, "\n".join(output[-20:])
