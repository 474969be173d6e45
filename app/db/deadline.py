"""One deadline for all the database work of one request.

Each step of a request has its own client-side timeout (the pool wait, the connect timeout,
asyncpg's ``command_timeout``), but a request that meets a frozen database can pay several in
a row: a pre-ping that never answers, a reconnection, then the statement itself. Measured on a
SIGSTOPped server, that stacked to 9 s against a documented bound of 5 s. The deadline is set
when a request first needs the database and every later step (the rate limiter's statements,
the request's session and its commit) runs under ``asyncio.timeout_at`` of the same moment,
so the bound holds however the time is spent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from starlette.requests import Request

from app.config import Settings
from app.db.engine import COMMAND_TIMEOUT_MARGIN_S

DEADLINE_STATE_KEY = "database_deadline"


def request_bound_s(settings: Settings) -> float:
    """The longest a request may spend on the database (README, "Faults, timeouts and
    capacity"): one statement's timeout, the client-side margin, and one reconnection."""
    return (
        settings.db_statement_timeout_ms / 1000
        + COMMAND_TIMEOUT_MARGIN_S
        + settings.db_connect_timeout_s
    )


# SQLAlchemy's asyncpg adapter closes an invalidated connection politely first, for up to 2 s,
# before it drops the socket; the rate limiter's pool does that when a deadline cancels its
# statement. The deadline fires that much before the bound, so the bound holds with it.
POLITE_CLOSE_S = 2.0


def request_budget_s(settings: Settings) -> float:
    """When the deadline fires: early enough for one polite close within the bound, and
    never before a statement could have met its own timeout."""
    statement_s = settings.db_statement_timeout_ms / 1000 + COMMAND_TIMEOUT_MARGIN_S
    return max(request_bound_s(settings) - POLITE_CLOSE_S, statement_s)


def request_deadline(request: Request) -> float:
    """The event-loop time by which this request's database work must end, fixed on first use."""
    state = request.scope.setdefault("state", {})
    deadline = state.get(DEADLINE_STATE_KEY)
    if not isinstance(deadline, float):
        settings: Settings = request.app.state.settings
        deadline = asyncio.get_running_loop().time() + request_budget_s(settings)
        state[DEADLINE_STATE_KEY] = deadline
    return deadline


# The running request's deadline state and the timeout its session runs under (get_session).
_RUNNING: ContextVar[tuple[dict[str, Any], asyncio.Timeout] | None] = ContextVar(
    "database_deadline", default=None
)


def runs_under(request: Request, limit: asyncio.Timeout) -> None:
    """Called by the request's session with the timeout it runs the route under."""
    _RUNNING.set((request.scope.setdefault("state", {}), limit))


@contextmanager
def not_counted() -> Iterator[None]:
    """Time spent inside does not count against the running request's deadline.

    For waits that hold no connection and run no statement: a sign-in queued for a hashing
    turn behind 30 others waited longer than the deadline on a busy machine and was answered
    503 though the database never was slow. The deadline moves on by the time spent here.
    """
    running = _RUNNING.get()
    if running is None or running[1].expired():
        yield
        return
    state, limit = running
    loop = asyncio.get_running_loop()
    began = loop.time()
    limit.reschedule(None)
    try:
        yield
    finally:
        deadline = float(state.get(DEADLINE_STATE_KEY, began)) + (loop.time() - began)
        state[DEADLINE_STATE_KEY] = deadline
        limit.reschedule(deadline)
