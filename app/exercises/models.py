"""Exercise tables. Filterable facts are columns; the full validated item is ``document``."""

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


class Equipment(TimestampMixin, table=True):
    __tablename__ = "equipment"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True)
    name: str = Field(max_length=120)
    origin: str = Field(default=Origin.CURATED, max_length=32)
    document: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb_column())


class Exercise(TimestampMixin, table=True):
    __tablename__ = "exercise"
    __table_args__ = (
        # Keyset pagination walks (name, slug); the slug breaks ties between equal names.
        sa.Index("ix_exercise_name_slug", "name", "slug"),
        # Filtered lists count their matches' facets from this index, not the wide rows.
        sa.Index(
            "ix_exercise_id_facets",
            "id",
            postgresql_include=["level", "mechanic", "force", "pattern", "category", "equipment"],
        ),
        *gin_indexes("exercise", "equipment", "search_vector"),
    )

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=120, unique=True)
    name: str = Field(max_length=200)
    aliases: list[str] = Field(default_factory=list, sa_column=text_array_column())
    origin: str = Field(default=Origin.CURATED, max_length=32, index=True)
    category: str = Field(max_length=32, index=True)
    # Imported exercises may lack these facts; curated ones always have them.
    mechanic: str | None = Field(default=None, max_length=16)
    force: str | None = Field(default=None, max_length=16)
    pattern: str | None = Field(default=None, max_length=32, index=True)
    side: str | None = Field(default=None, max_length=16)
    level: str = Field(max_length=16, index=True)
    loading: str | None = Field(default=None, max_length=32)
    axial_heavy: bool = Field(default=False)
    top_pick_rank: int | None = Field(default=None)
    # Everything the exercise needs; "doable with what I own" is `equipment <@ owned`.
    equipment: list[str] = Field(default_factory=list, sa_column=text_array_column())
    document: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb_column())
    search_vector: Any = Field(default=None, sa_column=tsvector_column())


class ExerciseMuscle(SQLModel, table=True):
    __tablename__ = "exercise_muscle"

    exercise_id: int = Field(
        sa_column=sa.Column(sa.ForeignKey("exercise.id", ondelete="CASCADE"), primary_key=True)
    )
    muscle_id: int = Field(
        sa_column=sa.Column(
            sa.ForeignKey("muscle.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )
    role: str = Field(max_length=16)


class ExerciseJointAction(SQLModel, table=True):
    __tablename__ = "exercise_joint_action"

    exercise_id: int = Field(
        sa_column=sa.Column(sa.ForeignKey("exercise.id", ondelete="CASCADE"), primary_key=True)
    )
    joint_action_id: int = Field(
        sa_column=sa.Column(
            sa.ForeignKey("joint_action.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )
