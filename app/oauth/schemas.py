"""Response models of the grants a lifter gave to apps."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from app.auth.scopes import Scope


class GrantPublic(BaseModel):
    """An app the lifter allowed to act for them, and what it may do."""

    id: int = Field(description="The grant's id, used to revoke it.")
    client_id: str = Field(description="The app's client id.")
    app_name: str = Field(description="The app's name.", examples=["Lift Tracker Pro"])
    homepage_url: str | None = Field(description="The app's website; null when not given.")
    scopes: list[Scope] = Field(description="What the app may do for you.")
    granted_at: datetime = Field(
        description="When you last approved the app, as an ISO 8601 date-time."
    )
    first_granted_at: datetime = Field(
        description="When you first approved the app, as an ISO 8601 date-time."
    )
    last_used_at: datetime | None = Field(
        description="When the app last used its access (to the minute); null when never."
    )
