"""The application factory."""

from __future__ import annotations

import asyncio
import gc
import logging
import random
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from functools import cache
from typing import Any

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.security.base import SecurityBase
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel

from app import __version__, api, health
from app.auth.passwords import Passwords
from app.bodies import DOCUMENTED_BODIES
from app.compression import CompressionMiddleware
from app.config import Settings, get_settings
from app.db.embedded import resolve_database_url
from app.db.engine import build_engine, build_sessionmaker
from app.errors import (
    PROBLEM_MEDIA_TYPE,
    Problem,
    RateLimitedProblem,
    problem_responses,
    register_error_handlers,
)
from app.hardening import (
    DOCS_ASSETS_PATH,
    BodySizeLimitMiddleware,
    ProblemCORSMiddleware,
    RequestBodyTimeout,
    RequestBodyTooLarge,
    SecurityHeadersMiddleware,
    body_timeout_handler,
    body_too_large_handler,
)
from app.knowledge.fast_path import StoredCatalogReads
from app.knowledge.http import NotModifiedError, not_modified_handler
from app.knowledge.representations import (
    CachedRepresentationError,
    RepresentationCache,
    cached_representation_handler,
)
from app.knowledge.watcher import RevisionWatcher
from app.mcp.endpoint import mount_mcp
from app.metrics import (
    METRICS_PATH,
    HttpMetrics,
    forget_this_process,
    instrument_pool,
    metrics_endpoint,
)
from app.oauth import router as oauth_router
from app.observability import REQUEST_ID_HEADER, RequestLogMiddleware
from app.openapi_examples import attach_examples
from app.openapi_headers import (
    RATE_LIMIT_HEADERS,
    RETRY_AFTER_HEADER,
    document_response_headers,
    header_refs,
)
from app.openapi_io import separate_input_output
from app.openapi_route import serve_cacheable_openapi
from app.problems import router as problems
from app.ratelimit.dependency import (
    Policies,
    SignInAttempts,
    describe_quotas,
    enforce_rate_limit,
    is_knowledge_base_read,
    limit_key_creation,
)
from app.ratelimit.redis_store import RedisRateLimiter, build_redis
from app.ratelimit.service import Limiter, RateLimiter, build_limiter_engine
from app.tracing import telemetry_config

logger = logging.getLogger(__name__)

DESCRIPTION = """
Spotter serves a curated strength-training knowledge base (exercises, anatomy, tips and
strategies) and a progression recommender that tells a lifter what to do next session, and why.

Errors are always [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) `application/problem+json`
bodies; each `type` (`/problems/not-found`, ...) is a page explaining the problem and what to do
([all of them](/problems)). Every response carries an `X-Request-ID` header; quote it when
reporting a problem.

Third-party apps register under `/v1/apps` and reach a lifter's data through OAuth 2.1
(authorization code with PKCE S256, consent page at `/oauth/authorize`, refresh tokens that
rotate on every use); catalog-only apps use client credentials. The authorization server's
endpoints are listed at `/.well-known/oauth-authorization-server` (RFC 8414); their errors are
the OAuth JSON shape (`{"error": ..., "error_description": ...}`), the only exception to
problem+json.
"""

TAGS = [
    {"name": "exercises", "description": "The exercise catalog: filters, details, alternatives."},
    {"name": "anatomy", "description": "Muscles and the joint actions they perform."},
    {"name": "guidance", "description": "Tips, benefits, strategies by level, and routines."},
    {"name": "sources", "description": "The works the content and the recommender's reasons cite."},
    {"name": "search", "description": "One search box over the whole knowledge base."},
    {
        "name": "exports",
        "description": "The whole knowledge base in one download, for apps that cache it or "
        "ship it offline.",
    },
    {"name": "recommendations", "description": "What to do next session, and why."},
    {"name": "accounts", "description": "Registration, sign-in and tokens."},
    {"name": "api-keys", "description": "Keys that third-party apps use to act for a lifter."},
    {
        "name": "apps",
        "description": "Registered third-party apps (OAuth 2.1 clients), and the grants a "
        "lifter gave them.",
    },
    {
        "name": "training-logs",
        "description": "A lifter's training profile and logged sessions: the history the "
        "recommender reads. Changes need `If-Match`; creates accept `Idempotency-Key`.",
    },
    {
        "name": "administration",
        "description": "Editing the knowledge base (administrators only); every change bumps "
        "the content revision, so cached catalog answers revalidate.",
    },
    {"name": "meta", "description": "About the API itself."},
    {"name": "operations", "description": "Probes for orchestrators and load balancers."},
]


