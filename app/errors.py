"""RFC 9457 problem details: the error hierarchy, the one renderer, and OpenAPI helpers.

Every error the service answers with — raised by our code, by validation, by routing or by an
unexpected fault — leaves through :func:`problem_response`, so clients parse one shape.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping, Sequence
from enum import StrEnum
from http import HTTPStatus
from typing import Any, ClassVar

from asgi_correlation_id import correlation_id
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field
from redis import exceptions as redis_exceptions
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "/problems/"
# How long a client should wait before retrying while the database is unreachable.
DATABASE_RETRY_AFTER_S = 5


class InvalidParam(BaseModel):
    """One rejected input value."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        description="Dotted path of the value, e.g. `limit` or `history.0.sets.2.reps`."
    )
    location: str = Field(
        description="Where the value was sent: `query`, `path`, `header` or `body`."
    )
    reason: str = Field(description="Why it was rejected, in plain words.")
    type: str = Field(description="Machine-readable error kind, e.g. `greater_than_equal`.")


class Problem(BaseModel):
    """An RFC 9457 problem details object, served as `application/problem+json`."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "/problems/not-found",
                    "title": "Not Found",
                    "status": 404,
                    "detail": "No exercise has the slug 'deadlfit'.",
                    "instance": "/v1/exercises/deadlfit",
                    "request_id": "6f1c2a0e9b8d4c7fa1e2b3c4d5e6f708",
                }
            ]
        },
    )

    # Documentation only (bodies are built by problem_response): what is always present is
    # required; instance and request_id are absent from the refusals the HTTP layer writes
    # before the application runs (408, 431). No defaults: generators would make them required.
    type: str = Field(
        description="URI reference naming the problem type; `/problems/{name}` explains it."
    )
    title: str = Field(description="Short summary of the problem type.")
    status: int = Field(description="The HTTP status code of this response.")
    detail: str | None = Field(description="What went wrong with this request.")
    instance: str | None = Field(default=None, description="The request path.")
    request_id: str | None = Field(default=None, description="Quote it when reporting a problem.")
    errors: list[InvalidParam] | None = Field(
        default=None, description="Every rejected value, for validation problems."
    )


class AppError(Exception):
    """Base of the errors our code raises on purpose; each carries its HTTP status."""

    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal-error"

    def __init__(
        self,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
        extensions: Mapping[str, Any] | None = None,
        keeps_writes: bool = False,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = dict(headers or {})
        self.extensions = dict(extensions or {})
        # A refusal whose writes must outlive it (revoking a stolen token's family): the
        # request's session commits them instead of rolling back.
        self.keeps_writes = keeps_writes


class NotFoundError(AppError):
    status = 404
    slug = "not-found"


class UnauthorizedError(AppError):
    """Missing or invalid credentials. RFC 9110: a 401 always names a challenge."""

    status = 401
    slug = "unauthorized"

    def __init__(
        self, detail: str, *, error: str | None = None, keeps_writes: bool = False
    ) -> None:
        challenge = 'Bearer realm="spotter"'
        if error:
            challenge += f', error="{error}", error_description="{detail}"'
        super().__init__(detail, headers={"WWW-Authenticate": challenge}, keeps_writes=keeps_writes)


class ForbiddenError(AppError):
    """Valid credentials that do not allow this operation."""

    status = 403
    slug = "forbidden"


class ConflictError(AppError):
    status = 409
    slug = "conflict"


class NotAcceptableError(AppError):
    """No representation the operation has is one the request's ``Accept`` allows."""

    status = 406
    slug = "not-acceptable"


class PreconditionFailedError(AppError):
    status = 412
    slug = "precondition-failed"


class PreconditionRequiredError(AppError):
    status = 428
    slug = "precondition-required"


class InvalidInputError(AppError):
    """Input that passes the schema but breaks a rule only the service can check."""

    status = 422
    slug = "validation-error"

    def __init__(self, detail: str, *, errors: Sequence[InvalidParam] = ()) -> None:
        super().__init__(detail, extensions={"errors": [e.model_dump() for e in errors]})


