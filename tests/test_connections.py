"""How `spotter serve` treats connections: header size and read-time bounds (issue 9, point 5)
and whom X-Forwarded-For is believed from (point 10).

The bounds are checked against a real server process on loopback with raw sockets, because
they live below the ASGI application, in the HTTP protocol uvicorn runs.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from pydantic import ValidationError
from starlette.types import Message, Receive, Scope, Send

from app.config import Settings
from app.db import migrations
from app.hardening import BodySizeLimitMiddleware
from app.http_protocol import BoundedHttpToolsProtocol, problem_response
from app.serving import connection_options
from tests.conftest import DatabaseFactory
from tests.support.server import wait_until_ready
from tests.test_abuse import WRONG, account, assert_refusal, client_at, limited_app, sign_in
from tests.test_auth import PASSWORD
from tests.test_serving import server_env, serving

HEADER_TIMEOUT_S = 2
BODY_TIMEOUT_S = 2
# Generous: the bound is what the server promises; the margin is for a loaded machine.
CLOSE_DEADLINE_S = HEADER_TIMEOUT_S + 20


@pytest.fixture(scope="module")
def server(database_factory: DatabaseFactory) -> Iterator[tuple[str, int]]:
    """One `spotter serve` for the module, with a short header deadline; yields (host, port)."""
    env = {
        **server_env(database_factory()),
        "SPOTTER_HTTP_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S),
        "SPOTTER_HTTP_BODY_TIMEOUT_S": str(BODY_TIMEOUT_S),
    }
    with serving(env, "--migrate") as (base, process, _output):
        wait_until_ready(base, process, timeout_s=120)
        parts = urlsplit(base)
        assert parts.hostname
        assert parts.port
        yield parts.hostname, parts.port
        assert process.poll() is None, "the server died during the module"


def connect(address: tuple[str, int]) -> socket.socket:
    sock = socket.create_connection(address, timeout=30)
    sock.settimeout(30)
    return sock


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes; a reset after a refusal counts as closed."""
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    return received


def request_with_header(size: int) -> bytes:
    return b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Padding: " + b"a" * size + b"\r\n\r\n"


def send_oversized(address: tuple[str, int], size: int) -> bytes:
    with connect(address) as sock:
        payload = request_with_header(size)
        try:
            for start in range(0, len(payload), 16384):
                sock.sendall(payload[start : start + 16384])
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused while still sending: what the server should do
        return read_until_closed(sock)


# --------------------------------------------------------------------------- header size


def test_headers_within_the_cap_are_served(server: tuple[str, int]) -> None:
    with connect(server) as sock:
        sock.sendall(request_with_header(60 * 1024))
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")


def test_a_one_mebibyte_header_is_refused(server: tuple[str, int]) -> None:
    for _ in range(3):  # repeated: a refusal must not cost the worker anything lasting
        answer = send_oversized(server, 1_048_576)
        # The 431 is written before the close; the client may see a reset instead when the
        # kernel drops what it had not sent yet. It never gets a 200.
        assert answer == b"" or answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    host, port = server
    assert httpx.get(f"http://{host}:{port}/healthz", timeout=30).status_code == 200


def test_just_over_the_cap_is_a_431_problem(server: tuple[str, int]) -> None:
    answer = send_oversized(server, 65 * 1024)
    if answer:  # see above: a reset may swallow it, but what arrives must be the 431
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 431 ")
        assert b"content-type: application/problem+json" in head
        assert b'"status": 431' in body


def test_a_large_body_is_not_mistaken_for_large_headers(server: tuple[str, int]) -> None:
    # Headers and the first 256 KiB of body arrive in one read: only the headers count.
    host, port = server
    body = {"email": "big@example.com", "password": "x" * 1_500_000}
    response = httpx.post(f"http://{host}:{port}/v1/auth/token", json=body, timeout=30)
    assert response.status_code not in {408, 431}
    assert response.status_code < 500
    assert response.headers["content-type"] == "application/problem+json"


# --------------------------------------------------------------------------- header read time


def trickle_until_closed(sock: socket.socket, deadline_s: float) -> tuple[float, bytes]:
    """Send a header one byte at a time until the server closes; (seconds taken, response)."""
    sock.settimeout(0.2)
    started = time.monotonic()
    received = b""
    while time.monotonic() - started < deadline_s:
        try:
            sock.send(b"a")
        except (BrokenPipeError, ConnectionResetError):
            return time.monotonic() - started, received
        try:
            chunk = sock.recv(4096)
        except TimeoutError:
            continue
        except ConnectionResetError:
            return time.monotonic() - started, received
        if not chunk:
            return time.monotonic() - started, received
        received += chunk
    pytest.fail(f"the connection was still open after {deadline_s} s of trickled headers")


