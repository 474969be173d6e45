"""Cursor pagination: opaque cursors over a stable sort, a capped limit, and Link headers."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query, Request, Response
from pydantic import BaseModel, Field

from app.errors import InvalidInputError, InvalidParam

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# Row ids are PostgreSQL `integer`s. A cursor is client-controlled, so an id from it is checked
# against that range before it reaches a query: beyond it the driver refuses the value (a 500).
MAX_ROW_ID = 2**31 - 1

T = TypeVar("T")

LimitQuery = Annotated[
    int,
    Query(ge=1, le=MAX_LIMIT, description=f"Items per page (at most {MAX_LIMIT})."),
]
CursorQuery = Annotated[
    str | None,
    Query(
        max_length=512,
        description="Opaque cursor from a previous page's `next_cursor`; omit for the first page.",
    ),
]


class Page(BaseModel, Generic[T]):
    items: list[T] = Field(description="The items on this page, in the listing's order.")
    limit: int = Field(description="The page size used.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


def encode_cursor(scope: str, key: list[Any]) -> str:
    """A cursor remembers the last row's sort key and the listing it belongs to."""
    raw = json.dumps({"s": scope, "k": key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def invalid_cursor(reason: str) -> InvalidInputError:
    """The 422 for a cursor that cannot continue this listing (foreign, stale or tampered)."""
    problem = InvalidParam(name="cursor", location="query", reason=reason, type="invalid_cursor")
    return InvalidInputError("The cursor is not valid for this listing.", errors=[problem])


def decode_cursor(cursor: str, scope: str) -> list[Any]:
    """The sort key stored in ``cursor``; 422 if it is malformed or from another listing."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        key = data["k"]
        valid = data["s"] == scope and isinstance(key, list)
    except (binascii.Error, ValueError, KeyError, TypeError):
        valid = False
    if not valid:
        raise invalid_cursor(
            "not a cursor from this listing (same filters and sort); start again without it"
        )
    result: list[Any] = key
    return result


def cursor_row_id(value: object) -> int:
    """A row id read back from a cursor; 422 unless it is one we could have written."""
    # `type(...) is int`: JSON `true` and `1.5` decode to a bool and a float, never our ids.
    if type(value) is not int or not 1 <= value <= MAX_ROW_ID:
        raise invalid_cursor("not a cursor from this listing; start again without it")
    return value


def link_next(request: Request, response: Response, next_cursor: str | None) -> None:
    """Advertise the next page in an RFC 8288 ``Link`` header, as well as in the body."""
    if next_cursor is not None:
        url = request.url.include_query_params(cursor=next_cursor)
        response.headers["Link"] = f'<{url.path}?{url.query}>; rel="next"'
