"""The authorization code flow and the security properties issue 12 asks us to prove."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.oauth2 import rfc8414, rfc9207
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.session import run_sql
from tests.oauth.helpers import (
    REDIRECT_URI,
    Pkce,
    RegisteredApp,
    authorize,
    authorize_params,
    basic,
    csrf_of,
    decide,
    exchange,
    hidden_fields,
    lifter,
    new_app,
    post_form,
    redirect_params,
    sign_in_on_page,
    token_request,
    tokens_for,
)
from tests.test_auth import bearer, login
from tests.training.conftest import session_body

LIFTER = "lifter@example.com"
SESSION = session_body()


@pytest.fixture
async def owner(https: httpx.AsyncClient) -> dict[str, str]:
    headers = await lifter(https, "owner@example.com")
    await lifter(https, LIFTER)
    return headers


@pytest.fixture
async def public_app(https: httpx.AsyncClient, owner: dict[str, str]) -> RegisteredApp:
    return await new_app(https, owner)


@pytest.fixture
async def confidential_app(https: httpx.AsyncClient, owner: dict[str, str]) -> RegisteredApp:
    return await new_app(https, owner, client_type="confidential")


def assert_oauth_error(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    """The RFC 6749 section 5.2 shape: JSON with `error`, never problem+json, never cached."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, Any] = response.json()
    assert body["error"] == error, body
    assert set(body) <= {"error", "error_description", "error_uri", "state"}
    return body


async def sessions(https: httpx.AsyncClient, access_token: str) -> httpx.Response:
    return await https.get("/v1/me/sessions", headers=bearer(access_token))


async def test_the_whole_flow_ends_in_an_api_call_with_the_granted_scopes(
    https: httpx.AsyncClient, public_app: RegisteredApp
) -> None:
    tokens = await tokens_for(https, public_app, LIFTER)
    assert tokens["token_type"] == "Bearer"
    assert tokens["scope"] == "logs:read logs:write"
    assert tokens["expires_in"] == 900
    assert (await sessions(https, tokens["access_token"])).status_code == 200
    created = await https.post(
        "/v1/me/sessions", json=SESSION, headers=bearer(tokens["access_token"])
    )
    assert created.status_code == 201, created.text


async def test_the_lifter_may_grant_fewer_scopes_than_asked(
    https: httpx.AsyncClient, public_app: RegisteredApp
) -> None:
    tokens = await tokens_for(https, public_app, LIFTER, granted=["logs:read"])
    assert tokens["scope"] == "logs:read"
    assert (await sessions(https, tokens["access_token"])).status_code == 200
    refused = await https.post(
        "/v1/me/sessions", json=SESSION, headers=bearer(tokens["access_token"])
    )
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"


async def test_a_denial_goes_back_to_the_app_with_access_denied_and_the_issuer(
    https: httpx.AsyncClient, public_app: RegisteredApp
) -> None:
    params = authorize_params(public_app, Pkce.new())
    consent = await sign_in_on_page(https, params, LIFTER)
    answer = redirect_params(await decide(https, consent, "deny", None))
    assert answer == {
        "error": "access_denied",
        "state": params["state"],
        "iss": "https://testserver",
    } | {k: v for k, v in answer.items() if k == "error_description"}


async def test_the_redirect_carries_only_the_code_state_and_issuer(
    https: httpx.AsyncClient, public_app: RegisteredApp
) -> None:
    params = authorize_params(public_app, Pkce.new())
    consent = await sign_in_on_page(https, params, LIFTER)
    response = await decide(https, consent, "approve", None)
    answer = redirect_params(response)
    assert set(answer) == {"code", "state", "iss"}
    assert answer["iss"] == "https://testserver"
    assert answer["code"].startswith("spac_")
    assert "token" not in response.headers["location"].lower()


