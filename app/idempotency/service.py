"""Idempotency-Key (IETF draft-ietf-httpapi-idempotency-key-header) for any POST create.

How a keyed request runs, all inside the request's own transaction:

1. ``pg_try_advisory_xact_lock`` on (user, key). Failing to get it means a request with the
   same key is being processed right now: 409, without waiting. The lock is released when that
   request's transaction ends, after its stored response has become visible.
2. A stored, unexpired response for (user, key): the same request fingerprint replays it byte
   for byte (with ``Idempotent-Replayed: true``); another fingerprint is a client bug, 422.
3. Otherwise the action runs and its response is inserted next to the resource it created, in
   the same transaction: either both are committed or neither is. The (user_id, key) unique
   constraint is the last word should two requests ever get past step 1 together.

Failed requests store nothing: they changed nothing, so a retry may simply run again.
Records expire after ``KEY_LIFETIME``; a user's expired records are deleted on their next
keyed request, so the table holds at most a day of each user's keys.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Header, Request, Response
from pydantic import BaseModel
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.base import utcnow
from app.db.session import run_sql, run_statement
from app.errors import ConflictError, InvalidInputError, InvalidParam
from app.idempotency.models import IdempotencyRecord

KEY_LIFETIME = timedelta(hours=24)
MAX_KEY_LENGTH = 200
REPLAYED_HEADER = "Idempotent-Replayed"
# Headers worth replaying; anything per-request (request id, rate-limit counters) is not.
STORED_HEADERS = ("content-type", "location", "etag")
IN_PROGRESS_RETRY_AFTER_S = 1

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        description="Any unique string (a UUID is ideal), at most 200 characters. Retrying with "
        "the same key and body returns the first response (with `Idempotent-Replayed: true`) "
        "instead of creating again; the same key with another body is 422, and while the first "
        "request is still running a retry gets 409. Keys are per user and kept 24 hours.",
    ),
]

REPLAY_HEADERS: dict[str, Any] = {
    REPLAYED_HEADER: {
        "description": "`true` when this is the stored response to an earlier request sent "
        "with the same `Idempotency-Key`.",
        "schema": {"type": "string", "enum": ["true"]},
    }
}


@dataclass(frozen=True)
class Outcome:
    """What an action produced: serialised once, then sent (and possibly stored) as bytes."""

    status_code: int
    body: BaseModel
    headers: Mapping[str, str] = field(default_factory=dict)

    def response(self) -> Response:
        return Response(
            content=self.body.model_dump_json().encode(),
            status_code=self.status_code,
            headers=dict(self.headers),
            media_type="application/json",
        )


def fingerprint(request: Request, payload: BaseModel) -> str:
    """SHA-256 of what makes two requests "the same": method, path and the validated body.

    The validated body (not the raw bytes) so that a retry re-serialised by a client library
    with other whitespace or key order is still recognised as the same request.
    """
    digest = hashlib.sha256()
    for part in (request.method, request.url.path, payload.model_dump_json()):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


async def _claim(session: AsyncSession, user_id: int, key: str) -> None:
    taken = (
        await run_sql(
            session,
            "SELECT pg_try_advisory_xact_lock(hashtextextended(:name, 0))",
            name=f"idempotency:{user_id}:{key}",
        )
    ).scalar_one()
    if not taken:
        raise ConflictError(
            "A request with this Idempotency-Key is still being processed; retry shortly to "
            "get its response.",
            headers={"Retry-After": str(IN_PROGRESS_RETRY_AFTER_S)},
        )


def _replay(record: IdempotencyRecord) -> Response:
    headers = {**record.headers, REPLAYED_HEADER: "true"}
    return Response(content=record.body, status_code=record.status_code, headers=headers)


async def run_once(
    session: AsyncSession,
    user_id: int,
    key: str | None,
    request_fingerprint: str,
    action: Callable[[], Awaitable[Outcome]],
) -> Response:
    """Run ``action`` at most once per (user, key), replaying its response to retries."""
    if key is None:
        return (await action()).response()
    await _claim(session, user_id, key)
    await run_sql(
        session,
        "DELETE FROM idempotency_record WHERE user_id = :user_id AND expires_at <= now()",
        user_id=user_id,
    )
    stored = (
        await session.exec(
            select(IdempotencyRecord).where(
                col(IdempotencyRecord.user_id) == user_id, col(IdempotencyRecord.key) == key
            )
        )
    ).first()
    if stored is not None:
        if stored.fingerprint != request_fingerprint:
            raise InvalidInputError(
                "This Idempotency-Key was already used for a different request; use a new key "
                "for a new request.",
                errors=[
                    InvalidParam(
                        name="Idempotency-Key",
                        location="header",
                        reason="already used with another request body or path",
                        type="idempotency_key_reused",
                    )
                ],
            )
        return _replay(stored)
    response = (await action()).response()
    headers = {
        name: value for name, value in response.headers.items() if name.lower() in STORED_HEADERS
    }
    inserted = await run_statement(
        session,
        insert(IdempotencyRecord)
        .values(
            user_id=user_id,
            key=key,
            fingerprint=request_fingerprint,
            status_code=response.status_code,
            headers=headers,
            body=bytes(response.body),
            expires_at=utcnow() + KEY_LIFETIME,
        )
        .on_conflict_do_nothing(index_elements=["user_id", "key"])
        .returning(col(IdempotencyRecord.id)),
    )
    if inserted.first() is None:
        # Another request with this key committed between our check and our insert: this
        # transaction rolls back, so only that request's resource exists.
        raise ConflictError(
            "Another request with this Idempotency-Key completed first; retry to get its response."
        )
    return response
