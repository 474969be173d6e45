"""HTTP-level defences: the request body cap, security headers, rate-limit fields, and CORS
refusals as problem details.

These are ASGI middlewares rather than dependencies so they cover every response, including
errors raised before routing and the 500s the request-log middleware renders.
"""

from __future__ import annotations

import asyncio

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import problem_response
from app.ratelimit.dependency import recorded
from app.ratelimit.service import policy_header

# Swagger UI and ReDoc come from the service itself (DOCS_ASSETS_PATH), so their pages may
# load nothing from anywhere else. They still need inline code (the page's bootstrap script,
# the styles both inject) and ReDoc runs its search in a worker made from a blob.
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
DOCS_ASSETS_PATH = "/docs/assets"
API_CSP = "default-src 'none'; frame-ancestors 'none'"
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
HSTS = "max-age=31536000; includeSubDomains"
CREDENTIAL_HEADERS = ("authorization", "x-api-key")


class RequestBodyTooLarge(StarletteHTTPException):
    """Raised from ``receive`` once a body without a usable Content-Length exceeds the cap.

    An HTTPException subclass on purpose: FastAPI re-raises those from body parsing (any
    other error becomes a 400 "error parsing the body"), so it reaches the exception
    handlers and is rendered as a 413 problem.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=_too_large(limit))


class RequestBodyTimeout(StarletteHTTPException):
    """Raised from ``receive`` when the body has not fully arrived by its deadline (an
    HTTPException for the same reason as ``RequestBodyTooLarge``)."""

    def __init__(self, timeout_s: float) -> None:
        super().__init__(
            status_code=408,
            detail=f"The request body did not arrive within {timeout_s:g} s of its headers.",
        )


def _too_large(limit: int) -> str:
    return f"The request body is larger than the {limit}-byte limit."


async def body_too_large_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestBodyTooLarge)  # noqa: S101 - registered for this class only
    return problem_response(request, 413, str(exc.detail), slug="content-too-large")


async def body_timeout_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestBodyTimeout)  # noqa: S101 - registered for this class only
    # The rest of the body may still be on its way: the connection cannot carry another request.
    return problem_response(
        request, 408, str(exc.detail), slug="body-timeout", headers={"Connection": "close"}
    )


class BodySizeLimitMiddleware:
    """Refuses bodies above ``max_bytes`` with a 413 problem, and bodies still arriving
    ``timeout_s`` after the request reached the application with a 408.

    A declared Content-Length above the cap is refused before any byte is read. A body sent
    without one (chunked) is counted as it streams in and refused as soon as it passes the
    cap, so it is never buffered whole. The deadline is absolute, like the header deadline in
    ``app.http_protocol``: a client trickling a byte at a time cannot hold a connection and a
    half-built body in memory for longer than the timeout.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int, timeout_s: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            response = problem_response(
                Request(scope),
                413,
                _too_large(self.max_bytes),
                slug="content-too-large",
                # The unread body stays on the socket: the connection cannot be reused.
                headers={"Connection": "close"},
            )
            await response(scope, receive, send)
            return

        received = 0
        complete = False
        deadline = asyncio.get_running_loop().time() + self.timeout_s

        async def counting_receive() -> Message:
            nonlocal received, complete
            if complete:
                # After the body, receive() waits for the client to disconnect, for as long
                # as the response takes: that wait is not the client's to bound.
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise RequestBodyTimeout(self.timeout_s) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise RequestBodyTooLarge(self.max_bytes)
                complete = not message.get("more_body", False)
            return message

        await self.app(scope, counting_receive, send)


