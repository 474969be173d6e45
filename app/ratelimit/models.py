"""Rate-limit state: one row per limited key (client address, user, API key, policy)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class RateLimitState(SQLModel, table=True):
    """The generic cell rate algorithm's theoretical arrival time (TAT) per key.

    UNLOGGED: counters need no crash safety (a restart forgives some requests), and skipping
    the write-ahead log makes the one write per request cheap.
    """

    __tablename__ = "rate_limit_state"
    __table_args__ = {"prefixes": ["UNLOGGED"]}

    key: str = Field(max_length=200, primary_key=True)
    tat: datetime = Field(sa_type=sa.DateTime(timezone=True), index=True)