def test_headers_sent_byte_by_byte_are_cut_off(server: tuple[str, int]) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: ")
        took, answer = trickle_until_closed(sock, CLOSE_DEADLINE_S)
    # Trickling never extends the deadline: the close comes after the bound, not before it.
    assert took >= HEADER_TIMEOUT_S * 0.5
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408 "), answer[:200]


def test_the_next_request_on_a_kept_alive_connection_is_bounded_too(
    server: tuple[str, int],
) -> None:
    # uvicorn's keep-alive timer stops at the first byte of the next request; the deadline
    # must take over from there.
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: ")
        trickle_until_closed(sock, CLOSE_DEADLINE_S)


def test_a_connection_that_sends_nothing_is_closed(server: tuple[str, int]) -> None:
    with connect(server) as sock:
        sock.settimeout(CLOSE_DEADLINE_S)
        started = time.monotonic()
        assert read_until_closed(sock) == b""
        assert time.monotonic() - started < CLOSE_DEADLINE_S


# --------------------------------------------------------------------------- body read time

BODY_HEAD = (
    b"POST /v1/auth/token HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
    b"Content-Length: 1000\r\n\r\n"
)


def assert_body_timeout(answer: bytes) -> None:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 "), answer[:300]
    assert b"content-type: application/problem+json" in head
    assert b"connection: close" in head.lower()
    assert b"/problems/body-timeout" in body
    assert f"within {BODY_TIMEOUT_S} s".encode() in body


def test_a_body_that_stops_arriving_is_a_408_problem(server: tuple[str, int]) -> None:
    with connect(server) as sock:
        sock.sendall(BODY_HEAD + b'{"email": "slow@example.com", ')
        started = time.monotonic()
        answer = read_until_closed(sock)
        took = time.monotonic() - started
    assert_body_timeout(answer)
    assert BODY_TIMEOUT_S * 0.5 <= took < CLOSE_DEADLINE_S


def test_a_trickled_body_does_not_extend_the_deadline(server: tuple[str, int]) -> None:
    with connect(server) as sock:
        sock.sendall(BODY_HEAD + b'{"email": "')
        took, answer = trickle_until_closed(sock, CLOSE_DEADLINE_S)
    # 1000 bytes at one per 0.2 s would take 200 s; the answer comes at the deadline.
    assert took < CLOSE_DEADLINE_S
    assert answer == b"" or b"HTTP/1.1 408 " in answer, answer[:300]
    if answer:
        assert_body_timeout(answer[answer.index(b"HTTP/1.1 408 ") :])


async def test_the_wait_after_a_complete_body_is_not_cut_off() -> None:
    # After the body, receive() waits for a disconnect for as long as the response takes
    # (streaming responses listen for it): the body deadline must not fire on that wait.
    waits: list[str] = []

    async def app(_scope: Scope, receive: Receive, _send: Send) -> None:
        assert (await receive())["type"] == "http.request"
        try:
            await asyncio.wait_for(receive(), timeout=0.5)
        except TimeoutError:
            waits.append("still waiting after the body deadline")

    async def receive() -> Message:
        if not waits and not received:
            received.append(True)
            return {"type": "http.request", "body": b"{}", "more_body": False}
        await asyncio.sleep(3600)
        raise AssertionError

    received: list[bool] = []
    middleware = BodySizeLimitMiddleware(app, max_bytes=1024, timeout_s=0.05)
    scope: Scope = {"type": "http", "headers": [], "method": "POST", "path": "/"}

    async def send(_message: Message) -> None:
        raise AssertionError

    await middleware(scope, receive, send)
    assert waits == ["still waiting after the body deadline"]


# --------------------------------------------------------------------------- settings


def test_connection_settings_reach_uvicorn() -> None:
    settings = Settings(
        _env_file=None,
        http_keep_alive_timeout_s=75,
        trusted_proxies="10.0.0.0/8, 192.0.2.7",  # type: ignore[arg-type]
    )
    options = connection_options(settings)
    assert options["timeout_keep_alive"] == 75
    assert options["forwarded_allow_ips"] == ["10.0.0.0/8", "192.0.2.7"]
    assert options["proxy_headers"] is True
    assert uvicorn.Config(FastAPI(), **options).http == "app.http_protocol:BoundedHttpToolsProtocol"
    defaults = Settings(_env_file=None)
    assert (defaults.http_max_header_bytes, defaults.http_header_timeout_s) == (65536, 10.0)
    assert defaults.trusted_proxies == ["127.0.0.1", "::1"]
    assert Settings(_env_file=None, trusted_proxies="").trusted_proxies == []  # type: ignore[arg-type]


