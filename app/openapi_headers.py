"""Response headers and conditional-request parameters in the OpenAPI document.

The headers below are set by middleware and shared dependencies (the limiter, the catalog's
conditional GET, cursor pagination), not by each route, so no route declares them. They are
written into the document once the schema is built, from what an operation provably does:

* every /v1 operation passes the limiter, so its success responses (and 304s) carry
  ``RateLimit`` and ``RateLimit-Policy``;
* an operation that documents 304 is a catalog read (its ``If-None-Match`` parameter comes
  from the shared dependency): it tags its 200 and 304 with ``ETag`` and ``Cache-Control``;
* every other /v1 operation answers ``Cache-Control: no-store``;
* an operation whose 200 body is a page (a ``next_cursor`` property) sends ``Link``;
* a success with a body may be gzip- or brotli-encoded (``app/compression.py``): it can carry
  ``Content-Encoding`` and ``Vary``, and a 304 always says ``Vary``.

Each header is described once under ``components/headers`` and referenced, so the document
does not repeat the same text on hundreds of responses.
"""

from __future__ import annotations

from typing import Any

from app.compression import MIN_SIZE
from app.knowledge.http import CACHE_CONTROL

RATE_LIMIT_HEADERS: dict[str, dict[str, Any]] = {
    "RateLimit-Policy": {
        "description": 'The quotas applied to this caller, e.g. `"user";q=300;w=60`: '
        "`q` requests per `w` seconds (draft-ietf-httpapi-ratelimit-headers).",
        "schema": {"type": "string", "maxLength": 512},
    },
    "RateLimit": {
        "description": 'What is left of each quota, e.g. `"user";r=299;t=12`: `r` requests '
        "remain for the next `t` seconds.",
        "schema": {"type": "string", "maxLength": 512},
    },
}

RETRY_AFTER_HEADER: dict[str, Any] = {
    "description": "Seconds to wait before retrying.",
    "schema": {"type": "integer", "minimum": 1},
}

CONDITIONAL_HEADERS: dict[str, dict[str, Any]] = {
    "ETag": {
        "description": "This representation's tag; send it back as `If-None-Match` to "
        "revalidate (a 304 when nothing changed). Every tag changes when any knowledge-base "
        "content does.",
        "schema": {"type": "string", "examples": ['"r12-3f2a9c0d1e4b5a6f7081"']},
    },
    "Cache-Control": {
        "description": f"`{CACHE_CONTROL}`: any cache may keep the answer for a minute, then "
        "must revalidate it with the `ETag`. `no-store` instead when the request carried "
        "credentials (the answer may then be personal, e.g. its quota).",
        "schema": {"type": "string", "examples": [CACHE_CONTROL]},
    },
}

# Everything else under /v1 may be personal or one-off: never cached.
NO_STORE_NAME = "NoStore"
NO_STORE: dict[str, Any] = {
    "description": "`no-store`: the answer may be personal or is about one request; no cache "
    "may keep it.",
    "schema": {"type": "string", "examples": ["no-store"]},
}

LINK_HEADER: dict[str, dict[str, Any]] = {
    "Link": {
        "description": 'The next page as `<url>; rel="next"` (RFC 8288); absent on the last '
        "page. The same cursor is in the body's `next_cursor`.",
        "schema": {"type": "string"},
    }
}

VARY_HEADER: dict[str, dict[str, Any]] = {
    "Vary": {
        "description": f"`Accept-Encoding` on answers of {MIN_SIZE} bytes or more (which "
        "may be encoded, as the request's `Accept-Encoding` allows) and on every 304.",
        "schema": {"type": "string", "examples": ["Accept-Encoding"]},
    }
}
CODING_HEADERS: dict[str, dict[str, Any]] = {
    "Content-Encoding": {
        "description": "`br` or `gzip` when the body was encoded (JSON and text of "
        f"{MIN_SIZE} bytes or more, when `Accept-Encoding` allows); its `ETag` then ends in "
        "`-br` or `-gzip`, and either form of the tag revalidates.",
        "schema": {"type": "string", "enum": ["br", "gzip"]},
    },
    **VARY_HEADER,
}

