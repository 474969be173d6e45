"""The authorization server's endpoints.

Outside /v1 and the OpenAPI operations: their shape is fixed by the OAuth RFCs, their errors
are the RFC's ``{"error": ..., "error_description": ...}`` (never problem+json), and clients
find them through the metadata document (RFC 8414) rather than through OpenAPI.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from authlib.oauth2.rfc6749.errors import OAuth2Error
from authlib.oauth2.rfc6749.util import scope_to_list
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from app.auth.dependencies import OAuthSecret, PasswordHasherDep, derived_secret
from app.auth.scopes import CONSENT_WORDING, GRANTABLE_SCOPES, Scope, ordered
from app.db.deadline import request_deadline
from app.db.session import SessionDep
from app.errors import NotFoundError, TooManyRequestsError, UnauthorizedError
from app.oauth import consent
from app.oauth.records import Client, Lifter
from app.oauth.server import Exchange, FormRequest, Reply, SpotterAuthorizationServer, run
from app.ratelimit.dependency import SignInGuard, limit_oauth_request
from app.users import service as users

router = APIRouter(include_in_schema=False, dependencies=[Depends(limit_oauth_request)])
metadata_router = APIRouter(include_in_schema=False)

METADATA_PATH = "/.well-known/oauth-authorization-server"
AUTHORIZE_PATH = "/oauth/authorize"
# The authorization request's own parameters, carried through the consent page's forms.
AUTHORIZATION_PARAMETERS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)
MAX_FORM_BYTES = 16_384
MAX_FIELDS = 40
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

server = SpotterAuthorizationServer()


def issuer_of(request: Request) -> str:
    """The configured public URL, or the origin this request reached (development)."""
    public_url = request.app.state.settings.public_url
    if public_url is not None:
        return str(public_url).rstrip("/")
    return f"{request.url.scheme}://{request.url.netloc}"


def _exchange(request: Request, session: SessionDep, secret: OAuthSecret) -> Exchange:
    return Exchange(
        session=session,
        hash_secret=secret,
        issuer=issuer_of(request),
        deadline=request_deadline(request),
    )


ExchangeDep = Annotated[Exchange, Depends(_exchange)]


def _consent_secret(request: Request) -> str:
    return derived_secret(request.app.state.settings, "consent-session")


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse(
        {"error": error, "error_description": description}, status_code=status, headers=_NO_STORE
    )


def _json(reply: Reply) -> Response:
    headers = {k: v for k, v in reply.headers if k.lower() != "content-type"}
    if reply.status == 401 and "WWW-Authenticate" not in headers:
        headers["WWW-Authenticate"] = 'Basic realm="spotter"'
    return JSONResponse(reply.body, status_code=reply.status, headers={**headers, **_NO_STORE})


class FormError(Exception):
    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


def _pairs(raw: bytes | str) -> list[tuple[str, str]]:
    """The form's fields, strictly: UTF-8, at most ``MAX_FIELDS`` of them, no NUL (which no
    PostgreSQL text holds). Repeated parameters are refused by ``_no_repeats``."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS, errors="strict")
    except UnicodeDecodeError as exc:
        msg = "the parameters are not valid UTF-8"
        raise FormError(msg) from exc
    except ValueError as exc:
        msg = f"there are more than {MAX_FIELDS} parameters"
        raise FormError(msg) from exc
    if any("\x00" in k or "\x00" in v for k, v in pairs):
        msg = "a parameter contains a NUL character"
        raise FormError(msg)
    return pairs


async def _form(request: Request) -> list[tuple[str, str]]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        msg = "send the parameters as application/x-www-form-urlencoded"
        raise FormError(msg)
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        msg = f"the form is larger than {MAX_FORM_BYTES} bytes"
        raise FormError(msg)
    return _pairs(body)


def _no_repeats(pairs: list[tuple[str, str]], names: tuple[str, ...] | None = None) -> None:
    """RFC 6749 sections 3.1 and 3.2: a parameter sent twice is an invalid request, never a
    choice between the two (of ``names`` only, when given)."""
    seen: set[str] = set()
    for name, _ in pairs:
        if (names is None or name in names) and name in seen:
            msg = f"the parameter {name!r} is given more than once"
            raise FormError(msg)
        seen.add(name)


