"""Typed PostgreSQL ``text[]`` predicates (``@>``, ``<@``, ``&&``), all GIN-indexable."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY


def text_array(values: Sequence[str]) -> sa.ColumnElement[list[str]]:
    return sa.literal(list(values), ARRAY(sa.Text()))


def contains_all(column: Any, values: Sequence[str]) -> sa.ColumnElement[bool]:
    """The array column holds every one of ``values``."""
    return sa.ColumnElement.op(column, "@>", is_comparison=True)(text_array(values))


def contained_by(column: Any, values: Sequence[str]) -> sa.ColumnElement[bool]:
    """Every element of the array column is one of ``values`` (an empty array always is)."""
    return sa.ColumnElement.op(column, "<@", is_comparison=True)(text_array(values))


def overlaps(column: Any, values: Sequence[str]) -> sa.ColumnElement[bool]:
    """The array column holds at least one of ``values``."""
    return sa.ColumnElement.op(column, "&&", is_comparison=True)(text_array(values))