async def test_a_code_works_once_and_a_replay_revokes_what_it_issued(
    https: httpx.AsyncClient, public_app: RegisteredApp
) -> None:
    code, pkce = await authorize(https, public_app, LIFTER)
    first = await exchange(https, public_app, code, pkce)
    assert first.status_code == 200, first.text
    assert_oauth_error(await exchange(https, public_app, code, pkce), 400, "invalid_grant")
    assert (await sessions(https, first.json()["access_token"])).status_code == 401
    refreshed = await token_request(
        https, public_app, grant_type="refresh_token", refresh_token=first.json()["refresh_token"]
    )
    assert_oauth_error(refreshed, 400, "invalid_grant")


async def test_a_code_expires_after_a_minute(
    https: httpx.AsyncClient, public_app: RegisteredApp, db_session: AsyncSession
) -> None:
    code, pkce = await authorize(https, public_app, LIFTER)
    # Other tests' committed codes share the table: only this app's.
    lifetime = (
        await run_sql(
            db_session,
            "SELECT expires_at - created_at FROM oauth_code "
            "WHERE app_id = (SELECT id FROM registered_app WHERE client_id = :c)",
            c=public_app.client_id,
        )
    ).scalar_one()
    assert lifetime.total_seconds() <= 60
    await run_sql(
        db_session,
        "UPDATE oauth_code SET expires_at = now() - interval '1 s' "
        "WHERE app_id = (SELECT id FROM registered_app WHERE client_id = :c)",
        c=public_app.client_id,
    )
    await db_session.commit()
    assert_oauth_error(await exchange(https, public_app, code, pkce), 400, "invalid_grant")


async def test_a_code_from_another_client_is_refused(
    https: httpx.AsyncClient, public_app: RegisteredApp, owner: dict[str, str]
) -> None:
    other = await new_app(https, owner)
    code, pkce = await authorize(https, public_app, LIFTER)
    assert_oauth_error(await exchange(https, other, code, pkce), 400, "invalid_grant")
    # Still the rightful client's to use.
    assert (await exchange(https, public_app, code, pkce)).status_code == 200


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/oauth/callback",
        REDIRECT_URI + "/",
        REDIRECT_URI + "/../../evil",
        REDIRECT_URI + "?next=https://evil.example",
        REDIRECT_URI + "#fragment",
        "https://lifttracker.example.evil.example/oauth/callback",
        "https://lifttracker.example@evil.example/oauth/callback",
        "https://LIFTTRACKER.example/oauth/callback",
        "http://lifttracker.example/oauth/callback",
        "https://lifttracker.example/oauth/callbackx",
        "https://lifttracker.example/oauth/CALLBACK",
        "https://lifttracker.example/oauth/callback%2F..%2Fevil",
        "",
    ],
)
async def test_an_unregistered_redirect_uri_gets_an_error_page_never_a_redirect(
    https: httpx.AsyncClient, public_app: RegisteredApp, redirect_uri: str
) -> None:
    params = authorize_params(public_app, Pkce.new(), redirect_uri=redirect_uri)
    if not redirect_uri:
        params.pop("redirect_uri", None)
    response = await https.get("/oauth/authorize", params=params)
    assert response.status_code == 400, response.text
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert "This request cannot go on" in response.text


async def test_an_unknown_client_gets_an_error_page(https: httpx.AsyncClient) -> None:
    response = await https.get(
        "/oauth/authorize",
        params={
            "response_type": "code",
            "client_id": "spa_" + "a" * 36,
            "redirect_uri": REDIRECT_URI,
        },
    )
    assert response.status_code == 400
    assert "location" not in response.headers


