"""Registered apps: validation, ownership, secrets, administration; and the races a token
endpoint must win (each request in its own committed transaction, as in production)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.session import run_sql
from tests.kb_admin.test_concurrency import committed, committed_client
from tests.oauth.helpers import (
    REDIRECT_URI,
    authorize,
    basic,
    exchange,
    lifter,
    new_app,
    post_form,
    token_request,
    tokens_for,
)
from tests.test_auth import bearer

__all__ = ["committed", "committed_client"]  # fixtures used below, imported for pytest

VALID = {
    "name": "Lift Tracker Pro",
    "redirect_uris": [REDIRECT_URI],
    "client_type": "public",
    "allowed_scopes": ["logs:read"],
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"redirect_uris": ["http://lifttracker.example/cb"]}, "redirect_uris"),
        ({"redirect_uris": ["https://lifttracker.example/cb#x"]}, "redirect_uris"),
        ({"redirect_uris": ["https://user@lifttracker.example/cb"]}, "redirect_uris"),
        ({"redirect_uris": ["lifttracker.example/cb"]}, "redirect_uris"),
        ({"redirect_uris": ["javascript:alert(1)"]}, "redirect_uris"),
        ({"redirect_uris": ["https://lifttracker.example/a b"]}, "redirect_uris"),
        ({"redirect_uris": ["https://lifttracker.example:99999/cb"]}, "redirect_uris"),
        ({"redirect_uris": [REDIRECT_URI, REDIRECT_URI]}, "redirect_uris"),
        ({"redirect_uris": []}, "redirect_uris"),
        ({"redirect_uris": [f"https://x.example/{i}" for i in range(11)]}, "redirect_uris"),
        ({"allowed_scopes": ["kb:admin"]}, "allowed_scopes"),
        ({"allowed_scopes": []}, "allowed_scopes"),
        ({"client_type": "secretive"}, "client_type"),
        ({"logo_url": "http://lifttracker.example/logo.png"}, "logo_url"),
        ({"name": ""}, "name"),
        ({"rate_limit": 0}, "rate_limit"),
        ({"unknown": 1}, "unknown"),
    ],
)
async def test_an_invalid_app_is_refused_naming_the_field(
    https: httpx.AsyncClient, change: dict[str, Any], field: str
) -> None:
    owner = await lifter(https, "owner@example.com")
    response = await https.post("/v1/apps", json=VALID | change, headers=owner)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert any(field in e["name"] for e in response.json()["errors"]), response.json()


async def test_loopback_redirects_may_use_http(https: httpx.AsyncClient) -> None:
    owner = await lifter(https, "owner@example.com")
    uris = ["http://127.0.0.1:8765/cb", "http://[::1]:8765/cb", "http://localhost/cb"]
    response = await https.post("/v1/apps", json=VALID | {"redirect_uris": uris}, headers=owner)
    assert response.status_code == 201, response.text
    assert response.json()["client_secret"] is None


async def test_a_rate_limit_above_the_service_quota_is_refused(https: httpx.AsyncClient) -> None:
    owner = await lifter(https, "owner@example.com")
    response = await https.post("/v1/apps", json=VALID | {"rate_limit": 10_000_000}, headers=owner)
    assert response.status_code == 422


async def test_apps_are_their_owners_and_administrators_see_all(
    https: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    owner = await lifter(https, "owner@example.com")
    stranger = await lifter(https, "stranger@example.com")
    app = await new_app(https, owner, client_type="confidential")
    url = f"/v1/apps/{app.client_id}"
    assert (await https.get(url, headers=owner)).status_code == 200
    for method in ("GET", "DELETE"):
        assert (await https.request(method, url, headers=stranger)).status_code == 404
    assert (await https.patch(url, json={"name": "Mine now"}, headers=stranger)).status_code == 404
    assert (await https.post(f"{url}/secret", headers=stranger)).status_code == 404
    assert (await https.get("/v1/apps", headers=stranger)).json() == []
    assert (await https.get("/v1/admin/apps", headers=stranger)).status_code == 403
    suspension = f"/v1/admin/apps/{app.client_id}/suspension"
    refused = await https.put(suspension, json={"reason": "no"}, headers=stranger)
    assert refused.status_code == 403

    await run_sql(
        db_session, "UPDATE user_account SET is_admin = true WHERE email = 'stranger@example.com'"
    )
    await db_session.commit()
    admin = bearer(
        (
            await https.post(
                "/v1/auth/token",
                json={"email": "stranger@example.com", "password": "correct horse battery"},
            )
        ).json()["access_token"]
    )
    listed = (await https.get("/v1/admin/apps", headers=admin)).json()
    # Other tests' committed apps may be listed too (the browser test's live server).
    assert app.client_id in [a["client_id"] for a in listed]
    suspended = await https.put(suspension, json={"reason": "Scrapes logs."}, headers=admin)
    assert suspended.status_code == 200
    assert suspended.json()["suspended_reason"] == "Scrapes logs."
    assert (await https.get(url, headers=owner)).json()["suspended_at"] is not None
    reinstated = await https.delete(suspension, headers=admin)
    assert reinstated.json()["suspended_at"] is None


async def test_changing_an_app_keeps_what_is_not_sent(https: httpx.AsyncClient) -> None:
    owner = await lifter(https, "owner@example.com")
    app = await new_app(https, owner)
    url = f"/v1/apps/{app.client_id}"
    changed = await https.patch(url, json={"description": "New words."}, headers=owner)
    assert changed.status_code == 200, changed.text
    assert changed.json()["description"] == "New words."
    assert changed.json()["redirect_uris"] == [REDIRECT_URI]
    nulled = await https.patch(url, json={"redirect_uris": None}, headers=owner)
    assert nulled.status_code == 422
    assert (await https.get(url, headers=owner)).json()["redirect_uris"] == [REDIRECT_URI]


async def test_rotating_the_secret_ends_the_old_one(https: httpx.AsyncClient) -> None:
    owner = await lifter(https, "owner@example.com")
    app = await new_app(https, owner, client_type="confidential")
    assert app.client_secret is not None
    old = app.client_secret
    rotated = await https.post(f"/v1/apps/{app.client_id}/secret", headers=owner)
    assert rotated.status_code == 200
    new = rotated.json()["client_secret"]
    fields = [("grant_type", "client_credentials")]
    assert (
        await post_form(https, "/oauth/token", fields, basic(app.client_id, old))
    ).status_code == 401
    assert (
        await post_form(https, "/oauth/token", fields, basic(app.client_id, new))
    ).status_code == 200
    public = await new_app(https, owner)
    assert (
        await https.post(f"/v1/apps/{public.client_id}/secret", headers=owner)
    ).status_code == 409


async def test_deleting_an_app_ends_its_grants_and_tokens(https: httpx.AsyncClient) -> None:
    owner = await lifter(https, "owner@example.com")
    await lifter(https, "lifter@example.com")
    app = await new_app(https, owner)
    tokens = await tokens_for(https, app, "lifter@example.com")
    assert (await https.delete(f"/v1/apps/{app.client_id}", headers=owner)).status_code == 204
    assert (
        await https.get("/v1/me/sessions", headers=bearer(tokens["access_token"]))
    ).status_code == 401


async def test_an_api_key_cannot_register_apps(https: httpx.AsyncClient) -> None:
    owner = await lifter(https, "owner@example.com")
    key = await https.post(
        "/v1/me/api-keys", json={"name": "k", "scopes": ["logs:read"]}, headers=owner
    )
    response = await https.post("/v1/apps", json=VALID, headers={"X-API-Key": key.json()["key"]})
    assert response.status_code == 403


async def test_one_code_exchanged_twice_at_once_issues_tokens_once(
    committed_client: httpx.AsyncClient,
) -> None:
    http = committed_client
    http.base_url = httpx.URL("https://testserver")
    owner = await lifter(http, "race-owner@example.com")
    await lifter(http, "race-lifter@example.com")
    app = await new_app(http, owner)
    code, pkce = await authorize(http, app, "race-lifter@example.com")
    responses = await asyncio.gather(*(exchange(http, app, code, pkce) for _ in "ab"))
    assert sorted(r.status_code for r in responses) == [200, 400]
    # The loser was a replay: what the winner got is revoked too.
    [winner] = [r for r in responses if r.status_code == 200]
    me = await http.get("/v1/me/sessions", headers=bearer(winner.json()["access_token"]))
    assert me.status_code == 401


async def test_one_refresh_token_presented_twice_at_once_ends_the_grant(
    committed_client: httpx.AsyncClient,
) -> None:
    http = committed_client
    http.base_url = httpx.URL("https://testserver")
    owner = await lifter(http, "race2-owner@example.com")
    await lifter(http, "race2-lifter@example.com")
    app = await new_app(http, owner)
    tokens = await tokens_for(http, app, "race2-lifter@example.com")
    responses = await asyncio.gather(
        *(
            token_request(
                http, app, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
            )
            for _ in "ab"
        )
    )
    assert sorted(r.status_code for r in responses) == [200, 400]
    [winner] = [r for r in responses if r.status_code == 200]
    me = await http.get("/v1/me/sessions", headers=bearer(winner.json()["access_token"]))
    assert me.status_code == 401