# The service and its content are not open source (pyproject's licence); integrators may call
# the API under the terms of their access.
LICENSE = {"name": "Proprietary"}


def _servers(settings: Settings) -> list[dict[str, str]]:
    """The configured public address first (what generated clients default to), then the
    host that served the document, so Swagger UI's "Try it out" works wherever it runs."""
    here = {"url": "/", "description": "The server that served this document."}
    if settings.public_url is None:
        return [here]
    public = {"url": str(settings.public_url).rstrip("/"), "description": "This deployment."}
    return [public, here]


def operation_id(route: APIRoute) -> str:
    """Operation ids are the route functions' verb-object names (`list_exercises`), which read
    well as method names in generated clients."""
    return route.name


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    url = resolve_database_url(settings)
    # No pre-ping: it was a round trip on every checkout to guard against a rare event. A
    # connection that died with the server fails its first statement instead, which answers
    # 503 "unavailable" (nothing stored) and makes SQLAlchemy discard every connection opened
    # before the failure, so one request per worker pays for a restart (tests/faults/).
    engine = build_engine(url, settings, pre_ping=False)
    app.state.engine = engine
    if settings.metrics_enabled:
        instrument_pool(engine, "app")
    app.state.sessionmaker = build_sessionmaker(engine)
    app.state.database_probe = health.DatabaseProbe(
        engine, timeout_s=settings.readiness_timeout_s, ttl_s=settings.readiness_cache_s
    )
    watcher = RevisionWatcher(
        url,
        recheck_s=settings.content_revision_recheck_s,
        connect_timeout_s=settings.db_connect_timeout_s,
    )
    await watcher.start()
    app.state.revision_watcher = watcher
    app.state.session_observer = watcher
    # Counters in Redis when it is configured (off the database on every request), else in
    # PostgreSQL; both stores make the same decisions (app/ratelimit/).
    limiter_engine = None
    redis_limiter = None
    limiter: Limiter
    if settings.redis_url:
        limiter = redis_limiter = RedisRateLimiter(
            build_redis(settings.redis_url, settings), prefix=settings.redis_key_prefix
        )
    else:
        limiter_engine = build_limiter_engine(url, settings)
        limiter = RateLimiter(limiter_engine)
        if settings.metrics_enabled:
            instrument_pool(limiter_engine, "ratelimit")
    app.state.rate_limiter = limiter
    cleanup = None
    if settings.rate_limit_enabled and limiter_engine is not None:
        cleanup = asyncio.create_task(
            _clean_rate_limits(limiter, settings.rate_limit_cleanup_interval_s),
            name="rate-limit-cleanup",
        )
    # Everything built so far lives as long as the process: move it out of the collector's
    # way, so collections triggered by request garbage do not rescan it (it shows in p95).
    gc.freeze()
    try:
        # The MCP endpoint's transport lives as long as the application (app/mcp/endpoint.py).
        async with app.state.mcp.running():
            yield
    finally:
        if cleanup is not None:
            cleanup.cancel()
            await asyncio.gather(cleanup, return_exceptions=True)
        await watcher.stop()
        if limiter_engine is not None:
            await limiter_engine.dispose()
        if redis_limiter is not None:
            await redis_limiter.close()
        await engine.dispose()
        forget_this_process()