async def test_the_token_request_must_name_the_codes_redirect_uri(
    https: httpx.AsyncClient, owner: dict[str, str]
) -> None:
    second = "https://lifttracker.example/other"
    app = await new_app(https, owner, redirect_uris=(REDIRECT_URI, second))
    code, pkce = await authorize(https, app, LIFTER)
    response = await token_request(
        https,
        app,
        grant_type="authorization_code",
        code=code,
        redirect_uri=second,
        code_verifier=pkce.verifier,
    )
    assert_oauth_error(response, 400, "invalid_grant")


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"code_challenge": "", "code_challenge_method": ""}, "PKCE is required"),
        ({"code_challenge_method": "plain"}, "S256"),
        ({"code_challenge_method": ""}, "S256"),
        ({"code_challenge": "short"}, "code_challenge"),
    ],
)
async def test_pkce_s256_is_required_at_the_authorization_endpoint(
    https: httpx.AsyncClient, public_app: RegisteredApp, change: dict[str, str], why: str
) -> None:
    params = authorize_params(public_app, Pkce.new(), **change)
    response = await https.get("/oauth/authorize", params=params)
    assert response.status_code == 303
    answer = redirect_params(response)
    assert answer["error"] == "invalid_request"
    assert why in answer["error_description"]
    assert answer["state"] == params["state"]
    assert answer["iss"] == "https://testserver"


@pytest.mark.parametrize(
    ("verifier", "error"), [("", "invalid_request"), ("x" * 50, "invalid_grant")]
)
async def test_a_missing_or_wrong_verifier_is_refused(
    https: httpx.AsyncClient, confidential_app: RegisteredApp, verifier: str, error: str
) -> None:
    code, _ = await authorize(https, confidential_app, LIFTER)
    fields = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    if verifier:
        fields["code_verifier"] = verifier
    assert_oauth_error(await token_request(https, confidential_app, **fields), 400, error)


async def test_refresh_tokens_rotate_and_a_reused_one_revokes_the_grant(
    https: httpx.AsyncClient, public_app: RegisteredApp
) -> None:
    first = await tokens_for(https, public_app, LIFTER)
    second = await token_request(
        https, public_app, grant_type="refresh_token", refresh_token=first["refresh_token"]
    )
    assert second.status_code == 200, second.text
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert rotated["scope"] == first["scope"]
    # The rotated-out pair is spent: its access token ended with it.
    assert (await sessions(https, first["access_token"])).status_code == 401
    assert (await sessions(https, rotated["access_token"])).status_code == 200
    reuse = await token_request(
        https, public_app, grant_type="refresh_token", refresh_token=first["refresh_token"]
    )
    assert_oauth_error(reuse, 400, "invalid_grant")
    # The whole grant is gone: the thief's and the lifter's tokens alike.
    assert (await sessions(https, rotated["access_token"])).status_code == 401
    again = await token_request(
        https, public_app, grant_type="refresh_token", refresh_token=rotated["refresh_token"]
    )
    assert_oauth_error(again, 400, "invalid_grant")


async def test_a_refresh_cannot_widen_the_scopes(
    https: httpx.AsyncClient, public_app: RegisteredApp
) -> None:
    tokens = await tokens_for(https, public_app, LIFTER, granted=["logs:read"])
    widened = await token_request(
        https,
        public_app,
        grant_type="refresh_token",
        refresh_token=tokens["refresh_token"],
        scope="logs:read logs:write",
    )
    assert_oauth_error(widened, 400, "invalid_scope")
    narrower = await token_request(
        https,
        public_app,
        grant_type="refresh_token",
        refresh_token=tokens["refresh_token"],
        scope="logs:read",
    )
    assert narrower.status_code == 200, narrower.text