def _basic_auth_readable(request: Request) -> bool:
    """Authlib decodes HTTP Basic credentials as UTF-8 without a guard; refuse what it cannot
    read before it sees it."""
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return True
    try:
        base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return False
    return True


async def _protocol_request(request: Request) -> FormRequest | Response:
    if not _basic_auth_readable(request):
        return _oauth_error(401, "invalid_client", "The HTTP Basic credentials are malformed.")
    try:
        pairs = await _form(request)
        _no_repeats(pairs)
        return FormRequest("POST", str(request.url), request.headers, pairs)
    except FormError as exc:
        return _oauth_error(
            400, "invalid_request", exc.description[0].upper() + exc.description[1:] + "."
        )
    except OAuth2Error as error:
        return _oauth_error(400, error.error, error.description or "OAuth requires https.")


async def _answer(
    request: Request, exchange: Exchange, call: Callable[[FormRequest], Reply]
) -> Response:
    oauth_request = await _protocol_request(request)
    if isinstance(oauth_request, Response):
        return oauth_request
    return _json(await run(exchange, lambda: call(oauth_request)))


@router.post("/oauth/token")
async def token(request: Request, exchange: ExchangeDep) -> Response:
    """RFC 6749 section 3.2: codes, refresh tokens and client credentials for tokens."""
    return await _answer(request, exchange, server.create_token_response)


@router.post("/oauth/revoke")
async def revoke(request: Request, exchange: ExchangeDep) -> Response:
    """RFC 7009: revoke an access or refresh token."""
    return await _answer(
        request, exchange, lambda r: server.create_endpoint_response("revocation", r)
    )


@router.post("/oauth/introspect")
async def introspect(request: Request, exchange: ExchangeDep) -> Response:
    """RFC 7662: whether a token is active, for the confidential app it was issued to."""
    return await _answer(
        request, exchange, lambda r: server.create_endpoint_response("introspection", r)
    )


@metadata_router.get(METADATA_PATH)
async def authorization_server_metadata(request: Request) -> JSONResponse:
    """RFC 8414: where the endpoints are and what the server supports."""
    return JSONResponse(
        metadata(issuer_of(request)), headers={"Cache-Control": "public, max-age=3600"}
    )


# RFC 9728: what a resource server (the MCP endpoint) tells a client about who issues its
# tokens, so that an MCP client can find the authorization server from a 401 alone.
PROTECTED_RESOURCE_PATH = "/.well-known/oauth-protected-resource"
MCP_RESOURCE_PATH = "/mcp"


def resource_metadata_url(request: Request) -> str:
    return f"{issuer_of(request)}{PROTECTED_RESOURCE_PATH}{MCP_RESOURCE_PATH}"


@metadata_router.get(PROTECTED_RESOURCE_PATH + MCP_RESOURCE_PATH)
async def mcp_resource_metadata(request: Request) -> JSONResponse:
    """RFC 9728 for the MCP endpoint: its authorization server and the scopes it uses."""
    issuer = issuer_of(request)
    return JSONResponse(
        {
            "resource": f"{issuer}{MCP_RESOURCE_PATH}",
            "authorization_servers": [issuer],
            "scopes_supported": [s.value for s in ordered(GRANTABLE_SCOPES)],
            "bearer_methods_supported": ["header"],
            "resource_name": "Spotter MCP server",
            "resource_documentation": f"{issuer}/docs",
        },
        headers={"Cache-Control": "public, max-age=3600"},
    )


def metadata(issuer: str) -> dict[str, Any]:
    client_auth = ["client_secret_basic", "client_secret_post", "none"]
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}{AUTHORIZE_PATH}",
        "token_endpoint": f"{issuer}/oauth/token",
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "introspection_endpoint": f"{issuer}/oauth/introspect",
        "scopes_supported": [s.value for s in ordered(GRANTABLE_SCOPES)],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "token_endpoint_auth_methods_supported": client_auth,
        "revocation_endpoint_auth_methods_supported": client_auth,
        "introspection_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
        ],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": True,
        "service_documentation": f"{issuer}/docs",
    }


# The consent page -------------------------------------------------------------------------


