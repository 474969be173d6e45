"""Exercise request filters and response models."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

from app.content import schema as content_schema
from app.content.schema import CommonMistake, LadderStep, RepRange
from app.knowledge.schemas import ExerciseRef, JointActionRef, PublicModel, SourceRef, TipRef
from app.schema_docs import documented

# The content files' own enum: the administrators' API takes content items as bodies, and one
# enum under one name keeps the OpenAPI schema names unambiguous.
MuscleRole = content_schema.MuscleRole


@documented(
    NAME="By name, A to Z.",
    NAME_DESC="By name, Z to A.",
    TOP_PICK="The five top back exercises first, in their ranked order, then the rest by name.",
    RELEVANCE="Best match for the text query `q` first (the default when `q` is given); by "
    "name when there is no query.",
)
class ExerciseSort(StrEnum):
    """The order of an exercise list."""

    NAME = "name"
    NAME_DESC = "-name"
    TOP_PICK = "top_pick"
    # Best match first; only meaningful with a text query, and the default when there is one.
    RELEVANCE = "relevance"


class MuscleUse(PublicModel):
    slug: str = Field(examples=["latissimus-dorsi"])
    name: str = Field(examples=["Latissimus Dorsi"])
    group: str = Field(examples=["back"])
    role: MuscleRole


class EquipmentPublic(PublicModel):
    slug: str = Field(examples=["pull-up-bar"])
    name: str = Field(examples=["Pull-up bar"])
    aliases: list[str] = Field(default_factory=list)
    description: str | None = None


class ExerciseSummary(PublicModel):
    """An exercise in a list: enough to choose, filter and link to its detail."""

    slug: str = Field(examples=["pull-up"])
    name: str = Field(examples=["Pull-Up"])
    aliases: list[str] = Field(examples=[["pullup", "pull up"]])
    origin: str = Field(
        description="`curated` (Spotter's own content) or the dataset it was imported from.",
        examples=["curated"],
    )
    category: str = Field(examples=["strength"])
    mechanic: str | None = Field(examples=["compound"])
    force: str | None = Field(examples=["pull"])
    pattern: str | None = Field(examples=["vertical_pull"])
    side: str | None = Field(
        description="Which side of the back/front balance its sets count toward.", examples=["back"]
    )
    level: str = Field(examples=["beginner"])
    loading: str | None = Field(examples=["bodyweight"])
    equipment: list[str] = Field(
        description="Everything it needs (all of it); empty means no equipment.",
        examples=[["pull-up-bar"]],
    )
    top_pick_rank: int | None = Field(
        description="Rank among the source article's five best back exercises.", examples=[2]
    )
    primary_muscles: list[str] = Field(examples=[["latissimus-dorsi", "teres-major"]])
    secondary_muscles: list[str] = Field(examples=[["biceps-brachii", "rhomboid-major"]])


class ExerciseDetail(ExerciseSummary):
    """An exercise with everything embedded."""

    summary: str | None = None
    equipment_alternatives: list[list[str]] = Field(
        default_factory=list, description="Other complete equipment sets that also work."
    )
    muscles: list[MuscleUse]
    joint_actions: list[JointActionRef]
    instructions: list[str] = Field(description="Steps, in order.")
    form_cues: list[str]
    common_mistakes: list[CommonMistake]
    safety_notes: list[str]
    axial_heavy: bool = Field(description="Loads the spine heavily (never taken to failure).")
    bodyweight_factor: float | None = Field(
        default=None, description="Approximate share of bodyweight moved, for bodyweight lifts."
    )
    rep_range: RepRange | None = None
    ladder: list[LadderStep] = Field(
        default_factory=list, description="Bodyweight progression steps, easiest first."
    )
    regressions: list[ExerciseRef] = Field(description="Easier exercises to build up to this one.")
    progressions: list[ExerciseRef] = Field(description="Harder exercises to move on to.")
    variations: list[ExerciseRef]
    tips: list[TipRef]
    sources: list[SourceRef]


class Facets(PublicModel):
    """How many matching exercises have each value, for the main filters."""

    level: dict[str, int]
    mechanic: dict[str, int]
    force: dict[str, int]
    pattern: dict[str, int]
    category: dict[str, int]
    equipment: dict[str, int]


class ExercisePage(PublicModel):
    items: list[ExerciseSummary]
    limit: int
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page. Also sent in "
        "the `Link` header."
    )
    total: int = Field(description="How many exercises match the filters.")
    facets: Facets


class Alternative(PublicModel):
    exercise: ExerciseSummary
    score: float = Field(ge=0, le=1, description="Similarity, 1 being interchangeable.")
    reasons: list[str] = Field(description="Why it was chosen, most important first.")
    shared_muscles: list[str]
    shared_joint_actions: list[str]


class AlternativeList(PublicModel):
    exercise: ExerciseRef
    items: list[Alternative]


def document_list(document: dict[str, Any], key: str) -> list[Any]:
    value = document.get(key) or []
    return list(value)