async def test_revoking_a_grant_ends_its_tokens_on_the_next_request(
    https: httpx.AsyncClient, public_app: RegisteredApp
) -> None:
    tokens = await tokens_for(https, public_app, LIFTER)
    own = bearer((await login(https, LIFTER))["access_token"])
    grants = (await https.get("/v1/me/grants", headers=own)).json()
    assert [(g["client_id"], g["scopes"]) for g in grants] == [
        (public_app.client_id, ["logs:read", "logs:write"])
    ]
    assert (await https.delete(f"/v1/me/grants/{grants[0]['id']}", headers=own)).status_code == 204
    assert (await sessions(https, tokens["access_token"])).status_code == 401
    refreshed = await token_request(
        https, public_app, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert_oauth_error(refreshed, 400, "invalid_grant")
    assert (await https.get("/v1/me/grants", headers=own)).json() == []
    assert (await https.delete(f"/v1/me/grants/{grants[0]['id']}", headers=own)).status_code == 204
    assert (await https.delete("/v1/me/grants/999999", headers=own)).status_code == 404


async def test_an_app_token_cannot_manage_grants_or_apps(
    https: httpx.AsyncClient, public_app: RegisteredApp
) -> None:
    tokens = await tokens_for(https, public_app, LIFTER)
    for response in (
        await https.get("/v1/me/grants", headers=bearer(tokens["access_token"])),
        await https.get("/v1/apps", headers=bearer(tokens["access_token"])),
        await https.post(
            "/v1/me/api-keys",
            json={"name": "x", "scopes": ["kb:read"]},
            headers=bearer(tokens["access_token"]),
        ),
    ):
        assert response.status_code == 403, response.text


async def test_logging_out_everywhere_ends_every_grant(
    https: httpx.AsyncClient, public_app: RegisteredApp
) -> None:
    tokens = await tokens_for(https, public_app, LIFTER)
    own = bearer((await login(https, LIFTER))["access_token"])
    assert (await https.post("/v1/auth/logout", headers=own)).status_code == 204
    assert (await sessions(https, tokens["access_token"])).status_code == 401


async def test_a_public_client_presenting_a_secret_is_refused(
    https: httpx.AsyncClient, public_app: RegisteredApp
) -> None:
    code, pkce = await authorize(https, public_app, LIFTER)
    fields = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", pkce.verifier),
        ("client_id", public_app.client_id),
        ("client_secret", "spcs_" + "a" * 36),
    ]
    assert_oauth_error(await post_form(https, "/oauth/token", fields), 401, "invalid_client")
    response = await post_form(
        https, "/oauth/token", fields[:4], basic(public_app.client_id, "spcs_" + "a" * 36)
    )
    assert_oauth_error(response, 401, "invalid_client")


async def test_a_confidential_client_must_prove_its_secret(
    https: httpx.AsyncClient, confidential_app: RegisteredApp
) -> None:
    code, pkce = await authorize(https, confidential_app, LIFTER)
    fields = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", pkce.verifier),
    ]
    without = await post_form(
        https, "/oauth/token", [*fields, ("client_id", confidential_app.client_id)]
    )
    assert_oauth_error(without, 401, "invalid_client")
    wrong = await post_form(
        https, "/oauth/token", fields, basic(confidential_app.client_id, "spcs_" + "b" * 36)
    )
    assert_oauth_error(wrong, 401, "invalid_client")
    assert confidential_app.client_secret is not None
    right = await post_form(
        https,
        "/oauth/token",
        fields,
        basic(confidential_app.client_id, confidential_app.client_secret),
    )
    assert right.status_code == 200, right.text


