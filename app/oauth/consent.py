"""The consent page's browser session and CSRF protection, and its HTML responses.

The page is the one place where Spotter holds a browser session: a signed cookie naming the
lifter (and their token version, so logging out everywhere ends it), valid 30 minutes, sent
only to ``/oauth``. Forms carry a CSRF token that must equal a second, random cookie
(double submit); both cookies are ``SameSite``, so another site can neither read nor send
them with a forged form.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jwt
from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.templating import Jinja2Templates

SESSION_COOKIE = "spotter_consent"
CSRF_COOKIE = "spotter_csrf"
CSRF_FIELD = "csrf_token"
COOKIE_PATH = "/oauth"
SESSION_TTL = timedelta(minutes=30)
_ALGORITHM = "HS256"
_SESSION_TYPE = "consent"

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def session_cookie(user_id: int, token_version: int, secret: str) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "ver": token_version,
        "typ": _SESSION_TYPE,
        "iat": now,
        "exp": now + SESSION_TTL,
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def session_of(request: Request, secret: str) -> tuple[int, int] | None:
    """(user id, token version) of the browser's sign-in, or None."""
    value = request.cookies.get(SESSION_COOKIE)
    if not value or len(value) > 1024:
        return None
    try:
        claims = jwt.decode(
            value, secret, algorithms=[_ALGORITHM], options={"require": ["exp", "sub", "ver"]}
        )
        if claims.get("typ") != _SESSION_TYPE:
            return None
        user_id, version = int(claims["sub"]), int(claims["ver"])
    except (jwt.PyJWTError, TypeError, ValueError):
        return None
    if not (1 <= user_id <= 2**31 - 1 and 0 <= version <= 2**31 - 1):
        return None
    return user_id, version


def csrf_token(request: Request) -> str:
    """The browser's CSRF token: the one its cookie holds, or a new one (set by ``page``)."""
    current = request.cookies.get(CSRF_COOKIE, "")
    return current if 32 <= len(current) <= 64 and current.isalnum() else secrets.token_hex(16)


def csrf_ok(request: Request, submitted: str | None) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not submitted:
        return False
    return hmac.compare_digest(cookie.encode(), submitted.encode())


def same_origin(request: Request) -> bool:
    """A browser names the page a form was sent from; a form from another site is refused
    even before its CSRF token is looked at. Requests without the header (older clients)
    are left to the token."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    own = f"{request.url.scheme}://{request.url.netloc}"
    return origin == own


def _origin(uri: str | None) -> str:
    if not uri:
        return ""
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


def page(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    redirect_uri: str | None = None,
    csrf: str | None = None,
) -> HTMLResponse:
    """A page of the consent flow, with its own policy: nothing may frame it, its one
    stylesheet is inline under a nonce, and its forms post only here (and, after a decision,
    redirect only to the app's registered URI)."""
    nonce = secrets.token_urlsafe(16)
    token = csrf or csrf_token(request)
    form_action = " ".join(filter(None, ["'self'", _origin(redirect_uri)]))
    policy = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; img-src https: data:; "
        f"form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
    )
    response = templates.TemplateResponse(
        request,
        template,
        {**context, "nonce": nonce, "csrf_token": token, "csrf_field": CSRF_FIELD},
        status_code=status_code,
        headers={
            "Content-Security-Policy": policy,
            "Cache-Control": "no-store",
            # Not no-referrer (the API's): with it, browsers send `Origin: null` on the
            # page's own form posts, and the origin check could not tell them from a forgery.
            # Other sites still learn nothing of the page's address.
            "Referrer-Policy": "same-origin",
        },
    )
    secure = request.url.scheme == "https"
    response.set_cookie(
        CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure, path=COOKIE_PATH
    )
    return response


def set_session(response: Any, request: Request, value: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=int(SESSION_TTL.total_seconds()),
        httponly=True,
        # Lax, not Strict: the lifter arrives here by a top-level link from the app's site.
        samesite="lax",
        secure=request.url.scheme == "https",
        path=COOKIE_PATH,
    )


def end_session(response: Any) -> None:
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
