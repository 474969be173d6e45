"""Source endpoints: the works behind the content and behind every recommendation's reasons."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.content.schema import SourceKind
from app.db.session import SessionDep
from app.errors import problem_responses
from app.knowledge.http import NOT_MODIFIED_RESPONSE, ConditionalGet, SlugPath
from app.knowledge.representations import CachingRoute
from app.sources import service
from app.sources.schemas import SourcePublic

router = APIRouter(tags=["sources"], dependencies=[ConditionalGet], route_class=CachingRoute)


@router.get(
    "/sources",
    summary="List sources",
    response_description="Every source matching the filter, by title.",
    response_model=list[SourcePublic],
    responses={**NOT_MODIFIED_RESPONSE, **problem_responses(422, 503)},
)
async def list_sources(
    session: SessionDep,
    kind: Annotated[
        SourceKind | None, Query(description="Only sources of this kind (article, book...).")
    ] = None,
) -> list[SourcePublic]:
    """Every work the knowledge base credits, by title: the back-training article the content
    grew from, the published routines, and the references behind the recommender's rules
    (progression schemes, the RPE chart, volume landmarks, the e1RM formula). Any slug found in
    a `sources` list elsewhere in the API, including a recommendation reason's, is listed here."""
    return await service.list_sources(session, kind=kind.value if kind else None)


@router.get(
    "/sources/{slug}",
    summary="Get a source",
    response_description="The source with its author, publisher, year, link and what Spotter takes "
    "from it.",
    response_model=SourcePublic,
    responses={**NOT_MODIFIED_RESPONSE, **problem_responses(404, 422, 503)},
)
async def get_source(slug: SlugPath, session: SessionDep) -> SourcePublic:
    """One source by slug, with its author, publisher, year, link and what Spotter takes from
    it; use it to resolve the `sources` of a content item or a recommendation reason."""
    return await service.get_source(session, slug)
