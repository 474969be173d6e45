"""Liveness and readiness probes for orchestrators and load balancers."""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.errors import DATABASE_UNAVAILABLE_ERRORS, ServiceUnavailableError, problem_responses

logger = logging.getLogger(__name__)

router = APIRouter(tags=["operations"])


class Liveness(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready"] = "ready"
    database: Literal["ok"] = "ok"


@router.get(
    "/healthz",
    summary="Liveness probe",
    response_model=Liveness,
    responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}},
)
async def get_liveness() -> Liveness:
    """Answers as long as the process can serve HTTP. It never touches the database, so a
    database outage does not make an orchestrator restart healthy API processes."""
    return Liveness()


@router.get(
    "/readyz",
    summary="Readiness probe",
    response_model=Readiness,
    responses={
        200: {"content": {"application/json": {"example": {"status": "ready", "database": "ok"}}}},
        **problem_responses(503),
    },
)
async def get_readiness(request: Request) -> Readiness | JSONResponse:
    """Ready when the database answers a trivial query. Answers 503 `application/problem+json`
    within a second when it does not, and recovers by itself when the database returns."""
    engine: AsyncEngine = request.app.state.engine
    timeout = request.app.state.settings.readiness_timeout_s
    try:
        async with asyncio.timeout(timeout):
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    except DATABASE_UNAVAILABLE_ERRORS as exc:
        logger.warning("readiness check failed: %s", type(exc).__name__)
        detail = (
            f"The database did not answer within {timeout:g} s."
            if isinstance(exc, TimeoutError)
            else "The database refused or dropped the connection."
        )
        raise ServiceUnavailableError(detail, headers={"Retry-After": "5"}) from exc
    return Readiness()
