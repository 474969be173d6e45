"""JSON request bodies validated in one pass, for the few large ones.

FastAPI decodes a body with ``json.loads`` and then validates the Python objects; pydantic's
``model_validate_json`` does both at once in Rust. For the recommender's history (~1,000 sets,
~90 KiB) that saves about a millisecond per request. The OpenAPI document is unchanged: the
route declares the body through ``openapi_extra`` and the model's schema is registered here.
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

ModelT = TypeVar("ModelT", bound=BaseModel)

# Models whose schema the OpenAPI document must carry although no route parameter names them.
DOCUMENTED_BODIES: list[type[BaseModel]] = []


async def parse_json_body(request: Request, model: type[ModelT]) -> ModelT:
    """The validated body; invalid input raises the same 422 as a declared body would."""
    try:
        return model.model_validate_json(await request.body())
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
