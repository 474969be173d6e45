"""Stored outcomes of POST requests sent with an ``Idempotency-Key``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db.base import jsonb_column, utcnow


class IdempotencyRecord(SQLModel, table=True):
    """The response a keyed request produced, kept so a retry gets exactly the same answer.

    Keys are the client's, so they are only unique per user: (user_id, key) is the constraint
    that makes PostgreSQL, not the application, decide which of two racing requests wins.
    """

    __tablename__ = "idempotency_record"
    __table_args__ = (sa.UniqueConstraint("user_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=sa.Column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False)
    )
    key: str = Field(max_length=200)
    # SHA-256 of the method, the path and the validated body: the same key sent with another
    # request is a client bug (422), not a retry.
    fingerprint: str = Field(max_length=64)
    status_code: int = Field(sa_type=sa.SmallInteger)
    headers: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb_column())
    # The exact bytes sent the first time, so a replay is byte-identical.
    body: bytes = Field(sa_type=sa.LargeBinary)
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_type=sa.DateTime(timezone=True),
        sa_column_kwargs={"server_default": sa.func.now(), "nullable": False},
    )
    expires_at: datetime = Field(sa_type=sa.DateTime(timezone=True), index=True)
