"""Training-log request and response models.

The profile, equipment and set fields are the recommender's own request models, extended rather
than copied: a field the recommender learns is at once a field lifters can log, with the same
limits, and a stored log is always a valid recommender input.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field

from app.pagination import Page
from app.recommendations.schemas import EquipmentIn, ProfileIn, SessionIn, SetIn
from app.recommender import Day

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_only(value: object) -> object:
    # Lax parsing would read `?today=1.5` as a Unix timestamp; a query date is YYYY-MM-DD only.
    if isinstance(value, str) and not _ISO_DATE.fullmatch(value):
        msg = "must be a date written YYYY-MM-DD"
        raise ValueError(msg)
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]
# A day the recommender can plan for: within its supported years (see `Day`).
IsoDay = Annotated[Day, BeforeValidator(_iso_date_only)]
RoutineSlug = Annotated[
    str,
    Field(
        min_length=1,
        max_length=80,
        pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$",
        description="The routine being followed, a slug from `/v1/routines`.",
        examples=["stronglifts-5x5"],
    ),
]
Notes = Annotated[
    str | None,
    Field(max_length=1000, description="Free text, at most 1,000 characters."),
]


class ProfileUpdate(ProfileIn):
    """The whole profile; what is omitted takes its default (a PUT replaces, it never merges)."""

    equipment: EquipmentIn = Field(
        default_factory=EquipmentIn,
        description="What the lifter can load; recommended loads are always loadable with it.",
    )
    routine: RoutineSlug | None = Field(
        default=None,
        description="The routine being followed, a slug from `/v1/routines`; null when none.",
    )


class ProfilePublic(ProfileUpdate):
    """The lifter's stored profile and equipment."""

    version: int = Field(description="Bumped by every change; the `ETag` is derived from it.")
    updated_at: datetime = Field(
        description="When the profile last changed, as an ISO 8601 date-time."
    )


class TrainingSessionCreate(SessionIn):
    """A session as performed: its date and its sets in order (at most 200)."""

    notes: Notes = None


class TrainingSessionUpdate(TrainingSessionCreate):
    """The whole session, sets included: it replaces the stored one."""


class TrainingSessionPublic(BaseModel):
    """A logged training session."""

    id: int = Field(description="Session identifier.")
    date: Annotated[
        date, Field(description="The day it was performed, as an ISO date (YYYY-MM-DD).")
    ]
    notes: str | None = Field(description="Free-text notes; null when none.")
    sets: list[SetIn] = Field(description="In the order they were performed.")
    version: int = Field(description="Bumped by every change; the `ETag` is derived from it.")
    created_at: datetime = Field(description="When it was logged, as an ISO 8601 date-time.")
    updated_at: datetime = Field(description="When it last changed, as an ISO 8601 date-time.")


class TrainingSessionPage(Page[TrainingSessionPublic]):
    """One page of sessions, newest first."""
