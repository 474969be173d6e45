"""Accounts beyond the basics: one account per email however it is spelled, refused common
passwords, and single-use refresh tokens."""

from __future__ import annotations

import httpx
import pytest

from tests.test_auth import PASSWORD, login, register

# --------------------------------------------------------------------------- emails


@pytest.mark.parametrize(
    "look_alike",
    [
        "ALICE@EXAMPLE.COM",
        "Alice@Example.Com",
        # Fullwidth letters and at sign (U+FF21.., U+FF20), as an IME types them.
        "\uff41lice@example.com",
        "\uff21\uff4c\uff49\uff43\uff45\uff20example.com",
        # The "fi" ligature (U+FB01) for the two letters.
        "\ufb01ona@example.com",
        # Mathematical bold letters (U+1D41A...) are compatibility forms of plain ones.
        "\U0001d41alice@example.com",
        # A non-breaking space (U+00A0) around the address.
        "\u00a0alice@example.com\u00a0",
    ],
)
async def test_a_look_alike_email_is_the_same_account(
    client: httpx.AsyncClient, look_alike: str
) -> None:
    plain = "fiona@example.com" if "\ufb01" in look_alike else "alice@example.com"
    account = await register(client, plain)
    again = await client.post("/v1/auth/register", json={"email": look_alike, "password": PASSWORD})
    assert again.status_code == 409, again.text
    # The look-alike signs in to the same account, and the account keeps the plain spelling.
    tokens = await login(client, look_alike)
    me = await client.get("/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.json()["id"] == account["id"]
    assert me.json()["email"] == plain


async def test_an_email_is_stored_in_its_normalised_form(client: httpx.AsyncClient) -> None:
    account = await register(client, "\uff2c\uff49\ufb00ter@\uff25xample.com")
    assert account["email"] == "liffter@example.com"


async def test_an_email_too_long_once_normalised_is_422_not_500(client: httpx.AsyncClient) -> None:
    # 250 characters as sent; U+FB03 ("ffi") becomes three letters, so 498 once normalised,
    # beyond what the column holds.
    email = "\ufb03" * 238 + "@example.com"
    assert len(email) <= 254
    response = await client.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert response.status_code == 422, response.text
    assert [e["name"] for e in response.json()["errors"]] == ["email"]


# --------------------------------------------------------------------------- common passwords


# The last is a fullwidth "q" and "wertyuiop": the same password once in NFKC.
@pytest.mark.parametrize("common", ["password123", "QWERTYUIOP", "1234567890", "\uff51wertyuiop"])
async def test_a_common_password_is_refused_at_registration(
    client: httpx.AsyncClient, common: str
) -> None:
    response = await client.post(
        "/v1/auth/register", json={"email": "new@example.com", "password": common}
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert error["name"] == "password"
    assert "most commonly used passwords" in error["reason"]
    # Nothing was stored: the email is still free.
    again = await client.post(
        "/v1/auth/register", json={"email": "new@example.com", "password": PASSWORD}
    )
    assert again.status_code == 201, again.text


async def test_signing_in_never_judges_the_password_list(client: httpx.AsyncClient) -> None:
    # A wrong common password at sign-in is a plain 401, not a 422 that would tell the caller
    # which passwords accounts cannot have.
    await register(client, "old@example.com")
    response = await client.post(
        "/v1/auth/token", json={"email": "old@example.com", "password": "password123"}
    )
    assert response.status_code == 401, response.text


# --------------------------------------------------------------------------- refresh tokens


async def _refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/v1/auth/refresh", json={"refresh_token": token})


async def test_a_refresh_token_is_spent_by_its_use_and_a_reuse_revokes_the_sign_in(
    client: httpx.AsyncClient,
) -> None:
    await register(client, "rotor@example.com")
    first = (await login(client, "rotor@example.com"))["refresh_token"]
    second = await _refresh(client, first)
    assert second.status_code == 200, second.text
    successor = second.json()["refresh_token"]
    assert successor != first

    # The spent token presented again: refused, and so is the successor a thief would not have
    # had, because the whole sign-in is revoked.
    reused = await _refresh(client, first)
    assert reused.status_code == 401, reused.text
    assert 'error="invalid_grant"' in reused.headers["www-authenticate"]
    assert "already used" in reused.json()["detail"]
    after = await _refresh(client, successor)
    assert after.status_code == 401, after.text

    # Another sign-in of the same account is a family of its own and still works.
    fresh = (await login(client, "rotor@example.com"))["refresh_token"]
    assert (await _refresh(client, fresh)).status_code == 200


async def test_a_chain_of_refreshes_each_spends_the_last(client: httpx.AsyncClient) -> None:
    await register(client, "chain@example.com")
    token = (await login(client, "chain@example.com"))["refresh_token"]
    for _ in range(3):
        response = await _refresh(client, token)
        assert response.status_code == 200, response.text
        token = response.json()["refresh_token"]
    # Signing out everywhere voids the newest too.
    access = (await login(client, "chain@example.com"))["access_token"]
    logout = await client.post("/v1/auth/logout", headers={"Authorization": f"Bearer {access}"})
    assert logout.status_code == 204
    assert (await _refresh(client, token)).status_code == 401
