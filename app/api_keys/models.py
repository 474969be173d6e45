"""The API key table. The key itself is never stored: only its keyed hash."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from app.db.base import TimestampMixin, text_array_column


class ApiKey(TimestampMixin, table=True):
    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=sa.Column(
            sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    name: str = Field(max_length=100)
    # The first characters of the key, shown in listings so a lifter can tell keys apart.
    display_prefix: str = Field(max_length=16)
    # HMAC-SHA256 of the whole key with the server secret; looked up on every request.
    key_hash: str = Field(max_length=64, unique=True)
    scopes: list[str] = Field(default_factory=list, sa_column=text_array_column())
    expires_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    last_used_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


def is_active(revoked_at: datetime | None, expires_at: datetime | None, moment: datetime) -> bool:
    """Not revoked and not expired at ``moment``. Takes the columns, not an ``ApiKey``: the
    per-request look-up reads them as a plain row."""
    return revoked_at is None and (expires_at is None or expires_at > moment)
