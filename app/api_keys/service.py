"""API keys: created with a one-time secret, listed, revoked. Owner-scoped throughout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.api_keys.models import ApiKey
from app.api_keys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic
from app.auth import keys
from app.auth.scopes import Scope
from app.db.session import run_statement
from app.errors import InvalidInputError, InvalidParam, NotFoundError
from app.users.models import User

MAX_KEYS_PER_USER = 50
MAX_LIFETIME = timedelta(days=731)


def _invalid(name: str, reason: str) -> InvalidInputError:
    return InvalidInputError(
        reason[0].upper() + reason[1:] + ".",
        errors=[InvalidParam(name=name, location="body", reason=reason, type="value_error")],
    )


async def create_key(
    session: AsyncSession,
    user_id: int,
    allowed: frozenset[Scope],
    data: ApiKeyCreate,
    hash_secret: str,
) -> ApiKeyCreated:
    """A new key for ``user_id``; its secret is in the result and nowhere else."""
    beyond = sorted({s.value for s in data.scopes} - {s.value for s in allowed})
    if beyond:
        raise _invalid("scopes", f"not yours to grant: {', '.join(beyond)}")
    now = datetime.now(UTC)
    if data.expires_at is not None:
        expires = data.expires_at if data.expires_at.tzinfo else data.expires_at.replace(tzinfo=UTC)
        if not now < expires <= now + MAX_LIFETIME:
            raise _invalid("expires_at", "must be in the future and at most two years ahead")
    # The owner's row is locked first: concurrent creations for one account queue here, so
    # each counts what the others committed and the cap cannot be passed by a race.
    await session.exec(select(User.id).where(col(User.id) == user_id).with_for_update())
    count = (
        await session.exec(
            select(func.count()).where(
                col(ApiKey.user_id) == user_id, col(ApiKey.revoked_at).is_(None)
            )
        )
    ).one()
    if count >= MAX_KEYS_PER_USER:
        raise _invalid("name", f"you already have {count} active keys; revoke one first")
    secret = keys.generate_key()
    row = ApiKey(
        user_id=user_id,
        name=data.name,
        display_prefix=keys.display_prefix(secret),
        key_hash=keys.key_hash(secret, hash_secret),
        scopes=sorted({s.value for s in data.scopes}),
        expires_at=data.expires_at,
    )
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return ApiKeyCreated(**ApiKeyPublic.model_validate(row).model_dump(), key=secret)


# Just the listed columns (never the key's hash), as rows validated straight into the
# response model: no ORM objects for the identity map to track.
_LISTED = (
    sa.select(*(col(getattr(ApiKey, name)) for name in ApiKeyPublic.model_fields))
    .where(col(ApiKey.user_id) == sa.bindparam("user_id"))
    .order_by(col(ApiKey.id))
)


async def list_keys(session: AsyncSession, user_id: int) -> list[ApiKeyPublic]:
    rows = (await run_statement(session, _LISTED, user_id=user_id)).all()
    return [ApiKeyPublic.model_validate(row) for row in rows]


async def revoke_key(session: AsyncSession, user_id: int, key_id: int) -> None:
    # Owner-scoped lookup: someone else's key is simply "not found", never "forbidden".
    row = (
        await session.exec(
            select(ApiKey).where(col(ApiKey.id) == key_id, col(ApiKey.user_id) == user_id)
        )
    ).first()
    if row is None:
        raise NotFoundError(f"You have no API key {key_id}.")
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
