"""API key request and response models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.auth.scopes import Scope


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=100, examples=["Lift Tracker Pro"])]
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
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    display_prefix: str = Field(
        description="The key's first characters, to tell keys apart.", examples=["spt_a1B2c3"]
    )
    scopes: list[Scope]
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    created_at: datetime


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(
        description="The secret key. Shown only in this response: store it now.",
        examples=["spt_3hQm9ZkP0aX7cV2bN8rT1yU6wE4sD5fG2hJ0k"],
    )
