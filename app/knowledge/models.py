"""Tables shared by the knowledge-base domains."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db.base import TimestampMixin, jsonb_column, utcnow


class Origin(StrEnum):
    """Where a knowledge-base row came from; curated rows are owned by the content files."""

    CURATED = "curated"
    FREE_EXERCISE_DB = "free-exercise-db"
    API = "api"


class Source(TimestampMixin, table=True):
    """A work the knowledge base credits (the back-training article, routine authors...)."""

    __tablename__ = "source"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True)
    title: str = Field(max_length=200)
    origin: str = Field(default=Origin.CURATED, max_length=32)
    document: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb_column())


class ContentRevision(SQLModel, table=True):
    """One row: a counter bumped in every transaction that changes knowledge-base content.

    ETags derive from it, so a client's cached copy stays valid exactly as long as nothing
    it could contain has changed.
    """

    __tablename__ = "content_revision"
    __table_args__ = (sa.CheckConstraint("id = 1", name="single_row"),)

    id: int = Field(default=1, primary_key=True)
    revision: int = Field(default=0, sa_type=sa.BigInteger)
    fingerprint: str | None = Field(default=None, max_length=64)
    changed_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