class SecurityHeadersMiddleware:
    """Adds the security headers to every response, and the rate-limit fields to responses
    whose request was counted against a quota.

    Cache-Control: anything answered to a request carrying credentials is `no-store` (it may
    be personal); other /v1 responses are `no-store` unless the route chose a policy (the
    public knowledge base is cacheable and revalidated by ETag).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        authenticated = any(name in CREDENTIAL_HEADER_NAMES for name, _ in scope["headers"])
        path: str = scope["path"]
        # Built once: nothing inside sets these names, so they are appended as raw pairs
        # (MutableHeaders' assignment scans the list once per header, a tenth of a stored
        # catalog answer's cost).
        fixed: tuple[tuple[bytes, bytes], ...] = (
            _DOCS_HEADERS if path in DOCS_PATHS else _API_HEADERS
        )
        if scope.get("scheme") == "https":
            # Only over TLS: on plain HTTP the header is ignored, and it would wrongly pin
            # development hosts to HTTPS.
            fixed = (*fixed, _HSTS_HEADER)
        public_v1 = not authenticated and path.startswith("/v1")
        # The docs' scripts change only with the installed package; StaticFiles revalidates
        # them by ETag, so a day's lifetime spares reloading ~3 MB on every visit.
        docs_asset = path.startswith(DOCS_ASSETS_PATH + "/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw: list[tuple[bytes, bytes]] = list(message.get("headers", ()))
                if authenticated:
                    raw = [(k, v) for k, v in raw if k != b"cache-control"]
                    raw.append(_NO_STORE)
                elif public_v1 and all(k != b"cache-control" for k, _ in raw):
                    raw.append(_NO_STORE)
                elif docs_asset:
                    raw.append(_ASSET_CACHE)
                if any(k == b"content-security-policy" for k, _ in raw):
                    # A page with policies of its own (the consent page's nonce, form
                    # targets and referrer policy) keeps them: a second content policy would
                    # be enforced as well, and a second referrer policy would win.
                    own = {k for k, _ in raw}
                    raw.extend(h for h in fixed if h[0] not in own)
                else:
                    raw.extend(fixed)
                decisions = recorded(scope.get("state"))
                if decisions:
                    raw.extend(
                        (k.lower().encode("latin-1"), v.encode("latin-1"))
                        for k, v in policy_header(decisions).items()
                    )
                message["headers"] = raw
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _raw(name: str, value: str) -> tuple[bytes, bytes]:
    return name.lower().encode("latin-1"), value.encode("latin-1")


CREDENTIAL_HEADER_NAMES = frozenset(name.encode() for name in CREDENTIAL_HEADERS)
_COMMON_HEADERS = (
    _raw("X-Content-Type-Options", "nosniff"),
    _raw("Referrer-Policy", "no-referrer"),
    _raw("X-Frame-Options", "DENY"),
    _raw("Cross-Origin-Resource-Policy", "same-origin"),
)
_API_HEADERS = (*_COMMON_HEADERS, _raw("Content-Security-Policy", API_CSP))
_DOCS_HEADERS = (*_COMMON_HEADERS, _raw("Content-Security-Policy", DOCS_CSP))
_HSTS_HEADER = _raw("Strict-Transport-Security", HSTS)
_NO_STORE = _raw("Cache-Control", "no-store")
_ASSET_CACHE = _raw("Cache-Control", "public, max-age=86400")


class ProblemCORSMiddleware(CORSMiddleware):
    """Starlette's CORS middleware, except that a refused preflight is a problem body.

    The refusal carries no `Access-Control-Allow-Origin`, so the browser still blocks the
    request; the body only tells a developer why.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "OPTIONS":
            headers = Headers(scope=scope)
            if "origin" in headers and "access-control-request-method" in headers:
                response = self.preflight_response(request_headers=headers)
                if response.status_code == 400:
                    kept = {
                        k.decode(): v.decode()
                        for k, v in response.raw_headers
                        if k not in (b"content-length", b"content-type")
                    }
                    response = problem_response(
                        Request(scope),
                        400,
                        f"{bytes(response.body).decode()}: this origin, method or header "
                        "is not allowed.",
                        slug="cors-refused",
                        headers=kept,
                    )
                await response(scope, receive, send)
                return
        await super().__call__(scope, receive, send)