async def _clean_rate_limits(limiter: Limiter, every_s: float) -> None:
    """Each worker deletes drained counters now and then; the jitter keeps workers that
    started together from all deleting at the same moment."""
    while True:
        await asyncio.sleep(every_s * random.uniform(0.5, 1.5))  # noqa: S311 - not security
        try:
            deleted = await limiter.cleanup()
        except Exception:  # the database may be away; the next round will catch up
            logger.warning("rate-limit clean-up failed", exc_info=True)
        else:
            logger.debug("rate-limit clean-up removed %d rows", deleted)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the ASGI application; the lifespan owns the database engine."""
    settings = settings or get_settings()
    # FastAPIOffline is FastAPI with /docs and /redoc pointed at Swagger UI and ReDoc files
    # shipped in its wheel (served under DOCS_ASSETS_PATH): the docs render offline and behind
    # proxies that block public CDNs, and the page's CSP can stay 'self'-only.
    app = FastAPIOffline(
        static_url=DOCS_ASSETS_PATH,
        title="Spotter API",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        servers=_servers(settings),
        contact={"name": "Spotter API support", "email": settings.contact_email},
        license_info=LICENSE,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        # One schema per model here; app/openapi_io.py then derives the input and output forms
        # where they differ, with names that read well (not Model-Input / Model-Output).
        separate_input_output_schemas=False,
        telemetry=telemetry_config(settings),
    )
    app.state.settings = settings
    app.state.representations = (
        RepresentationCache(settings.representation_cache_bytes)
        if settings.representation_cache_bytes
        else None
    )
    app.state.rate_limit_policies = Policies.from_settings(settings)
    app.state.passwords = Passwords(settings.password_hashing_concurrency)

    register_error_handlers(app)
    app.add_exception_handler(NotModifiedError, not_modified_handler)
    app.add_exception_handler(CachedRepresentationError, cached_representation_handler)
    app.add_exception_handler(RequestBodyTooLarge, body_too_large_handler)
    app.add_exception_handler(RequestBodyTimeout, body_timeout_handler)
    app.include_router(health.router)
    app.include_router(problems.router)
    app.include_router(api.router)
    app.include_router(oauth_router.router)
    app.include_router(oauth_router.metadata_router)
    app.add_api_route("/", _to_the_docs, include_in_schema=False)
    app.state.mcp = mount_mcp(app)
    if settings.metrics_enabled:
        # Outside the schema: a Prometheus text endpoint for operators, not part of the API
        # clients are generated from (README, "Metrics and tracing"). Outside /v1, so never
        # rate-limited.
        app.add_route(METRICS_PATH, metrics_endpoint, include_in_schema=False)

    # Added innermost first. From the outside in: the request id is assigned; security and
    # rate-limit headers are added to everything below, the request log's 500s included;
    # the log sees every request, refused bodies too, and times the encoding with the rest;
    # bodies are encoded (gzip, br) for whatever is below, stored catalog answers included;
    # then the body cap, CORS and the stored catalog answers.
    # Innermost: stored catalog answers for callers without credentials, before routing.
    app.add_middleware(StoredCatalogReads)
    if settings.cors_origins:
        app.add_middleware(
            ProblemCORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-Match",
                "If-None-Match",
                "Idempotency-Key",
                "X-API-Key",
            ],
            expose_headers=[
                REQUEST_ID_HEADER,
                "ETag",
                "Link",
                "Retry-After",
                "RateLimit",
                "RateLimit-Policy",
            ],
        )
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        timeout_s=settings.http_body_timeout_s,
    )
    app.add_middleware(CompressionMiddleware, cache_bytes=settings.encoded_cache_bytes)
    app.add_middleware(
        RequestLogMiddleware,
        metrics=HttpMetrics(app.routes) if settings.metrics_enabled else None,
    )
    app.add_middleware(SecurityHeadersMiddleware)
    # Nothing reads the id from the request's headers (the logs take it from the context
    # variable), so they are not rewritten to carry a generated one.
    app.add_middleware(
        CorrelationIdMiddleware, header_name=REQUEST_ID_HEADER, update_request_header=False
    )

    _register_problem_schema(app)
    serve_cacheable_openapi(app)
    return app


async def _to_the_docs() -> RedirectResponse:
    """Someone opening the server's address in a browser lands on the documentation."""
    return RedirectResponse("/docs")


