"""Conditional GETs for public content: ``ETag`` from the content revision, ``304`` on a match.

The ETag hashes the content revision with the request's path and query, so each distinct
representation has its own tag, and every tag changes when any knowledge-base content does.
The check runs before the route's queries: a revalidation costs one tiny lookup.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Request, Response
from pydantic import Field
from starlette.responses import Response as StarletteResponse
from starlette.types import Scope

from app.db.session import SessionDep
from app.knowledge.representations import (
    PENDING_KEY,
    CachedRepresentationError,
    RepresentationCache,
)
from app.knowledge.service import known_revision

# Public content; shared caches may keep it briefly, then must revalidate with the ETag.
CACHE_CONTROL = "public, max-age=60, must-revalidate"


class NotModifiedError(Exception):
    """The client's copy is current; answered with 304 and no body."""

    def __init__(self, etag: str) -> None:
        super().__init__(etag)
        self.etag = etag


def etag_for(revision: int, scope: Scope) -> str:
    """The tag of the representation ``scope`` asks for at ``revision``.

    It hashes the path as Starlette's ``request.url.path`` spells it (the same three
    characters escaped) and the query string's bytes as sent, read straight from the scope:
    building a ``URL`` for it was a sixth of a stored answer's cost. (A query that is not
    UTF-8 never gets here: the server refuses it with a 400.)"""
    path = scope["path"].replace("?", "%3F").replace("#", "%23").replace("\\", "%5C")
    key = f"{revision}|{path}?".encode() + scope.get("query_string", b"")
    return f'"r{revision}-{hashlib.sha256(key).hexdigest()[:20]}"'


def _is_star(header: str | None) -> bool:
    return header is not None and header.strip() == "*"


def matches_etag(header: str | None, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    # Weak comparison (RFC 9110 §13.1.2): a W/ prefix from an intermediary still matches.
    return etag in {tag.strip().removeprefix("W/") for tag in header.split(",")}


# Room for a few dozen tags: more than any client keeps for one URL, far below the server's cap.
IF_NONE_MATCH_MAX_LENGTH = 2048

IfNoneMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-None-Match",
        max_length=IF_NONE_MATCH_MAX_LENGTH,
        description="The `ETag` of a copy the client holds (several comma-separated, or `*`): "
        "a 304 with no body when one of them is current.",
        examples=['"r12-3f2a9c0d1e4b5a6f7081"'],
    ),
]


async def conditional_get(
    request: Request,
    response: Response,
    session: SessionDep,
    if_none_match: IfNoneMatchHeader = None,
) -> str:
    """Tag the response, or stop with 304 when ``If-None-Match`` already names the tag, or
    with the stored bytes when this worker has answered the same request at this revision."""
    revision = await known_revision(session)
    etag = etag_for(revision.number, request.scope)
    cache: RepresentationCache | None = getattr(request.app.state, "representations", None)
    stored = cache.get(revision.stamp, etag) if cache is not None else None
    # This runs before the route's own parameters are checked, so `*` ("any current copy")
    # matches only a representation known to exist: for a bad query or an unknown slug it
    # would otherwise be a 304 instead of the 422 or 404. A named tag was issued for this
    # very URL at this revision, so its request was valid.
    if matches_etag(if_none_match, etag) and (stored is not None or not _is_star(if_none_match)):
        raise NotModifiedError(etag)
    if cache is not None:
        if stored is not None:
            raise CachedRepresentationError(stored)
        request.scope.setdefault("state", {})[PENDING_KEY] = (revision.stamp, etag)
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = CACHE_CONTROL
    return etag


ConditionalGet = Depends(conditional_get)

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
# A slug in a list filter (`?muscle=a&muscle=b`): bounded and well-formed, item by item.
SlugItem = Annotated[str, Field(min_length=1, max_length=120, pattern=SLUG_PATTERN)]

SlugPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=120,
        pattern=SLUG_PATTERN,
        description="The item's slug: lower-case words joined by hyphens.",
    ),
]
ETagDep = Annotated[str, ConditionalGet]


async def not_modified_handler(_request: Request, exc: Exception) -> StarletteResponse:
    assert isinstance(exc, NotModifiedError)  # noqa: S101 - registered for this class only
    return not_modified_response(exc.etag)


def not_modified_response(etag: str) -> StarletteResponse:
    return StarletteResponse(
        status_code=304, headers={"ETag": etag, "Cache-Control": CACHE_CONTROL}
    )


NOT_MODIFIED_RESPONSE: dict[int | str, dict[str, Any]] = {
    304: {
        # No body; its headers (ETag, Cache-Control, RateLimit) are added with the 200's
        # (app/openapi_headers.py).
        "description": "Not modified: the `ETag` sent in `If-None-Match` is still current; "
        "keep using the copy it names.",
    }
}
