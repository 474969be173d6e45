"""The application factory."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute

from app import __version__, api, health
from app.config import Settings, get_settings
from app.db.embedded import resolve_database_url
from app.db.engine import build_engine, build_sessionmaker
from app.errors import Problem, problem_responses, register_error_handlers
from app.knowledge.http import NotModifiedError, not_modified_handler
from app.observability import REQUEST_ID_HEADER, RequestLogMiddleware

DESCRIPTION = """
Spotter serves a curated strength-training knowledge base (exercises, anatomy, tips and
strategies) and a progression recommender that tells a lifter what to do next session, and why.

Errors are always [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) `application/problem+json`
bodies. Every response carries an `X-Request-ID` header; quote it when reporting a problem.
"""

TAGS = [
    {"name": "exercises", "description": "The exercise catalog: filters, details, alternatives."},
    {"name": "anatomy", "description": "Muscles and the joint actions they perform."},
    {"name": "guidance", "description": "Tips, benefits, strategies by level, and routines."},
    {"name": "search", "description": "One search box over the whole knowledge base."},
    {"name": "recommendations", "description": "What to do next session, and why."},
    {"name": "accounts", "description": "Registration, sign-in and tokens."},
    {"name": "api keys", "description": "Keys that third-party apps use to act for a lifter."},
    {"name": "meta", "description": "About the API itself."},
    {"name": "operations", "description": "Probes for orchestrators and load balancers."},
]


def operation_id(route: APIRoute) -> str:
    """Operation ids are the route functions' verb-object names (`list_exercises`), which read
    well as method names in generated clients."""
    return route.name


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    engine = build_engine(resolve_database_url(settings), settings)
    app.state.engine = engine
    app.state.sessionmaker = build_sessionmaker(engine)
    # Everything built so far lives as long as the process: move it out of the collector's
    # way, so collections triggered by request garbage do not rescan it (it shows in p95).
    gc.freeze()
    try:
        yield
    finally:
        await engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the ASGI application; the lifespan owns the database engine."""
    settings = settings or get_settings()
    app = FastAPI(
        title="Spotter API",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        # One schema per model (not Model-Input / Model-Output): generated clients get one type,
        # and the recommender's echoed `state` has the same shape both ways.
        separate_input_output_schemas=False,
    )
    app.state.settings = settings

    register_error_handlers(app)
    app.add_exception_handler(NotModifiedError, not_modified_handler)
    app.include_router(health.router)
    app.include_router(api.router)

    # Added innermost first: CORS sees requests after the request id is assigned.
    app.add_middleware(RequestLogMiddleware)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
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
            expose_headers=[REQUEST_ID_HEADER, "ETag", "Link", "Retry-After"],
        )
    app.add_middleware(CorrelationIdMiddleware, header_name=REQUEST_ID_HEADER)

    _register_problem_schema(app)
    return app


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


def _register_problem_schema(app: FastAPI) -> None:
    """Add the Problem schema that every operation's error responses reference.

    Error responses are documented as `application/problem+json` only, so FastAPI's
    model-based registration (which would also claim `application/json`) is not used.
    """
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = original()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(problem.pop("$defs", {}))
            components["Problem"] = problem
            _document_validation_problems(schema)
            components.pop("HTTPValidationError", None)
            components.pop("ValidationError", None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