def __dir__() -> list[str]:
    # FastAPI's CLI (`fastapi dev app/main.py`) looks for `app` among the module's names.
    return [*globals(), "app"]


def __getattr__(name: str) -> FastAPI:
    """``app.main:app`` for ``uvicorn app.main:app`` and FastAPI's CLI conventions.

    Built by the factory on first access rather than at import: the factory reads the
    settings, and in development that writes the secret key file, which importing this
    module (as every test does, for ``create_app``) must not do. Later accesses get the same
    application. ``spotter serve`` does not use it; it calls the factory in each worker.
    """
    if name != "app":
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    return _module_app()


@cache
def _module_app() -> FastAPI:
    return create_app()


def _document_validation_problems(schema: dict[str, Any]) -> None:
    """FastAPI documents 422 with its own error schema; ours are problem bodies. Operations
    that take a body can also answer 400 when its bytes are not text at all."""
    [validation] = problem_responses(422).values()
    unreadable = problem_responses(400)[400]
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.get("responses", {})
            if "422" in responses:
                responses["422"] = {
                    "description": validation["description"],
                    "content": validation["content"],
                }
            if "requestBody" in operation:
                responses.setdefault("400", unreadable)


def _document_abuse_limits(app: FastAPI, schema: dict[str, Any]) -> None:
    """Every /v1 operation can be refused by a quota (429), and any request by the body cap
    (413) or, before the application sees it, by the server's header bounds (431 too large,
    408 too slow; app/http_protocol.py): document them on each operation rather than
    trusting every router to. The 429 names the quotas the operation counts against, with
    this application's figures."""
    policies: Policies = app.state.rate_limit_policies
    extra = _extra_quotas(app)
    statuses = problem_responses(408, 413, 429, 431)
    statuses[429]["content"] = {
        PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/RateLimitedProblem"}}
    }
    statuses[408]["description"] = (
        "The request headers (SPOTTER_HTTP_HEADER_TIMEOUT_S) or its body "
        "(SPOTTER_HTTP_BODY_TIMEOUT_S) did not arrive in time; the connection is closed."
    )
    statuses[431]["description"] = (
        "The request line and headers are too large (SPOTTER_HTTP_MAX_HEADER_BYTES); "
        "the connection is closed."
    )
    rate_limit_headers = {
        "Retry-After": RETRY_AFTER_HEADER,
        **header_refs(RATE_LIMIT_HEADERS),
    }
    for path, path_item in schema.get("paths", {}).items():
        if not path.startswith("/v1"):
            continue
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for status, documented in statuses.items():
                entry = responses.setdefault(str(status), dict(documented))
                if status == 429:
                    entry["headers"] = rate_limit_headers
                    entry["content"] = documented["content"]
                    calls = extra.get((path, method.upper()), set())
                    entry["description"] = describe_quotas(
                        policies,
                        knowledge_base=is_knowledge_base_read(method, operation.get("tags", [])),
                        sign_in=SignInAttempts in calls,
                        key_creation=limit_key_creation in calls,
                    )


def _extra_quotas(app: FastAPI) -> dict[tuple[str, str], set[object]]:
    """Per (path, method), what its dependencies call: where sign-in and key-creation quotas
    apply."""
    found: dict[tuple[str, str], set[object]] = {}
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            calls = set(_calls(context.dependant))
            for method in context.methods or ():
                found[str(context.path_format), method] = calls
    return found