def _error_page(request: Request, message: str, error_code: str | None, status: int) -> Response:
    return consent.page(
        request, "error.html", {"message": message, "error_code": error_code}, status_code=status
    )


def _redirect(reply: Reply) -> Response:
    location = reply.location
    if location is None:  # pragma: no cover - Authlib always sets it on a redirect
        msg = "a redirect without a location"
        raise RuntimeError(msg)
    # 303: the browser follows with a GET, whatever method brought it here.
    return RedirectResponse(location, status_code=303, headers={"Cache-Control": "no-store"})


async def _validated(
    request: Request, exchange: ExchangeDep, pairs: list[tuple[str, str]]
) -> tuple[FormRequest, Any] | Response:
    """The authorization request checked by Authlib, or the answer to a bad one: an error
    page when the app or its redirect URI cannot be trusted (never a redirect to an
    unregistered URI), otherwise a redirect back to the app with the error."""
    try:
        _no_repeats(pairs, AUTHORIZATION_PARAMETERS)
        oauth_request = FormRequest(request.method, str(request.url), request.headers, pairs)
    except FormError as exc:
        return _error_page(
            request, f"The request is malformed: {exc.description}.", "invalid_request", 400
        )
    except OAuth2Error as error:
        return _error_page(
            request, "Spotter accepts authorization requests over https only.", error.error, 400
        )

    def validate() -> tuple[Any, Reply | None, OAuth2Error | None]:
        try:
            return server.get_consent_grant(oauth_request), None, None
        except OAuth2Error as error:
            if error.redirect_uri:
                # RFC 9207 applies to error redirects too; Authlib's extension adds `iss` to
                # the decision's redirect only, so this one gets it below.
                return None, server.handle_error_response(oauth_request, error), error
            return None, None, error

    grant, reply, refusal = await run(exchange, validate)
    if reply is not None:
        reply.location = _with_issuer(reply.location or "", exchange.issuer)
        return _redirect(reply)
    if refusal is not None:
        return _error_page(request, _explain(refusal), refusal.error, 400)
    return oauth_request, grant


def _with_issuer(location: str, issuer: str) -> str:
    separator = "&" if urlsplit(location).query else "?"
    return f"{location}{separator}{urlencode({'iss': issuer})}"


def _explain(error: OAuth2Error) -> str:
    if error.error == "invalid_client":
        return error.description or "The app is not registered with Spotter."
    description = error.description or error.error
    return f"The app sent a request Spotter cannot accept: {description}"


def _carried(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in pairs if k in AUTHORIZATION_PARAMETERS]


async def _signed_in(request: Request, session: SessionDep) -> tuple[int, str] | None:
    found = consent.session_of(request, _consent_secret(request))
    if found is None:
        return None
    user_id, version = found
    try:
        user = await users.get_user(session, user_id)
    except NotFoundError:  # the account was deleted since: sign in again
        return None
    if user.token_version != version:
        return None
    return user_id, user.email


def _scopes_shown(oauth_request: FormRequest) -> list[tuple[str, str]]:
    return [
        (scope.value, CONSENT_WORDING[scope])
        for scope in ordered({Scope(s) for s in scope_to_list(oauth_request.scope)})
    ]


async def _page_for(
    request: Request,
    session: SessionDep,
    oauth_request: FormRequest,
    grant: Any,
    pairs: list[tuple[str, str]],
    *,
    error: str | None = None,
    email: str = "",
    status_code: int = 200,
    signed_in: bool = True,
) -> Response:
    client: Client = grant.client
    params = _carried(pairs)
    lifter = await _signed_in(request, session) if signed_in else None
    if lifter is None:
        return consent.page(
            request,
            "sign_in.html",
            {"app": client, "params": params, "error": error, "email": email},
            status_code=status_code,
        )
    redirect_uri = oauth_request.payload.redirect_uri
    return consent.page(
        request,
        "consent.html",
        {
            "app": client,
            "params": params,
            "scopes": _scopes_shown(oauth_request),
            "email": lifter[1],
            "redirect_host": urlsplit(redirect_uri).netloc,
        },
        redirect_uri=redirect_uri,
    )


