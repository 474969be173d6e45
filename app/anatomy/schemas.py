"""Anatomy response models."""

from __future__ import annotations

from pydantic import Field

from app.knowledge.schemas import ExerciseRef, JointActionRef, MuscleRef, PublicModel, SourceRef


class JointActionSummary(PublicModel):
    slug: str = Field(examples=["shoulder-extension"])
    name: str = Field(examples=["Shoulder extension"])
    joint: str = Field(examples=["shoulder"])
    plane: str | None = Field(default=None, examples=["sagittal"])
    aliases: list[str] = Field(default_factory=list)
    description: str | None = None


class MuscleFunctionPublic(PublicModel):
    joint_action: JointActionRef
    role: str = Field(
        description="`prime_mover`, `synergist` or `stabilizer`.", examples=["prime_mover"]
    )
    note: str | None = None


class MuscleSummary(PublicModel):
    slug: str = Field(examples=["latissimus-dorsi"])
    name: str = Field(examples=["Latissimus Dorsi"])
    aliases: list[str] = Field(default_factory=list, examples=[["lats"]])
    group: str = Field(examples=["back"])
    region: str | None = Field(default=None, examples=["middle-back"])
    parent: str | None = Field(default=None, description="The muscle this is a part or head of.")
    view: str = Field(description="Which body view shows it: `front` or `back`.", examples=["back"])


class MusclePerformer(PublicModel):
    muscle: MuscleRef
    role: str = Field(examples=["prime_mover"])


class ExercisesByRole(PublicModel):
    primary: list[ExerciseRef]
    secondary: list[ExerciseRef]


class MuscleDetail(MuscleSummary):
    description: str | None = None
    functions: list[MuscleFunctionPublic]
    parts: list[MuscleRef] = Field(description="Heads or fibre regions of this muscle.")
    exercises: ExercisesByRole = Field(description="Exercises that train it, by its role in them.")
    sources: list[SourceRef]


class JointActionDetail(JointActionSummary):
    muscles: list[MusclePerformer] = Field(
        description="Muscles that perform it, prime movers first."
    )
    exercises: list[ExerciseRef] = Field(description="Exercises that train it.")
    sources: list[SourceRef]
