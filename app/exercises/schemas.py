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
    """A muscle an exercise trains, with its role in it."""

    slug: str = Field(
        examples=["latissimus-dorsi"],
        description="Stable identifier of the muscle (see `/v1/muscles/{slug}`).",
    )
    name: str = Field(examples=["Latissimus Dorsi"], description="Display name.")
    group: str = Field(
        examples=["back"], description="The muscle group it belongs to, such as `back`."
    )
    role: MuscleRole


class EquipmentPublic(PublicModel):
    """A piece of gym equipment exercises may need."""

    slug: str = Field(
        examples=["pull-up-bar"],
        description="Stable identifier, lowercase words joined by hyphens.",
    )
    name: str = Field(examples=["Pull-up bar"], description="Display name.")
    aliases: list[str] = Field(default_factory=list, description="Other names it is known by.")
    description: str | None = Field(default=None, description="What it is, when described.")


class ExerciseSummary(PublicModel):
    """An exercise in a list: enough to choose, filter and link to its detail."""

    slug: str = Field(
        examples=["pull-up"], description="Stable identifier, lowercase words joined by hyphens."
    )
    name: str = Field(examples=["Pull-Up"], description="Display name.")
    aliases: list[str] = Field(
        examples=[["pullup", "pull up"]],
        description="Other names it is known by; searches match them too.",
    )
    origin: str = Field(
        description="`curated` (Spotter's own content) or the dataset it was imported from.",
        examples=["curated"],
    )
    category: str = Field(
        examples=["strength"], description="Broad category, such as `strength` or `stretching`."
    )
    mechanic: str | None = Field(
        examples=["compound"], description="`compound` or `isolation`; null when unknown."
    )
    force: str | None = Field(
        examples=["pull"], description="`pull`, `push` or `static`; null when unknown."
    )
    pattern: str | None = Field(
        examples=["vertical_pull"],
        description="Movement pattern, such as `vertical_pull`; null when not classified "
        "(some imported exercises).",
    )
    side: str | None = Field(
        description="Which side of the back/front balance its sets count toward.", examples=["back"]
    )
    level: str = Field(
        examples=["beginner"],
        description="The training level it suits: `beginner`, `intermediate` or `advanced`.",
    )
    loading: str | None = Field(
        examples=["bodyweight"],
        description="How it is loaded, such as `barbell` or `bodyweight`; null when unknown.",
    )
    equipment: list[str] = Field(
        description="Everything it needs (all of it); empty means no equipment.",
        examples=[["pull-up-bar"]],
    )
    top_pick_rank: int | None = Field(
        description="Rank (1-5) among the five best back exercises for beginners; null otherwise.",
        examples=[2],
    )
    primary_muscles: list[str] = Field(
        examples=[["latissimus-dorsi", "teres-major"]],
        description="Slugs of the muscles it mainly trains.",
    )
    secondary_muscles: list[str] = Field(
        examples=[["biceps-brachii", "rhomboid-major"]],
        description="Slugs of the muscles it trains to a lesser degree.",
    )


class ExerciseDetail(ExerciseSummary):
    """An exercise with everything embedded."""

    summary: str | None = Field(
        default=None, description="One or two sentences on what the exercise is, when written."
    )
    equipment_alternatives: list[list[str]] = Field(
        default_factory=list, description="Other complete equipment sets that also work."
    )
    muscles: list[MuscleUse] = Field(description="The muscles it trains, with their role.")
    joint_actions: list[JointActionRef] = Field(description="The joint actions it involves.")
    instructions: list[str] = Field(description="Steps, in order.")
    form_cues: list[str] = Field(description="Short reminders to keep good form.")
    common_mistakes: list[CommonMistake] = Field(
        description="Frequent errors, why they matter and how to fix them."
    )
    safety_notes: list[str] = Field(description="Precautions to take.")
    axial_heavy: bool = Field(description="Loads the spine heavily (never taken to failure).")
    bodyweight_factor: float | None = Field(
        default=None, description="Approximate share of bodyweight moved, for bodyweight lifts."
    )
    rep_range: RepRange | None = Field(
        default=None, description="Default reps per set for double progression; null when not set."
    )
    ladder: list[LadderStep] = Field(
        default_factory=list, description="Bodyweight progression steps, easiest first."
    )
    regressions: list[ExerciseRef] = Field(description="Easier exercises to build up to this one.")
    progressions: list[ExerciseRef] = Field(description="Harder exercises to move on to.")
    variations: list[ExerciseRef] = Field(description="Close variants.")
    tips: list[TipRef] = Field(description="Tips that apply to it.")
    sources: list[SourceRef] = Field(description="The sources it is based on.")


class Facets(PublicModel):
    """How many matching exercises have each value, for the main filters."""

    level: dict[str, int] = Field(description="Matching exercises per level.")
    mechanic: dict[str, int] = Field(description="Matching exercises per mechanic.")
    force: dict[str, int] = Field(description="Matching exercises per force.")
    pattern: dict[str, int] = Field(description="Matching exercises per movement pattern.")
    category: dict[str, int] = Field(description="Matching exercises per category.")
    equipment: dict[str, int] = Field(
        description="Matching exercises per equipment slug they need."
    )


class ExercisePage(PublicModel):
    """One page of an exercise list, with the total and facet counts."""

    items: list[ExerciseSummary] = Field(
        description="The exercises on this page, in the requested order."
    )
    limit: int = Field(description="The most items a page holds (the `limit` asked for).")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page. Also sent in "
        "the `Link` header."
    )
    total: int = Field(description="How many exercises match the filters.")
    facets: Facets


class Alternative(PublicModel):
    """An exercise that can stand in for another, and why."""

    exercise: ExerciseSummary = Field(description="The alternative exercise.")
    score: float = Field(ge=0, le=1, description="Similarity, 1 being interchangeable.")
    reasons: list[str] = Field(description="Why it was chosen, most important first.")
    shared_muscles: list[str] = Field(description="Slugs of the muscles both exercises train.")
    shared_joint_actions: list[str] = Field(
        description="Slugs of the joint actions both exercises involve."
    )


class AlternativeList(PublicModel):
    """Exercises that can replace a given one, best first."""

    exercise: ExerciseRef = Field(description="The exercise alternatives were asked for.")
    items: list[Alternative] = Field(description="The alternatives, most similar first.")


def document_list(document: dict[str, Any], key: str) -> list[Any]:
    value = document.get(key) or []
    return list(value)
