"""One session per request; the request, not the service, owns the transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import CursorResult, Executable, text
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import CommitOutcomeUnknownError, DatabaseFault, database_fault, sqlstate


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Open a session for the request, commit when the route returns, roll back if it raises.

    Declared with ``scope="function"`` (below) so the commit happens before the response is
    sent: a client never sees a success for a write that then fails to commit.
    """
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        try:
            await session.commit()
        except Exception as exc:
            fault = database_fault(exc)
            # A connection that broke or timed out during COMMIT leaves the outcome unknown
            # (the server may have committed before the reply was lost). A lock or statement
            # timeout, a serialisation failure or a refused connection were rolled back.
            lost = fault is DatabaseFault.UNAVAILABLE or fault is DatabaseFault.TIMEOUT
            if lost and fault is not None and not sqlstate(exc):
                raise CommitOutcomeUnknownError(fault) from exc
            raise


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
