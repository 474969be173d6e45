"""Guidance response models: tips, benefits, anatomy notes, strategies, routines."""

from __future__ import annotations

from pydantic import Field

# The content files' own models: the administrators' API takes tips in that format, and one
# model per name keeps the OpenAPI schema names unambiguous.
from app.content.schema import Point, RoutineDay, TipException
from app.knowledge.schemas import ExerciseRef, MuscleRef, PublicModel, SourceRef


class TipPublic(PublicModel):
    slug: str = Field(examples=["activate-your-back"])
    title: str
    summary: str
    body: str
    category: str = Field(examples=["technique"])
    levels: list[str] = Field(examples=[["beginner", "intermediate", "advanced"]])
    exercises: list[ExerciseRef]
    muscles: list[MuscleRef]
    problems: list[Point]
    solutions: list[Point]
    exceptions: list[TipException]
    sources: list[SourceRef]


class BenefitPublic(PublicModel):
    slug: str = Field(examples=["v-taper"])
    title: str
    summary: str
    body: str
    points: list[str]
    muscles: list[MuscleRef]
    exercises: list[ExerciseRef]
    sources: list[SourceRef]


class AnatomyNotePublic(PublicModel):
    slug: str
    title: str
    summary: str
    body: str
    points: list[str]
    muscles: list[MuscleRef]
    sources: list[SourceRef]


class StrategyModificationVariant(PublicModel):
    code: str = Field(examples=["a"])
    description: str


class StrategyModification(PublicModel):
    kind: str = Field(examples=["ADD_SETS"])
    title: str
    description: str
    variants: list[StrategyModificationVariant]


class StrategyPublic(PublicModel):
    slug: str
    level: str = Field(examples=["beginner"])
    title: str
    summary: str
    goals: list[str]
    principles: list[Point]
    recommended_exercises: list[ExerciseRef]
    anchor_exercises: list[ExerciseRef] = Field(description="Keep these whatever else changes.")
    modifications: list[StrategyModification] = Field(
        description="Ways to progress a stalled lifter, in the order to try them, one at a time."
    )
    routines: list[str] = Field(description="Slugs of routines suited to this level.")
    sources: list[SourceRef]


class RoutinePublic(PublicModel):
    slug: str = Field(examples=["stronglifts-5x5"])
    name: str
    aliases: list[str]
    kind: str = Field(description="`established` (a published program) or `template`.")
    level: str
    summary: str
    days_per_week: int
    schedule: str
    days: list[RoutineDay] = Field(
        description="Training days in rotation order, with their exercises, sets and reps."
    )
    progression: list[str]
    recommender_profile: str | None = Field(
        default=None, description="The recommender's `routine_profile` for this routine."
    )
    sources: list[SourceRef]
