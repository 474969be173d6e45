"""The versioned API: ``/v1`` and every domain router under it."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app import __version__

router = APIRouter(prefix="/v1")


class ApiIndex(BaseModel):
    name: str = Field(examples=["Spotter"])
    version: str = Field(examples=["0.1.0"])
    docs: str = Field(description="Interactive API documentation.", examples=["/docs"])
    openapi: str = Field(description="The OpenAPI document.", examples=["/openapi.json"])


@router.get("", summary="API index", response_model=ApiIndex, tags=["meta"])
async def get_api_index() -> ApiIndex:
    """Names the API and its version and points to its documentation; a cheap way for a client
    to check it is talking to Spotter v1."""
    return ApiIndex(name="Spotter", version=__version__, docs="/docs", openapi="/openapi.json")
