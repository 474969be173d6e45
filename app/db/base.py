"""Shared metadata settings; imported by every table module before it defines a model."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlmodel import Field, SQLModel

# Explicit constraint names make migrations reproducible and reversible: without them
# PostgreSQL invents names that autogenerate cannot drop reliably.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata = SQLModel.metadata


def utcnow() -> datetime:
    return datetime.now(UTC)


class TimestampMixin(SQLModel):
    """``created_at``/``updated_at`` kept by the database, so every writer agrees on them."""

    created_at: datetime = Field(
        default_factory=utcnow,
        sa_type=sa.DateTime(timezone=True),
        sa_column_kwargs={"server_default": sa.func.now(), "nullable": False},
    )
    updated_at: datetime = Field(
        default_factory=utcnow,
        sa_type=sa.DateTime(timezone=True),
        sa_column_kwargs={
            "server_default": sa.func.now(),
            "onupdate": sa.func.now(),
            "nullable": False,
        },
    )


def text_array_column() -> Any:
    """A non-null ``text[]`` column, empty by default."""
    return sa.Column(ARRAY(sa.Text()), nullable=False, server_default=sa.text("'{}'"))


def jsonb_column() -> Any:
    """The validated item as JSON: what the API embeds, kept whole so nothing is lost."""
    return sa.Column(JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb"))


def tsvector_column() -> Any:
    """Full-text search vector, written by the service that writes the row."""
    return sa.Column(TSVECTOR(), nullable=True)


def gin_indexes(table: str, *columns: str) -> tuple[sa.Index, ...]:
    return tuple(
        sa.Index(f"ix_{table}_{column}_gin", column, postgresql_using="gin") for column in columns
    )
