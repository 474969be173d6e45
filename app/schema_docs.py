"""Client-facing descriptions for enums and plain dataclasses in the OpenAPI document.

pydantic models describe their fields with ``Field(description=...)``. Enums and the
recommender's frozen dataclasses cannot: an enum member has nowhere to put a sentence, and the
recommender may not import pydantic. ``documented`` fills the gap for both without changing
how anything validates or serialises: it only adds a ``__get_pydantic_json_schema__`` hook,
which pydantic calls while it writes the JSON schema and at no other time. The hook is
duck-typed, so this module imports nothing from pydantic either.

For an enum the schema's description becomes the class docstring followed by a markdown list
of every value (what Swagger UI and client generators show), and ``x-enumDescriptions`` maps
each value to its text (what ReDoc renders next to the values).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from enum import Enum
from typing import Any, Protocol, TypeVar

JsonSchema = dict[str, Any]
T = TypeVar("T", bound=type)


class _SchemaHandler(Protocol):
    """The part of pydantic's ``GetJsonSchemaHandler`` the hook uses."""

    def __call__(self, core_schema: Any, /) -> JsonSchema: ...

    def resolve_ref_schema(self, json_schema: JsonSchema, /) -> JsonSchema: ...


def _own_docstring(cls: type) -> str:
    """The docstring written for ``cls``, or "" (not one inherited or generated)."""
    doc = cls.__dict__.get("__doc__") or ""
    # dataclass() gives a class without a docstring its signature as one.
    if is_dataclass(cls) and doc == cls.__name__ + str(inspect.signature(cls)).replace(
        " -> None", ""
    ):
        return ""
    return inspect.cleandoc(doc)


def documented(**descriptions: str) -> Callable[[T], T]:
    """Describe every member of an enum, or every field of a dataclass, keyed by its name.

    The class must have a docstring (it describes the type), and the names must be exactly
    the members or fields: a missing or unknown one raises at import, so a value added later
    cannot reach clients undocumented.
    """

    def apply(cls: T) -> T:
        summary = _own_docstring(cls)
        if not summary:
            msg = f"{cls.__name__} needs a docstring: it is the schema's description"
            raise TypeError(msg)
        if issubclass(cls, Enum):
            names = list(cls.__members__)
        elif is_dataclass(cls):
            names = [f.name for f in fields(cls)]
        else:
            msg = f"{cls.__name__} is neither an enum nor a dataclass"
            raise TypeError(msg)
        if set(names) != set(descriptions):
            missing = sorted(set(names) - set(descriptions))
            unknown = sorted(set(descriptions) - set(names))
            msg = f"{cls.__name__}: undescribed {missing}, unknown {unknown}"
            raise ValueError(msg)
        if issubclass(cls, Enum):
            by_value = {str(cls[name].value): descriptions[name] for name in names}
            listing = "\n".join(f"- `{value}`: {text}" for value, text in by_value.items())
            extra: JsonSchema = {
                "description": f"{summary}\n\n{listing}",
                "x-enumDescriptions": by_value,
            }
        else:
            extra = {"description": summary}

        def hook(_cls: type, core_schema: Any, handler: _SchemaHandler) -> JsonSchema:
            json_schema = handler(core_schema)
            target = handler.resolve_ref_schema(json_schema)
            target.update(extra)
            for name, prop in target.get("properties", {}).items():
                if name in descriptions:
                    prop["description"] = descriptions[name]
            return json_schema

        # Enum and dataclass classes both accept new class attributes after creation.
        setattr(cls, "__get_pydantic_json_schema__", classmethod(hook))  # noqa: B010
        return cls

    return apply
