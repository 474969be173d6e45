"""API key request and response models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.auth.scopes import Scope


class ApiKeyCreate(BaseModel):
    """A new API key: its name, what it may do and when it expires."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=100, examples=["Lift Tracker Pro"])] = (
        Field(description="A label to recognise the key by, such as the app that uses it.")
    )
    scopes: list[Scope] = Field(
        min_length=1,
        max_length=len(Scope),
        description="What the key may do; at most what your own login may do.",
        examples=[["logs:read", "recommendations:read"]],
    )
    expires_at: datetime | None = Field(
        default=None,
        description="When the key stops working (at most two years ahead); never when omitted.",
    )


class ApiKeyPublic(BaseModel):
    """An API key of the account; the secret itself is never shown again after creation."""

    model_config = ConfigDict(from_attributes=True)

    id: int = Field(description="Key identifier, used to revoke it.")
    name: str = Field(description="The label given at creation.")
    display_prefix: str = Field(
        description="The key's first characters, to tell keys apart.", examples=["spt_a1B2c3"]
    )
    scopes: list[Scope] = Field(description="What the key may do.")
    expires_at: datetime | None = Field(
        description="When the key stops working, as an ISO 8601 date-time; null when it never "
        "expires."
    )
    revoked_at: datetime | None = Field(
        description="When the key was revoked, as an ISO 8601 date-time; null while active."
    )
    last_used_at: datetime | None = Field(
        description="When the key last authenticated a request, as an ISO 8601 date-time; null "
        "when never used."
    )
    created_at: datetime = Field(description="When the key was created, as an ISO 8601 date-time.")


class ApiKeyCreated(ApiKeyPublic):
    """A newly created API key, with its secret (shown only this once)."""

    key: str = Field(
        description="The secret key. Shown only in this response: store it now.",
        examples=["spt_3hQm9ZkP0aX7cV2bN8rT1yU6wE4sD5fG2hJ0k"],
    )
