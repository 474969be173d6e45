"""Liveness and readiness probes for orchestrators and load balancers."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.errors import DATABASE_UNAVAILABLE_ERRORS, ServiceUnavailableError, problem_responses

logger = logging.getLogger(__name__)

router = APIRouter(tags=["operations"])


class Liveness(BaseModel):
    """The process is up and serving requests."""

    status: Literal["ok"] = Field(default="ok", description="Always `ok`.")


class Readiness(BaseModel):
    """The service can handle traffic: its database answers."""

    status: Literal["ready"] = Field(
        default="ready",
        description="Always `ready`; a service that is not ready answers 503 instead.",
    )
    database: Literal["ok"] = Field(default="ok", description="Always `ok`: the database answered.")


@router.get(
    "/healthz",
    summary="Liveness probe",
    response_description="The process is serving HTTP; the database was not consulted.",
    response_model=Liveness,
)
async def get_liveness() -> Liveness:
    """Answers as long as the process can serve HTTP. It never touches the database, so a
    database outage does not make an orchestrator restart healthy API processes."""
    return Liveness()


# What a failed probe can raise: the database away or slow, or any driver-level refusal.
PROBE_FAILURES: tuple[type[Exception], ...] = (*DATABASE_UNAVAILABLE_ERRORS, DBAPIError)


class DatabaseProbe:
    """The readiness check's view of the database, refreshed at most once per ``ttl_s``.

    A flood of probes costs one query a second, not one each; and the query runs in a task of
    its own, so a request waits at most ``timeout_s`` for it even when the database hangs and
    the connection's clean-up takes longer still.
    """

    def __init__(self, engine: AsyncEngine, *, timeout_s: float, ttl_s: float) -> None:
        self._engine = engine
        self._timeout_s = timeout_s
        self._ttl_s = ttl_s
        self._checked_at = -math.inf
        self._failure: str | None = None
        self._running: asyncio.Task[None] | None = None
        # How many queries the probe has sent: tests check that a flood shares them.
        self.queries = 0

    async def check(self) -> str | None:
        """None when the database answered recently, else why not."""
        fresh = time.monotonic() - self._checked_at < self._ttl_s
        if self._running is None and not fresh:
            self._running = asyncio.create_task(self._probe(), name="readiness-probe")
        if self._running is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._running), self._timeout_s)
            except TimeoutError:
                return f"The database did not answer within {self._timeout_s:g} s."
        return self._failure

    async def _select_one(self) -> None:
        async with self._engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def _probe(self) -> None:
        self.queries += 1
        try:
            try:
                await self._select_one()
            except DBAPIError as exc:
                # The pool does not pre-ping: a pooled connection that died with an earlier
                # server fails here once, and the pool discards it. Ask again on a fresh one,
                # so readiness reports the database as it is now.
                if not exc.connection_invalidated:
                    raise
                await self._select_one()
            self._failure = None
        except PROBE_FAILURES as exc:
            logger.warning("readiness check failed: %s", type(exc).__name__)
            self._failure = (
                "The database did not answer in time."
                if isinstance(exc, TimeoutError)
                else "The database refused or dropped the connection."
            )
        finally:
            self._checked_at = time.monotonic()
            self._running = None


@router.get(
    "/readyz",
    summary="Readiness probe",
    response_description="The database answered a trivial query within the last second: the "
    "process can take traffic.",
    response_model=Readiness,
    responses=problem_responses(503),
)
async def get_readiness(request: Request) -> Readiness | JSONResponse:
    """Ready when the database answered a trivial query within the last second. Answers 503
    `application/problem+json` within a second when it does not, and recovers by itself when
    the database returns. Many probes at once share one query."""
    probe: DatabaseProbe = request.app.state.database_probe
    failure = await probe.check()
    if failure is not None:
        raise ServiceUnavailableError(failure, headers={"Retry-After": "5"})
    return Readiness()
