"""Guidance response models: tips, benefits, anatomy notes, strategies, routines."""

from __future__ import annotations

from pydantic import Field

# The content files' own models: the administrators' API takes tips in that format, and one
# model per name keeps the OpenAPI schema names unambiguous.
from app.content.schema import Point, RoutineDay, TipException
from app.knowledge.schemas import ExerciseRef, MuscleRef, PublicModel, SourceRef


class TipPublic(PublicModel):
    """Practical training advice, with the problems it addresses, the solutions and the
    exceptions."""

    slug: str = Field(
        examples=["activate-your-back"],
        description="Stable identifier, lowercase words joined by hyphens.",
    )
    title: str = Field(description="Headline of the tip.")
    summary: str = Field(description="The tip in one or two sentences.")
    body: str = Field(description="The full advice, in plain text.")
    category: str = Field(
        examples=["technique"],
        description="What it is about: `technique`, `posture`, `programming` or `safety`.",
    )
    levels: list[str] = Field(
        examples=[["beginner", "intermediate", "advanced"]],
        description="The training levels it applies to.",
    )
    exercises: list[ExerciseRef] = Field(description="Exercises it applies to.")
    muscles: list[MuscleRef] = Field(description="Muscles it concerns.")
    problems: list[Point] = Field(description="The problems it addresses.")
    solutions: list[Point] = Field(description="What to do about them.")
    exceptions: list[TipException] = Field(description="Cases where the advice does not apply.")
    sources: list[SourceRef] = Field(description="The sources it is based on.")


class BenefitPublic(PublicModel):
    """A reason to train the back, explained."""

    slug: str = Field(
        examples=["v-taper"], description="Stable identifier, lowercase words joined by hyphens."
    )
    title: str = Field(description="Headline of the benefit.")
    summary: str = Field(description="The benefit in one or two sentences.")
    body: str = Field(description="The full explanation, in plain text.")
    points: list[str] = Field(description="Key points, one per item.")
    muscles: list[MuscleRef] = Field(description="Muscles it concerns.")
    exercises: list[ExerciseRef] = Field(description="Exercises that deliver it.")
    sources: list[SourceRef] = Field(description="The sources it is based on.")


class AnatomyNotePublic(PublicModel):
    """A short explanation of anatomy, such as what the back muscles do or how posture works."""

    slug: str = Field(description="Stable identifier, lowercase words joined by hyphens.")
    title: str = Field(description="Headline of the note.")
    summary: str = Field(description="The note in one or two sentences.")
    body: str = Field(description="The full explanation, in plain text.")
    points: list[str] = Field(description="Key points, one per item.")
    muscles: list[MuscleRef] = Field(description="Muscles it concerns.")
    sources: list[SourceRef] = Field(description="The sources it is based on.")


class StrategyModificationVariant(PublicModel):
    """One of a modification's two forms."""

    code: str = Field(
        examples=["a"], description="`a` or `b`, as in a recommendation's `modification.variant`."
    )
    description: str = Field(description="What this form changes.")


class StrategyModification(PublicModel):
    """A way to break a stall, as a recommendation's `modification.kind` names it."""

    kind: str = Field(
        examples=["ADD_SETS"],
        description="`ADD_SETS`, `LOAD_UP`, `REPS_UP` or `FAILURE_FINAL_SET`.",
    )
    title: str = Field(description="Short name of the modification.")
    description: str = Field(description="What it changes and when it fits.")
    variants: list[StrategyModificationVariant] = Field(description="Its forms, `a` first.")


class StrategyPublic(PublicModel):
    """How to train the back at one experience level."""

    slug: str = Field(description="Stable identifier, lowercase words joined by hyphens.")
    level: str = Field(examples=["beginner"], description="The experience level it is for.")
    title: str = Field(description="Headline of the strategy.")
    summary: str = Field(description="The strategy in a few sentences.")
    goals: list[str] = Field(description="What to aim for at this level.")
    principles: list[Point] = Field(description="The principles to follow, each explained.")
    recommended_exercises: list[ExerciseRef] = Field(description="Exercises that suit this level.")
    anchor_exercises: list[ExerciseRef] = Field(description="Keep these whatever else changes.")
    modifications: list[StrategyModification] = Field(
        description="Ways to progress a stalled lifter, in the order to try them, one at a time."
    )
    routines: list[str] = Field(description="Slugs of routines suited to this level.")
    sources: list[SourceRef] = Field(description="The sources it is based on.")


class RoutinePublic(PublicModel):
    """A training routine: its schedule, days and how it progresses."""

    slug: str = Field(
        examples=["stronglifts-5x5"],
        description="Stable identifier, lowercase words joined by hyphens.",
    )
    name: str = Field(description="Display name.")
    aliases: list[str] = Field(description="Other names it is known by.")
    kind: str = Field(description="`established` (a published program) or `template`.")
    level: str = Field(description="The experience level it is for.")
    summary: str = Field(description="The routine in a few sentences.")
    days_per_week: int = Field(description="Training sessions a week.")
    schedule: str = Field(description="How the days are spread over the week.")
    days: list[RoutineDay] = Field(
        description="Training days in rotation order, with their exercises, sets and reps."
    )
    progression: list[str] = Field(description="How to progress on it, one rule per item.")
    recommender_profile: str | None = Field(
        default=None, description="The recommender's `routine_profile` for this routine."
    )
    sources: list[SourceRef] = Field(description="The sources it is based on.")
