"""``GET /v1/exports/catalog``: the whole public knowledge base in one streamed answer.

Thin: it negotiates the media type and the coding, answers 304 when the client's tag is
current, and streams the body the service encodes, with the digest and size the service knows
for it (``app.exports.service`` explains how a streamed body can carry its SHA-256 in a
header). HEAD answers the same headers without the body: the cheap way to learn a snapshot's
digest, size and tag.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import Response, StreamingResponse

from app.compression import coded_etag, negotiate
from app.db.deadline import request_deadline
from app.errors import NotAcceptableError, problem_responses
from app.exports import service
from app.exports.schemas import (
    JSON_MEDIA_TYPE,
    KINDS,
    NDJSON_MEDIA_TYPE,
    CatalogSnapshot,
    SnapshotHeaderLine,
    SnapshotTrailerLine,
)
from app.knowledge.http import (
    CACHE_CONTROL,
    NOT_MODIFIED_RESPONSE,
    IfNoneMatchHeader,
    matches_etag,
)
from app.openapi_examples import EXAMPLES_DIR, example_name
from app.openapi_headers import snapshot_header_refs

router = APIRouter(tags=["exports"])

# Where the snapshot's change cursor comes from: the one place to plug the change feed in.
CHANGE_CURSOR: service.CursorSource = service.revision_cursor

# The answer differs by both; a shared cache must key on them.
VARY = "Accept, Accept-Encoding"
GZIP_ONLY = ("gzip",)
# Left of the request's deadline when it stops waiting for a hashing pass, for its own 503.
DEADLINE_MARGIN_S = 0.5


def choose_media_type(accept: str | None) -> str:
    """JSON unless ``Accept`` prefers NDJSON (q-values and wildcards honoured); 406 when it
    allows neither."""
    if not accept or not accept.strip():
        return JSON_MEDIA_TYPE
    weights = dict.fromkeys(service.MEDIA_TYPES, -1.0)
    specificity = dict.fromkeys(service.MEDIA_TYPES, -1)
    for member in accept.split(","):
        name, _, parameters = member.partition(";")
        name = name.strip().lower()
        weight = 1.0
        for parameter in parameters.split(";"):
            key, _, value = parameter.partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        for media_type in service.MEDIA_TYPES:
            # The most specific range that matches decides (RFC 9110 §12.5.1).
            rank = 2 if name == media_type else 1 if name == "application/*" else 0
            if (rank or name == "*/*") and rank > specificity[media_type]:
                weights[media_type], specificity[media_type] = weight, rank
    best = max(service.MEDIA_TYPES, key=lambda media_type: weights[media_type])
    if weights[best] <= 0:
        allowed = " or ".join(f"`{media_type}`" for media_type in service.MEDIA_TYPES)
        raise NotAcceptableError(f"The catalog snapshot is sent as {allowed}; `Accept` allows "
                                 "neither.")  # fmt: skip
    return best


class ViewOpener:
    """Opens the snapshot's transaction on demand; it lasts until the body has been sent."""

    def __init__(self, request: Request, stack: contextlib.AsyncExitStack) -> None:
        self._request = request
        self._stack = stack

    async def open(self) -> service.SnapshotView:
        # Opening and the first reads run under the request's database deadline, as any
        # request's do; each later batch is one statement under the statement timeout.
        async with asyncio.timeout_at(request_deadline(self._request)):
            return await self._stack.enter_async_context(
                service.open_view(self._request.app.state.engine, CHANGE_CURSOR)
            )


async def snapshot_views(request: Request) -> AsyncIterator[ViewOpener]:
    # The default dependency scope: the exit (the end of the transaction) runs only once the
    # streamed response is sent.
    async with contextlib.AsyncExitStack() as stack:
        yield ViewOpener(request, stack)


AcceptHeader = Annotated[
    str | None,
    Header(
        alias="Accept",
        max_length=1024,
        description="`application/json` (the default) for one JSON document, "
        "`application/x-ndjson` for one line per item.",
        examples=[NDJSON_MEDIA_TYPE],
    ),
]