# The catalog snapshot's own (app/exports): it streams, so it encodes gzip itself and says
# what its body is before sending it. Keyed by component name: two of them describe a header
# the shared components describe otherwise.
SNAPSHOT_HEADERS: dict[str, tuple[str, dict[str, Any]]] = {
    "ReprDigest": (
        "Repr-Digest",
        {
            "description": "SHA-256 of the body as sent (after `Content-Encoding`), as RFC 9530 "
            "writes it: `sha-256=:<base64>:`. Sent before the body, with its `Content-Length`.",
            "schema": {
                "type": "string",
                "examples": ["sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:"],
            },
        },
    ),
    "XContentSHA256": (
        "X-Content-SHA256",
        {
            "description": "SHA-256 of the decoded document, in hex: the same with or without "
            "gzip, for clients whose HTTP library decodes the body before they see it.",
            "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        },
    ),
    "SnapshotContentEncoding": (
        "Content-Encoding",
        {
            "description": "`gzip` when the request's `Accept-Encoding` allows it (the snapshot "
            "is encoded as it streams, in gzip only); its `ETag` then ends in `-gzip`, and "
            "either form of the tag revalidates.",
            "schema": {"type": "string", "enum": ["gzip"]},
        },
    ),
    "SnapshotVary": (
        "Vary",
        {
            "description": "`Accept, Accept-Encoding`: the media type and the coding both "
            "change the bytes.",
            "schema": {"type": "string", "examples": ["Accept, Accept-Encoding"]},
        },
    ),
}


def snapshot_header_refs() -> dict[str, dict[str, str]]:
    """The snapshot's 200 headers, by header name, as references to their components."""
    return {
        header: {"$ref": f"#/components/headers/{component}"}
        for component, (header, _) in SNAPSHOT_HEADERS.items()
    }


ALL_HEADERS = {**RATE_LIMIT_HEADERS, **CONDITIONAL_HEADERS, **LINK_HEADER, **CODING_HEADERS}


def header_refs(names: dict[str, Any]) -> dict[str, dict[str, str]]:
    """References to the shared descriptions of ``names``."""
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}


def document_response_headers(schema: dict[str, Any]) -> None:
    """Add the middleware-set headers to the responses of the operations that send them."""
    schema.setdefault("components", {})["headers"] = {
        **ALL_HEADERS,
        NO_STORE_NAME: NO_STORE,
        **{component: header for component, (_, header) in SNAPSHOT_HEADERS.items()},
    }
    schemas = schema["components"].get("schemas", {})
    for path, path_item in schema.get("paths", {}).items():
        if not path.startswith("/v1"):
            continue
        for operation in path_item.values():
            if isinstance(operation, dict) and "responses" in operation:
                _document_operation(operation, schemas)


def _document_operation(operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    responses: dict[str, dict[str, Any]] = operation["responses"]
    conditional = "304" in responses
    for status, response in responses.items():
        if not (status.startswith("2") or status == "304"):
            continue
        headers = response.setdefault("headers", {})
        added: dict[str, Any] = dict(RATE_LIMIT_HEADERS)
        if conditional:
            added.update(CONDITIONAL_HEADERS)
        if status == "200" and _is_page(response, schemas):
            added.update(LINK_HEADER)
        if status == "304":
            added.update(VARY_HEADER)
        elif "content" in response:
            added.update(CODING_HEADERS)
        refs = header_refs(added)
        if not conditional:
            refs["Cache-Control"] = {"$ref": f"#/components/headers/{NO_STORE_NAME}"}
        for name, ref in refs.items():
            # A route's own, more specific description of a header wins.
            headers.setdefault(name, ref)


def _is_page(response: dict[str, Any], schemas: dict[str, Any]) -> bool:
    body = response.get("content", {}).get("application/json", {}).get("schema", {})
    ref = body.get("$ref", "")
    model = schemas.get(ref.rsplit("/", 1)[-1], {}) if ref else body
    return "next_cursor" in model.get("properties", {})