def _calls(dependant: Dependant) -> Iterator[object]:
    """Every callable the dependency tree runs, except below the rate limiter (which reads the
    credentials only to choose a quota)."""
    pending = [dependant]
    while pending:
        current = pending.pop()
        if current.call is enforce_rate_limit:
            continue
        yield current.call  # a security scheme is an instance, not a function
        pending.extend(current.dependencies)


REFUSED_OPTIONAL_CREDENTIALS = {
    **problem_responses(401)[401],
    "description": "Credentials were sent but are invalid (expired, revoked or malformed). "
    "The operation needs none: fix them or leave them out.",
}


def _needs_credentials(dependant: Dependant) -> bool:
    """Whether anything but the rate limiter reads the credentials of this operation."""
    return any(isinstance(call, SecurityBase) for call in _calls(dependant))


# Public operations declare no security (generated clients then build them without
# credentials, and Swagger UI draws no padlock); what a credential changes there is the quota.
QUOTA_NOTE = (
    "\n\nNo credentials needed. Anonymous calls share the caller's address quota; with an "
    "API key (`X-API-Key`) or a bearer token the caller gets its own, larger one "
    "(see `RateLimit-Policy`)."
)


def _document_public_operations(app: FastAPI, schema: dict[str, Any]) -> None:
    """Drop `security` from operations where only the rate limiter reads the credentials.

    The limiter depends on both schemes, so FastAPI declares them on every /v1 operation. On
    a public operation a credential only changes the quota: it is described in words, and the
    401 a bad credential still earns (it is refused, never treated as none) is documented.
    """
    paths = schema.get("paths", {})
    for context in iter_route_contexts(app.routes):
        if not isinstance(context.original_route, APIRoute):
            continue
        if _needs_credentials(context.dependant):
            continue
        for method in context.methods or ():
            operation = paths.get(context.path_format, {}).get(method.lower())
            if operation and operation.pop("security", None):
                operation["description"] = operation.get("description", "") + QUOTA_NOTE
                operation["responses"].setdefault("401", dict(REFUSED_OPTIONAL_CREDENTIALS))


def _document_required_if_match(schema: dict[str, Any]) -> None:
    """Document `If-Match` as required where leaving it out is a 428.

    The header is declared optional in the code on purpose: missing, it must be a 428 that
    says what to send, not the 422 of a missing parameter. The one operation that documents
    both 428 and 201 is an upsert (the profile), whose first PUT creates without `If-Match`;
    there it stays optional.
    """
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.get("responses", {})
            if "428" not in responses or "201" in responses:
                continue
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "header" and parameter["name"] == "If-Match":
                    parameter["required"] = True
                    # Required means present: the `null` branch only said "may be omitted".
                    options = parameter["schema"].get("anyOf", [])
                    strings = [o for o in options if o.get("type") != "null"]
                    if len(strings) == 1:
                        parameter["schema"] = {**strings[0], **_annotations(parameter["schema"])}


def _annotations(schema: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in schema.items() if k in ("title", "description")}


def _register_problem_schema(app: FastAPI) -> None:
    """Add the Problem schemas that the operations' error responses reference.

    Error responses are documented as `application/problem+json` only, so FastAPI's
    model-based registration (which would also claim `application/json`) is not used.
    """
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = original()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            # Problem is every error's body, RateLimitedProblem the 429's (with the refusing
            # policy and the ways around it).
            models: list[type[BaseModel]] = [Problem, RateLimitedProblem, *DOCUMENTED_BODIES]
            for model in models:
                body = model.model_json_schema(ref_template="#/components/schemas/{model}")
                # The input form wins for shared types (the echoed engine state): it is the
                # one that carries the bounds a client must respect.
                components.update(body.pop("$defs", {}))
                components[model.__name__] = body
            _document_validation_problems(schema)
            _document_abuse_limits(app, schema)
            _document_public_operations(app, schema)
            _document_required_if_match(schema)
            attach_examples(schema)
            document_response_headers(schema)
            separate_input_output(schema)
            components.pop("HTTPValidationError", None)
            components.pop("ValidationError", None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
