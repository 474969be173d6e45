"""The documented shapes of the catalog snapshot, as one JSON document and as NDJSON lines.

The JSON document is streamed, not built from ``CatalogSnapshot``: the model exists so that
the OpenAPI document (and the generated clients) describe exactly what is sent. Each list
holds the items as their own detail endpoints answer them, by the same response models.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from app.anatomy.schemas import JointActionDetail, MuscleDetail
from app.exercises.schemas import EquipmentPublic, ExerciseDetail
from app.knowledge.schemas import PublicModel
from app.sources.schemas import SourcePublic
from app.tips.schemas import (
    AnatomyNotePublic,
    BenefitPublic,
    RoutinePublic,
    StrategyPublic,
    TipPublic,
)

NDJSON_MEDIA_TYPE = "application/x-ndjson"
JSON_MEDIA_TYPE = "application/json"

# Every public kind, in the order a snapshot lists them: (kind, the JSON document's key).
# The kind names are the ones the NDJSON lines and ``counts`` use.
KINDS: tuple[tuple[str, str], ...] = (
    ("exercise", "exercises"),
    ("muscle", "muscles"),
    ("joint_action", "joint_actions"),
    ("tip", "tips"),
    ("equipment", "equipment"),
    ("strategy", "strategies"),
    ("routine", "routines"),
    ("source", "sources"),
    ("benefit", "benefits"),
    ("anatomy_note", "anatomy_notes"),
)

CURSOR_DESCRIPTION = (
    "Where the change feed continues from this snapshot: the cursor to store and send as "
    "`since` to follow the changes made after it."
)
COUNTS_DESCRIPTION = "How many items of each kind the snapshot holds, by kind."


class CatalogSnapshot(PublicModel):
    """The whole public knowledge base at one content revision, each item as its detail
    endpoint answers it. Sent streamed, keys in this order: `revision` and `cursor` first,
    then one list per kind, then `counts`."""

    revision: int = Field(
        examples=[12], description="The content revision every item of the snapshot belongs to."
    )
    cursor: str = Field(examples=["12"], description=CURSOR_DESCRIPTION)
    exercises: list[ExerciseDetail] = Field(
        description="Every exercise, by slug, as `GET /v1/exercises/{slug}` answers it."
    )
    muscles: list[MuscleDetail] = Field(
        description="Every muscle, by slug, as `GET /v1/muscles/{slug}` answers it."
    )
    joint_actions: list[JointActionDetail] = Field(
        description="Every joint action, by slug, as `GET /v1/joint-actions/{slug}` answers it."
    )
    tips: list[TipPublic] = Field(
        description="Every tip, by slug, as `GET /v1/tips/{slug}` answers it."
    )
    equipment: list[EquipmentPublic] = Field(
        description="Every piece of equipment, by slug, as `GET /v1/equipment` lists it."
    )
    strategies: list[StrategyPublic] = Field(
        description="Every strategy, by slug, as `GET /v1/strategies/{level}` answers it."
    )
    routines: list[RoutinePublic] = Field(
        description="Every routine, by slug, as `GET /v1/routines` lists it."
    )
    sources: list[SourcePublic] = Field(
        description="Every source, by slug, as `GET /v1/sources/{slug}` answers it."
    )
    benefits: list[BenefitPublic] = Field(
        description="Every benefit, by slug, as `GET /v1/benefits` lists it."
    )
    anatomy_notes: list[AnatomyNotePublic] = Field(
        description="Every anatomy note, by slug, as `GET /v1/anatomy-notes` lists it."
    )
    counts: dict[str, int] = Field(
        examples=[{"exercise": 873, "muscle": 41}], description=COUNTS_DESCRIPTION
    )


class SnapshotHeaderLine(PublicModel):
    """The first NDJSON line: what the snapshot is of."""

    type: Literal["header"] = Field(description="Always `header`.")
    revision: int = Field(examples=[12], description="The content revision of every item.")
    cursor: str = Field(examples=["12"], description=CURSOR_DESCRIPTION)
    kinds: list[str] = Field(
        examples=[[kind for kind, _ in KINDS]],
        description="The kinds the item lines carry, in the order they come.",
    )


class SnapshotTrailerLine(PublicModel):
    """The last NDJSON line: a stream that ends without it was cut short."""

    type: Literal["trailer"] = Field(description="Always `trailer`.")
    revision: int = Field(examples=[12], description="The same revision as the header's.")
    cursor: str = Field(examples=["12"], description=CURSOR_DESCRIPTION)
    counts: dict[str, int] = Field(
        examples=[{"exercise": 873, "muscle": 41}], description=COUNTS_DESCRIPTION
    )
