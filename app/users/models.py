"""The user account table."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from app.db.base import TimestampMixin


class User(TimestampMixin, table=True):
    # "user" is a reserved word in PostgreSQL.
    __tablename__ = "user_account"
    __table_args__ = (
        sa.CheckConstraint("email = lower(email)", name="email_lower_case"),
        # Stored in NFKC (app.users.emails), so look-alike spellings meet the unique index.
        sa.CheckConstraint("email IS NFKC NORMALIZED", name="email_nfkc_normalized"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Stored lower-cased (checked above) so the unique index is case-insensitive without citext.
    email: str = Field(max_length=254, unique=True)
    password_hash: str = Field(max_length=255)
    is_admin: bool = Field(default=False)
    # Bumped to invalidate every refresh token at once (log out everywhere, password change).
    token_version: int = Field(default=0)


class RefreshToken(TimestampMixin, table=True):
    """One issued refresh token, so that each can be used once.

    A sign-in starts a family; every refresh replaces the presented token with the next of its
    family. A token presented a second time means two parties hold it (one of them stole it),
    so the whole family is revoked and both must sign in again (OAuth 2.1, section 4.3.1).
    """

    __tablename__ = "refresh_token"

    # The token's `jti` claim: the token itself is never stored.
    id: str = Field(primary_key=True, max_length=32)
    family: str = Field(max_length=32, index=True)
    user_id: int = Field(
        sa_column=sa.Column(
            sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    expires_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    used_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
