"""The search endpoint."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.db.session import SessionDep
from app.errors import problem_responses
from app.knowledge.http import NOT_MODIFIED_RESPONSE, ConditionalGet
from app.knowledge.representations import CachingRoute
from app.search.schemas import SearchHit, SearchResults
from app.search.service import HitKind, search

router = APIRouter(tags=["search"], dependencies=[ConditionalGet], route_class=CachingRoute)

PATHS = {
    HitKind.EXERCISE: "/v1/exercises/",
    HitKind.MUSCLE: "/v1/muscles/",
    HitKind.JOINT_ACTION: "/v1/joint-actions/",
    HitKind.TIP: "/v1/tips/",
}


@router.get(
    "/search",
    summary="Search the knowledge base",
    response_description="The query and the best matches across the knowledge base, best "
    "first, each with its kind, score and URL.",
    response_model=SearchResults,
    responses={**NOT_MODIFIED_RESPONSE, **problem_responses(422, 503)},
)
async def search_knowledge_base(
    session: SessionDep,
    q: Annotated[
        str,
        Query(min_length=1, max_length=100, description="What to look for.", examples=["deadlfit"]),
    ],
    kind: Annotated[
        list[HitKind] | None, Query(max_length=4, description="Only these kinds of item.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=50, description="How many hits (at most 50).")] = 20,
) -> SearchResults:
    """Exercises, muscles, joint actions and tips matching `q`, best first, each with its kind.
    Combines PostgreSQL full-text search with fuzzy matching of names and aliases, so typos
    (`deadlfit`), spelling variants (`pullup`, `pull up`) and gym shorthand (`RDL`, `lats`,
    `OHP`) all find what they mean."""
    hits = await search(session, q, kind, limit)
    return SearchResults(
        query=q,
        items=[
            SearchHit(
                kind=h.kind,
                slug=h.slug,
                name=h.name,
                score=h.score,
                matched=h.matched,
                url=PATHS[h.kind] + h.slug,
            )
            for h in hits
        ],
    )