async def test_a_suspended_apps_tokens_stop_and_it_gets_no_new_ones(
    https: httpx.AsyncClient, public_app: RegisteredApp, db_session: AsyncSession
) -> None:
    tokens = await tokens_for(https, public_app, LIFTER)
    await run_sql(
        db_session,
        "UPDATE registered_app SET suspended_at = now(), suspended_reason = 'abuse' "
        "WHERE client_id = :c",
        c=public_app.client_id,
    )
    # Released into the test's transaction: the 401 below rolls back to a savepoint.
    await db_session.commit()
    assert (await sessions(https, tokens["access_token"])).status_code == 401
    refreshed = await token_request(
        https, public_app, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert_oauth_error(refreshed, 400, "invalid_client")
    page = await https.get("/oauth/authorize", params=authorize_params(public_app, Pkce.new()))
    assert page.status_code == 400
    assert "suspended" in page.text
    assert "location" not in page.headers


async def test_the_consent_form_refuses_a_forged_post(
    https: httpx.AsyncClient, public_app: RegisteredApp
) -> None:
    params = authorize_params(public_app, Pkce.new())
    consent = await sign_in_on_page(https, params, LIFTER)
    fields = [(k, v) for k, v in hidden_fields(consent) if k != "csrf_token"]
    forged = [
        [*fields, ("action", "approve"), ("granted_scope", "logs:read")],
        [*fields, ("csrf_token", "0" * 32), ("action", "approve"), ("granted_scope", "logs:read")],
    ]
    for form in forged:
        response = await post_form(https, "/oauth/authorize", form)
        assert response.status_code == 403, response.text
        assert "location" not in response.headers
    cross_site = await post_form(
        https,
        "/oauth/authorize",
        [*hidden_fields(consent), ("action", "approve"), ("granted_scope", "logs:read")],
        {"Origin": "https://evil.example"},
    )
    assert cross_site.status_code == 403
    assert "location" not in cross_site.headers


async def test_the_consent_page_cannot_be_framed_or_cached(
    https: httpx.AsyncClient, public_app: RegisteredApp
) -> None:
    params = authorize_params(public_app, Pkce.new())
    for page in (
        await https.get("/oauth/authorize", params=params),
        await sign_in_on_page(https, params, LIFTER),
    ):
        assert page.headers["x-frame-options"] == "DENY"
        policies = page.headers.get_list("content-security-policy")
        assert len(policies) == 1, policies
        assert "frame-ancestors 'none'" in policies[0]
        assert "form-action 'self'" in policies[0]
        assert page.headers["cache-control"] == "no-store"
        assert csrf_of(page)
    cookies = page.headers.get_list("set-cookie")
    assert all("HttpOnly" in c and "Secure" in c for c in cookies), cookies


async def test_the_consent_page_explains_each_scope_in_plain_words(
    https: httpx.AsyncClient, public_app: RegisteredApp
) -> None:
    params = authorize_params(public_app, Pkce.new(), scope="logs:read recommendations:read")
    consent = await sign_in_on_page(https, params, LIFTER)
    assert "Lift Tracker Pro" in consent.text
    assert "every session and set you have logged" in consent.text
    assert "next session" in consent.text
    assert "Log new sessions" not in consent.text


async def test_a_wrong_password_on_the_page_is_said_and_counted(
    https: httpx.AsyncClient, public_app: RegisteredApp
) -> None:
    page = await https.get("/oauth/authorize", params=authorize_params(public_app, Pkce.new()))
    form = [
        *hidden_fields(page),
        ("action", "sign_in"),
        ("email", LIFTER),
        ("password", "wrong password!"),
    ]
    response = await post_form(https, "/oauth/authorize", form)
    assert response.status_code == 401
    assert "The email or password is wrong." in response.text
    assert "ratelimit" in {k.lower() for k in response.headers}


async def test_scopes_beyond_the_apps_allowance_are_refused(
    https: httpx.AsyncClient, owner: dict[str, str]
) -> None:
    app = await new_app(https, owner, scopes=("kb:read",))
    params = authorize_params(app, Pkce.new(), scope="kb:read logs:read")
    answer = redirect_params(await https.get("/oauth/authorize", params=params))
    assert answer["error"] == "invalid_scope"
    admin = authorize_params(app, Pkce.new(), scope="kb:admin")
    assert (
        redirect_params(await https.get("/oauth/authorize", params=admin))["error"]
        == "invalid_scope"
    )


async def test_tokens_are_never_accepted_in_the_url(
    https: httpx.AsyncClient, public_app: RegisteredApp
) -> None:
    tokens = await tokens_for(https, public_app, LIFTER)
    response = await https.get("/v1/me/sessions", params={"access_token": tokens["access_token"]})
    assert response.status_code == 401


async def test_metadata_is_valid_rfc_8414_with_rfc_9207(https: httpx.AsyncClient) -> None:
    response = await https.get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    body = response.json()
    metadata = rfc8414.AuthorizationServerMetadata(body)
    metadata.validate(metadata_classes=[rfc9207.AuthorizationServerMetadata])
    assert body["issuer"] == "https://testserver"
    assert body["code_challenge_methods_supported"] == ["S256"]
    assert body["authorization_response_iss_parameter_supported"] is True
    assert "kb:admin" not in body["scopes_supported"]


async def test_introspection_answers_the_app_the_token_was_issued_to(
    https: httpx.AsyncClient, confidential_app: RegisteredApp, owner: dict[str, str]
) -> None:
    tokens = await tokens_for(https, confidential_app, LIFTER)
    active = await token_request(
        https, confidential_app, "/oauth/introspect", token=tokens["access_token"]
    )
    assert active.status_code == 200, active.text
    body = active.json()
    assert body["active"] is True
    assert body["client_id"] == confidential_app.client_id
    assert body["scope"] == "logs:read logs:write"
    assert body["iss"] == "https://testserver"
    assert body["exp"] - body["iat"] == 900
    other = await new_app(https, owner, client_type="confidential")
    foreign = await token_request(https, other, "/oauth/introspect", token=tokens["access_token"])
    assert foreign.json() == {"active": False}
    unknown = await token_request(https, confidential_app, "/oauth/introspect", token="nonsense")
    assert unknown.json() == {"active": False}
    public = await new_app(https, owner)
    assert_oauth_error(
        await token_request(https, public, "/oauth/introspect", token=tokens["access_token"]),
        401,
        "invalid_client",
    )


async def test_revocation_of_a_refresh_token_ends_its_family(
    https: httpx.AsyncClient, confidential_app: RegisteredApp
) -> None:
    tokens = await tokens_for(https, confidential_app, LIFTER)
    revoked = await token_request(
        https,
        confidential_app,
        "/oauth/revoke",
        token=tokens["refresh_token"],
        token_type_hint="refresh_token",
    )
    assert revoked.status_code == 200, revoked.text
    assert (await sessions(https, tokens["access_token"])).status_code == 401
    introspected = await token_request(
        https, confidential_app, "/oauth/introspect", token=tokens["access_token"]
    )
    assert introspected.json() == {"active": False}
    # RFC 7009: an unknown token is not an error.
    assert (
        await token_request(https, confidential_app, "/oauth/revoke", token="nonsense")
    ).status_code == 200


async def test_revocation_of_an_access_token(
    https: httpx.AsyncClient, public_app: RegisteredApp
) -> None:
    tokens = await tokens_for(https, public_app, LIFTER)
    revoked = await token_request(https, public_app, "/oauth/revoke", token=tokens["access_token"])
    assert revoked.status_code == 200, revoked.text
    assert (await sessions(https, tokens["access_token"])).status_code == 401


async def test_client_credentials_give_an_app_its_own_catalog_token(
    https: httpx.AsyncClient, confidential_app: RegisteredApp
) -> None:
    response = await token_request(https, confidential_app, grant_type="client_credentials")
    assert response.status_code == 200, response.text
    token = response.json()
    assert token["scope"] == "kb:read recommendations:read"
    assert "refresh_token" not in token
    catalog = await https.get("/v1/muscles", headers=bearer(token["access_token"]))
    assert catalog.status_code == 200, catalog.text
    assert '"app"' in catalog.headers["ratelimit-policy"]
    assert (await sessions(https, token["access_token"])).status_code == 403
    narrowed = await token_request(
        https, confidential_app, grant_type="client_credentials", scope="kb:read"
    )
    assert narrowed.json()["scope"] == "kb:read"
    refused = await token_request(
        https, confidential_app, grant_type="client_credentials", scope="logs:read"
    )
    assert_oauth_error(refused, 400, "invalid_scope")


async def test_a_public_client_cannot_use_client_credentials(
    https: httpx.AsyncClient, public_app: RegisteredApp
) -> None:
    response = await token_request(https, public_app, grant_type="client_credentials")
    assert_oauth_error(response, 401, "invalid_client")


@pytest.mark.parametrize(
    ("fields", "headers", "status", "error"),
    [
        ("grant_type=password&username=a&password=b", {}, 400, "unsupported_grant_type"),
        ("grant_type=authorization_code&grant_type=refresh_token", {}, 400, "invalid_request"),
        ("grant_type=%ff", {}, 400, "invalid_request"),
        ("grant_type=a%00b", {}, 400, "invalid_request"),
        ("", {"Authorization": "Basic %%%"}, 401, "invalid_client"),
        ("", {"Authorization": "Basic " + "/w=="}, 401, "invalid_client"),
    ],
)
async def test_malformed_token_requests_get_oauth_errors(
    https: httpx.AsyncClient, fields: str, headers: dict[str, str], status: int, error: str
) -> None:
    response = await https.post(
        "/oauth/token",
        content=fields.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
    )
    assert_oauth_error(response, status, error)


async def test_a_json_token_request_is_refused(https: httpx.AsyncClient) -> None:
    response = await https.post("/oauth/token", json={"grant_type": "client_credentials"})
    assert_oauth_error(response, 400, "invalid_request")


async def test_plain_http_is_refused_off_loopback(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/oauth/token",
        content=b"grant_type=client_credentials",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_oauth_error(response, 400, "insecure_transport")


async def test_reconsenting_updates_the_one_grant(
    https: httpx.AsyncClient, public_app: RegisteredApp
) -> None:
    await tokens_for(https, public_app, LIFTER)
    second = await tokens_for(https, public_app, LIFTER, granted=["logs:read"])
    assert second["scope"] == "logs:read"
    own = bearer((await login(https, LIFTER))["access_token"])
    grants = (await https.get("/v1/me/grants", headers=own)).json()
    assert len(grants) == 1
    assert grants[0]["scopes"] == ["logs:read"]


def test_authorize_params_helper_drops_blank_values() -> None:
    params = authorize_params(
        RegisteredApp("spa_x", None, {}, {}), Pkce("v", "c"), code_challenge=""
    )
    assert "code_challenge" not in params
    assert parse_qs(urlsplit("https://x/?" + "&".join(f"{k}={v}" for k, v in params.items())).query)


@pytest.mark.parametrize(
    ("registered", "asked", "accepted"),
    [
        ("http://127.0.0.1/callback", "http://127.0.0.1:54321/callback", True),
        ("http://127.0.0.1:8765/callback", "http://127.0.0.1:54321/callback", True),
        ("http://[::1]/callback", "http://[::1]:54321/callback", True),
        ("http://127.0.0.1/callback", "http://127.0.0.1:54321/other", False),
        ("http://127.0.0.1/callback", "http://127.0.0.1:54321/callback?next=x", False),
        ("http://localhost/callback", "http://localhost:54321/callback", False),
        ("http://127.0.0.1/callback", "http://[::1]:54321/callback", False),
        ("https://lifttracker.example/callback", "https://lifttracker.example:444/callback", False),
    ],
)
async def test_a_native_app_may_pick_its_loopback_port(
    https: httpx.AsyncClient, owner: dict[str, str], registered: str, asked: str, accepted: bool
) -> None:
    """RFC 8252 section 7.3: the port of a loopback IP literal is the app's to choose when it
    starts listening; nothing else about the URI may differ."""
    app = await new_app(https, owner, redirect_uris=(registered,))
    params = authorize_params(app, Pkce.new(), redirect_uri=asked)
    response = await https.get("/oauth/authorize", params=params)
    if accepted:
        assert response.status_code == 200, response.text
        assert 'value="sign_in"' in response.text
    else:
        assert response.status_code == 400
        assert "location" not in response.headers


async def test_not_you_signs_the_browser_out_and_asks_again(
    https: httpx.AsyncClient, public_app: RegisteredApp
) -> None:
    params = authorize_params(public_app, Pkce.new())
    consent = await sign_in_on_page(https, params, LIFTER)
    out = await post_form(
        https, "/oauth/authorize", [*hidden_fields(consent), ("action", "sign_out")]
    )
    assert out.status_code == 200
    assert 'value="sign_in"' in out.text
    assert "Signed in as" not in out.text
    assert any(c.startswith("spotter_consent=") for c in out.headers.get_list("set-cookie"))
    # The browser dropped the sign-in: the page asks for one again.
    again = await https.get("/oauth/authorize", params=params)
    assert 'value="sign_in"' in again.text