class ContentTooLargeError(AppError):
    """The request body is larger than the configured cap."""

    status = 413
    slug = "content-too-large"


class QuotaAlternative(BaseModel):
    """Another way to what was refused: a larger quota, or fewer requests for the same data."""

    description: str = Field(description="What to do, in plain words.")
    href: str = Field(description="Where to start: the path of the operation (or the request).")
    policy: str | None = Field(
        default=None, description="The quota this way counts against, as in `RateLimit-Policy`."
    )
    limit: int | None = Field(default=None, description="That quota's requests per window.")
    window_s: int | None = Field(default=None, description="That quota's window in seconds.")


class RateLimitedProblem(Problem):
    """The problem body of a 429."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "/problems/rate-limited",
                    "title": "Too Many Requests",
                    "status": 429,
                    "detail": "The 'anonymous-kb' quota is used up. Retry in 1 s.",
                    "instance": "/v1/exercises",
                    "request_id": "6f1c2a0e9b8d4c7fa1e2b3c4d5e6f708",
                    "retry_after": 1,
                    "policy": "anonymous-kb",
                    "alternatives": [
                        {
                            "description": "Send an API key (X-API-Key) with the kb:read "
                            "scope: knowledge-base reads then count against the key's own "
                            "quota. …",
                            "href": "/v1/me/api-keys",
                            "policy": "api-key-kb",
                            "limit": 1200,
                            "window_s": 60,
                        },
                        {
                            "description": "Ask for 100 items a page (limit=100; the default "
                            "is 20): the whole catalog in a fifth of the requests.",
                            "href": "/v1/exercises?limit=100",
                        },
                    ],
                }
            ]
        },
    )

    retry_after: int = Field(description="Seconds to wait before retrying (as `Retry-After`).")
    policy: str = Field(description="The quota that refused, as named in `RateLimit-Policy`.")
    alternatives: list[QuotaAlternative] | None = Field(
        default=None,
        description="Ways around the quota: credentials with a larger one, bigger pages.",
    )


class TooManyRequestsError(AppError):
    """A rate-limit policy refused the request; `Retry-After` says when to come back, the
    body which quota refused and what would have a larger one (``RateLimitedProblem``)."""

    status = 429
    slug = "rate-limited"

    def __init__(
        self,
        detail: str,
        *,
        retry_after_s: int,
        policy: str,
        alternatives: Sequence[QuotaAlternative] = (),
    ) -> None:
        extensions: dict[str, Any] = {"retry_after": retry_after_s, "policy": policy}
        if alternatives:
            extensions["alternatives"] = [a.model_dump(exclude_none=True) for a in alternatives]
        super().__init__(detail, headers={"Retry-After": str(retry_after_s)}, extensions=extensions)


class ServiceUnavailableError(AppError):
    status = 503
    slug = "service-unavailable"


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_response(
    request: Request,
    status: int,
    detail: str | None,
    *,
    slug: str | None = None,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> JSONResponse:
    """Render one problem body; the only place error responses are built."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + slug if slug else "about:blank",
        "title": _title(status),
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "request_id": correlation_id.get(),
    }
    body.update(extensions or {})
    return JSONResponse(
        body, status_code=status, headers=dict(headers or {}), media_type=PROBLEM_MEDIA_TYPE
    )


def _location_and_name(loc: Sequence[str | int]) -> tuple[str, str]:
    if not loc:
        return "body", ""
    where, *rest = loc
    return str(where), ".".join(str(part) for part in rest)


_FIELD = re.compile(r"[a-z_][a-z0-9_]*")
# A rejected parameter is quoted back, up to this many characters (a header may be kilobytes).
_QUOTED_INPUT_MAX = 120


