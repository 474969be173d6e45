"""Accounts, bearer tokens and API keys: what is accepted, what is refused, and how."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import argon2
import asyncpg
import httpx
import jwt
import pytest
from fastapi import FastAPI
from sqlalchemy import event, text
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth import keys
from app.auth import passwords as passwords_module
from app.auth.dependencies import LogsReader, derived_secret
from app.config import DEVELOPMENT_SECRET, SECRET_KEY_FILE
from app.db import migrations
from app.db.deadline import request_bound_s
from app.main import create_app
from tests.conftest import DatabaseFactory, asgi_client, asyncpg_dsn, make_settings

PASSWORD = "correct horse battery"


async def register(client: httpx.AsyncClient, email: str = "lifter@example.com") -> dict[str, Any]:
    response = await client.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def login(client: httpx.AsyncClient, email: str = "lifter@example.com") -> dict[str, Any]:
    response = await client.post("/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def signed_in(client: httpx.AsyncClient, email: str = "lifter@example.com") -> dict[str, str]:
    await register(client, email)
    return bearer((await login(client, email))["access_token"])


async def new_key(
    client: httpx.AsyncClient, headers: dict[str, str], scopes: list[str], **extra: Any
) -> dict[str, Any]:
    response = await client.post(
        "/v1/me/api-keys", json={"name": "app", "scopes": scopes, **extra}, headers=headers
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def assert_401(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith('Bearer realm="spotter"')
    assert response.headers["content-type"] == "application/problem+json"


# --------------------------------------------------------------------------- accounts


async def test_register_and_read_my_account(client: httpx.AsyncClient) -> None:
    account = await register(client, "Lifter@Example.COM")
    assert account["email"] == "lifter@example.com"
    assert account["is_admin"] is False
    assert "kb:admin" not in account["scopes"]
    assert "password" not in json.dumps(account)
    me = await client.get("/v1/me", headers=bearer((await login(client))["access_token"]))
    assert me.json() == account


@pytest.mark.parametrize(
    ("body", "name"),
    [
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": "a@example.com", "password": "short"}, "password"),
        ({"email": "a@example.com", "password": PASSWORD, "is_admin": True}, "is_admin"),
        ({"email": "a@example.com", "password": PASSWORD, "id": 1}, "id"),
    ],
)
async def test_registration_refuses_bad_or_extra_fields(
    client: httpx.AsyncClient, body: dict[str, Any], name: str
) -> None:
    response = await client.post("/v1/auth/register", json=body)
    assert response.status_code == 422
    assert name in [error["name"] for error in response.json()["errors"]]


async def test_duplicate_email_is_409(client: httpx.AsyncClient) -> None:
    await register(client)
    response = await client.post(
        "/v1/auth/register", json={"email": "LIFTER@example.com", "password": PASSWORD}
    )
    assert response.status_code == 409


@pytest.mark.parametrize(
    ("email", "password"),
    [("lifter@example.com", "wrong password!"), ("nobody@example.com", PASSWORD)],
)
async def test_bad_login_is_401(client: httpx.AsyncClient, email: str, password: str) -> None:
    await register(client)
    response = await client.post("/v1/auth/token", json={"email": email, "password": password})
    assert_401(response)
    assert response.json()["detail"] == "The email or password is wrong."


# --------------------------------------------------------------------------- tokens


def forge(claims: dict[str, Any], secret: str, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, secret, algorithm=algorithm)


def none_alg_token(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


async def test_refused_tokens(client: httpx.AsyncClient, app: FastAPI) -> None:
    await register(client)
    tokens = await login(client)
    secret = derived_secret(app.state.settings, "jwt")
    me = (await client.get("/v1/me", headers=bearer(tokens["access_token"]))).json()
    now = int(time.time())
    base = {
        "iss": "spotter",
        "sub": str(me["id"]),
        "typ": "access",
        "ver": 0,
        "iat": now,
        "exp": now + 600,
    }
    refused = {
        "expired": forge({**base, "iat": now - 1200, "exp": now - 600}, secret),
        "alg none": none_alg_token(base),
        "wrong secret": forge(base, "a different secret of a proper length: 32+ bytes"),
        "refresh used as access": tokens["refresh_token"],
        "wrong version": forge({**base, "ver": 7}, secret),
        "unknown user": forge({**base, "sub": "999999"}, secret),
        # Beyond PostgreSQL's integer: the lookup would fail in the driver, not find no one.
        "sub beyond 32 bits": forge({**base, "sub": "99999999999"}, secret),
        "sub beyond 64 bits": forge({**base, "sub": str(2**70)}, secret),
        "sub zero": forge({**base, "sub": "0"}, secret),
        "version beyond 32 bits": forge({**base, "ver": 2**40}, secret),
        "missing expiry": forge({k: v for k, v in base.items() if k != "exp"}, secret),
        "garbage": "not.a.token",
    }
    for label, token in refused.items():
        response = await client.get("/v1/me", headers=bearer(token))
        assert response.status_code == 401, label
        assert 'error="invalid_token"' in response.headers["www-authenticate"], label
    assert (await client.get("/v1/me", headers=bearer(forge(base, secret)))).status_code == 200


async def test_missing_credentials_are_401_with_a_challenge(client: httpx.AsyncClient) -> None:
    assert_401(await client.get("/v1/me"))
    assert_401(await client.get("/v1/me/api-keys"))


async def test_refresh_and_logout(client: httpx.AsyncClient) -> None:
    await register(client)
    tokens = await login(client)
    refreshed = await client.post(
        "/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200
    pair = refreshed.json()
    assert (await client.get("/v1/me", headers=bearer(pair["access_token"]))).status_code == 200
    assert (
        await client.post("/v1/auth/refresh", json={"refresh_token": tokens["access_token"]})
    ).status_code == 401

    assert (
        await client.post("/v1/auth/logout", headers=bearer(pair["access_token"]))
    ).status_code == 204
    assert_401(await client.get("/v1/me", headers=bearer(pair["access_token"])))
    assert_401(await client.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}))
    assert (await login(client))["access_token"]


# --------------------------------------------------------------------------- API keys


def test_key_format_and_checksum() -> None:
    key = keys.generate_key()
    assert key.startswith("spt_")
    assert len(key) == keys.KEY_LENGTH
    assert keys.is_well_formed(key)
    flipped = key[:-1] + ("A" if key[-1] != "A" else "B")
    assert not keys.is_well_formed(flipped)
    assert not keys.is_well_formed(key.replace("spt_", "sk_"))
    assert not keys.is_well_formed(key[:-2])
    assert not keys.is_well_formed(key[:10] + "!" + key[11:])
    assert len({keys.generate_key() for _ in range(1000)}) == 1000


async def test_key_lifecycle(
    client: httpx.AsyncClient, db_session: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    headers = await signed_in(client)
    with caplog.at_level(logging.DEBUG):
        created = await new_key(client, headers, ["logs:read", "kb:read"])
        secret = created["key"]
        assert created["display_prefix"] == secret[:10]
        assert created["scopes"] == ["kb:read", "logs:read"]
        me = await client.get("/v1/me", headers={"X-API-Key": secret})
        assert me.status_code == 200
    # The secret is shown once: not in listings, logs, or the database.
    listing = (await client.get("/v1/me/api-keys", headers=headers)).json()
    assert [k["id"] for k in listing] == [created["id"]]
    assert secret not in json.dumps(listing)
    assert secret not in caplog.text
    dump = (await db_session.exec(text("SELECT row_to_json(k)::text FROM api_key k"))).all()  # type: ignore[call-overload]
    assert dump
    assert all(secret not in row[0] and secret[4:] not in row[0] for row in dump)

    assert (
        await client.delete(f"/v1/me/api-keys/{created['id']}", headers=headers)
    ).status_code == 204
    assert_401(await client.get("/v1/me", headers={"X-API-Key": secret}))
    assert (await client.get("/v1/me/api-keys", headers=headers)).json()[0][
        "revoked_at"
    ] is not None


async def test_expired_key_is_refused(client: httpx.AsyncClient, db_session: AsyncSession) -> None:
    headers = await signed_in(client)
    created = await new_key(
        client,
        headers,
        ["logs:read"],
        expires_at=(datetime.now(UTC) + timedelta(days=1)).isoformat(),
    )
    assert (await client.get("/v1/me", headers={"X-API-Key": created["key"]})).status_code == 200
    await db_session.exec(text("UPDATE api_key SET expires_at = now() - interval '1 second'"))  # type: ignore[call-overload]
    response = await client.get("/v1/me", headers={"X-API-Key": created["key"]})
    assert_401(response)
    assert "expired" in response.json()["detail"]


async def test_malformed_keys_are_refused_before_any_query(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    key = keys.generate_key()
    bad_checksum = key[:-1] + ("A" if key[-1] != "A" else "B")
    event.listen(app.state.engine.sync_engine, "before_cursor_execute", count)
    try:
        for candidate in ("spt_short", "sk_live_" + "a" * 32, bad_checksum, "spt_" + "!" * 36):
            statements.clear()
            response = await client.get("/v1/me", headers={"X-API-Key": candidate})
            assert_401(response)
            assert response.json()["detail"] == "The API key is malformed."
            assert not [s for s in statements if "api_key" in s], candidate
        # A well-formed key that does not exist costs exactly the lookup.
        statements.clear()
        assert_401(await client.get("/v1/me", headers={"X-API-Key": keys.generate_key()}))
        assert len([s for s in statements if "api_key" in s]) == 1
    finally:
        event.remove(app.state.engine.sync_engine, "before_cursor_execute", count)


@pytest.mark.parametrize("param", ["api_key", "access_token", "key", "token"])
async def test_credentials_in_the_url_are_refused(client: httpx.AsyncClient, param: str) -> None:
    headers = await signed_in(client)
    created = await new_key(client, headers, ["logs:read"])
    response = await client.get("/v1/me", params={param: created["key"]})
    assert_401(response)
    assert "headers only" in response.json()["detail"]


async def test_key_scopes_are_bounded_by_the_owner(client: httpx.AsyncClient) -> None:
    headers = await signed_in(client)
    response = await client.post(
        "/v1/me/api-keys", json={"name": "x", "scopes": ["kb:admin"]}, headers=headers
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["name"] == "scopes"
    bad = await client.post(
        "/v1/me/api-keys", json={"name": "x", "scopes": ["logs:delete"]}, headers=headers
    )
    assert bad.status_code == 422
    past = await client.post(
        "/v1/me/api-keys",
        json={"name": "x", "scopes": ["logs:read"], "expires_at": "2020-01-01T00:00:00Z"},
        headers=headers,
    )
    assert past.status_code == 422


async def test_keys_cannot_manage_the_account(client: httpx.AsyncClient) -> None:
    headers = await signed_in(client)
    created = await new_key(client, headers, ["logs:read", "logs:write"])
    as_key = {"X-API-Key": created["key"]}
    assert (
        await client.post(
            "/v1/me/api-keys", json={"name": "y", "scopes": ["logs:read"]}, headers=as_key
        )
    ).status_code == 403
    assert (await client.get("/v1/me/api-keys", headers=as_key)).status_code == 403
    assert (
        await client.delete(f"/v1/me/api-keys/{created['id']}", headers=as_key)
    ).status_code == 403
    assert (await client.post("/v1/auth/logout", headers=as_key)).status_code == 403


async def test_another_users_key_is_not_found(client: httpx.AsyncClient) -> None:
    alice = await signed_in(client, "alice@example.com")
    bob = await signed_in(client, "bob@example.com")
    alices = await new_key(client, alice, ["logs:read"])
    response = await client.delete(f"/v1/me/api-keys/{alices['id']}", headers=bob)
    assert response.status_code == 404
    assert (await client.get("/v1/me", headers={"X-API-Key": alices["key"]})).status_code == 200


async def test_missing_scope_is_403() -> None:
    app = create_app(make_settings("postgresql://unused@127.0.0.1:9/x"))

    @app.get("/probe/logs")
    async def read_logs(principal: LogsReader) -> dict[str, int]:
        return {"user": principal.user_id}

    from app.auth.dependencies import Principal, optional_principal  # noqa: PLC0415
    from app.auth.scopes import Scope  # noqa: PLC0415

    def as_key_with(scopes: frozenset[Scope]) -> Principal:
        return Principal(user_id=1, is_admin=False, scopes=scopes, api_key_id=5)

    app.dependency_overrides[optional_principal] = lambda: as_key_with(frozenset({Scope.KB_READ}))
    async with asgi_client(app) as http:
        response = await http.get("/probe/logs")
        assert response.status_code == 403
        assert "logs:read" in response.json()["detail"]
        app.dependency_overrides[optional_principal] = lambda: as_key_with(
            frozenset({Scope.LOGS_READ})
        )
        assert (await http.get("/probe/logs")).json() == {"user": 1}


# --------------------------------------------------------------------------- committed database


@pytest.fixture
def committed(database_factory: DatabaseFactory) -> str:
    url = database_factory()
    migrations.upgrade(url)
    return url


@pytest.fixture
async def committed_client(committed: str) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(make_settings(committed))
    async with application.router.lifespan_context(application), asgi_client(application) as http:
        yield http


async def _fetch(url: str, sql: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return list(await connection.fetch(sql))
    finally:
        await connection.close()


async def test_last_use_is_recorded_after_the_response(
    committed: str, committed_client: httpx.AsyncClient
) -> None:
    headers = await signed_in(committed_client)
    created = await new_key(committed_client, headers, ["logs:read"])
    assert (await _fetch(committed, "SELECT last_used_at FROM api_key"))[0]["last_used_at"] is None
    assert (
        await committed_client.get("/v1/me", headers={"X-API-Key": created["key"]})
    ).status_code == 200
    for _ in range(50):
        if (await _fetch(committed, "SELECT last_used_at FROM api_key"))[0][
            "last_used_at"
        ] is not None:
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail("last_used_at was never recorded")
    listed = (await committed_client.get("/v1/me/api-keys", headers=headers)).json()
    assert listed[0]["last_used_at"] is not None


def test_create_admin_from_the_cli(committed: str) -> None:
    spotter = str(Path(sys.executable).parent / "spotter")
    env = {**os.environ, "DATABASE_URL": committed, "SPOTTER_ADMIN_PASSWORD": PASSWORD}
    created = subprocess.run(
        [spotter, "create-admin", "--email", "Boss@Example.com"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    assert "created administrator boss@example.com" in created.stderr
    again = subprocess.run(
        [spotter, "create-admin", "--email", "boss@example.com"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "promoted administrator" in again.stderr
    rows = asyncio.run(_fetch(committed, "SELECT email, is_admin, password_hash FROM user_account"))
    assert [(r["email"], r["is_admin"]) for r in rows] == [("boss@example.com", True)]
    assert rows[0]["password_hash"].startswith("$argon2id$")
    bad = subprocess.run(
        [spotter, "create-admin", "--email", "nope"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2


# --------------------------------------------------------------------------- password hashing


async def test_sign_ins_leave_the_event_loop_free(
    committed_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """During 20 concurrent sign-ins, /healthz is answered while they are hashing.

    Made exact rather than timed: every Argon2 verify waits until a probe sent after the
    hashing began has been answered. With the verify on the event loop nothing else could
    run while it waited, so the probe never came back (until the wait gave up)."""
    await register(committed_client)
    hashing_began = threading.Event()
    probe_answered = threading.Event()
    gave_up = threading.Event()
    real = passwords_module._hasher

    class VerifiesAfterAProbe(argon2.PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:  # noqa: A002
            hashing_began.set()
            if not probe_answered.wait(timeout=60):  # generous: it only bounds a failing run
                gave_up.set()
                probe_answered.set()
            return real.verify(hash, password)

    monkeypatch.setattr(passwords_module, "_hasher", VerifiesAfterAProbe())
    finished: list[str] = []

    async def sign_in() -> None:
        response = await committed_client.post(
            "/v1/auth/token", json={"email": "lifter@example.com", "password": PASSWORD}
        )
        finished.append(f"sign-in {response.status_code}")

    async def probe() -> None:
        await asyncio.to_thread(hashing_began.wait, 60)
        for _ in range(5):
            response = await committed_client.get("/healthz")
            finished.append(f"healthz {response.status_code}")
        probe_answered.set()

    await asyncio.gather(*(sign_in() for _ in range(20)), probe())
    assert not gave_up.is_set(), "no /healthz was answered while a sign-in was hashing"
    assert finished.count("sign-in 200") == 20, finished
    assert finished[:5] == ["healthz 200"] * 5, finished


async def test_30_concurrent_sign_ins_all_succeed(committed_client: httpx.AsyncClient) -> None:
    """Sign-ins wait for a hashing turn without holding a database connection, so a burst
    larger than the pool neither times out on it (503) nor fails (500)."""
    await register(committed_client)
    responses = await asyncio.gather(
        *(
            committed_client.post(
                "/v1/auth/token", json={"email": "lifter@example.com", "password": PASSWORD}
            )
            for _ in range(30)
        )
    )
    assert [r.status_code for r in responses] == [200] * 30, [r.text for r in responses]


async def test_a_sign_in_queued_for_hashing_longer_than_the_deadline_succeeds(
    committed: str,
) -> None:
    """The wait for a hashing turn is not database time (app.db.deadline.not_counted).

    The one hashing slot is held until the queued sign-in has waited past the request's whole
    database budget: it must still sign in, not be answered 503. A slower machine only makes
    the wait longer, which is what the test is about."""
    settings = make_settings(committed, password_hashing_concurrency=1, db_statement_timeout_ms=200)
    application = create_app(settings)
    async with application.router.lifespan_context(application), asgi_client(application) as http:
        await register(http)
        turns = application.state.passwords._turns
        await turns.acquire()
        try:
            sign_in = asyncio.create_task(
                http.post(
                    "/v1/auth/token", json={"email": "lifter@example.com", "password": PASSWORD}
                )
            )
            while turns.statistics().tasks_waiting == 0:
                assert not sign_in.done(), sign_in.result().text
                await asyncio.sleep(0.01)
            await asyncio.sleep(request_bound_s(settings) + 0.5)
        finally:
            turns.release()
        response = await sign_in
    assert response.status_code == 200, response.text


async def test_hashing_runs_in_threads_a_bounded_number_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    running = 0
    most = 0
    threads: set[int] = set()
    lock = threading.Lock()
    real_verify = passwords_module._verify

    def counting_verify(password_hash: str | None, password: str) -> bool:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
            threads.add(threading.get_ident())
        try:
            return real_verify(password_hash, password)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(passwords_module, "_verify", counting_verify)
    hasher = passwords_module.Passwords(concurrency=2)
    stored = await hasher.hash(PASSWORD)
    results = await asyncio.gather(
        *(hasher.verify(stored, PASSWORD if i % 2 else "wrong password") for i in range(8)),
        hasher.verify(None, PASSWORD),
    )
    assert results == [i % 2 == 1 for i in range(8)] + [False]
    assert most == 2
    assert threading.get_ident() not in threads


# --------------------------------------------------------------------------- the secret key


async def test_the_published_secret_forges_nothing_on_a_development_server(
    committed: str, tmp_path: Path
) -> None:
    """A default development server signs with its own random secret, so a token made with
    the published development secret (it once made its bearer an administrator) is a 401."""
    settings = make_settings(committed, environment="development", data_dir=tmp_path)
    application = create_app(settings)
    async with application.router.lifespan_context(application), asgi_client(application) as http:
        await register(http)
        me = (await http.get("/v1/me", headers=bearer((await login(http))["access_token"]))).json()
        now = int(time.time())
        claims = {"iss": "spotter", "sub": str(me["id"]), "typ": "access", "ver": 0}
        for secret in (DEVELOPMENT_SECRET, derived_secret(make_settings(committed), "jwt")):
            forged = forge({**claims, "iat": now, "exp": now + 600}, secret)
            assert_401(await http.get("/v1/me", headers=bearer(forged)))
        assert (tmp_path / SECRET_KEY_FILE).is_file()
