"""The model registry: importing this module registers every table on the shared metadata.

Alembic's ``env.py`` and the drift check import it, so a table missing here is a table
migrations do not know about.
"""

from __future__ import annotations

from app.db.base import metadata

__all__ = ["metadata"]
