"""One session per request; the request, not the service, owns the transaction."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Annotated, Any, Protocol

from fastapi import Depends, Request
from sqlalchemy import CursorResult, Executable, text
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.deadline import request_deadline, runs_under
from app.errors import AppError, CommitOutcomeUnknownError, DatabaseFault, database_fault, sqlstate


class SessionObserver(Protocol):
    """Told of each request session when it opens and after it commits; the content
    revision watcher (``app.knowledge.watcher``) is one."""

    def prime(self, session: AsyncSession) -> None: ...

    def after_commit(self, session: AsyncSession) -> None: ...


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Open a session for the request, commit when the route returns, roll back if it raises.

    Declared with ``scope="function"`` (below) so the commit happens before the response is
    sent: a client never sees a success for a write that then fails to commit. The route and
    the commit run under the request's database deadline (``app.db.deadline``).
    """
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    observer: SessionObserver | None = getattr(request.app.state, "session_observer", None)
    async with sessionmaker() as session:
        if observer is not None:
            observer.prime(session)
        limit = asyncio.timeout_at(request_deadline(request))
        committing = False
        try:
            async with limit:
                runs_under(request, limit)
                try:
                    yield session
                except BaseException as exc:
                    # Past the deadline the connection may be stuck mid-statement on a server
                    # that no longer answers: a rollback would wait for it all over again.
                    if not limit.expired():
                        await settle_after_error(session, exc)
                    raise
                committing = True
                await session.commit()
            if observer is not None:
                observer.after_commit(session)
        except Exception as exc:
            if limit.expired():
                await _drop_connection(session)
            fault = _unknown_commit_outcome(exc) if committing else None
            if fault is not None:
                raise CommitOutcomeUnknownError(fault) from exc
            raise


async def _drop_connection(session: AsyncSession) -> None:
    """Invalidate the session's connection without waiting on the server: it ends the
    transaction server-side, and the pool opens a fresh one for the next request.

    SQLAlchemy would first try to close the connection politely for up to 2 s, which a frozen
    server never answers; cancelled, it drops the socket at once, which is all that is needed.
    """
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(0.05):
            await session.invalidate()


async def settle_after_error(session: AsyncSession, exc: BaseException) -> None:
    """End the transaction of a request that raised: roll back, unless the error is a refusal
    whose writes must outlive it (``AppError.keeps_writes``)."""
    if isinstance(exc, AppError) and exc.keeps_writes:
        await session.commit()
    else:
        await session.rollback()


def _unknown_commit_outcome(exc: Exception) -> DatabaseFault | None:
    """The fault, when a failed COMMIT may nonetheless have been applied.

    A connection that broke or went silent during COMMIT leaves the outcome unknown: the
    server may have committed before its reply was lost. A timeout the server reported itself
    (it cancelled the statement) and a serialisation failure are known to be rolled back.
    """
    fault = database_fault(exc)
    if fault is DatabaseFault.UNAVAILABLE:
        return fault
    if fault is DatabaseFault.TIMEOUT and sqlstate(exc) is None:
        return fault
    return None


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def run_sql(session: AsyncSession, sql: str, **params: Any) -> CursorResult[*tuple[Any, ...]]:
    """Run a textual statement in the session's transaction.

    SQLModel's ``exec`` takes ORM statements only and its ``execute`` is deprecated; going
    through the session's connection keeps the same transaction with full typing.
    """
    return await run_statement(session, text(sql), **params)


async def run_statement(
    session: AsyncSession, statement: Executable, **params: Any
) -> CursorResult[*tuple[Any, ...]]:
    """Run any Core statement (e.g. a wide ``select`` SQLModel's typed ``exec`` cannot take)
    in the session's transaction."""
    connection = await session.connection()
    return await connection.execute(statement, params)
