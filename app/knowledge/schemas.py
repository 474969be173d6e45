"""Response pieces every knowledge-base domain embeds."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PublicModel(BaseModel):
    """Base of response models: attribute access to rows, documented field by field."""

    model_config = ConfigDict(from_attributes=True)


class SourceRef(PublicModel):
    slug: str = Field(examples=["king-of-the-gym-back-training"])
    title: str = Field(examples=["Back Training Tips & Strategies for Building a BIG Back"])
    author: str | None = Field(default=None, examples=["Alex (King of the Gym)"])
    url: str | None = None


class ExerciseRef(PublicModel):
    slug: str = Field(examples=["pull-up"])
    name: str = Field(examples=["Pull-Up"])


class MuscleRef(PublicModel):
    slug: str = Field(examples=["latissimus-dorsi"])
    name: str = Field(examples=["Latissimus Dorsi"])


class JointActionRef(PublicModel):
    slug: str = Field(examples=["shoulder-extension"])
    name: str = Field(examples=["Shoulder extension"])
    joint: str = Field(examples=["shoulder"])


class TipRef(PublicModel):
    slug: str = Field(examples=["activate-your-back"])
    title: str = Field(examples=["Make the back do the pulling"])
    summary: str | None = None


class FacetCount(PublicModel):
    value: str
    count: int