def _ndjson_example(document: dict[str, Any]) -> str:
    """The NDJSON form of the captured JSON example, for the OpenAPI document."""
    header = SnapshotHeaderLine(
        type="header",
        revision=document["revision"],
        cursor=document["cursor"],
        kinds=[kind for kind, _ in KINDS],
    )
    lines = [header.model_dump_json()]
    for kind, key in KINDS:
        lines += [
            json.dumps({"type": "item", "kind": kind, "item": item}, ensure_ascii=False)
            for item in document[key]
        ]
    trailer = SnapshotTrailerLine(
        type="trailer", revision=document["revision"], cursor=document["cursor"],
        counts=document["counts"],
    )  # fmt: skip
    return "\n".join([*lines, trailer.model_dump_json()]) + "\n"


def _stored_example() -> dict[str, Any] | None:
    path = EXAMPLES_DIR / example_name("get_catalog_snapshot", 200)
    if not path.exists():
        return None
    stored: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return stored


_EXAMPLE = _stored_example()
_NDJSON_CONTENT: dict[str, Any] = {
    "schema": {
        "type": "string",
        "description": "One JSON object per line: a `header` line (`revision`, `cursor`, "
        "`kinds`), one `item` line per item (`kind`, and `item` as its detail endpoint "
        "answers it), and a `trailer` line (`revision`, `cursor`, `counts`). A stream that "
        "ends without the trailer was cut short.",
    },
}
if _EXAMPLE is not None:
    _NDJSON_CONTENT["example"] = _ndjson_example(_EXAMPLE)


@router.get(
    "/exports/catalog",
    summary="Download the whole catalog",
    response_description="Every public item of the knowledge base at one content revision, "
    "each as its detail endpoint answers it, with the change cursor to continue from.",
    response_model=CatalogSnapshot,
    responses={
        200: {
            "content": {JSON_MEDIA_TYPE: {}, NDJSON_MEDIA_TYPE: _NDJSON_CONTENT},
            "headers": snapshot_header_refs(),
        },
        **NOT_MODIFIED_RESPONSE,
        **problem_responses(406, 422, 503),
    },
)
async def get_catalog_snapshot(
    request: Request,
    views: Annotated[ViewOpener, Depends(snapshot_views)],
    accept: AcceptHeader = None,
    if_none_match: IfNoneMatchHeader = None,
) -> Response:
    """The whole public knowledge base (exercises, muscles, joint actions, tips, equipment,
    strategies, routines, sources, benefits and anatomy notes) at one content revision, for
    apps that cache it or ship it offline; then follow the changes from `cursor`. Items come
    by kind, then by slug, each exactly as its own endpoint answers it. Send
    `Accept: application/x-ndjson` for one line per item, a header line first and a trailer
    line last. The body is streamed; `Content-Length`, `Repr-Digest` (SHA-256 of the bytes as
    sent) and `X-Content-SHA256` (SHA-256 of the decoded document) let a client check it.
    Revalidate with `If-None-Match`: the tag changes only when the content does. It counts as
    one knowledge-base read against the quota. `HEAD` answers the same headers with no body."""
    media_type = choose_media_type(accept)
    coding = negotiate(request.headers.get("accept-encoding", "").encode(), GZIP_ONLY)
    view = await views.open()
    etag = service.etag_of(view, media_type)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": VARY}
    if matches_etag(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    # The hashing pass may wait for as long as the request may spend on the database.
    wait_s = request_deadline(request) - asyncio.get_running_loop().time() - DEADLINE_MARGIN_S
    sent, decoded = await service.body_facts.facts(
        view,
        media_type,
        coding,
        measure_in=lambda: service.open_view(request.app.state.engine, CHANGE_CURSOR),
        wait_s=wait_s,
    )
    headers |= {
        "Content-Length": str(sent.size),
        "Repr-Digest": f"sha-256=:{base64.b64encode(sent.sha256).decode()}:",
        "X-Content-SHA256": decoded.sha256.hex(),
    }
    if coding is not None:
        headers |= {"Content-Encoding": coding, "ETag": coded_etag(etag.encode(), coding).decode()}
    if request.method == "HEAD":
        return Response(status_code=200, headers=headers, media_type=media_type)
    return StreamingResponse(
        service.body(view, media_type, coding), headers=headers, media_type=media_type
    )


# HEAD is served by the same function, left out of the OpenAPI document (the GET's description
# says what it does): generated clients would otherwise grow a second, bodiless operation.
router.add_api_route(
    "/exports/catalog",
    get_catalog_snapshot,
    methods=["HEAD"],
    include_in_schema=False,
    response_model=None,
)
