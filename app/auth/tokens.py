"""Bearer tokens: short-lived access tokens and longer refresh tokens, both signed JWTs.

Only HS256 is accepted when decoding, so ``alg: none`` and algorithm-confusion tokens fail.
A refresh token carries the user's token version: bumping it (logout) voids them all. Its
`jti` and `fam` (the sign-in it descends from) name its row in `refresh_token`, which makes
each refresh token single-use (app.users.service.refresh).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import jwt

ALGORITHM = "HS256"
ISSUER = "spotter"
MAX_DB_INTEGER = 2**31 - 1
ACCESS_TTL = timedelta(minutes=15)
REFRESH_TTL = timedelta(days=30)

TokenType = Literal["access", "refresh"]


class TokenError(Exception):
    """The token is malformed, expired, forged or of the wrong type."""


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    token_type: TokenType
    version: int
    token_id: str = ""
    family: str = ""


@dataclass(frozen=True)
class IssuedToken:
    token: str
    token_id: str
    expires_at: datetime
    lifetime_s: int


def new_family() -> str:
    return uuid.uuid4().hex


def issue(
    user_id: int, version: int, token_type: TokenType, secret: str, *, family: str = ""
) -> IssuedToken:
    """A signed token; a refresh token also names the ``family`` it belongs to."""
    now = datetime.now(UTC)
    ttl = ACCESS_TTL if token_type == "access" else REFRESH_TTL  # noqa: S105 - a token kind
    token_id = uuid.uuid4().hex
    claims: dict[str, object] = {
        "iss": ISSUER,
        "sub": str(user_id),
        "typ": token_type,
        "ver": version,
        "iat": now,
        "exp": now + ttl,
        "jti": token_id,
    }
    if family:
        claims["fam"] = family
    return IssuedToken(
        token=jwt.encode(claims, secret, algorithm=ALGORITHM),
        token_id=token_id,
        expires_at=now + ttl,
        lifetime_s=int(ttl.total_seconds()),
    )


def decode(token: str, secret: str, expected: TokenType) -> TokenClaims:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "typ", "ver", "iss"]},
        )
    except jwt.ExpiredSignatureError as exc:
        msg = "the token has expired"
        raise TokenError(msg) from exc
    except jwt.PyJWTError as exc:
        msg = "the token is not valid"
        raise TokenError(msg) from exc
    if claims.get("typ") != expected:
        msg = f"expected an {expected} token"
        raise TokenError(msg)
    try:
        user_id, version = int(claims["sub"]), int(claims["ver"])
    except (TypeError, ValueError) as exc:
        msg = "the token is not valid"
        raise TokenError(msg) from exc
    # Both are PostgreSQL integers: a value beyond them can name no account, and would fail
    # in the driver (a 500) instead of matching nothing.
    if not (1 <= user_id <= MAX_DB_INTEGER and 0 <= version <= MAX_DB_INTEGER):
        msg = "the token is not valid"
        raise TokenError(msg)
    token_id, family = claims.get("jti", ""), claims.get("fam", "")
    if not (isinstance(token_id, str) and isinstance(family, str)):
        msg = "the token is not valid"
        raise TokenError(msg)
    return TokenClaims(
        user_id=user_id, token_type=expected, version=version, token_id=token_id, family=family
    )