@router.get(AUTHORIZE_PATH)
async def authorize(request: Request, session: SessionDep, exchange: ExchangeDep) -> Response:
    """The authorization endpoint: sign in if needed, then see and decide on the request."""
    try:
        pairs = _pairs(request.url.query)
    except FormError as exc:
        return _error_page(
            request, f"The request is malformed: {exc.description}.", "invalid_request", 400
        )
    validated = await _validated(request, exchange, pairs)
    if isinstance(validated, Response):
        return validated
    oauth_request, grant = validated
    return await _page_for(request, session, oauth_request, grant, pairs)


async def _own_form(request: Request) -> list[tuple[str, str]] | Response:
    """The form's fields, if it came from Spotter's own page (origin and CSRF token)."""
    try:
        fields = await _form(request)
    except FormError as exc:
        return _error_page(
            request, f"The form is malformed: {exc.description}.", "invalid_request", 400
        )
    if not consent.same_origin(request) or not consent.csrf_ok(
        request, dict(fields).get(consent.CSRF_FIELD)
    ):
        return _error_page(
            request,
            "This form was not sent from Spotter's own page, or the page is too old. Nothing "
            "was changed.",
            "csrf",
            403,
        )
    return fields


@router.post(AUTHORIZE_PATH)
async def decide(
    request: Request,
    session: SessionDep,
    exchange: ExchangeDep,
    passwords: PasswordHasherDep,
    attempts: SignInGuard,
) -> Response:
    """The consent page's forms: sign in, sign out ("Not you?"), allow or deny."""
    fields = await _own_form(request)
    if isinstance(fields, Response):
        return fields
    values = dict(fields)
    pairs = _carried(fields)
    validated = await _validated(request, exchange, pairs)
    if isinstance(validated, Response):
        return validated
    oauth_request, grant = validated
    action = values.get("action")
    if action == "sign_in":
        return await _sign_in(
            request, session, passwords, attempts, values, oauth_request, grant, pairs
        )
    signed_in = await _signed_in(request, session)
    if action == "sign_out" or signed_in is None or action not in {"approve", "deny"}:
        # "Not you?" (someone else's sign-in on a shared browser) forgets the sign-in; an
        # unknown action, or a sign-in that expired meanwhile, shows the page again.
        response = await _page_for(
            request, session, oauth_request, grant, pairs, signed_in=action != "sign_out"
        )
        if action == "sign_out":
            consent.end_session(response)
        return response
    requested = set(scope_to_list(oauth_request.scope))
    ticked = {v for k, v in fields if k == "granted_scope"}
    exchange.granted_scopes = tuple(
        s.value for s in ordered({Scope(s) for s in requested & ticked})
    )
    lifter = None
    if action == "approve" and exchange.granted_scopes:
        lifter = Lifter(id=signed_in[0], is_admin=await _is_admin(session, signed_in[0]))
    reply = await run(
        exchange,
        lambda: server.create_authorization_response(oauth_request, grant_user=lifter, grant=grant),
    )
    return _redirect(reply)


async def _is_admin(session: SessionDep, user_id: int) -> bool:
    return (await users.get_user(session, user_id)).is_admin


async def _sign_in(
    request: Request,
    session: SessionDep,
    passwords: PasswordHasherDep,
    attempts: SignInGuard,
    values: dict[str, str],
    oauth_request: FormRequest,
    grant: Any,
    pairs: list[tuple[str, str]],
) -> Response:
    email, password = values.get("email", "")[:254], values.get("password", "")[:128]
    try:
        async with attempts.attempt(email):
            user = await users.authenticate(session, passwords, email, password)
    except UnauthorizedError:
        return await _page_for(
            request,
            session,
            oauth_request,
            grant,
            pairs,
            error="The email or password is wrong.",
            email=email,
            status_code=401,
        )
    except TooManyRequestsError:
        return await _page_for(
            request,
            session,
            oauth_request,
            grant,
            pairs,
            error="Too many failed sign-ins: wait a few minutes and try again.",
            email=email,
            status_code=429,
        )
    assert user.id is not None  # noqa: S101 - stored rows have ids
    response = RedirectResponse(
        f"{AUTHORIZE_PATH}?{urlencode(pairs)}",
        status_code=303,
        headers={"Cache-Control": "no-store"},
    )
    consent.set_session(
        response,
        request,
        consent.session_cookie(user.id, user.token_version, _consent_secret(request)),
    )
    return response
