"""The versioned API: ``/v1`` and every domain router under it."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from app import __version__
from app.anatomy.router import router as anatomy_router
from app.api_keys.router import router as api_keys_router
from app.apps.router import router as apps_router
from app.exercises.router import router as exercises_router
from app.exports.router import router as exports_router
from app.kb_admin.router import router as kb_admin_router
from app.oauth.grants_router import router as grants_router
from app.ratelimit.dependency import enforce_rate_limit
from app.recommendations.router import router as recommendations_router
from app.search.router import router as search_router
from app.sources.router import router as sources_router
from app.tips.router import router as tips_router
from app.training.router import recommendations_router as my_recommendations_router
from app.training.router import router as training_router
from app.users.router import router as users_router

# Every /v1 operation counts against its caller's quota (health probes and docs live outside).
router = APIRouter(prefix="/v1", dependencies=[Depends(enforce_rate_limit)])


class ApiIndex(BaseModel):
    """Entry point of the API: its name, version and where its documentation lives."""

    name: str = Field(examples=["Spotter"], description="Name of the API.")
    version: str = Field(examples=["0.1.0"], description="Version of the running API.")
    docs: str = Field(description="Interactive API documentation.", examples=["/docs"])
    openapi: str = Field(description="The OpenAPI document.", examples=["/openapi.json"])


@router.get(
    "",
    summary="API index",
    response_description="The API's name and version, and where its documentation and "
    "OpenAPI document are.",
    response_model=ApiIndex,
    tags=["meta"],
)
async def get_api_index() -> ApiIndex:
    """Names the API and its version and points to its documentation; a cheap way for a client
    to check it is talking to Spotter v1."""
    return ApiIndex(name="Spotter", version=__version__, docs="/docs", openapi="/openapi.json")


for domain_router in (
    exercises_router,
    anatomy_router,
    tips_router,
    sources_router,
    exports_router,
    search_router,
    recommendations_router,
    users_router,
    api_keys_router,
    apps_router,
    grants_router,
    training_router,
    my_recommendations_router,
    kb_admin_router,
):
    router.include_router(domain_router)
