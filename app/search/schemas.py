"""Search response models."""

from __future__ import annotations

from pydantic import Field

from app.knowledge.schemas import PublicModel
from app.search.service import HitKind


class SearchHit(PublicModel):
    """One knowledge-base item matching a search."""

    kind: HitKind = Field(description="What was found.")
    slug: str = Field(examples=["romanian-deadlift"], description="Stable identifier of the item.")
    name: str = Field(examples=["Romanian Deadlift"], description="Display name (a tip's title).")
    score: float = Field(ge=0, le=1, description="Relevance, 1 being an exact name or alias match.")
    matched: str = Field(
        description="The name or alias that matched, or `text` for a match in the description.",
        examples=["RDL"],
    )
    url: str = Field(
        description="Where to get the item.", examples=["/v1/exercises/romanian-deadlift"]
    )


class SearchResults(PublicModel):
    """Knowledge-base items matching a text query, best first."""

    query: str = Field(description="The query as searched.")
    items: list[SearchHit] = Field(description="The matches, highest score first.")
