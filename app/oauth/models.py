"""Grants, authorization codes and issued tokens. Codes and tokens are stored as keyed
hashes only: a copy of the database hands out no working credential."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from app.db.base import TimestampMixin, text_array_column


def _owner(table: str, *, nullable: bool = False, index: bool = True) -> sa.Column[int]:
    return sa.Column(
        sa.ForeignKey(f"{table}.id", ondelete="CASCADE"), nullable=nullable, index=index
    )


class Grant(TimestampMixin, table=True):
    """A lifter's consent for one app: what it may do, until the lifter revokes it.

    At most one live grant per lifter and app; consenting again updates its scopes. Every
    token of the grant checks it on each request, so revoking it ends them all at once.
    """

    __tablename__ = "oauth_grant"
    __table_args__ = (
        sa.Index(
            "uq_oauth_grant_live",
            "user_id",
            "app_id",
            unique=True,
            postgresql_where=sa.text("revoked_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=_owner("user_account"))
    app_id: int = Field(sa_column=_owner("registered_app"))
    scopes: list[str] = Field(default_factory=list, sa_column=text_array_column())
    last_used_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class AuthorizationCode(TimestampMixin, table=True):
    """A code handed to the app's redirect URI: usable once, within a minute."""

    __tablename__ = "oauth_code"

    code_hash: str = Field(primary_key=True, max_length=64)
    app_id: int = Field(sa_column=_owner("registered_app"))
    user_id: int = Field(sa_column=_owner("user_account"))
    redirect_uri: str = Field(max_length=2048)
    scopes: list[str] = Field(default_factory=list, sa_column=text_array_column())
    code_challenge: str = Field(max_length=128)
    code_challenge_method: str = Field(max_length=8)
    expires_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    used_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class IssuedToken(TimestampMixin, table=True):
    """One access token and, for a lifter's grant, its refresh token.

    Refreshing spends the row's refresh token and issues a new row of the same ``family``
    (the code it descends from); a spent refresh token presented again revokes the grant.
    App-level (client-credentials) tokens have no grant and no refresh token.
    """

    __tablename__ = "oauth_token"

    id: int | None = Field(default=None, primary_key=True)
    access_hash: str = Field(max_length=64, unique=True)
    refresh_hash: str | None = Field(default=None, max_length=64, unique=True)
    app_id: int = Field(sa_column=_owner("registered_app"))
    grant_id: int | None = Field(default=None, sa_column=_owner("oauth_grant", nullable=True))
    family: str = Field(max_length=64, index=True)
    scopes: list[str] = Field(default_factory=list, sa_column=text_array_column())
    access_expires_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    refresh_expires_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    refresh_used_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
