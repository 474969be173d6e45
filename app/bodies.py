"""JSON request bodies: one strict reading for every operation.

Every JSON body is read by ``strict_loads``: UTF-8 only (RFC 8259 section 8.1; no byte order
mark, so UTF-16 and UTF-32 are refused rather than guessed), no duplicate keys in an object
(the standard leaves their meaning open, and "the last one wins" silently drops data), no
``NaN`` or ``Infinity`` (not JSON), and nesting no deeper than the parser's bound. Each refusal
is the same 422 ``json_invalid`` problem, whichever operation received the body.

Routes get it through ``StrictJSONRoute``. The recommender's body is read by
``parse_json_body`` instead (its route declares the body through ``openapi_extra`` and the
model's schema is registered here): pydantic's own JSON parser would be ~2.5 ms faster on a
~90 KiB history, but it keeps the last of duplicate keys, so that body is parsed strictly too.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError

ModelT = TypeVar("ModelT", bound=BaseModel)

# Models whose schema the OpenAPI document must carry although no route parameter names them.
DOCUMENTED_BODIES: list[type[BaseModel]] = []


_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE,
         codecs.BOM_UTF16_BE)  # fmt: skip
NOT_UTF8 = "the body must be JSON in UTF-8 without a byte order mark"
# The hooks do not know where in the text they are; the problem then names no character.
NO_POSITION = -1


class _RefusedError(ValueError):
    """Raised from inside the parser's hooks; turned into a JSONDecodeError by the caller."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                msg = f'the key "{key}" appears more than once in one object'
                raise _RefusedError(msg)
            seen.add(key)
    return obj


def _no_constant(name: str) -> Any:
    msg = f"{name} is not a JSON value"
    raise _RefusedError(msg)


def strict_loads(body: bytes) -> Any:
    """``body`` parsed as strict JSON; any departure raises ``json.JSONDecodeError``.

    FastAPI turns that error into its 422 ``json_invalid`` validation error, so bodies read
    here and bodies read by FastAPI are refused alike.
    """
    # UTF-16/32 without a byte order mark start with a NUL in one of the first bytes, which no
    # UTF-8 JSON text can (a NUL must be escaped).
    if body.startswith(_BOMS) or b"\x00" in body[:4]:
        raise json.JSONDecodeError(NOT_UTF8, "", NO_POSITION)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise json.JSONDecodeError(
            f"{NOT_UTF8}; byte {exc.start} is not UTF-8", "", NO_POSITION
        ) from exc
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except _RefusedError as exc:
        raise json.JSONDecodeError(str(exc), "", NO_POSITION) from exc
    except RecursionError as exc:
        msg = "the body is nested too deeply (the parser allows several hundred levels)"
        raise json.JSONDecodeError(msg, "", NO_POSITION) from exc


class StrictJSONRequest(Request):
    """A request whose ``json()`` is ``strict_loads``: what FastAPI calls for a JSON body."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = strict_loads(await self.body())
        return self._json


class StrictJSONRoute(APIRoute):
    """A route that reads its JSON body strictly (FastAPI's documented custom request hook)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict_handler


async def parse_json_body(request: Request, model: type[ModelT]) -> ModelT:
    """The validated body; invalid input raises the same 422 as a declared body would."""
    body = await request.body()
    try:
        data = strict_loads(body)
    except json.JSONDecodeError as exc:
        raise _json_invalid(exc) from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [
            {**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)
        ]
        raise RequestValidationError(errors) from exc


def json_body(model: type[BaseModel], examples: dict[str, Any]) -> dict[str, Any]:
    """``openapi_extra`` describing ``model`` as the route's required JSON body."""
    DOCUMENTED_BODIES.append(model)
    schema = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema, "examples": examples}},
        }
    }


def _json_invalid(exc: json.JSONDecodeError) -> RequestValidationError:
    """The error FastAPI raises for a body that is not JSON, so both paths read the same."""
    error = {
        "type": "json_invalid",
        "loc": ("body", exc.pos),
        "msg": "JSON decode error",
        "input": {},
        "ctx": {"error": exc.msg},
    }
    return RequestValidationError([error])