@pytest.mark.parametrize("entry", ["proxy.internal", "10.0.0.1/8", "300.1.2.3"])
def test_a_trusted_proxy_that_is_not_an_address_is_refused(entry: str) -> None:
    # uvicorn would take it as a host name that never matches: the proxy silently off.
    with pytest.raises(ValidationError, match="not an IP address or network"):
        Settings(_env_file=None, trusted_proxies=entry)  # type: ignore[arg-type]


def test_the_refusals_are_problem_documents() -> None:
    raw = problem_response(408, "header-timeout", "too slow")
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0] == b"HTTP/1.1 408 Request Timeout"
    assert b"connection: close" in head
    assert f"content-length: {len(body)}".encode() in head
    assert BoundedHttpToolsProtocol.__mro__[1].__name__ == "HttpToolsProtocol"


# --------------------------------------------------------------------------- trusted proxies

PROXY = "127.0.0.1"


def behind_uvicorn(app: FastAPI, settings: Settings) -> uvicorn.Config:
    """The application wrapped exactly as `spotter serve` wraps it (proxy headers included)."""
    config = uvicorn.Config(app, log_config=None, **connection_options(settings))
    config.load()
    return config


def peer(config: uvicorn.Config, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(
        app=config.loaded_app, raise_app_exceptions=False, client=(address, 50123)
    )
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def forwarded(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


@pytest.fixture(scope="module")
def proxy_database(database_factory: DatabaseFactory) -> str:
    url = database_factory()
    migrations.upgrade(url)
    return url


async def test_forwarded_for_is_believed_only_from_a_trusted_proxy(proxy_database: str) -> None:
    async with limited_app(proxy_database, rate_limit_anonymous=1, trusted_proxies=[PROXY]) as app:
        config = behind_uvicorn(app, app.state.settings)
        async with peer(config, PROXY) as proxy:
            # Through the proxy, each client has its own quota ...
            assert (await proxy.get("/v1", headers=forwarded("203.0.113.1"))).status_code == 200
            assert (await proxy.get("/v1", headers=forwarded("203.0.113.2"))).status_code == 200
            assert_refusal(await proxy.get("/v1", headers=forwarded("203.0.113.1")), "anonymous")
            # ... and a client cannot pick its address by sending its own header first: the
            # proxy appends the real peer, and the last untrusted entry is the client.
            spoofed = forwarded("203.0.113.99, 203.0.113.2")
            assert_refusal(await proxy.get("/v1", headers=spoofed), "anonymous")
        async with peer(config, "198.51.100.5") as direct:
            # From an untrusted peer the header is ignored: the peer itself is counted.
            assert (await direct.get("/v1", headers=forwarded("203.0.113.3"))).status_code == 200
            assert_refusal(await direct.get("/v1", headers=forwarded("203.0.113.4")), "anonymous")


async def test_behind_a_proxy_one_attackers_failures_lock_out_no_one_else(
    proxy_database: str,
) -> None:
    # The reported failure: every client shared the proxy's address, so one attacker's 10
    # failed sign-ins locked everyone out.
    async with limited_app(
        proxy_database,
        rate_limit_login_failures=2,
        rate_limit_login_address_failures=2,
        trusted_proxies=[PROXY],
    ) as app:
        async with client_at(app, "198.51.100.8") as setup:
            email, _ = await account(setup)
        config = behind_uvicorn(app, app.state.settings)
        async with peer(config, PROXY) as proxy:
            attacker, owner = forwarded("203.0.113.50"), forwarded("203.0.113.51")
            for _ in range(2):
                wrong = await proxy.post(
                    "/v1/auth/token", json={"email": email, "password": WRONG}, headers=attacker
                )
                assert wrong.status_code == 401
            refused = await proxy.post(
                "/v1/auth/token", json={"email": email, "password": PASSWORD}, headers=attacker
            )
            assert refused.status_code == 429
            ok = await proxy.post(
                "/v1/auth/token", json={"email": email, "password": PASSWORD}, headers=owner
            )
            assert ok.status_code == 200, ok.text
        async with client_at(app, "198.51.100.8") as elsewhere:
            assert (await sign_in(elsewhere, email, PASSWORD)).status_code == 200
