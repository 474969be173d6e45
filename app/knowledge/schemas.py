"""Response pieces every knowledge-base domain embeds."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PublicModel(BaseModel):
    """Base of response models: attribute access to rows, documented field by field."""

    model_config = ConfigDict(from_attributes=True)


class SourceRef(PublicModel):
    """A source a knowledge-base item or a reason rests on."""

    slug: str = Field(
        examples=["king-of-the-gym-back-training"],
        description="Stable identifier of the source (see `/v1/sources/{slug}`).",
    )
    title: str = Field(
        examples=["Back Training Tips & Strategies for Building a BIG Back"],
        description="Title of the work.",
    )
    author: str | None = Field(
        default=None, examples=["Alex (King of the Gym)"], description="Author, when known."
    )
    url: str | None = Field(default=None, description="Where to read it online, when available.")


class ExerciseRef(PublicModel):
    """A link to an exercise (see `/v1/exercises/{slug}`)."""

    slug: str = Field(examples=["pull-up"], description="Stable identifier of the exercise.")
    name: str = Field(examples=["Pull-Up"], description="Display name.")


class MuscleRef(PublicModel):
    """A link to a muscle (see `/v1/muscles/{slug}`)."""

    slug: str = Field(examples=["latissimus-dorsi"], description="Stable identifier of the muscle.")
    name: str = Field(examples=["Latissimus Dorsi"], description="Display name.")


class JointActionRef(PublicModel):
    """A link to a joint action (see `/v1/joint-actions/{slug}`)."""

    slug: str = Field(
        examples=["shoulder-extension"], description="Stable identifier of the joint action."
    )
    name: str = Field(examples=["Shoulder extension"], description="Display name.")
    joint: str = Field(
        examples=["shoulder"], description="The joint that moves, such as `shoulder`."
    )


class TipRef(PublicModel):
    """A link to a tip (see `/v1/tips/{slug}`)."""

    slug: str = Field(examples=["activate-your-back"], description="Stable identifier of the tip.")
    title: str = Field(
        examples=["Make the back do the pulling"], description="Headline of the tip."
    )
    summary: str | None = Field(
        default=None, description="The tip in one or two sentences, when it has one."
    )


class FacetCount(PublicModel):
    value: str
    count: int