def invalid_params(errors: Sequence[Any]) -> list[InvalidParam]:
    """Turn pydantic's error list into named, located invalid parameters."""
    params = []
    for error in errors:
        # pydantic names the union member that failed ("PlateIn", "constrained-float"); clients
        # know fields, not our type names, so keep only the field path.
        raw = list(error.get("loc", ()))
        # A query, path or header parameter keeps the name the client sent (`If-None-Match`).
        named = raw[:2] if raw and raw[0] != "body" else raw[:1]
        loc = named + [p for p in raw[len(named) :] if isinstance(p, int) or _FIELD.fullmatch(p)]
        if error.get("type") == "json_invalid":
            # The number after "body" is a character offset in the JSON text, not a field.
            offset = loc[1] if len(loc) > 1 else None
            where = f" at character {offset}" if isinstance(offset, int) and offset >= 0 else ""
            message = (error.get("ctx") or {}).get("error", "invalid JSON")
            params.append(
                InvalidParam(
                    name="body",
                    location="body",
                    reason=f"not valid JSON{where}: {message}",
                    type="json_invalid",
                )
            )
            continue
        if loc and loc[0] != "body" and isinstance(loc[-1], int):
            # A repeated query parameter: name the parameter, and quote the bad value below.
            loc.pop()
        location, name = _location_and_name(loc)
        reason = str(error.get("msg", "invalid value"))
        if location != "body" and "input" in error and error["input"] is not None:
            quoted = repr(error["input"])
            if len(quoted) > _QUOTED_INPUT_MAX:
                quoted = quoted[:_QUOTED_INPUT_MAX] + "…"
            reason = f"{quoted}: {reason}"
        ctx = error.get("ctx") or {}
        if "expected" in ctx:
            reason = f"{reason} (allowed: {ctx['expected']})"
        params.append(
            InvalidParam(
                name=name or location,
                location=location,
                reason=reason,
                type=str(error.get("type", "invalid")),
            )
        )
    return params


def _describe(params: Sequence[InvalidParam]) -> str:
    shown = "; ".join(f"{p.location} '{p.name}': {p.reason}" for p in params[:3])
    more = f" (and {len(params) - 3} more)" if len(params) > 3 else ""
    return f"Invalid request: {shown}{more}."


async def _handle_app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)  # noqa: S101 - registered for AppError only
    return app_error_response(request, exc)


def app_error_response(request: Request, exc: AppError) -> JSONResponse:
    """The problem document an ``AppError`` is answered with, wherever it is raised."""
    return problem_response(
        request,
        exc.status,
        exc.detail,
        slug=exc.slug,
        headers=exc.headers,
        extensions=exc.extensions,
    )


async def _handle_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101
    params = invalid_params(exc.errors())
    return problem_response(
        request,
        422,
        _describe(params),
        slug="validation-error",
        extensions={"errors": [p.model_dump() for p in params]},
    )


def _methods_of_path(request: Request) -> list[str]:
    """Every method some route serves at the request's path.

    Starlette answers 405 from the first route whose path matched, so its `Allow` names only
    that route's methods; a path served by several routes (GET and POST as two functions)
    needs all of them, as RFC 9110 §15.5.6 asks.
    """
    path: str = request.scope["path"]
    methods: set[str] = set()
    for context in iter_route_contexts(request.app.routes):
        if context.path_regex.match(path):
            methods.update(context.methods or ())
    return sorted(methods)


async def _handle_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101
    detail = exc.detail if exc.detail != _title(exc.status_code) else None
    headers = dict(exc.headers or {})
    if exc.status_code == 404 and detail is None:
        detail = f"Nothing is served at {request.url.path}."
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(_methods_of_path(request)) or headers.get("Allow", "")
        if detail is None:
            detail = f"{request.method} is not allowed here; allowed: {headers['Allow']}."
    return problem_response(request, exc.status_code, detail, headers=headers)


class DatabaseFault(StrEnum):
    """Why a database call failed in a way a retry can fix; each becomes a 503."""

    # The server is unreachable, starting up or shutting down, or dropped the connection.
    UNAVAILABLE = "unavailable"
    # The statement or a lock wait ran out of time, on the server or on our side.
    TIMEOUT = "timeout"
    # Every connection of this worker's pool is in use: the service, not the database, is busy.
    BUSY = "busy"
    # The transaction lost a serialisation race or a deadlock; running it again succeeds.
    CONFLICT = "conflict"


