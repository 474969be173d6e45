"""Training-log tables.

The recommender's request models (``ProfileIn``, ``EquipmentIn``, ``SetIn``) are the one
definition of a profile, an equipment list and a set; the rows keep their validated contents in
JSONB instead of a second, hand-copied column list that could drift from them. What the
database itself must enforce or search on (owner, dates, order, exercise) has real columns.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlmodel import Field

from app.db.base import TimestampMixin, jsonb_column


def _version_column() -> sa.Column[int]:
    """The row version behind ETags; set and bumped by the ORM, never by hand."""
    return sa.Column("version", sa.Integer, nullable=False)


_PROFILE_VERSION = _version_column()
_SESSION_VERSION = _version_column()


class TrainingProfile(TimestampMixin, table=True):
    """One per lifter; the user's id is the key, so a second profile cannot exist."""

    __tablename__ = "training_profile"

    user_id: int = Field(
        sa_column=sa.Column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    )
    # ``ProfileIn`` (experience, unit, bodyweight, goal, routine profile) as validated.
    profile: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb_column())
    # ``EquipmentIn`` (bar, plates, dumbbells, stack and assist steps) as validated.
    equipment: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb_column())
    routine_slug: str | None = Field(default=None, max_length=80)
    version: int = Field(default=1, sa_column=_PROFILE_VERSION)

    # The ORM adds ``AND version = :seen`` to every UPDATE and DELETE and bumps the version: two
    # writers that both passed the If-Match check cannot both succeed (the loser gets 412).
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": _PROFILE_VERSION}


class TrainingSession(TimestampMixin, table=True):
    __tablename__ = "training_session"
    __table_args__ = (
        # The listing walks (user, date, id) in both directions; one index serves it.
        sa.Index("ix_training_session_user_id_session_date_id", "user_id", "session_date", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=sa.Column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False)
    )
    session_date: date
    notes: str | None = Field(default=None, max_length=1000)
    version: int = Field(default=1, sa_column=_SESSION_VERSION)

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": _SESSION_VERSION}


class TrainingSet(TimestampMixin, table=True):
    """One set of a session, in the order it was performed (``position`` from 0)."""

    __tablename__ = "training_set"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "position"),
        sa.CheckConstraint("position >= 0", name="position_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Sets belong to their session: deleting the session deletes them, in the same statement.
    session_id: int = Field(
        sa_column=sa.Column(
            sa.ForeignKey("training_session.id", ondelete="CASCADE"), nullable=False
        )
    )
    position: int = Field(sa_type=sa.SmallInteger)
    exercise: str = Field(max_length=120, index=True)
    # The rest of ``SetIn`` (reps, load, targets, RPE...) as validated.
    details: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb_column())
