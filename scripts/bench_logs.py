"""What a signed-in lifter's training-log requests cost in-process (issue 10).

On a scratch database (see benchkit.py), a lifter with a profile and 28 sessions of 3 sets
(as in bench_http.py's "my sessions" case) is served by ``create_app`` through
``httpx.ASGITransport``: no sockets, no worker processes, so the figures are the median and p95
of the server's own Server-Timing (application + database), per endpoint, with a bearer token
and with an API key. The rate limiter is off: its cost is bench_ratelimit.py's subject.

    .venv/bin/python scripts/bench_logs.py [--requests N]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
from collections.abc import Awaitable, Callable

import httpx
from benchkit import bench_settings, console, ms, scratch_database, timed_with_server
from rich.table import Table

from app.main import create_app

MAX_REQUESTS = 20_000
PROFILE = {
    "experience": "intermediate",
    "unit": "kg",
    "bodyweight": 82.5,
    "equipment": {"bar": 20, "plates": [25, 20, 10, 5, 2.5, 1.25]},
}

Call = Callable[[], Awaitable[httpx.Response]]


def _session(day: int) -> dict[str, object]:
    return {
        "date": f"2026-02-{day:02d}",
        "sets": [{"exercise": "deadlift", "reps": 5, "load": 100 + day} for _ in range(3)],
    }


async def _lifter(http: httpx.AsyncClient) -> tuple[dict[str, str], dict[str, str]]:
    """A lifter's bearer and API-key headers, with a profile and 28 sessions stored."""
    email = f"bench-{secrets.token_hex(4)}@example.com"
    password = secrets.token_urlsafe(16)
    account = {"email": email, "password": password}
    (await http.post("/v1/auth/register", json=account)).raise_for_status()
    token = (await http.post("/v1/auth/token", json=account)).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    scopes = ["logs:read", "logs:write"]
    key = await http.post(
        "/v1/me/api-keys", json={"name": "bench", "scopes": scopes}, headers=bearer
    )
    key.raise_for_status()
    (await http.put("/v1/me/profile", json=PROFILE, headers=bearer)).raise_for_status()
    for day in range(1, 29):
        (await http.post("/v1/me/sessions", json=_session(day), headers=bearer)).raise_for_status()
    return bearer, {"X-API-Key": key.json()["key"]}


def _cases(http: httpx.AsyncClient, headers: dict[str, str]) -> list[tuple[str, Call, int]]:
    """(name, request, expected status); writes carry the ETag their previous run returned."""
    state: dict[str, str] = {}
    doomed: list[tuple[int, str]] = []

    async def list_page() -> httpx.Response:
        return await http.get("/v1/me/sessions", headers=headers)

    async def one() -> httpx.Response:
        return await http.get(f"/v1/me/sessions/{state['id']}", headers=headers)

    async def create() -> httpx.Response:
        response = await http.post("/v1/me/sessions", json=_session(1), headers=headers)
        doomed.append((response.json()["id"], response.headers["etag"]))
        return response

    async def replace() -> httpx.Response:
        response = await http.put(
            f"/v1/me/sessions/{state['id']}",
            json=_session(2),
            headers={**headers, "If-Match": state["session_etag"]},
        )
        state["session_etag"] = response.headers["etag"]
        return response

    async def delete() -> httpx.Response:
        session_id, etag = doomed.pop()
        return await http.delete(
            f"/v1/me/sessions/{session_id}", headers={**headers, "If-Match": etag}
        )

    async def profile() -> httpx.Response:
        return await http.get("/v1/me/profile", headers=headers)

    async def put_profile() -> httpx.Response:
        response = await http.put(
            "/v1/me/profile", json=PROFILE, headers={**headers, "If-Match": state["profile_etag"]}
        )
        state["profile_etag"] = response.headers["etag"]
        return response

    async def account() -> httpx.Response:
        return await http.get("/v1/me", headers=headers)

    async def keys() -> httpx.Response:
        return await http.get("/v1/me/api-keys", headers=headers)

    async def prepare() -> None:
        newest = (await http.get("/v1/me/sessions?limit=1", headers=headers)).json()["items"][0]
        state["id"] = str(newest["id"])
        state["session_etag"] = f'"session-{newest["id"]}-v{newest["version"]}"'
        state["profile_etag"] = (await profile()).headers["etag"]

    async def first(call: Call) -> httpx.Response:
        if not state:
            await prepare()
        return await call()

    # Creates run before deletes, and as often (plus the warm-up), so every delete has a target.
    return [
        ("list sessions (page of 20, 3 sets each)", lambda: first(list_page), 200),
        ("get one session", one, 200),
        ("create a session (3 sets)", create, 201),
        ("replace a session", replace, 200),
        ("delete a session", delete, 204),
        ("get the profile", profile, 200),
        ("replace the profile", put_profile, 200),
        ("get the account", account, 200),
        ("list API keys", keys, 200 if "Authorization" in headers else 403),
    ]


async def measure(url: str, n: int) -> list[tuple[str, str, list[float]]]:
    settings = bench_settings(url).model_copy(update={"rate_limit_enabled": False})
    app = create_app(settings)
    figures: list[tuple[str, str, list[float]]] = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            bearer, key = await _lifter(http)
            for credential, headers in (("bearer", bearer), ("API key", key)):
                for name, call, expect in _cases(http, headers):
                    _, server = await timed_with_server(call, expect, n)
                    figures.append((name, credential, server))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    if args.requests > MAX_REQUESTS:
        parser.error(f"at most {MAX_REQUESTS} requests per case")

    with scratch_database() as url:
        figures = asyncio.run(measure(url, args.requests))

    table = Table(
        title=f"Training logs in-process, Server-Timing (x{args.requests})", title_justify="left"
    )
    table.add_column("request")
    table.add_column("credential")
    table.add_column("median ms", justify="right")
    table.add_column("p95 ms", justify="right")
    for name, credential, server in figures:
        table.add_row(name, credential, *ms(server))
    console.print(table)


if __name__ == "__main__":
    main()