_FAULT_DETAILS = {
    DatabaseFault.UNAVAILABLE: "The database is unreachable or restarting right now",
    DatabaseFault.TIMEOUT: "The database did not finish this request in time (a statement "
    "or lock timeout)",
    DatabaseFault.BUSY: "The server is busy: every database connection is in use",
    DatabaseFault.CONFLICT: "The request collided with a concurrent one",
}
_FAULT_RETRY_AFTER_S = {
    DatabaseFault.UNAVAILABLE: DATABASE_RETRY_AFTER_S,
    DatabaseFault.TIMEOUT: 2,
    DatabaseFault.BUSY: 1,
    DatabaseFault.CONFLICT: 1,
}

# SQLSTATE classes and codes, per PostgreSQL's appendix A, that say "try again later".
_SQLSTATE_FAULTS: tuple[tuple[str, DatabaseFault], ...] = (
    ("08", DatabaseFault.UNAVAILABLE),  # connection exception
    ("53", DatabaseFault.UNAVAILABLE),  # insufficient resources (too many connections, disk)
    ("57P", DatabaseFault.UNAVAILABLE),  # admin/crash shutdown, cannot connect now (57P03)
    ("57014", DatabaseFault.TIMEOUT),  # query_canceled: our statement_timeout
    ("55P03", DatabaseFault.TIMEOUT),  # lock_not_available: our lock_timeout
    ("40001", DatabaseFault.CONFLICT),  # serialization_failure
    ("40P01", DatabaseFault.CONFLICT),  # deadlock_detected
)


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a driver error, wrapped by SQLAlchemy or not."""
    for candidate in (exc, getattr(exc, "orig", None), exc.__cause__):
        code = getattr(candidate, "sqlstate", None)
        if isinstance(code, str):
            return code
    return None


def database_fault(exc: BaseException) -> DatabaseFault | None:
    """Classify a database failure that a retry can fix, or None for anything else."""
    if isinstance(exc, sa_exc.TimeoutError):  # the pool's wait for a free connection
        return DatabaseFault.BUSY
    code = sqlstate(exc)
    if code is not None:
        return next((fault for prefix, fault in _SQLSTATE_FAULTS if code.startswith(prefix)), None)
    if isinstance(exc, TimeoutError):  # asyncpg's command_timeout, asyncio.timeout
        return DatabaseFault.TIMEOUT
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return DatabaseFault.UNAVAILABLE
    if isinstance(exc, DATABASE_UNAVAILABLE_ERRORS):
        return DatabaseFault.UNAVAILABLE
    return None


def database_fault_response(
    request: Request, fault: DatabaseFault, *, stored: bool | None = False
) -> JSONResponse:
    """The 503 for a retryable database failure. ``stored`` says what became of a write:
    False (rolled back, retry freely) or None (the connection broke while committing)."""
    outcome = (
        "nothing was stored"
        if stored is False
        else "whether the write was stored is unknown: read it back, or retry with the "
        "same Idempotency-Key"
    )
    retry_after = _FAULT_RETRY_AFTER_S[fault]
    return problem_response(
        request,
        503,
        f"{_FAULT_DETAILS[fault]}; {outcome}. Retry in {retry_after} s.",
        slug="service-unavailable",
        headers={"Retry-After": str(retry_after)},
        extensions={"reason": fault.value},
    )


class CommitOutcomeUnknownError(Exception):
    """The connection failed while committing, so the client cannot be told what happened."""

    def __init__(self, fault: DatabaseFault) -> None:
        super().__init__(fault.value)
        self.fault = fault


async def _handle_commit_outcome_unknown(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CommitOutcomeUnknownError)  # noqa: S101 - registered for it only
    logger.warning("commit outcome unknown: %s", exc.fault.value, exc_info=exc)
    return database_fault_response(request, exc.fault, stored=None)


async def _handle_database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    # Losing the database is an outage of a dependency, not a bug: answer 503 so clients and
    # load balancers retry, and keep the driver's message out of the body.
    fault = database_fault(exc) or DatabaseFault.UNAVAILABLE
    logger.warning("database %s: %s", fault.value, type(exc).__name__, exc_info=exc)
    return database_fault_response(request, fault)


async def _handle_stale_write(request: Request, exc: Exception) -> JSONResponse:
    # A concurrent writer changed the row between our If-Match check and our UPDATE.
    logger.info("stale write: %s", type(exc).__name__)
    return problem_response(
        request,
        412,
        "The resource changed while this request was being processed; reload, then retry.",
        slug="precondition-failed",
    )


# PostgreSQL text cannot hold NUL, and UTF-8 cannot encode an unpaired surrogate; both are
# legal in JSON strings and URLs, so a client can send them, and only the driver notices.
_UNSTORABLE_TEXT = (
    "invalid byte sequence",
    "unsupported unicode escape",
    "surrogates not allowed",
    "null character",
)


def _unstorable_text(exc: BaseException) -> bool:
    text = f"{exc} {getattr(exc, 'orig', '')}".lower()
    return isinstance(exc, UnicodeError) or any(marker in text for marker in _UNSTORABLE_TEXT)


async def _handle_driver_error(request: Request, exc: Exception) -> JSONResponse:
    """Driver errors that are the client's input or a lost connection, not our bug."""
    if _unstorable_text(exc):
        return problem_response(
            request,
            422,
            "The request contains text that cannot be stored: a NUL character or an unpaired "
            "UTF-16 surrogate. Remove it and retry.",
            slug="validation-error",
        )
    if database_fault(exc) is not None:
        return await _handle_database_unavailable(request, exc)
    raise exc


