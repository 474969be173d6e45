"""Source response models."""

from __future__ import annotations

from pydantic import Field

from app.content.schema import SourceKind
from app.knowledge.schemas import SourceRef


class SourcePublic(SourceRef):
    """A work the knowledge base rests on. Its ``slug`` is what every ``sources`` list in the
    API names: content items' ``sources`` and each recommender reason's ``sources``."""

    kind: SourceKind = Field(examples=["article"], description="What kind of publication it is.")
    publisher: str | None = Field(
        default=None, examples=["King of the Gym"], description="Who published it, when known."
    )
    year: int | None = Field(
        default=None, examples=[2011], description="Year of publication, when known."
    )
    notes: str | None = Field(
        default=None,
        description="What the work is and what Spotter takes from it.",
        examples=["The article Spotter grew from."],
    )
