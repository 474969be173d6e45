"""exercise facet index

A filtered list counts its matches and their facets. With a large catalog the matching ids
come from the muscle and joint-action links, and reading each match's facet columns from the
wide heap rows (documents) cost one random heap read per match. This covering index holds
the facet and equipment columns beside the id, so those reads are index-only.

Revision ID: 3f6c1b9e2a47
Revises: 7db788724c76
Create Date: 2026-12-03 13:00:00.000000+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "3f6c1b9e2a47"
down_revision: str | None = "7db788724c76"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FACET_COLUMNS = ["level", "mechanic", "force", "pattern", "category", "equipment"]


def upgrade() -> None:
    op.create_index("ix_exercise_id_facets", "exercise", ["id"], postgresql_include=FACET_COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_exercise_id_facets", table_name="exercise")