async def _handle_integrity_error(request: Request, exc: Exception) -> JSONResponse:
    # Services check the rules they know; a constraint that still fires (a race between two
    # writers, most often) means the request conflicts with stored data, not that we broke.
    logger.info("integrity error: %s", type(exc).__name__)
    return problem_response(
        request,
        409,
        "The request conflicts with data stored meanwhile; reload and try again.",
        slug="conflict",
    )


# Errors that mean "the database went away or is too slow", not "the query is wrong".
DATABASE_UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
    ConnectionError,
    asyncio.TimeoutError,
    OSError,
    # The rate limiter's Redis, when one is configured: unreachable or too slow is an outage
    # of a dependency like the database's.
    redis_exceptions.ConnectionError,
    redis_exceptions.TimeoutError,
)


def register_error_handlers(app: FastAPI) -> None:
    """Route every error class to the problem renderer."""
    app.add_exception_handler(AppError, _handle_app_error)
    app.add_exception_handler(RequestValidationError, _handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, _handle_http_error)
    app.add_exception_handler(sa_exc.IntegrityError, _handle_integrity_error)
    app.add_exception_handler(StaleDataError, _handle_stale_write)
    app.add_exception_handler(CommitOutcomeUnknownError, _handle_commit_outcome_unknown)
    # Starlette picks the most specific handler, so the database-unavailable and integrity
    # handlers above still win for their subclasses of DBAPIError.
    app.add_exception_handler(sa_exc.DBAPIError, _handle_driver_error)
    app.add_exception_handler(sa_exc.StatementError, _handle_driver_error)
    app.add_exception_handler(UnicodeError, _handle_driver_error)
    for error in DATABASE_UNAVAILABLE_ERRORS:
        app.add_exception_handler(error, _handle_database_unavailable)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries documenting the given statuses as problem bodies."""
    descriptions = {
        400: "The request body could not be read (it is not UTF-8 text).",
        401: "Missing or invalid credentials.",
        403: "The credentials do not allow this.",
        404: "No such resource.",
        406: "None of the media types `Accept` allows is one this operation answers in.",
        409: "The request conflicts with the current state.",
        412: "The resource changed since the given ETag.",
        413: "The request body is too large.",
        422: "A value in the request is invalid; `errors` names each one.",
        428: "This request must be conditional (send If-Match).",
        429: "Too many requests; see Retry-After.",
        503: "The database is unreachable, restarting or too slow, or every connection is in "
        "use; `reason` says which and the detail whether a write was stored. Retry after "
        "Retry-After seconds.",
    }
    return {
        status: {
            "description": descriptions.get(status, _title(status)),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
