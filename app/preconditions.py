"""Conditional updates: ``ETag`` from a row version, ``If-Match`` required on writes.

A missing ``If-Match`` is 428 (the client must say which version it edits), a stale one 412.
The check before the write catches the common case; the row's version column (SQLAlchemy's
``version_id_col``) makes the final UPDATE conditional too, so of two concurrent writers that
both passed the check only one commits and the other gets 412 (see ``errors.py``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Header, Response

from app.errors import PreconditionFailedError, PreconditionRequiredError

IfMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=200,
        description="The `ETag` of the version being changed (412 when stale).",
    ),
]

PRECONDITION_HEADERS: dict[str, Any] = {
    "ETag": {
        "description": "The representation's version; send it as `If-Match` to change it.",
        "schema": {"type": "string"},
    }
}


def version_etag(kind: str, row_id: int, version: int) -> str:
    return f'"{kind}-{row_id}-v{version}"'


def check_if_match(if_match: str | None, current: str) -> None:
    """Raise 428 without ``If-Match``, 412 unless it names ``current`` (or is ``*``)."""
    # Neither refusal names the current ETag: a client could copy it from the error into a
    # blind retry, overwriting a version it never read, which is what If-Match exists to stop.
    # The tag comes with a fresh GET, together with the representation it stands for.
    if if_match is None:
        raise PreconditionRequiredError(
            "Send If-Match with the ETag of the version you last read (GET it first) to change "
            "this."
        )
    # Strong comparison (RFC 9110 §13.1.1): weak tags never match for writes.
    candidates = {tag.strip() for tag in if_match.split(",")}
    if "*" not in candidates and current not in candidates:
        raise PreconditionFailedError(
            "The resource changed since you read it. GET it again, then retry with its ETag."
        )


def set_etag(response: Response, etag: str) -> None:
    response.headers["ETag"] = etag
