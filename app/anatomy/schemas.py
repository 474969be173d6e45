"""Anatomy response models."""

from __future__ import annotations

from pydantic import Field

from app.knowledge.schemas import ExerciseRef, JointActionRef, MuscleRef, PublicModel, SourceRef


class JointActionSummary(PublicModel):
    """A movement of one joint, such as shoulder extension."""

    slug: str = Field(
        examples=["shoulder-extension"],
        description="Stable identifier, lowercase words joined by hyphens.",
    )
    name: str = Field(examples=["Shoulder extension"], description="Display name.")
    joint: str = Field(
        examples=["shoulder"], description="The joint that moves, such as `shoulder`."
    )
    plane: str | None = Field(
        default=None,
        examples=["sagittal"],
        description="The plane it moves in: `sagittal`, `frontal` or `transverse`; null when "
        "unknown.",
    )
    aliases: list[str] = Field(default_factory=list, description="Other names it is known by.")
    description: str | None = Field(
        default=None, description="What the movement is, in plain words; null when not written."
    )


class MuscleFunctionPublic(PublicModel):
    """A joint action a muscle contributes to, and how."""

    joint_action: JointActionRef = Field(description="The joint action.")
    role: str = Field(
        description="`prime_mover`, `synergist` or `stabilizer`.", examples=["prime_mover"]
    )
    note: str | None = Field(default=None, description="Extra detail on the contribution, if any.")


class MuscleSummary(PublicModel):
    """A muscle in a list: enough to choose, filter and link to its detail."""

    slug: str = Field(
        examples=["latissimus-dorsi"],
        description="Stable identifier, lowercase words joined by hyphens.",
    )
    name: str = Field(examples=["Latissimus Dorsi"], description="Display name.")
    aliases: list[str] = Field(
        default_factory=list, examples=[["lats"]], description="Other names it is known by."
    )
    group: str = Field(
        examples=["back"], description="The muscle group it belongs to, such as `back`."
    )
    region: str | None = Field(
        default=None,
        examples=["middle-back"],
        description="Where on the body it lies, such as `middle-back`; null when it spans several.",
    )
    parent: str | None = Field(default=None, description="The muscle this is a part or head of.")
    view: str = Field(description="Which body view shows it: `front` or `back`.", examples=["back"])


class MusclePerformer(PublicModel):
    """A muscle that performs a joint action, and its role."""

    muscle: MuscleRef = Field(description="The muscle that performs it.")
    role: str = Field(
        examples=["prime_mover"], description="`prime_mover`, `synergist` or `stabilizer`."
    )


class ExercisesByRole(PublicModel):
    """The exercises that train a muscle, by how much they train it."""

    primary: list[ExerciseRef] = Field(description="Exercises in which it is a primary muscle.")
    secondary: list[ExerciseRef] = Field(description="Exercises in which it is a secondary muscle.")


class MuscleDetail(MuscleSummary):
    """A muscle with what it does, its parts and the exercises that train it."""

    description: str | None = Field(
        default=None,
        description="What the muscle is and does, in plain words; null when not written.",
    )
    functions: list[MuscleFunctionPublic] = Field(
        description="The joint actions it contributes to, and how."
    )
    parts: list[MuscleRef] = Field(description="Heads or fibre regions of this muscle.")
    exercises: ExercisesByRole = Field(description="Exercises that train it, by its role in them.")
    sources: list[SourceRef] = Field(description="The sources it is based on.")


class JointActionDetail(JointActionSummary):
    """A joint action with the muscles that perform it and the exercises that train it."""

    muscles: list[MusclePerformer] = Field(
        description="Muscles that perform it, prime movers first."
    )
    exercises: list[ExerciseRef] = Field(description="Exercises that train it.")
    sources: list[SourceRef] = Field(description="The sources it is based on.")
