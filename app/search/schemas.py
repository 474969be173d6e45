"""Search response models."""

from __future__ import annotations

from pydantic import Field

from app.knowledge.schemas import PublicModel
from app.search.service import HitKind


class SearchHit(PublicModel):
    kind: HitKind = Field(description="What was found.")
    slug: str = Field(examples=["romanian-deadlift"])
    name: str = Field(examples=["Romanian Deadlift"])
    score: float = Field(ge=0, le=1, description="Relevance, 1 being an exact name or alias match.")
    matched: str = Field(
        description="The name or alias that matched, or `text` for a match in the description.",
        examples=["RDL"],
    )
    url: str = Field(
        description="Where to get the item.", examples=["/v1/exercises/romanian-deadlift"]
    )


class SearchResults(PublicModel):
    query: str
    items: list[SearchHit]
