"""Guidance tables; each holds its validated item whole in ``document``."""

from __future__ import annotations

from typing import Any

from sqlmodel import Field

from app.db.base import (
    TimestampMixin,
    gin_indexes,
    jsonb_column,
    text_array_column,
    tsvector_column,
)
from app.knowledge.models import Origin


class Tip(TimestampMixin, table=True):
    __tablename__ = "tip"
    __table_args__ = gin_indexes("tip", "exercises", "muscles", "search_vector")

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True)
    title: str = Field(max_length=200)
    category: str = Field(max_length=32, index=True)
    levels: list[str] = Field(default_factory=list, sa_column=text_array_column())
    exercises: list[str] = Field(default_factory=list, sa_column=text_array_column())
    muscles: list[str] = Field(default_factory=list, sa_column=text_array_column())
    origin: str = Field(default=Origin.CURATED, max_length=32)
    document: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb_column())
    search_vector: Any = Field(default=None, sa_column=tsvector_column())


class Benefit(TimestampMixin, table=True):
    __tablename__ = "benefit"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True)
    title: str = Field(max_length=200)
    origin: str = Field(default=Origin.CURATED, max_length=32)
    document: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb_column())


class AnatomyNote(TimestampMixin, table=True):
    __tablename__ = "anatomy_note"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True)
    title: str = Field(max_length=200)
    origin: str = Field(default=Origin.CURATED, max_length=32)
    document: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb_column())


class Strategy(TimestampMixin, table=True):
    __tablename__ = "strategy"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True)
    level: str = Field(max_length=16, unique=True)
    title: str = Field(max_length=200)
    origin: str = Field(default=Origin.CURATED, max_length=32)
    document: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb_column())


class Routine(TimestampMixin, table=True):
    __tablename__ = "routine"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True)
    name: str = Field(max_length=200)
    level: str = Field(max_length=16, index=True)
    origin: str = Field(default=Origin.CURATED, max_length=32)
    document: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb_column())
