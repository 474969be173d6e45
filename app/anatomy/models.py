"""Anatomy tables: joint actions, muscles, and which muscle performs which action."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db.base import (
    TimestampMixin,
    gin_indexes,
    jsonb_column,
    text_array_column,
    tsvector_column,
)
from app.knowledge.models import Origin


class JointAction(TimestampMixin, table=True):
    __tablename__ = "joint_action"
    __table_args__ = gin_indexes("joint_action", "search_vector")

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True)
    name: str = Field(max_length=120)
    joint: str = Field(max_length=32, index=True)
    aliases: list[str] = Field(default_factory=list, sa_column=text_array_column())
    origin: str = Field(default=Origin.CURATED, max_length=32)
    document: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb_column())
    search_vector: Any = Field(default=None, sa_column=tsvector_column())


class Muscle(TimestampMixin, table=True):
    __tablename__ = "muscle"
    __table_args__ = gin_indexes("muscle", "search_vector")

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True)
    name: str = Field(max_length=120)
    muscle_group: str = Field(max_length=32, index=True)
    region: str | None = Field(default=None, max_length=32)
    parent_slug: str | None = Field(default=None, max_length=80)
    view: str = Field(max_length=16)
    aliases: list[str] = Field(default_factory=list, sa_column=text_array_column())
    origin: str = Field(default=Origin.CURATED, max_length=32)
    document: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb_column())
    search_vector: Any = Field(default=None, sa_column=tsvector_column())


class MuscleFunction(SQLModel, table=True):
    """The muscle performs the joint action, as prime mover, synergist or stabilizer."""

    __tablename__ = "muscle_function"

    muscle_id: int = Field(
        sa_column=sa.Column(sa.ForeignKey("muscle.id", ondelete="CASCADE"), primary_key=True)
    )
    joint_action_id: int = Field(
        sa_column=sa.Column(
            sa.ForeignKey("joint_action.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )
    role: str = Field(max_length=32)
