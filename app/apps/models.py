"""The registered app table: one row per OAuth client."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from app.db.base import TimestampMixin, text_array_column


class RegisteredApp(TimestampMixin, table=True):
    __tablename__ = "registered_app"
    __table_args__ = (
        sa.CheckConstraint("client_type IN ('public', 'confidential')", name="client_type_known"),
        # A public client (a phone or browser app) cannot keep a secret, so it never has one.
        sa.CheckConstraint(
            "(client_type = 'public') = (secret_hash IS NULL)", name="secret_matches_type"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    # The public identifier sent as `client_id`; random, so ids cannot be enumerated.
    client_id: str = Field(max_length=40, unique=True)
    owner_id: int = Field(
        sa_column=sa.Column(
            sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    name: str = Field(max_length=100)
    description: str = Field(default="", max_length=1000)
    homepage_url: str | None = Field(default=None, max_length=2048)
    logo_url: str | None = Field(default=None, max_length=2048)
    redirect_uris: list[str] = Field(default_factory=list, sa_column=text_array_column())
    client_type: str = Field(max_length=16)
    # HMAC-SHA256 of the secret with the server's key; the secret itself is shown once.
    secret_hash: str | None = Field(default=None, max_length=64)
    allowed_scopes: list[str] = Field(default_factory=list, sa_column=text_array_column())
    # Requests a minute for the app's own (client-credentials) tokens; the default when null.
    rate_limit: int | None = Field(default=None)
    suspended_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    suspended_reason: str | None = Field(default=None, max_length=500)
