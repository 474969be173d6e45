"""Drive the OAuth flow the way an app and a lifter's browser would, over HTTP."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from tests.test_auth import PASSWORD, bearer, login, register

REDIRECT_URI = "https://lifttracker.example/oauth/callback"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class RegisteredApp:
    client_id: str
    client_secret: str | None
    owner_headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class Pkce:
    verifier: str
    challenge: str

    @classmethod
    def new(cls) -> Pkce:
        verifier = secrets.token_urlsafe(48)
        digest = hashlib.sha256(verifier.encode()).digest()
        return cls(verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode())


async def lifter(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    await register(client, email)
    return bearer((await login(client, email))["access_token"])


async def new_app(
    client: httpx.AsyncClient,
    owner: dict[str, str],
    *,
    client_type: str = "public",
    scopes: tuple[str, ...] = ("kb:read", "logs:read", "logs:write", "recommendations:read"),
    redirect_uris: tuple[str, ...] = (REDIRECT_URI,),
    **extra: Any,
) -> RegisteredApp:
    response = await client.post(
        "/v1/apps",
        json={
            "name": "Lift Tracker Pro",
            "description": "Logs your sets from the gym floor.",
            "redirect_uris": list(redirect_uris),
            "client_type": client_type,
            "allowed_scopes": list(scopes),
            **extra,
        },
        headers=owner,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return RegisteredApp(body["client_id"], body["client_secret"], owner, body)


def authorize_params(
    app: RegisteredApp, pkce: Pkce, *, scope: str = "logs:read logs:write", **extra: str
) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": scope,
        "state": secrets.token_urlsafe(12),
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
    }
    params.update(extra)
    return {k: v for k, v in params.items() if v != ""}


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, page.text
    return found.group(1)


def hidden_fields(page: httpx.Response) -> list[tuple[str, str]]:
    """The authorization request the page's forms carry (each form carries the same)."""
    found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text)
    return list(dict.fromkeys(found))


async def sign_in_on_page(
    client: httpx.AsyncClient, params: dict[str, str], email: str, password: str = PASSWORD
) -> httpx.Response:
    """Open the consent page, sign in on it unless the browser already is; the answer is the
    consent page itself."""
    page = await client.get("/oauth/authorize", params=params)
    assert page.status_code == 200, page.text
    if 'value="approve"' in page.text:
        return page
    assert 'value="sign_in"' in page.text
    form = [*hidden_fields(page), ("action", "sign_in"), ("email", email), ("password", password)]
    signed = await client.post("/oauth/authorize", data=dict(form))
    assert signed.status_code == 303, signed.text
    consent = await client.get(signed.headers["location"])
    assert consent.status_code == 200, consent.text
    return consent


async def decide(
    client: httpx.AsyncClient, consent: httpx.Response, action: str, scopes: list[str] | None
) -> httpx.Response:
    fields = [*hidden_fields(consent), ("action", action)]
    ticked = (
        scopes
        if scopes is not None
        else re.findall(r'name="granted_scope" value="([^"]+)"', consent.text)
    )
    fields += [("granted_scope", s) for s in ticked]
    return await post_form(client, "/oauth/authorize", fields)


async def post_form(
    client: httpx.AsyncClient,
    path: str,
    fields: list[tuple[str, str]],
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """A form with repeated fields kept as they are (httpx's ``data`` takes a mapping)."""
    return await client.post(
        path,
        content=urlencode(fields).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
    )


def redirect_params(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def authorize(
    client: httpx.AsyncClient,
    app: RegisteredApp,
    email: str,
    *,
    scope: str = "logs:read logs:write",
    granted: list[str] | None = None,
    pkce: Pkce | None = None,
) -> tuple[str, Pkce]:
    """The whole browser side: a code for ``app`` from ``email``'s consent."""
    pkce = pkce or Pkce.new()
    params = authorize_params(app, pkce, scope=scope)
    consent = await sign_in_on_page(client, params, email)
    answer = redirect_params(await decide(client, consent, "approve", granted))
    assert answer["state"] == params["state"]
    return answer["code"], pkce


def basic(client_id: str, secret: str) -> dict[str, str]:
    encoded = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


async def token_request(
    client: httpx.AsyncClient, app: RegisteredApp, path: str = "/oauth/token", **fields: str
) -> httpx.Response:
    """How the app proves itself: HTTP Basic for a confidential app, its client id alone for
    a public one."""
    if app.client_secret is None:
        return await post_form(client, path, [("client_id", app.client_id), *fields.items()])
    return await post_form(
        client, path, list(fields.items()), basic(app.client_id, app.client_secret)
    )


async def exchange(
    client: httpx.AsyncClient, app: RegisteredApp, code: str, pkce: Pkce
) -> httpx.Response:
    return await token_request(
        client,
        app,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT_URI,
        code_verifier=pkce.verifier,
    )


async def tokens_for(
    client: httpx.AsyncClient, app: RegisteredApp, email: str, **options: Any
) -> dict[str, Any]:
    code, pkce = await authorize(client, app, email, **options)
    response = await exchange(client, app, code, pkce)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
