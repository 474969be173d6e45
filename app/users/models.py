"""The user account table."""

from __future__ import annotations

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
